// face_quality.h - pose from landmarks and quality levels (see facekit/quality.h).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/engine.h"
#include "facekit/quality.h"

namespace facekit::face {

struct Pose {
  float yaw = 0, pitch = 0, roll = 0;
};

/// Head pose from five landmarks (left eye, right eye, nose, mouth corners).
Pose EstimatePose(const std::array<Point2f, 5>& landmarks);

/// Sharpness and brightness of an aligned BGR chip.
void ChipMeasures(const cv::Mat& bgr_chip, float* sharpness, float* brightness);

/// Fills `level` and `limits` from the measured fields.
void AssignLevel(FaceQuality* q);

}  // namespace facekit::face
