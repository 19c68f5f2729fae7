#include <algorithm>
#include <fstream>
#include <iterator>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/image.h"
#include "image/image_internal.h"

namespace facekit {
namespace {

// 1/3/4 channels at 8 or 16 bits -> 8-bit BGR; alpha is composited over white.
cv::Mat ToBgr8(const cv::Mat& in) {
  cv::Mat m = in;
  if (m.depth() == CV_16U) m.convertTo(m, CV_MAKETYPE(CV_8U, m.channels()), 1.0 / 257.0);
  if (m.depth() != CV_8U) m.convertTo(m, CV_MAKETYPE(CV_8U, m.channels()));
  if (m.channels() == 1) {
    cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  } else if (m.channels() == 4) {
    cv::Mat out(m.rows, m.cols, CV_8UC3);
    for (int y = 0; y < m.rows; ++y) {
      const uint8_t* s = m.ptr<uint8_t>(y);
      uint8_t* d = out.ptr<uint8_t>(y);
      for (int x = 0; x < m.cols; ++x, s += 4, d += 3) {
        int a = s[3];
        for (int c = 0; c < 3; ++c) d[c] = static_cast<uint8_t>((s[c] * a + 255 * (255 - a) + 127) / 255);
      }
    }
    m = out;
  }
  return m;
}

}  // namespace

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const ImageLimits& limits) {
  if (bytes.empty()) return Status(StatusCode::kImageEmpty, "image data is empty");
  if (limits.max_bytes > 0 && bytes.size() > limits.max_bytes) {
    return Status(StatusCode::kImageSizeExceeded, "image is " + std::to_string(bytes.size()) +
                                                      " bytes, the limit is " + std::to_string(limits.max_bytes));
  }
  FACEKIT_ASSIGN_OR_RETURN(ImageHeader h, ReadImageHeader(bytes));
  int short_side = std::min(h.width, h.height);
  int long_side = std::max(h.width, h.height);
  int max_long = h.format == ImageFormat::kJpeg ? limits.max_long_side_jpeg : limits.max_long_side_other;
  std::string dims = std::to_string(h.width) + "x" + std::to_string(h.height);
  if (max_long > 0 && long_side > max_long) {
    return Status(StatusCode::kImageTooLarge, std::string(ImageFormatName(h.format)) + " image is " + dims +
                                                  ", the long side may be at most " + std::to_string(max_long));
  }
  if (short_side < limits.min_short_side) {
    return Status(StatusCode::kImageTooSmall, "image is " + dims + ", the short side must be at least " +
                                                  std::to_string(limits.min_short_side));
  }
  // JPEG: IMREAD_COLOR applies the EXIF orientation. Others: keep alpha and
  // 16-bit samples so that ToBgr8 converts them properly.
  int flags = (h.format == ImageFormat::kJpeg || h.format == ImageFormat::kBmp) ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
  cv::Mat raw;
  try {
    cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
    raw = cv::imdecode(buf, flags);
  } catch (const cv::Exception& e) {
    return Status(StatusCode::kImageCorrupt, std::string(ImageFormatName(h.format)) + " data does not decode: " + e.what());
  }
  if (raw.empty()) {
    return Status(StatusCode::kImageCorrupt, std::string(ImageFormatName(h.format)) + " data does not decode");
  }
  return ImageFromMat(ToBgr8(raw), h.format);
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status(StatusCode::kIoError, "error reading " + path);
  return bytes;
}

Result<Image> LoadImageFile(const std::string& path, const ImageLimits& limits) {
  FACEKIT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  Result<Image> img = DecodeImage(bytes, limits);
  if (!img.ok()) return Status(img.status().code(), path + ": " + img.status().message());
  return img;
}

Status SaveImageFile(const Image& image, const std::string& path) {
  if (image.empty()) return {StatusCode::kInvalidArgument, "cannot save an empty image"};
  try {
    if (!cv::imwrite(path, AsMat(image))) return {StatusCode::kIoError, "cannot write " + path};
  } catch (const cv::Exception& e) {
    return {StatusCode::kInvalidArgument, "cannot write " + path + ": " + e.what()};
  }
  return Status::Ok();
}

}  // namespace facekit
