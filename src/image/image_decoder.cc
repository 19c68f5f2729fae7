#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
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

// The libjpeg scale denominator for a JPEG with this long side: the largest of
// 2, 4, 8 whose output (ceil(long / d)) keeps the long side at or above the
// working size; 1 when none does.
int JpegReduction(int long_side, int working_long_side) {
  int denom = 1;
  if (working_long_side <= 0) return denom;
  for (int d : {2, 4, 8}) {
    if ((long_side + d - 1) / d >= working_long_side) denom = d;
  }
  return denom;
}

int ReducedReadFlag(int denom) {
  switch (denom) {
    case 2: return cv::IMREAD_REDUCED_COLOR_2;
    case 4: return cv::IMREAD_REDUCED_COLOR_4;
    case 8: return cv::IMREAD_REDUCED_COLOR_8;
    default: return cv::IMREAD_COLOR;
  }
}

std::string MegaPixels(std::int64_t pixels) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MP", static_cast<double>(pixels) / 1e6);
  return buf;
}

}  // namespace

ImageLimits CloudImageLimits() {
  ImageLimits l;
  l.max_long_side_jpeg = 4000;
  l.max_long_side_other = 2000;
  return l;
}

Status CheckImageSize(const ImageHeader& h, const ImageLimits& limits) {
  const int short_side = std::min(h.width, h.height);
  const int long_side = std::max(h.width, h.height);
  const std::string dims = std::to_string(h.width) + "x" + std::to_string(h.height);
  const std::string format(ImageFormatName(h.format));
  const std::int64_t pixels = std::int64_t{h.width} * h.height;
  if (limits.max_pixels > 0 && pixels > limits.max_pixels) {
    return {StatusCode::kImageTooLarge,
            format + " image is " + dims + " (" + MegaPixels(pixels) + "), more than the pixel budget of " +
                std::to_string(limits.max_pixels) + " pixels (" + MegaPixels(limits.max_pixels) +
                "); raise it with --max-image-pixels (CLI and serve) or ImageLimits::max_pixels"};
  }
  const int max_long = h.format == ImageFormat::kJpeg ? limits.max_long_side_jpeg : limits.max_long_side_other;
  if (max_long > 0 && long_side > max_long) {
    return {StatusCode::kImageTooLarge, format + " image is " + dims + ", the long side may be at most " +
                                            std::to_string(max_long) + " (the cloud API's limit)"};
  }
  if (short_side < limits.min_short_side) {
    return {StatusCode::kImageTooSmall,
            "image is " + dims + ", the short side must be at least " + std::to_string(limits.min_short_side)};
  }
  return Status::Ok();
}

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const ImageLimits& limits) {
  if (bytes.empty()) return Status(StatusCode::kImageEmpty, "image data is empty");
  if (limits.max_bytes > 0 && bytes.size() > limits.max_bytes) {
    return Status(StatusCode::kImageSizeExceeded, "image is " + std::to_string(bytes.size()) +
                                                      " bytes, the limit is " + std::to_string(limits.max_bytes));
  }
  FACEKIT_ASSIGN_OR_RETURN(ImageHeader h, ReadImageHeader(bytes));
  FACEKIT_RETURN_IF_ERROR(CheckImageSize(h, limits));
  const int long_side = std::max(h.width, h.height);
  // JPEG: IMREAD_COLOR and its reduced forms apply the EXIF orientation
  // (OpenCV 4.6, tested), libjpeg scaling the DCT so that the full-size
  // raster never exists. Others: keep alpha and 16-bit samples so that
  // ToBgr8 converts them properly.
  const int denom = h.format == ImageFormat::kJpeg ? JpegReduction(long_side, limits.working_long_side) : 1;
  int flags = h.format == ImageFormat::kJpeg ? ReducedReadFlag(denom)
              : h.format == ImageFormat::kBmp ? cv::IMREAD_COLOR
                                              : cv::IMREAD_UNCHANGED;
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
  cv::Mat bgr = ToBgr8(raw);
  // The original's oriented size: the header's, turned when the EXIF
  // orientation turned the raster (a square raster from a nearly square
  // image keeps the header's order; the sides then differ by < denom).
  const bool turned = (bgr.cols > bgr.rows && h.width < h.height) || (bgr.cols < bgr.rows && h.width > h.height);
  const int source_w = turned ? h.height : h.width;
  const int source_h = turned ? h.width : h.height;
  const int work = limits.working_long_side;
  if (denom == 1 && work > 0 && h.format != ImageFormat::kJpeg && long_side > work) {
    const double f = static_cast<double>(work) / long_side;
    cv::Size size(std::max(1, static_cast<int>(std::lround(bgr.cols * f))),
                  std::max(1, static_cast<int>(std::lround(bgr.rows * f))));
    cv::Mat small;
    cv::resize(bgr, small, size, 0, 0, cv::INTER_AREA);
    bgr = small;
  }
  Image img = ImageFromMat(bgr, h.format);
  if (img.width != source_w || img.height != source_h) {
    img.source_width = source_w;
    img.source_height = source_h;
  }
  return img;
}

bool HasImageFileExtension(std::string_view path) {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) return false;
  std::string ext(path.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp";
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
