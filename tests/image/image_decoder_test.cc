#include <gtest/gtest.h>

#include <cstring>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/image.h"
#include "test_util.h"

namespace facekit {
namespace {

std::vector<uint8_t> Encode(const cv::Mat& m, const std::string& ext, std::vector<int> params = {}) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, m, out, params));
  return out;
}

cv::Mat Gradient(int w, int h, int type = CV_8UC3) {
  cv::Mat m(h, w, type);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (type == CV_8UC3) m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x), static_cast<uint8_t>(y), 128);
      if (type == CV_8UC1) m.at<uint8_t>(y, x) = static_cast<uint8_t>(x + y);
      if (type == CV_16UC1) m.at<uint16_t>(y, x) = static_cast<uint16_t>(x * 500);
      if (type == CV_16UC3) m.at<cv::Vec<uint16_t, 3>>(y, x) = cv::Vec<uint16_t, 3>(static_cast<uint16_t>(x * 500), 0, 65535);
    }
  return m;
}

StatusCode CodeOf(const std::vector<uint8_t>& bytes, const ImageLimits& limits = {}) {
  auto r = DecodeImage(bytes, limits);
  return r.ok() ? StatusCode::kOk : r.status().code();
}

TEST(ImageDecoder, DecodesEveryFormatToBgr) {
  cv::Mat bgr = Gradient(120, 90);
  for (const char* ext : {".jpg", ".png", ".bmp", ".webp"}) {
    auto img = DecodeImage(Encode(bgr, ext));
    ASSERT_TRUE(img.ok()) << ext << " " << img.status().ToString();
    EXPECT_EQ(img->width, 120);
    EXPECT_EQ(img->height, 90);
    EXPECT_EQ(img->bgr.size(), 120u * 90u * 3u);
  }
  EXPECT_EQ(DecodeImage(Encode(bgr, ".png"))->format, ImageFormat::kPng);
  EXPECT_EQ(DecodeImage(Encode(bgr, ".webp"))->format, ImageFormat::kWebp);
  // Lossless formats keep the pixels exactly.
  auto png = DecodeImage(Encode(bgr, ".png"));
  EXPECT_EQ(std::memcmp(png->bgr.data(), bgr.data, png->bgr.size()), 0);
}

TEST(ImageDecoder, PngGrey16BitAndAlphaBecomeBgr8) {
  auto grey = DecodeImage(Encode(Gradient(100, 80, CV_8UC1), ".png"));
  ASSERT_TRUE(grey.ok());
  EXPECT_EQ(grey->bgr[3 * 5], grey->bgr[3 * 5 + 2]);  // B == R for grey
  auto g16 = DecodeImage(Encode(Gradient(100, 80, CV_16UC1), ".png"));
  ASSERT_TRUE(g16.ok()) << g16.status().ToString();
  EXPECT_EQ(g16->bgr[3 * 50], 97);  // x = 50: 50 * 500 / 257, rounded
  auto c16 = DecodeImage(Encode(Gradient(100, 80, CV_16UC3), ".png"));
  ASSERT_TRUE(c16.ok());
  EXPECT_EQ(c16->bgr[2], 255);
  // Transparent pixels are composited over white.
  cv::Mat rgba(80, 100, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  rgba(cv::Rect(0, 0, 50, 80)) = cv::Scalar(0, 0, 255, 255);
  auto a = DecodeImage(Encode(rgba, ".png"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->bgr[0], 0);
  EXPECT_EQ(a->bgr[2], 255);  // opaque red
  EXPECT_EQ(a->bgr[3 * 99], 255);  // transparent -> white
  // A real 32-bit PNG from the data set.
  auto real = LoadImageFile(testing::Photo("32bit.png"));
  EXPECT_TRUE(real.ok()) << real.status().ToString();
}

TEST(ImageDecoder, EachBadInputHasItsOwnCode) {
  cv::Mat bgr = Gradient(120, 90);
  EXPECT_EQ(CodeOf({}), StatusCode::kImageEmpty);
  std::vector<uint8_t> jpg = Encode(bgr, ".jpg");
  std::vector<uint8_t> png = Encode(bgr, ".png");
  std::vector<uint8_t> bmp = Encode(bgr, ".bmp");
  std::vector<uint8_t> webp = Encode(bgr, ".webp");
  auto cut = [](std::vector<uint8_t> v, size_t keep) {
    v.resize(keep);
    return v;
  };
  for (size_t keep : {size_t{3}, size_t{20}, jpg.size() / 2, jpg.size() - 2}) {
    EXPECT_EQ(CodeOf(cut(jpg, keep)), StatusCode::kImageTruncated) << "jpeg " << keep;
  }
  for (size_t keep : {size_t{10}, size_t{40}, png.size() / 2, png.size() - 1}) {
    EXPECT_EQ(CodeOf(cut(png, keep)), StatusCode::kImageTruncated) << "png " << keep;
  }
  EXPECT_EQ(CodeOf(cut(bmp, bmp.size() / 2)), StatusCode::kImageTruncated);
  EXPECT_EQ(CodeOf(cut(webp, webp.size() - 10)), StatusCode::kImageTruncated);

  // Corrupt: PNG with a damaged IDAT (CRC fails), JPEG with a bogus quantisation table index.
  std::vector<uint8_t> bad_png = png;
  bad_png[png.size() - 20] ^= 0xFF;
  EXPECT_EQ(CodeOf(bad_png), StatusCode::kImageCorrupt);
  std::vector<uint8_t> bad_jpg = jpg;
  for (size_t i = 2; i + 4 < bad_jpg.size(); ++i) {
    if (bad_jpg[i] == 0xFF && bad_jpg[i + 1] == 0xDB) {
      bad_jpg[i + 4] = 0x1F;  // Pq/Tq: table 15 does not exist
      break;
    }
  }
  EXPECT_EQ(CodeOf(bad_jpg), StatusCode::kImageCorrupt);
  EXPECT_EQ(CodeOf({0xFF, 0xD8, 0xFF, 0xE0, 0x00}), StatusCode::kImageTruncated);

  std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0};
  EXPECT_EQ(CodeOf(gif), StatusCode::kImageUnsupportedFormat);
  EXPECT_EQ(CodeOf({'I', 'I', '*', 0, 8, 0, 0, 0}), StatusCode::kImageUnsupportedFormat);
  EXPECT_EQ(CodeOf({1, 2, 3, 4, 5, 6, 7, 8, 9}), StatusCode::kImageUnsupportedFormat);

  EXPECT_EQ(CodeOf(Encode(Gradient(63, 200), ".png")), StatusCode::kImageTooSmall);
  EXPECT_EQ(CodeOf(Encode(Gradient(200, 63), ".jpg")), StatusCode::kImageTooSmall);
  EXPECT_EQ(CodeOf(Encode(Gradient(64, 64), ".png")), StatusCode::kOk);
  EXPECT_EQ(CodeOf(Encode(Gradient(2001, 64), ".png")), StatusCode::kImageTooLarge);
  EXPECT_EQ(CodeOf(Encode(Gradient(2001, 64), ".jpg")), StatusCode::kOk);
  EXPECT_EQ(CodeOf(Encode(Gradient(4001, 64), ".jpg")), StatusCode::kImageTooLarge);

  ImageLimits tight;
  tight.max_bytes = 100;
  EXPECT_EQ(CodeOf(png, tight), StatusCode::kImageSizeExceeded);
  ImageLimits custom;
  custom.min_short_side = 100;
  custom.max_long_side_other = 100;
  EXPECT_EQ(CodeOf(png, custom), StatusCode::kImageTooLarge);
}

TEST(ImageDecoder, HugeDimensionsAreRefusedFromTheHeaderAlone) {
  // A PNG header claiming 100000 x 100000 pixels, with no pixel data.
  std::vector<uint8_t> png = Encode(Gradient(64, 64), ".png");
  auto put32 = [&](size_t at, uint32_t v) {
    for (int k = 0; k < 4; ++k) png[at + static_cast<size_t>(k)] = static_cast<uint8_t>(v >> (24 - 8 * k));
  };
  put32(16, 100000);
  put32(20, 100000);
  auto h = ReadImageHeader(png);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->width, 100000);
  EXPECT_EQ(CodeOf(png), StatusCode::kImageTooLarge);
}

TEST(ImageDecoder, JpegExifOrientationIsApplied) {
  cv::Mat bgr(80, 120, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr(cv::Rect(0, 0, 20, 20)) = cv::Scalar(255, 255, 255);  // white top-left corner
  std::vector<uint8_t> jpg = Encode(bgr, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  // APP1 Exif with Orientation = 6 (rotate 90 degrees clockwise to display).
  const uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,  // marker, length 34, "Exif\0\0"
                          'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,        // TIFF header, IFD at 8
                          0x01, 0x00,                                          // 1 entry
                          0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00};                             // next IFD: none
  std::vector<uint8_t> rotated(jpg.begin(), jpg.begin() + 2);
  rotated.insert(rotated.end(), std::begin(app1), std::end(app1));
  rotated.insert(rotated.end(), jpg.begin() + 2, jpg.end());
  auto img = DecodeImage(rotated);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 80);
  EXPECT_EQ(img->height, 120);
  // The white corner moves to the top-right.
  EXPECT_GT(img->bgr[3 * 75], 200);
  EXPECT_LT(img->bgr[0], 60);
}

TEST(ImageDecoder, FileErrors) {
  auto missing = LoadImageFile("/nonexistent/x.jpg");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto white = LoadImageFile(testing::Photo("white.png"));
  EXPECT_TRUE(white.ok());
}

}  // namespace
}  // namespace facekit
