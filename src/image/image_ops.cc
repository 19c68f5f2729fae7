#include "facekit/image_ops.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

namespace facekit {

Result<Image> CropScaled(const Image& image, int x, int y, int width, int height, double scale) {
  const int x0 = std::max(x, 0), y0 = std::max(y, 0);
  const int x1 = std::min(x + width, image.width), y1 = std::min(y + height, image.height);
  if (image.empty() || x1 <= x0 || y1 <= y0 || !(scale > 0)) {
    return Status(StatusCode::kInvalidArgument, "empty crop region");
  }
  const cv::Mat region = AsMat(image)(cv::Rect(x0, y0, x1 - x0, y1 - y0));
  const int w = std::max(1, static_cast<int>(std::lround((x1 - x0) * scale)));
  const int h = std::max(1, static_cast<int>(std::lround((y1 - y0) * scale)));
  Image out;
  out.width = w;
  out.height = h;
  out.format = image.format;
  out.bgr.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
  cv::Mat dst(h, w, CV_8UC3, out.bgr.data());
  cv::resize(region, dst, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

Result<std::vector<uint8_t>> EncodeJpeg(const Image& image, int quality) {
  if (image.empty()) return Status(StatusCode::kInvalidArgument, "cannot encode an empty image");
  std::vector<uint8_t> out;
  try {
    if (!cv::imencode(".jpg", AsMat(image), out, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)})) {
      return Status(StatusCode::kInternal, "cannot encode a JPEG");
    }
  } catch (const cv::Exception& e) {
    return Status(StatusCode::kInternal, std::string("cannot encode a JPEG: ") + e.what());
  }
  return out;
}

}  // namespace facekit
