// AnalyzeFace's FaceShapeSet and AnalyzeDenseLandmarks' DenseFaceShapeSet as
// the cloud API answers them (iai_models.d.ts FaceShape, DenseFaceShape,
// Point): whole-pixel X/Y in the photo's own pixels.
#pragma once

#include <nlohmann/json.hpp>

#include "service/face_service.h"

namespace facekit::server {

/// {"X", "Y", "Width", "Height"}.
nlohmann::json RectJson(const service::Rect& r);
/// A group as GetGroupList and GetGroupInfo answer it.
nlohmann::json GroupInfoJson(const service::GroupInfo& g);
/// Scores go out with two decimals, as the cloud API's do.
double Score(float s);
/// A search candidate (FaceId null for person searches; person fields null
/// unless NeedPersonInfo).
nlohmann::json CandidateJson(const service::Candidate& c, bool need_person_info, bool persons);

/// {"ImageWidth", "ImageHeight", "FaceShapeSet" | "DenseFaceShapeSet", "FaceModelVersion"}.
nlohmann::json AnalyzeFaceJson(const service::AnalyzeFaceResponse& r, bool dense);

/// GetUpgradeGroupFaceModelVersionJobList's {"JobInfos", "JobNum"}.
nlohmann::json UpgradeJobListJson(const service::GetUpgradeJobListResponse& r);
/// GetUpgradeGroupFaceModelVersionResult's answer; FailedFacesUrl is empty
/// (a job never starts with faces it cannot re-embed: the upgrade is refused
/// with FailedOperation.GroupLostFaces); a failed job's reason is not part of
/// the cloud answer (the models have no field for it).
nlohmann::json UpgradeJobResultJson(const service::UpgradeJobInfo& j);

}  // namespace facekit::server
