// phone_photo.h - phone-sized JPEGs built at run time from the shared photos
// (never stored), with where the original photo's pixels landed, so tests can
// compare detections on them with detections on the small original.
#pragma once

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace facekit::testing {

struct PhonePhoto {
  std::vector<uint8_t> jpeg;
  int width = 0, height = 0;
  double scale = 1;                ///< original photo pixels -> phone photo pixels
  int offset_x = 0, offset_y = 0;  ///< where the scaled photo's top-left corner is

  /// A face found on the original photo, where it is in the phone photo.
  FaceBox FromOriginal(const FaceBox& f) const {
    FaceBox out = f;
    out.x = static_cast<float>(f.x * scale + offset_x);
    out.y = static_cast<float>(f.y * scale + offset_y);
    out.width = static_cast<float>(f.width * scale);
    out.height = static_cast<float>(f.height * scale);
    for (size_t i = 0; i < f.landmarks.size(); ++i) {
      out.landmarks[i] = {static_cast<float>(f.landmarks[i].x * scale + offset_x),
                          static_cast<float>(f.landmarks[i].y * scale + offset_y)};
    }
    return out;
  }
};

/// Photo `name` (faces/photos) scaled up as large as fits in `width` x
/// `height` (aspect kept, bicubic) and centred on a grey canvas; JPEG quality 90.
inline PhonePhoto MakePhonePhoto(const std::string& name, int width, int height) {
  cv::Mat src = cv::imread(Photo(name), cv::IMREAD_COLOR);
  EXPECT_FALSE(src.empty()) << name;
  PhonePhoto p;
  p.width = width;
  p.height = height;
  if (src.empty()) return p;
  p.scale = std::min(static_cast<double>(width) / src.cols, static_cast<double>(height) / src.rows);
  cv::Mat scaled;
  cv::resize(src, scaled,
             cv::Size(std::min(width, static_cast<int>(std::lround(src.cols * p.scale))),
                      std::min(height, static_cast<int>(std::lround(src.rows * p.scale)))),
             0, 0, cv::INTER_CUBIC);
  p.offset_x = (width - scaled.cols) / 2;
  p.offset_y = (height - scaled.rows) / 2;
  cv::Mat canvas(height, width, CV_8UC3, cv::Scalar(128, 128, 128));
  scaled.copyTo(canvas(cv::Rect(p.offset_x, p.offset_y, scaled.cols, scaled.rows)));
  EXPECT_TRUE(cv::imencode(".jpg", canvas, p.jpeg, {cv::IMWRITE_JPEG_QUALITY, 90}));
  return p;
}

/// Intersection over union of two boxes.
inline double BoxIou(const FaceBox& a, const FaceBox& b) {
  const double iw = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const double ih = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  return inter / (double{a.width} * a.height + double{b.width} * b.height - inter);
}

/// The largest distance between corresponding landmarks.
inline double LandmarkDistance(const FaceBox& a, const FaceBox& b) {
  double d = 0;
  for (size_t i = 0; i < a.landmarks.size(); ++i) {
    d = std::max(d,
                 std::hypot(double{a.landmarks[i].x} - b.landmarks[i].x, double{a.landmarks[i].y} - b.landmarks[i].y));
  }
  return d;
}

}  // namespace facekit::testing
