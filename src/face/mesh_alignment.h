// face/mesh_alignment.h - face chips aligned from the 468-point face mesh
// instead of the detector's five points.
//
// WHAT THIS REPRESENTS
//   Two alignments an embedder can ask for in the manifest ("alignment"):
//
//   - "mesh68": dlib's own chip (get_face_chip_details for a 68-point
//     shape): the mesh points that correspond to dlib's 68-point layout are
//     fitted by least-squares similarity to dlib's mean face, mapped into a
//     size x size chip with `padding`. As dlib does, only the nose (27-35),
//     the eyes (36-47), the upper outer lip (48-54) and the upper inner lip
//     (60-64) are used: 33 points (jaw, eyebrows and lower lip excluded).
//   - "mesh5": the embedder's own 5-point template, fitted to five points
//     read from the mesh (iris centres, or the eye contours' centres without
//     the iris model; nose tip; mouth corners) instead of the detector's.
//
//   The mean face is dlib's (dlib/image_transforms/interpolation.h,
//   mean_face_shape_x / mean_face_shape_y, "average positions of face
//   points 17-67"; dlib is Boost-licensed, Davis E. King). The MediaPipe
//   to dlib correspondence is PeizhiYan/Mediapipe_2_Dlib_Landmarks
//   (mp2dlib.py, 2024; dlib points given by two mesh points take their
//   mean). Both are written out in mesh_alignment.cc with those sources.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "face/face_aligner.h"  // AlignToPoints

#include "facekit/face_mesh.h"

namespace facekit::face {

/// How an embedder's chip is aligned (manifest "alignment").
enum class ChipAlignment { kDetector5, kMesh68, kMesh5 };

/// "detector5" (or empty), "mesh68", "mesh5"; kInvalidArgument otherwise.
Result<ChipAlignment> ParseChipAlignment(const std::string& name);

/// The dlib 68-point indices the mesh68 alignment uses, in order (33 points).
const std::vector<int>& Dlib68AlignmentPoints();

/// dlib's mean face position of 68-point index `i` (17-67), in [0, 1]^2.
cv::Point2d DlibMeanFace(int i);

/// The mesh68 template: DlibMeanFace of every Dlib68AlignmentPoints() point
/// mapped into a size x size chip with `padding` (dlib: p = (padding + m) /
/// (2 padding + 1) * size).
std::vector<cv::Point2f> DlibChipTemplate(int size, double padding);

/// The mesh's estimate of dlib point `i` (17-67; mean of one or two mesh
/// points), in the mesh's pixels.
cv::Point2f DlibPointFromMesh(const FaceMeshResult& mesh, int i);

/// The Dlib68AlignmentPoints() read from the mesh, each divided by
/// (sx, sy) (original pixels to the raster the chip is cut from).
std::vector<cv::Point2f> Mesh68Points(const FaceMeshResult& mesh, double sx, double sy);

/// Five points in the detector's order (the image-left eye, the image-right
/// eye, nose tip, image-left and image-right mouth corner) read from the
/// mesh, divided by (sx, sy).
std::vector<cv::Point2f> Mesh5Points(const FaceMeshResult& mesh, double sx, double sy);


}  // namespace facekit::face
