// facekit/face_shape.h - the cloud API's face contours (AnalyzeFace's
// FaceShape, AnalyzeDenseLandmarks' DenseFaceShape) from a face mesh.
//
// WHAT THIS REPRESENTS
//   Fixed tables that name, for every point of every group the cloud API
//   answers, the face-mesh point it comes from (MediaPipe Face Mesh's
//   canonical indices 0-467; 468-477 are the iris model's points, numbered
//   as MediaPipe's refined mesh numbers them: 468 = the person's right iris
//   centre, 473 = the left one). MapFaceShape / MapDenseFaceShape read those
//   points from a FaceMeshResult. The tables are listed and drawn in
//   docs/face-shape.md.
//
//   "Left" and "right" are as seen in the image (the cloud API's LeftEye is
//   the eye on the left of the picture, the person's right eye), so that a
//   frontal face has LeftEye left of RightEye. Closed contours go clockwise
//   on the screen from their leftmost point (along the top first), except
//   the dense MouthOutside / MouthInside, which the cloud API documents as
//   counter-clockwise from the left.
//
//   Without the iris model (FaceMeshResult::iris empty) each pupil is the
//   mean of its eye's 16 eyelid points.
//
// THREAD SAFETY
//   Pure functions over immutable tables.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "facekit/engine.h"
#include "facekit/face_mesh.h"
#include "facekit/status.h"

namespace facekit {

/// One group of points: its cloud API name and the mesh points it takes.
struct ShapeGroupSpec {
  std::string_view name;
  std::span<const int> mesh;  ///< mesh indices, in the group's order (0-477)
};

/// The points of one group, in the image's pixels.
struct ShapeGroup {
  std::string_view name;
  std::vector<Point2f> points;
};

/// AnalyzeFace's FaceShape: FaceProfile 21, LeftEye 8, RightEye 8,
/// LeftEyeBrow 8, RightEyeBrow 8, Mouth 22, Nose 13, LeftPupil 1,
/// RightPupil 1 (90 points), in that order.
std::span<const ShapeGroupSpec> FaceShapeGroups();
/// AnalyzeDenseLandmarks' DenseFaceShape groups: LeftEye, RightEye,
/// LeftEyeBrow, RightEyeBrow, MouthOutside, MouthInside, Nose, LeftPupil,
/// RightPupil, CentralAxis, Chin, LeftEyeBags, RightEyeBags, Forehead.
std::span<const ShapeGroupSpec> DenseFaceShapeGroups();

/// The groups of `specs` read from `mesh` (FaceMeshResult::kPoints points
/// at least; kInvalidArgument otherwise).
Result<std::vector<ShapeGroup>> MapShape(const FaceMeshResult& mesh, std::span<const ShapeGroupSpec> specs);
inline Result<std::vector<ShapeGroup>> MapFaceShape(const FaceMeshResult& mesh) {
  return MapShape(mesh, FaceShapeGroups());
}
inline Result<std::vector<ShapeGroup>> MapDenseFaceShape(const FaceMeshResult& mesh) {
  return MapShape(mesh, DenseFaceShapeGroups());
}

/// The iBUG 300-W / dlib 68-point scheme against FaceShape: for each of the
/// 68 points, the FaceShape group and the index in it of the point that
/// corresponds (every one of the 68 has one). Used by `facekit eval
/// landmarks`.
struct Ibug68Correspondence {
  std::string_view group;
  int index = 0;
};
std::span<const Ibug68Correspondence> Ibug68ToFaceShape();

}  // namespace facekit
