// AnalyzeFace's FaceShapeSet and AnalyzeDenseLandmarks' DenseFaceShapeSet as
// the cloud API answers them (iai_models.d.ts FaceShape, DenseFaceShape,
// Point): whole-pixel X/Y in the photo's own pixels.
#pragma once

#include <nlohmann/json.hpp>

#include "service/face_service.h"

namespace facekit::server {

/// {"ImageWidth", "ImageHeight", "FaceShapeSet" | "DenseFaceShapeSet", "FaceModelVersion"}.
nlohmann::json AnalyzeFaceJson(const service::AnalyzeFaceResponse& r, bool dense);

}  // namespace facekit::server
