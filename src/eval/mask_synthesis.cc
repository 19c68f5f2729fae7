#include "eval/mask_synthesis.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

namespace facekit::eval {
namespace {

// Left cheek at the nose bridge's height, the bridge, the right cheek, then
// the silhouette down over the chin and back up (MediaPipe indices).
constexpr int kOutline[] = {234, 197, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
                            152, 148, 176, 149, 150, 136, 172, 58,  132, 93};

}  // namespace

Result<std::vector<Point2f>> MaskPolygon(const FaceMeshResult& mesh) {
  if (mesh.points.size() < static_cast<std::size_t>(FaceMeshResult::kPoints)) {
    return Status(StatusCode::kInvalidArgument, "a mask needs a mesh of 468 points");
  }
  std::vector<Point2f> out;
  for (int i : kOutline) out.push_back({mesh.points[static_cast<std::size_t>(i)].x, mesh.points[static_cast<std::size_t>(i)].y});
  return out;
}

Status DrawSyntheticMask(Image& image, const FaceMeshResult& mesh, std::mt19937& rng) {
  FACEKIT_ASSIGN_OR_RETURN(std::vector<Point2f> outline, MaskPolygon(mesh));
  if (image.empty()) return Status(StatusCode::kImageEmpty, "empty image");
  cv::Mat m = AsMat(image);
  const double sx = 1.0 / image.scale_x(), sy = 1.0 / image.scale_y();
  std::vector<cv::Point> poly;
  float top = 1e9f, bottom = -1e9f;
  for (const Point2f& p : outline) {
    poly.emplace_back(cvRound(p.x * sx), cvRound(p.y * sy));
    top = std::min(top, static_cast<float>(poly.back().y));
    bottom = std::max(bottom, static_cast<float>(poly.back().y));
  }
  // BGR: surgical blue, white, black, grey.
  static const std::array<cv::Vec3f, 4> kColours = {cv::Vec3f(215, 190, 150), cv::Vec3f(230, 235, 235),
                                                    cv::Vec3f(40, 35, 35), cv::Vec3f(145, 140, 140)};
  std::uniform_int_distribution<std::size_t> pick(0, kColours.size() - 1);
  std::uniform_real_distribution<float> jitter(-12.f, 12.f);
  cv::Vec3f colour = kColours[pick(rng)];
  for (int c = 0; c < 3; ++c) colour[c] = std::clamp(colour[c] + jitter(rng), 0.f, 255.f);
  cv::Mat mask = cv::Mat::zeros(m.size(), CV_8U);
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(255), cv::LINE_AA);
  const float height = std::max(1.f, bottom - top);
  const int pleats = 3;
  for (int y = std::max(0, static_cast<int>(top)); y < std::min(m.rows, static_cast<int>(bottom) + 2); ++y) {
    const float t = (static_cast<float>(y) - top) / height;  // 0 at the top edge, 1 at the chin
    // Shading: lighter over the nose, darker under the chin; pleats as soft bands.
    const float pleat = 0.06f * std::cos(t * static_cast<float>(pleats) * 6.2831853f);
    const float shade = 1.05f - 0.2f * t + pleat;
    const auto* a = mask.ptr<std::uint8_t>(y);
    auto* px = m.ptr<cv::Vec3b>(y);
    for (int x = 0; x < m.cols; ++x) {
      if (a[x] == 0) continue;
      const float alpha = static_cast<float>(a[x]) / 255.f;
      for (int c = 0; c < 3; ++c) {
        const float v = std::clamp(colour[c] * shade, 0.f, 255.f);
        px[x][c] = static_cast<std::uint8_t>(std::lround(alpha * v + (1.f - alpha) * static_cast<float>(px[x][c])));
      }
    }
  }
  return Status::Ok();
}

}  // namespace facekit::eval
