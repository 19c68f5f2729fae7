#include "objects/object_drawing.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

namespace facekit::objects {

Status DrawObjects(const Image& image, const std::vector<DetectedObject>& objects,
                   const std::vector<DetectedObject>& reference, const std::string& path) {
  Image canvas = image;
  cv::Mat m = AsMat(canvas);
  const int thick = std::max(1, std::max(m.cols, m.rows) / 400);
  // Boxes are in the original image's pixels; the raster may be a reduced decode.
  const auto fx = static_cast<float>(1.0 / image.scale_x()), fy = static_cast<float>(1.0 / image.scale_y());
  const auto box = [&](const DetectedObject& d) { return cv::Rect2f(d.x * fx, d.y * fy, d.width * fx, d.height * fy); };
  for (const DetectedObject& r : reference) {
    cv::rectangle(m, box(r), cv::Scalar(255, 255, 255), thick, cv::LINE_AA);
  }
  for (const DetectedObject& raw : objects) {
    DetectedObject o = raw;
    const cv::Rect2f b = box(raw);
    o.x = b.x;
    o.y = b.y;
    o.width = b.width;
    o.height = b.height;
    // A stable, saturated colour per class.
    const int h = (o.class_id * 137) % 180;
    cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(h, 230, 230)), bgr;
    cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
    const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
    const cv::Scalar colour(c[0], c[1], c[2]);
    cv::rectangle(m, cv::Rect2f(o.x, o.y, o.width, o.height), colour, thick, cv::LINE_AA);
    char label[96];
    std::snprintf(label, sizeof(label), "%s %.2f", o.label.c_str(), static_cast<double>(o.score));
    cv::putText(m, label, cv::Point2f(o.x + 2, std::max(12.f, o.y - 4.f)), cv::FONT_HERSHEY_SIMPLEX, 0.4 * thick,
                colour, thick, cv::LINE_AA);
  }
  return SaveImageFile(canvas, path);
}

}  // namespace facekit::objects
