// cloud_attributes.h - face attributes in the cloud API's shapes: DetectFace's
// FaceAttributesInfo and DetectFaceAttributes' FaceAttributesType and
// FaceDetailAttributesInfo (field names and value ranges from the SDKs'
// iai_models.d.ts, identical in 2018-03-01 and 2020-03-03 for what FaceKit
// fills). Attributes FaceKit does not compute are left out, never filled
// with a made-up value (docs/attributes.md lists them).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "service/face_service.h"

namespace facekit::server {

/// DetectFace's FaceAttributesInfo: Pitch, Yaw, Roll always; Gender (0-49
/// female, 50-100 male: 100 x the model's probability of male), Age
/// (0-100), Expression (smile, 0-100: 100 x the expression model's "happy"
/// probability) and EyeOpen when they were computed.
nlohmann::json FaceAttributesInfoJson(const service::FaceAttributesInfo& a);

/// FaceAttributesType: comma-separated, case-insensitive names from Age,
/// Beauty, Emotion, Eye, Eyebrow, Gender, Hair, Hat, Headpose, Mask, Mouth,
/// Moustache, Nose, Shape, Skin, Smile, or None; returned lower-case.
/// An unknown name is InvalidParameterValue.
service::ApiResult<std::set<std::string>> ParseFaceAttributesType(std::string_view text);

/// The attribute models a set of FaceAttributesType names needs.
service::AttributeSelection SelectionFor(const std::set<std::string>& types);

/// FaceDetailAttributesInfo with the asked-for types that FaceKit computes:
/// Age ([0,65], 65 = 65 and over), Gender {Type 0 male / 1 female,
/// Probability}, Emotion {Type 0 neutral, 1 happy, 2 surprise, 3 angry,
/// 4 sad, 5 disgust, 6 fear; Probability}, Smile (0-100), HeadPose
/// {Pitch, Yaw, Roll}, Eye {EyeOpen {Type 0 open / 1 closed}} (no
/// Probability: a threshold on the eye aspect ratio is not one).
nlohmann::json FaceDetailAttributesJson(const service::FaceAttributesInfo& a, const std::set<std::string>& types);

}  // namespace facekit::server
