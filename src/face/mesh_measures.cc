// Eye openness and head pose from a 468-point face mesh (facekit/face_mesh.h).
// Point indices are MediaPipe Face Mesh's canonical ones (docs/liveness-video.md).
#include <array>
#include <cmath>

#include "facekit/face_mesh.h"

namespace facekit {
namespace {

struct Eye {
  int outer, inner;                        // corners
  std::array<std::array<int, 2>, 3> lids;  // upper-lower pairs, outer to inner
};
// The person's right eye (left in a camera image) and left eye.
constexpr Eye kRightEye{33, 133, {{{160, 144}, {159, 145}, {158, 153}}}};
constexpr Eye kLeftEye{263, 362, {{{387, 373}, {386, 374}, {385, 380}}}};
// Face outline for the pose: forehead top, chin, right and left cheek edges.
constexpr int kTop = 10, kChin = 152, kRightSide = 234, kLeftSide = 454;
constexpr float kRadToDeg = 57.29577951f;

float Dist2(const Point3f& a, const Point3f& b) { return std::hypot(a.x - b.x, a.y - b.y); }

float AspectRatio(std::span<const Point3f> m, const Eye& e) {
  const float width = Dist2(m[e.outer], m[e.inner]);
  if (!(width > 0.f)) return 0.f;
  float open = 0.f;
  for (const auto& [up, down] : e.lids) open += Dist2(m[up], m[down]);
  return open / (3.f * width);
}

Status CheckSize(std::span<const Point3f> mesh) {
  if (mesh.size() < static_cast<size_t>(FaceMeshResult::kPoints)) {
    return Status(StatusCode::kInvalidArgument, "a face mesh needs " + std::to_string(FaceMeshResult::kPoints) +
                                                    " points, got " + std::to_string(mesh.size()));
  }
  return Status::Ok();
}

using Vec3 = std::array<float, 3>;

Vec3 Unit(const Vec3& v) {
  const float n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (!(n > 0.f)) return {0.f, 0.f, 0.f};
  return {v[0] / n, v[1] / n, v[2] / n};
}

Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

Vec3 From(const Point3f& a, const Point3f& b) { return {b.x - a.x, b.y - a.y, b.z - a.z}; }

}  // namespace

Result<EyeOpenness> MeshEyeOpenness(std::span<const Point3f> mesh) {
  FACEKIT_RETURN_IF_ERROR(CheckSize(mesh));
  return EyeOpenness{AspectRatio(mesh, kRightEye), AspectRatio(mesh, kLeftEye)};
}

Result<MeshPose> MeshHeadPose(std::span<const Point3f> mesh) {
  FACEKIT_RETURN_IF_ERROR(CheckSize(mesh));
  // Face axes in image space (x right, y down, z away from the camera):
  // across the face from its right to its left edge, and down from the
  // forehead to the chin; the depth axis is their cross product, so the
  // face's normal (out of the face, towards the camera when frontal) is -z.
  const Vec3 down = Unit(From(mesh[kTop], mesh[kChin]));
  const Vec3 across = Unit(From(mesh[kRightSide], mesh[kLeftSide]));
  const Vec3 depth = Unit(Cross(across, down));
  const Vec3 x = Cross(down, depth);  // across, made perpendicular to down
  MeshPose p;
  p.yaw = std::atan2(-depth[0], depth[2]) * kRadToDeg;
  p.pitch = std::asin(std::fmax(-1.f, std::fmin(1.f, depth[1]))) * kRadToDeg;
  p.roll = std::atan2(x[1], x[0]) * kRadToDeg;
  return p;
}

}  // namespace facekit
