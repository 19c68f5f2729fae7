#include "eval/landmark_eval.h"

#include <algorithm>
#include <cmath>

namespace facekit::eval {
namespace {

constexpr int kPoints = 68;
constexpr int kOuterCornerLeft = 36, kOuterCornerRight = 45;

}  // namespace

Result<FaceLandmarkError> FaceShapeError(const std::vector<BoxPart>& annotation, const std::vector<ShapeGroup>& shape) {
  std::vector<const BoxPart*> gt(kPoints, nullptr);
  for (const BoxPart& p : annotation) {
    if (p.index >= 0 && p.index < kPoints) gt[static_cast<std::size_t>(p.index)] = &p;
  }
  for (int i = 0; i < kPoints; ++i) {
    if (gt[static_cast<std::size_t>(i)] == nullptr) {
      return Status(StatusCode::kInvalidArgument, "the annotation lacks point " + std::to_string(i) + " of 68");
    }
  }
  const BoxPart& a = *gt[kOuterCornerLeft];
  const BoxPart& b = *gt[kOuterCornerRight];
  FaceLandmarkError out;
  out.inter_ocular = std::hypot(a.x - b.x, a.y - b.y);
  if (!(out.inter_ocular > 0.f)) return Status(StatusCode::kInvalidArgument, "the annotated eye corners coincide");
  const auto table = Ibug68ToFaceShape();
  std::map<std::string, std::pair<double, int>> sums;
  double total = 0;
  for (int i = 0; i < kPoints; ++i) {
    const Ibug68Correspondence& c = table[static_cast<std::size_t>(i)];
    const auto g = std::find_if(shape.begin(), shape.end(), [&](const ShapeGroup& s) { return s.name == c.group; });
    if (g == shape.end() || c.index < 0 || static_cast<std::size_t>(c.index) >= g->points.size()) {
      return Status(StatusCode::kInvalidArgument, "the face shape lacks " + std::string(c.group) + " point " +
                                                      std::to_string(c.index));
    }
    const Point2f& p = g->points[static_cast<std::size_t>(c.index)];
    const BoxPart& t = *gt[static_cast<std::size_t>(i)];
    const double e = std::hypot(static_cast<double>(p.x - t.x), static_cast<double>(p.y - t.y)) / out.inter_ocular;
    out.point_error.push_back(e);
    auto& s = sums[std::string(c.group)];
    s.first += e;
    s.second += 1;
    total += e;
  }
  for (const auto& [name, s] : sums) out.group_nme[name] = s.first / s.second;
  out.nme = total / kPoints;
  return out;
}

LandmarkReport SummariseLandmarks(std::vector<FaceLandmarkError> faces, int annotated) {
  LandmarkReport r;
  r.annotated = annotated;
  r.found = static_cast<int>(faces.size());
  for (const Ibug68Correspondence& c : Ibug68ToFaceShape()) r.group_points[std::string(c.group)] += 1;
  r.point_nme.assign(kPoints, 0.0);
  for (const FaceLandmarkError& f : faces) {
    for (std::size_t i = 0; i < f.point_error.size() && i < r.point_nme.size(); ++i) r.point_nme[i] += f.point_error[i];
    r.nme += f.nme;
    r.max_nme = std::max(r.max_nme, f.nme);
    r.over_10_percent += f.nme > 0.10 ? 1 : 0;
    for (const auto& [name, e] : f.group_nme) r.group_nme[name] += e;
  }
  if (!faces.empty()) {
    const auto n = static_cast<double>(faces.size());
    r.nme /= n;
    for (auto& [name, e] : r.group_nme) e /= n;
    for (double& e : r.point_nme) e /= n;
  }
  r.faces = std::move(faces);
  return r;
}

}  // namespace facekit::eval
