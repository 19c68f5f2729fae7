#include "server/cloud_schema.h"

#include <algorithm>

namespace facekit::server {
namespace {

constexpr auto S = ParamType::kString;
constexpr auto N = ParamType::kNumber;
constexpr auto L = ParamType::kStringList;

constexpr ItemField kPersonExDescriptionInfo[] = {{"PersonExDescriptionIndex", N}, {"PersonExDescription", S}};
constexpr ItemField kGroupExDescriptionInfo[] = {{"GroupExDescriptionIndex", N}, {"GroupExDescription", S}};

ParamSpec Objects(std::string_view name, std::span<const ItemField> fields) {
  return {name, ParamType::kObjectList, fields};
}

std::vector<ParamSpec> SearchParams(bool by_group) {
  return {{"GroupIds", L},           {"Image", S},          {"Url", S},
          {"MaxFaceNum", N},         {"MinFaceSize", N},    {by_group ? "MaxPersonNumPerGroup" : "MaxPersonNum", N},
          {"NeedPersonInfo", N},     {"QualityControl", N}, {"FaceMatchThreshold", N},
          {"NeedRotateDetection", N}};
}

const std::vector<ActionSchema>& Table() {
  static const std::vector<ActionSchema> table = [] {
    std::vector<ActionSchema> t = {
        {"CreateGroup",
         {{"GroupName", S}, {"GroupId", S}, {"GroupExDescriptions", L}, {"Tag", S}, {"FaceModelVersion", S}}},
        {"DeleteGroup", {{"GroupId", S}}},
        {"GetGroupList", {{"Offset", N}, {"Limit", N}}},
        {"GetGroupInfo", {{"GroupId", S}}},
        {"ModifyGroup",
         {{"GroupId", S}, {"GroupName", S}, Objects("GroupExDescriptionInfos", kGroupExDescriptionInfo), {"Tag", S}}},
        {"CreatePerson",
         {{"GroupId", S},
          {"PersonName", S},
          {"PersonId", S},
          {"Gender", N},
          Objects("PersonExDescriptionInfos", kPersonExDescriptionInfo),
          {"Image", S},
          {"Url", S},
          {"UniquePersonControl", N},
          {"QualityControl", N},
          {"NeedRotateDetection", N}}},
        {"DeletePerson", {{"PersonId", S}}},
        {"DeletePersonFromGroup", {{"PersonId", S}, {"GroupId", S}}},
        {"GetPersonList", {{"GroupId", S}, {"Offset", N}, {"Limit", N}}},
        {"GetPersonListNum", {{"GroupId", S}}},
        {"GetPersonBaseInfo", {{"PersonId", S}}},
        {"GetPersonGroupInfo", {{"PersonId", S}, {"Offset", N}, {"Limit", N}}},
        {"ModifyPersonBaseInfo", {{"PersonId", S}, {"PersonName", S}, {"Gender", N}}},
        {"ModifyPersonGroupInfo",
         {{"GroupId", S}, {"PersonId", S}, Objects("PersonExDescriptionInfos", kPersonExDescriptionInfo)}},
        {"CopyPerson", {{"PersonId", S}, {"GroupIds", L}}},
        {"CreateFace",
         {{"PersonId", S},
          {"Images", L},
          {"Urls", L},
          {"FaceMatchThreshold", N},
          {"QualityControl", N},
          {"NeedRotateDetection", N}}},
        {"DeleteFace", {{"PersonId", S}, {"FaceIds", L}}},
        {"SearchFaces", SearchParams(false)},
        {"SearchFacesReturnsByGroup", SearchParams(true)},
        {"SearchPersons", SearchParams(false)},
        {"SearchPersonsReturnsByGroup", SearchParams(true)},
        {"VerifyFace", {{"PersonId", S}, {"Image", S}, {"Url", S}, {"QualityControl", N}, {"NeedRotateDetection", N}}},
        {"VerifyPerson",
         {{"PersonId", S}, {"Image", S}, {"Url", S}, {"QualityControl", N}, {"NeedRotateDetection", N}}},
        {"CompareFace",
         {{"ImageA", S},
          {"ImageB", S},
          {"UrlA", S},
          {"UrlB", S},
          {"FaceModelVersion", S},
          {"QualityControl", N},
          {"NeedRotateDetection", N},
          {"FaceMatchingStrategy", N, {}, true}}},
        {"DetectFace",
         {{"MaxFaceNum", N},
          {"MinFaceSize", N},
          {"Image", S},
          {"Url", S},
          {"NeedFaceAttributes", N},
          {"NeedQualityDetection", N},
          {"FaceModelVersion", S},
          {"NeedRotateDetection", N}}},
        {"DetectFaceAttributes",
         {{"MaxFaceNum", N},
          {"Image", S},
          {"Url", S},
          {"FaceAttributesType", S},
          {"NeedRotateDetection", N},
          {"FaceModelVersion", S}}},
        // Not in either version's SDK model file any more (the SDKs dropped it); both API versions had it.
        {"DetectLiveFace", {{"Image", S}, {"Url", S}, {"FaceModelVersion", S}}},
        {"DetectLiveFaceAccurate", {{"Image", S}, {"Url", S}, {"FaceModelVersion", S}}, true},
        {"AnalyzeFace", {{"Mode", N}, {"Image", S}, {"Url", S}, {"FaceModelVersion", S}, {"NeedRotateDetection", N}}},
        {"AnalyzeDenseLandmarks",
         {{"Mode", N}, {"Image", S}, {"Url", S}, {"FaceModelVersion", S}, {"NeedRotateDetection", N}}},
        {"CompareMaskFace",
         {{"ImageA", S}, {"ImageB", S}, {"UrlA", S}, {"UrlB", S}, {"FaceModelVersion", S}, {"QualityControl", N}},
         true},
        {"DetectFaceSimilarity", {{"ImageA", S}, {"ImageB", S}, {"UrlA", S}, {"UrlB", S}, {"QualityControl", N}}, true},
        {"UpgradeGroupFaceModelVersion", {{"GroupId", S}, {"FaceModelVersion", S}}},
        {"RevertGroupFaceModelVersion", {{"JobId", S}}},
        {"GetUpgradeGroupFaceModelVersionJobList", {{"Offset", N}, {"Limit", N}}},
        {"GetUpgradeGroupFaceModelVersionResult", {{"JobId", S}}},
    };
    std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.action < b.action; });
    return t;
  }();
  return table;
}

}  // namespace

std::optional<ApiVersion> ParseApiVersion(std::string_view text) {
  if (text == "2018-03-01") return ApiVersion::k2018_03_01;
  if (text == "2020-03-03") return ApiVersion::k2020_03_03;
  return std::nullopt;
}

std::string_view VersionName(ApiVersion version) {
  return version == ApiVersion::k2018_03_01 ? "2018-03-01" : "2020-03-03";
}

const ParamSpec* ActionSchema::Param(std::string_view name, ApiVersion version) const {
  for (const auto& p : params) {
    if (p.name == name) return p.only_2020 && version != ApiVersion::k2020_03_03 ? nullptr : &p;
  }
  return nullptr;
}

const ActionSchema* FindActionSchema(std::string_view action) {
  const auto& t = Table();
  const auto it = std::lower_bound(t.begin(), t.end(), action,
                                   [](const ActionSchema& a, std::string_view n) { return a.action < n; });
  return it != t.end() && it->action == action ? &*it : nullptr;
}

std::span<const ActionSchema> ActionSchemas() { return Table(); }

}  // namespace facekit::server
