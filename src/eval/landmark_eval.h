// landmark_eval.h - accuracy of the cloud face contours (FaceShape) against
// 68-point (iBUG 300-W / dlib) annotations.
//
// WHAT THIS REPRESENTS
//   For each annotated face, every one of the 68 points is compared with the
//   FaceShape point that corresponds to it (facekit/face_shape.h,
//   Ibug68ToFaceShape). The error of a point is its distance to the
//   annotation over the face's inter-ocular distance (outer eye corners,
//   points 36 and 45: the 300-W convention). NME = the mean of those errors;
//   it is reported per FaceShape group and over all 68 points (the mean per
//   face, then over faces), with the faces that were not found counted
//   apart, not as errors.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "eval/detection_eval.h"
#include "facekit/face_shape.h"
#include "facekit/status.h"

namespace facekit::eval {

/// One face's 68 annotated points (indices 0-67) against its FaceShape.
struct FaceLandmarkError {
  std::string file;
  float inter_ocular = 0;            ///< pixels
  std::map<std::string, double> group_nme;  ///< per FaceShape group
  double nme = 0;                    ///< over the 68 points
  std::vector<double> point_error;   ///< per iBUG point 0-67, over the inter-ocular distance
};

/// `annotation`: one box's parts. kInvalidArgument when it lacks one of the 68 points, `shape`
/// lacks a group or a point, or the eye corners coincide.
Result<FaceLandmarkError> FaceShapeError(const std::vector<BoxPart>& annotation, const std::vector<ShapeGroup>& shape);

struct LandmarkReport {
  int annotated = 0;  ///< faces with 68 points (not ignore='1')
  int found = 0;      ///< of those, matched to a detection with a mesh
  std::vector<FaceLandmarkError> faces;
  std::map<std::string, double> group_nme;  ///< mean over faces
  std::map<std::string, int> group_points;  ///< points of the 68 per group
  double nme = 0;                           ///< mean over faces
  std::vector<double> point_nme;            ///< per iBUG point 0-67, mean over faces
  double max_nme = 0;                       ///< the worst face
  int over_10_percent = 0;                  ///< faces with NME > 0.10 (a common failure criterion)
};

/// Means over `faces` (`annotated` counts the faces looked for).
LandmarkReport SummariseLandmarks(std::vector<FaceLandmarkError> faces, int annotated);

}  // namespace facekit::eval
