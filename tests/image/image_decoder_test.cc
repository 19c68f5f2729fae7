#include <gtest/gtest.h>

#include <cstring>
#include <limits>

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
  // The cloud API's long-side limits apply only when asked for.
  EXPECT_EQ(CodeOf(Encode(Gradient(2001, 64), ".png")), StatusCode::kOk);
  EXPECT_EQ(CodeOf(Encode(Gradient(4001, 64), ".jpg")), StatusCode::kOk);
  const ImageLimits cloud = CloudImageLimits();
  EXPECT_EQ(CodeOf(Encode(Gradient(2000, 64), ".png"), cloud), StatusCode::kOk);
  EXPECT_EQ(CodeOf(Encode(Gradient(2001, 64), ".png"), cloud), StatusCode::kImageTooLarge);
  EXPECT_EQ(CodeOf(Encode(Gradient(2001, 64), ".jpg"), cloud), StatusCode::kOk);
  EXPECT_EQ(CodeOf(Encode(Gradient(4001, 64), ".jpg"), cloud), StatusCode::kImageTooLarge);

  ImageLimits tight;
  tight.max_bytes = 100;
  EXPECT_EQ(CodeOf(png, tight), StatusCode::kImageSizeExceeded);
  ImageLimits custom;
  custom.min_short_side = 100;
  custom.max_long_side_other = 100;
  EXPECT_EQ(CodeOf(png, custom), StatusCode::kImageTooLarge);
}

// BMP heights are signed: negative means top-down rows. INT32_MIN has no
// positive twin (a signed-overflow negation before; found by image_fuzz).
TEST(ImageDecoder, BmpTopDownHeightsDecodeAndTheMostNegativeIsCorrupt) {
  cv::Mat bgr = Gradient(96, 80);
  std::vector<uint8_t> bmp = Encode(bgr, ".bmp");
  ASSERT_GE(bmp.size(), 26u);
  auto set_height = [&](int32_t h) {
    std::vector<uint8_t> v = bmp;
    const auto u = static_cast<uint32_t>(h);
    for (int k = 0; k < 4; ++k) v[22 + static_cast<size_t>(k)] = static_cast<uint8_t>(u >> (8 * k));
    return v;
  };
  auto top_down = DecodeImage(set_height(-80));
  ASSERT_TRUE(top_down.ok()) << top_down.status().ToString();
  EXPECT_EQ(top_down->width, 96);
  EXPECT_EQ(top_down->height, 80);
  // Top-down: the first stored row (the gradient's bottom, y = 79) is now row 0.
  EXPECT_EQ(top_down->bgr[5 * 3 + 1], 79);
  EXPECT_EQ(CodeOf(set_height(std::numeric_limits<int32_t>::min())), StatusCode::kImageCorrupt);
  EXPECT_EQ(CodeOf(set_height(0)), StatusCode::kImageCorrupt);
}

// A WebP header libwebp refuses is not handed to OpenCV: OpenCV's WebP
// decoder would not claim it and the later decoders look elsewhere for their
// magic (GDCM found "DICM" at byte 128 and aborted: image_fuzz).
TEST(ImageDecoder, WebpHeaderLibwebpRefusesIsCorruptAndNoOtherDecoderSeesIt) {
  std::vector<uint8_t> b = {'R', 'I', 'F', 'F', 26, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 0xf3, 0xff, 0xff,
                            0xff, 0x2f, 0x07, 0x00, 0x25, 0x10};
  b.resize(128, 0);
  for (char c : std::string("DICM")) b.push_back(static_cast<uint8_t>(c));
  b.insert(b.end(), {0xfe, 0x07, 0x10, 0x00});
  EXPECT_EQ(CodeOf(b), StatusCode::kImageCorrupt);
  auto r = DecodeImage(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("libwebp"), std::string::npos) << r.status().ToString();
  // A real WebP still decodes (lossy and lossless).
  EXPECT_EQ(CodeOf(Encode(Gradient(96, 80), ".webp")), StatusCode::kOk);
  EXPECT_EQ(CodeOf(Encode(Gradient(96, 80), ".webp", {cv::IMWRITE_WEBP_QUALITY, 101})), StatusCode::kOk);
}

// A PNG header claiming `width` x `height`, with no pixel data behind it.
std::vector<uint8_t> PngHeaderOnly(uint32_t width, uint32_t height) {
  std::vector<uint8_t> png = Encode(Gradient(64, 64), ".png");
  for (int k = 0; k < 4; ++k) {
    png[16 + static_cast<size_t>(k)] = static_cast<uint8_t>(width >> (24 - 8 * k));
    png[20 + static_cast<size_t>(k)] = static_cast<uint8_t>(height >> (24 - 8 * k));
  }
  return png;
}

TEST(ImageDecoder, HugeDimensionsAreRefusedFromTheHeaderAlone) {
  // A PNG header claiming 100000 x 100000 pixels, with no pixel data.
  std::vector<uint8_t> png = PngHeaderOnly(100000, 100000);
  auto h = ReadImageHeader(png);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->width, 100000);
  EXPECT_EQ(CodeOf(png), StatusCode::kImageTooLarge);
}

TEST(ImageDecoder, PixelBudgetIsCheckedFromTheHeaderAndNamesHowToRaiseIt) {
  // 12000 x 9000 = 108 MP, over the default budget of 100 MP: refused
  // without decoding (there is nothing to decode).
  auto over = DecodeImage(PngHeaderOnly(12000, 9000));
  ASSERT_EQ(over.status().code(), StatusCode::kImageTooLarge);
  EXPECT_NE(over.status().message().find("12000x9000 (108.0 MP)"), std::string::npos) << over.status().message();
  EXPECT_NE(over.status().message().find("pixel budget of 100000000 pixels (100.0 MP)"), std::string::npos);
  EXPECT_NE(over.status().message().find("--max-image-pixels"), std::string::npos);
  // Within a raised budget the header passes and decoding is tried.
  ImageLimits raised;
  raised.max_pixels = 200'000'000;
  EXPECT_NE(CodeOf(PngHeaderOnly(12000, 9000), raised), StatusCode::kImageTooLarge);
  // The budget is width x height, exactly.
  ImageLimits budget;
  budget.max_pixels = 120 * 90;
  EXPECT_EQ(CodeOf(Encode(Gradient(120, 90), ".jpg"), budget), StatusCode::kOk);
  budget.max_pixels = 120 * 90 - 1;
  EXPECT_EQ(CodeOf(Encode(Gradient(120, 90), ".jpg"), budget), StatusCode::kImageTooLarge);
  // A phone's 50 MP photo is within the default budget.
  ImageHeader phone{ImageFormat::kJpeg, 8160, 6120};
  EXPECT_TRUE(CheckImageSize(phone, ImageLimits{}).ok());
  EXPECT_EQ(CheckImageSize(phone, CloudImageLimits()).code(), StatusCode::kImageTooLarge);
}

// A JPEG of `width` x `height`: mid-grey with a white square of side `side`
// at (x, y), so that where it lands after decoding is measurable.
std::vector<uint8_t> JpegWithSquare(int width, int height, int x, int y, int side) {
  cv::Mat m(height, width, CV_8UC3, cv::Scalar(90, 90, 90));
  m(cv::Rect(x, y, side, side)) = cv::Scalar(255, 255, 255);
  return Encode(m, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
}

// The bounding box of the raster's pixels brighter than 200.
cv::Rect BrightBox(const Image& img) {
  cv::Mat m(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.bgr.data()));
  cv::Mat grey, mask;
  cv::cvtColor(m, grey, cv::COLOR_BGR2GRAY);
  cv::threshold(grey, mask, 200, 255, cv::THRESH_BINARY);
  return cv::boundingRect(mask);
}

TEST(ImageDecoder, PhonePhotoSizesAreDecodedAtTheWorkingResolution) {
  // The two photo sizes: accepted (the cloud API's 4000 px limit
  // refused them), decoded at full size under the default working size
  // 2560 (a 1/2 decode would fall below it), and with a 1280 working size
  // by libjpeg at 1/2 scale, reporting the original size and scale.
  struct Case {
    int width, height, square_x, square_y;
    int reduced_width, reduced_height;  // at working size 1280: ceil(side / 2)
  };
  for (const Case& c : {Case{4352, 2903, 3000, 1200, 2176, 1452}, Case{3061, 4600, 800, 3500, 1531, 2300}}) {
    const std::vector<uint8_t> jpg = JpegWithSquare(c.width, c.height, c.square_x, c.square_y, 400);
    auto full = DecodeImage(jpg);
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    EXPECT_EQ(full->width, c.width);
    EXPECT_EQ(full->height, c.height);
    EXPECT_EQ(full->source_width, 0);  // not reduced
    EXPECT_EQ(full->scale_x(), 1.0);

    ImageLimits limits;
    limits.working_long_side = 1280;
    auto reduced = DecodeImage(jpg, limits);
    ASSERT_TRUE(reduced.ok()) << reduced.status().ToString();
    EXPECT_EQ(reduced->width, c.reduced_width);
    EXPECT_EQ(reduced->height, c.reduced_height);
    EXPECT_EQ(reduced->original_width(), c.width);
    EXPECT_EQ(reduced->original_height(), c.height);
    EXPECT_NEAR(reduced->scale_x(), 2.0, 0.001);
    EXPECT_NEAR(reduced->scale_y(), 2.0, 0.001);
    // The square, mapped back with the scale, is where it was drawn.
    const cv::Rect box = BrightBox(*reduced);
    EXPECT_NEAR(box.x * reduced->scale_x(), c.square_x, 3);
    EXPECT_NEAR(box.y * reduced->scale_y(), c.square_y, 3);
    EXPECT_NEAR(box.width * reduced->scale_x(), 400, 6);
  }
}

TEST(ImageDecoder, JpegReductionIsTheLargestThatKeepsTheWorkingSize) {
  const std::vector<uint8_t> jpg = JpegWithSquare(8160, 6120, 4000, 3000, 800);  // a 50 MP phone photo's size
  struct Case {
    int working, width, height;
  };
  // Default 2560: 1/2 (4080); 1/4 would give 2040 < 2560.
  for (const Case& c : {Case{2560, 4080, 3060}, Case{2040, 2040, 1530}, Case{2041, 4080, 3060}, Case{1000, 1020, 765},
                        Case{0, 8160, 6120}}) {
    ImageLimits limits;
    limits.working_long_side = c.working;
    auto img = DecodeImage(jpg, limits);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->width, c.width) << "working size " << c.working;
    EXPECT_EQ(img->height, c.height) << "working size " << c.working;
    EXPECT_EQ(img->original_width(), 8160);
    EXPECT_EQ(img->original_height(), 6120);
  }
}

TEST(ImageDecoder, OtherFormatsAboveTheWorkingSizeAreResized) {
  cv::Mat m(1000, 3000, CV_8UC3, cv::Scalar(90, 90, 90));
  m(cv::Rect(2400, 300, 300, 300)) = cv::Scalar(255, 255, 255);
  ImageLimits limits;
  limits.working_long_side = 1200;
  for (const char* ext : {".png", ".bmp", ".webp"}) {
    auto img = DecodeImage(Encode(m, ext), limits);
    ASSERT_TRUE(img.ok()) << ext << " " << img.status().ToString();
    EXPECT_EQ(img->width, 1200) << ext;
    EXPECT_EQ(img->height, 400) << ext;
    EXPECT_EQ(img->original_width(), 3000) << ext;
    EXPECT_EQ(img->original_height(), 1000) << ext;
    const cv::Rect box = BrightBox(*img);
    EXPECT_NEAR(box.x * img->scale_x(), 2400, 3) << ext;
    EXPECT_NEAR(box.y * img->scale_y(), 300, 3) << ext;
  }
  // At or under the working size nothing changes.
  limits.working_long_side = 3000;
  auto same = DecodeImage(Encode(m, ".png"), limits);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->width, 3000);
  EXPECT_EQ(same->source_width, 0);
}

// `jpg` with an APP1 Exif segment saying Orientation = 6 (rotate 90 degrees
// clockwise to display) after its SOI marker.
std::vector<uint8_t> WithOrientation6(const std::vector<uint8_t>& jpg) {
  const uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,  // marker, length 34, "Exif\0\0"
                          'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,        // TIFF header, IFD at 8
                          0x01, 0x00,                                          // 1 entry
                          0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00};                             // next IFD: none
  std::vector<uint8_t> rotated(std::begin(app1), std::end(app1));
  rotated.insert(rotated.begin(), {jpg[0], jpg[1]});  // SOI first
  rotated.insert(rotated.end(), jpg.begin() + 2, jpg.end());
  return rotated;
}

TEST(ImageDecoder, JpegExifOrientationIsApplied) {
  cv::Mat bgr(80, 120, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr(cv::Rect(0, 0, 20, 20)) = cv::Scalar(255, 255, 255);  // white top-left corner
  std::vector<uint8_t> rotated = WithOrientation6(Encode(bgr, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95}));
  auto img = DecodeImage(rotated);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 80);
  EXPECT_EQ(img->height, 120);
  // The white corner moves to the top-right.
  EXPECT_GT(img->bgr[3 * 75], 200);
  EXPECT_LT(img->bgr[0], 60);
}

TEST(ImageDecoder, JpegExifOrientationIsKeptByTheReducedDecode) {
  // 4000 x 2400 stored, 2400 x 4000 displayed; a white square at the stored
  // top-left lands at the displayed top-right.
  cv::Mat bgr(2400, 4000, CV_8UC3, cv::Scalar(60, 60, 60));
  bgr(cv::Rect(0, 0, 400, 400)) = cv::Scalar(255, 255, 255);
  std::vector<uint8_t> rotated = WithOrientation6(Encode(bgr, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90}));
  ImageLimits limits;
  limits.working_long_side = 1000;  // 1/4: 1000 x 600 stored
  auto img = DecodeImage(rotated, limits);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 600);
  EXPECT_EQ(img->height, 1000);
  EXPECT_EQ(img->original_width(), 2400);
  EXPECT_EQ(img->original_height(), 4000);
  const cv::Rect box = BrightBox(*img);
  EXPECT_NEAR(box.x * img->scale_x(), 2000, 8);
  EXPECT_NEAR(box.y * img->scale_y(), 0, 8);
  EXPECT_NEAR(box.width * img->scale_x(), 400, 8);
}

TEST(ImageDecoder, FileErrors) {
  auto missing = LoadImageFile("/nonexistent/x.jpg");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto white = LoadImageFile(testing::Photo("white.png"));
  EXPECT_TRUE(white.ok());
}

}  // namespace
}  // namespace facekit
