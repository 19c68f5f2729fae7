#include "attendance/face_crop_jpeg.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace facekit::attendance {

Result<std::vector<std::uint8_t>> FaceCropJpeg(const cv::Mat& bgr, const FaceBox& box,
                                               const FaceCropJpegOptions& options) {
  if (bgr.empty() || bgr.type() != CV_8UC3) return Status(StatusCode::kInvalidArgument, "no BGR frame to crop");
  const double side = std::max({static_cast<double>(box.width), static_cast<double>(box.height), 1.0});
  const double half = options.region * side / 2;
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - half)));
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - half)));
  const int x1 = std::min(bgr.cols, static_cast<int>(std::ceil(cx + half)));
  const int y1 = std::min(bgr.rows, static_cast<int>(std::ceil(cy + half)));
  if (x1 - x0 < 2 || y1 - y0 < 2) return Status(StatusCode::kInvalidArgument, "the face box lies outside the frame");
  double scale = std::min(1.0, options.max_face_side / side);
  std::vector<std::uint8_t> jpeg;
  // Each pass lowers the quality, then the size, until the bytes fit (a
  // 160 px face at quality 85 is about 10-20 KB; noise can make it more).
  for (int quality = options.quality;;) {
    cv::Mat crop = bgr(cv::Rect(x0, y0, x1 - x0, y1 - y0));
    if (scale < 1.0) {
      const cv::Size size(std::max(1, static_cast<int>(std::lround(crop.cols * scale))),
                          std::max(1, static_cast<int>(std::lround(crop.rows * scale))));
      cv::Mat scaled;
      cv::resize(crop, scaled, size, 0, 0, cv::INTER_AREA);
      crop = scaled;
    }
    if (!cv::imencode(".jpg", crop, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality})) {
      return Status(StatusCode::kInternal, "cannot encode a face crop as JPEG");
    }
    if (jpeg.size() <= options.max_bytes) return jpeg;
    if (quality > 50) {
      quality = std::max(50, quality - 15);
    } else if (crop.cols > 16 && crop.rows > 16) {
      scale = std::min(1.0, scale) * 0.7;
    } else {
      return Status(StatusCode::kInternal,
                    "a face crop does not fit in " + std::to_string(options.max_bytes) + " bytes");
    }
  }
}

}  // namespace facekit::attendance
