// FaceService: face attributes (DetectFace's FaceAttributesInfo and
// DetectFaceAttributes; docs/attributes.md).
#include <algorithm>

#include "service/face_service.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

std::optional<float> FaceAttributesInfo::Expression(std::string_view label) const {
  for (const ExpressionScore& e : expression) {
    if (e.label == label) return e.probability;
  }
  return std::nullopt;
}

ApiResult<FaceAttributesInfo> FaceService::Attributes(const Image& image, const FaceBox& face,
                                                      const FaceQuality& quality,
                                                      const AttributeSelection& selection) const {
  FaceAttributesInfo a;
  a.yaw = quality.yaw;
  a.pitch = quality.pitch;
  a.roll = quality.roll;
  if (attribute_models_ != nullptr && (selection.age_gender || selection.expression)) {
    AttributeRequest want;
    want.age_gender = selection.age_gender;
    want.expression = selection.expression;
    auto run = Timed("attributes", [&] { return attribute_models_->Run(image, face, want); });
    if (!run.ok()) return ImageError(run.status());
    a.age = run->age;
    a.male_probability = run->male_probability;
    const std::vector<std::string>& labels = attribute_models_->expression_labels();
    for (std::size_t i = 0; i < run->expression.size() && i < labels.size(); ++i) {
      a.expression.push_back({labels[i], run->expression[i]});
    }
  }
  if (selection.eyes) {
    auto ratio = SmallerEyeRatio(image, face);
    if (!ratio.ok()) return ratio.error();
    if (ratio->has_value()) {
      a.eye_openness = *ratio.value();
      a.eyes_open = *a.eye_openness >= options_.eyes_open_threshold;
    }
  }
  return a;
}

ApiResult<std::optional<float>> FaceService::SmallerEyeRatio(const Image& image, const FaceBox& face) const {
  if (eyes_ != nullptr) {
    auto eyes = Timed("eyes", [&] { return eyes_->Run(image, face); });
    if (!eyes.ok()) return ImageError(eyes.status());
    return std::optional<float>(std::min(eyes->right_ratio, eyes->left_ratio));
  }
  if (mesh_ == nullptr) return std::optional<float>();
  auto mesh = Timed("mesh", [&] { return mesh_->Run(image, face); });
  if (!mesh.ok()) return ImageError(mesh.status());
  // A crop the mesh model does not take for a face says nothing about eyes.
  if (mesh->confidence < mesh_->min_confidence()) return std::optional<float>();
  auto eyes = MeshEyeOpenness(mesh->points);
  if (!eyes.ok()) return ImageError(eyes.status());
  return std::optional<float>(std::min(eyes->right, eyes->left));
}

bool FaceService::EnrolmentChecksEyes(int quality_control) const {
  return (eyes_ != nullptr || mesh_ != nullptr) && options_.eyes_open_quality_control > 0 &&
         quality_control >= options_.eyes_open_quality_control;
}

std::optional<ApiError> FaceService::EnrolmentRefusal(const FaceInput& face) const {
  if (face.eye_openness && *face.eye_openness < options_.eyes_open_threshold) {
    return Err(code::kQualityNotQualified,
               "the face's eyes are closed (eye aspect ratio " + std::to_string(*face.eye_openness) + " below " +
                   std::to_string(options_.eyes_open_threshold) + "); QualityControl " +
                   std::to_string(options_.eyes_open_quality_control) + " and above asks for open eyes");
  }
  return std::nullopt;
}

}  // namespace facekit::service
