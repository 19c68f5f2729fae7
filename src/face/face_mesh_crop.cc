#include "face/face_mesh_crop.h"

#include <algorithm>
#include <cmath>

namespace facekit::face {

cv::Mat MeshCrop::CropToImage() const {
  const double s = static_cast<double>(side) / input_size;
  const double c = std::cos(angle) * s, n = std::sin(angle) * s;
  const double h = input_size / 2.0;
  // image = centre + R(angle) * s * ((u, v) - h)
  return (cv::Mat_<double>(2, 3) << c, -n, cx - c * h + n * h, n, c, cy - n * h - c * h);
}

Point3f MeshCrop::ToImage(float u, float v, float z) const {
  const float s = side / static_cast<float>(input_size);
  const float h = static_cast<float>(input_size) / 2;
  const float du = (u - h) * s, dv = (v - h) * s;
  const float c = std::cos(angle), n = std::sin(angle);
  return {cx + c * du - n * dv, cy + n * du + c * dv, z * s};
}

MeshCrop MeshCropFor(const FaceBox& box, float scale, bool level_eyes, int input_size) {
  MeshCrop crop;
  crop.cx = box.x + box.width / 2;
  crop.cy = box.y + box.height / 2;
  crop.side = scale * std::max(box.width, box.height);
  crop.input_size = input_size;
  if (level_eyes) {
    const Point2f& a = box.landmarks[0];
    const Point2f& b = box.landmarks[1];
    if (b.x != a.x || b.y != a.y) crop.angle = std::atan2(b.y - a.y, b.x - a.x);
  }
  return crop;
}

}  // namespace facekit::face
