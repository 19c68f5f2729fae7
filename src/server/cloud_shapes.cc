#include "server/cloud_shapes.h"

#include <cmath>

namespace facekit::server {

nlohmann::json RectJson(const service::Rect& r) {
  return {{"X", r.x}, {"Y", r.y}, {"Width", r.width}, {"Height", r.height}};
}

nlohmann::json GroupInfoJson(const service::GroupInfo& g) {
  return {{"GroupName", g.group_name},
          {"GroupId", g.group_id},
          {"GroupExDescriptions", g.group_ex_descriptions},
          {"Tag", g.tag},
          {"FaceModelVersion", g.face_model_version},
          {"CreationTimestamp", g.creation_timestamp}};
}

// Scores go out with two decimals, as the cloud API's do.
double Score(float s) { return std::round(static_cast<double>(s) * 100.0) / 100.0; }

nlohmann::json CandidateJson(const service::Candidate& c, bool need_person_info, bool persons) {
  nlohmann::json j = {{"PersonId", c.person_id}, {"Score", Score(c.score)}};
  j["FaceId"] = persons ? nlohmann::json(nullptr) : nlohmann::json(c.face_id);
  if (need_person_info) {
    j["PersonName"] = c.person_name.value_or("");
    j["Gender"] = c.gender.value_or(0);
    nlohmann::json infos = nlohmann::json::array();
    for (const auto& g : c.person_group_infos) {
      infos.push_back({{"GroupId", g.group_id}, {"PersonExDescriptions", g.person_ex_descriptions}});
    }
    j["PersonGroupInfos"] = infos;
  } else {
    j["PersonName"] = nullptr;
    j["Gender"] = nullptr;
    j["PersonGroupInfos"] = nullptr;
  }
  return j;
}

nlohmann::json AnalyzeFaceJson(const service::AnalyzeFaceResponse& r, bool dense) {
  using nlohmann::json;
  json set = json::array();
  for (const service::AnalyzedFace& f : r.faces) {
    json face = json::object();
    if (dense) face = {{"X", f.rect.x}, {"Y", f.rect.y}, {"Width", f.rect.width}, {"Height", f.rect.height}};
    for (const ShapeGroup& g : f.groups) {
      json points = json::array();
      for (const Point2f& p : g.points) points.push_back({{"X", std::lround(p.x)}, {"Y", std::lround(p.y)}});
      face[std::string(g.name)] = std::move(points);
    }
    set.push_back(std::move(face));
  }
  return json{{"ImageWidth", r.image_width},
              {"ImageHeight", r.image_height},
              {dense ? "DenseFaceShapeSet" : "FaceShapeSet", std::move(set)},
              {"FaceModelVersion", r.face_model_version}};
}

nlohmann::json UpgradeJobListJson(const service::GetUpgradeJobListResponse& r) {
  nlohmann::json infos = nlohmann::json::array();
  for (const auto& j : r.jobs) {
    infos.push_back({{"JobId", j.job_id},
                     {"GroupId", j.group_id},
                     {"FromFaceModelVersion", j.from_version},
                     {"ToFaceModelVersion", j.to_version},
                     {"StartTime", j.start_time},
                     {"Status", j.status}});
  }
  return {{"JobInfos", infos}, {"JobNum", r.job_num}};
}

nlohmann::json UpgradeJobResultJson(const service::UpgradeJobInfo& j) {
  return {{"EndTimestamp", j.end_timestamp},
          {"Progress", j.progress},
          {"Status", j.status},
          {"StartTime", j.start_time},
          {"FromFaceModelVersion", j.from_version},
          {"ToFaceModelVersion", j.to_version},
          {"GroupId", j.group_id},
          {"FailedFacesUrl", ""}};
}

}  // namespace facekit::server
