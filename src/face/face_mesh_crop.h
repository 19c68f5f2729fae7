// face/face_mesh_crop.h - where the face mesh model looks: the square,
// possibly rotated, crop around a detector box, and the map from the model's
// input pixels back to the image.
#pragma once

#include <array>
#include <opencv2/core.hpp>

#include "facekit/engine.h"
#include "facekit/face_mesh.h"

namespace facekit::face {

/// The eyelid contours of the mesh (MediaPipe's EyeLower0, outer to inner
/// corner, and EyeUpper0, outer to inner, corners excluded), in the order
/// the iris model returns them (its points 0-8 and 9-15).
struct EyeContour {
  std::array<int, 9> lower;
  std::array<int, 7> upper;
};
inline constexpr EyeContour kRightEyeContour{{33, 7, 163, 144, 145, 153, 154, 155, 133},
                                             {246, 161, 160, 159, 158, 157, 173}};
inline constexpr EyeContour kLeftEyeContour{{263, 249, 390, 373, 374, 380, 381, 382, 362},
                                            {466, 388, 387, 386, 385, 384, 398}};
inline constexpr int kIrisModelLidPoints = 16;
// The iris model's 71 eye-region points come before its 5 iris points.
inline constexpr int kIrisModelContourPoints = 71;
inline constexpr int kIrisModelPoints = kIrisModelContourPoints + 5;

struct MeshCrop {
  float cx = 0.f, cy = 0.f;  ///< centre, image pixels
  float side = 0.f;          ///< side, image pixels
  float angle = 0.f;         ///< radians: direction of the crop's x axis in the image
  int input_size = 192;      ///< the model's input side

  /// 2x3 CV_64F affine map from input pixels (u, v) to image pixels.
  cv::Mat CropToImage() const;
  /// An input-pixel point (u, v, depth z) in image pixels (z scaled like x, y).
  Point3f ToImage(float u, float v, float z) const;
};

/// The crop for `box`: centred on the box, side = scale x the box's larger
/// side, rotated by the angle of the line from landmark 0 to landmark 1
/// (the eyes) when `level_eyes`.
MeshCrop MeshCropFor(const FaceBox& box, float scale, bool level_eyes, int input_size);

}  // namespace facekit::face
