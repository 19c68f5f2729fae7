// facekit/quality.h - how usable a detected face is for recognition.
//
// WHAT THIS REPRESENTS
//   FaceQuality measures one detected face: sharpness (variance of the
//   Laplacian of the aligned grey chip), brightness (mean grey level of the
//   chip, 0-255), size (short side of the box in image pixels) and head pose
//   (yaw, pitch, roll in degrees, estimated from the five landmarks with a
//   simple geometric model; positive yaw = turned to the image's right,
//   positive pitch = looking up, positive roll = clockwise in the image).
//   `level` is the highest of the cloud API's QualityControl levels
//   1 (low) ... 4 (strict) whose rules all hold, 0 when none does; a face
//   passes QualityControl N when level >= N. The rules are listed in
//   docs/quality.md and returned by QualityRules().
//
// THREAD SAFETY
//   Plain values.
#pragma once

#include <string>
#include <vector>

namespace facekit {

struct FaceQuality {
  float sharpness = 0;
  float brightness = 0;
  float size = 0;
  float yaw = 0, pitch = 0, roll = 0;
  int level = 0;
  /// Why the next level up is not reached (empty at level 4).
  std::vector<std::string> limits;
};

struct QualityRule {
  int level = 0;
  float min_size = 0;
  float min_brightness = 0, max_brightness = 255;
  float min_sharpness = 0;
  float max_yaw = 90, max_pitch = 90, max_roll = 180;
};

/// Levels 1..4, in order.
const std::vector<QualityRule>& QualityRules();

}  // namespace facekit
