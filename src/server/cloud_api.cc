#include "server/cloud_api.h"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "server/change_position.h"
#include "server/cloud_attributes.h"
#include "server/cloud_messages.h"
#include "server/cloud_param_tree.h"
#include "server/cloud_params.h"
#include "server/cloud_request.h"
#include "server/cloud_schema.h"
#include "server/cloud_shapes.h"
#include "server/tc3_signature.h"

namespace facekit::server {

using nlohmann::json;
using service::ApiError;
using service::ApiResult;

std::string NewUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) {
    // The OS random source failing is not a reason to fail a request id.
    auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(t >> ((i % 8) * 8));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

namespace {

ApiError Err(std::string code, std::string message) { return ApiError{std::move(code), std::move(message)}; }

// ---------------------------------------------------------------- responses

}  // namespace

// ---------------------------------------------------------------- the endpoint

struct CloudApi::Impl {
  service::FaceService& service;
  std::shared_ptr<AccessPolicy> policy;
  UrlFetch fetch;
  Metrics* metrics;
  CloudApiOptions options;

  // One request being answered.
  struct Call {
    Impl& api;
    const ApiKey& key;
    CloudParams params;
    std::string_view action;
    std::int64_t min_seq = 0;  // read-your-writes: X-FaceKit-Min-Seq (reached before the action runs)
    KeyScope scope{key, api.service};

    bool Visible(const std::string& group_id) const { return scope.Visible(group_id); }
    std::optional<ApiError> CheckGroups(const std::vector<std::string>& ids) const { return scope.CheckGroups(ids); }
    std::optional<ApiError> CheckPerson(const std::string& person_id, bool write) const {
      return scope.CheckPerson(person_id, write);
    }
    service::FaceService::GroupFilter Filter() const { return scope.Filter(); }

    // An image from `image_key` (base64, an optional data: header tolerated)
    // or `url_key` (downloaded; wins when both are given).
    ApiResult<std::vector<std::uint8_t>> Image(const char* image_key, const char* url_key) {
      const std::string url = url_key ? params.Str(url_key) : std::string();
      const std::string b64 = params.Str(image_key);
      if (params.error()) return *params.error();
      if (!url.empty()) return api.Download(url);
      if (b64.empty()) {
        return Err("InvalidParameterValue.ImageEmpty",
                   std::string("give the image as ") + image_key + (url_key ? std::string(" or ") + url_key : "") +
                       " (base64 of a JPEG, PNG, BMP or WebP file)");
      }
      return api.DecodeBase64(b64, image_key);
    }
  };

  Impl(service::FaceService& s, std::shared_ptr<AccessPolicy> p, UrlFetch f, Metrics* m, CloudApiOptions o)
      : service(s), policy(std::move(p)), fetch(std::move(f)), metrics(m), options(std::move(o)) {
    if (!options.request_id) options.request_id = NewUuid;
  }

  // An image given as base64 text, within the cloud API's limits.
  ApiResult<std::vector<std::uint8_t>> DecodeBase64(std::string_view text, const char* field) const {
    auto bytes = DecodeBase64Image(text, field, options.max_image_base64_bytes);
    if (!bytes.ok()) return bytes;
    if (auto e = CheckLimits(bytes.value())) return *e;
    return bytes;
  }
  // An image given by Url, within the cloud API's limits.
  ApiResult<std::vector<std::uint8_t>> Download(const std::string& url) const {
    auto bytes = DownloadImage(fetch, url);
    if (!bytes.ok()) return bytes;
    if (auto e = CheckLimits(bytes.value())) return *e;
    return bytes;
  }
  std::optional<ApiError> CheckLimits(const std::vector<std::uint8_t>& image) const {
    return options.image_limits ? CheckImageInput(image, *options.image_limits) : std::nullopt;
  }

  HttpResponse Envelope(json response, const std::string& request_id) const {
    response["RequestId"] = request_id;
    HttpResponse r;
    r.status = 200;
    r.content_type = "application/json";
    r.body = json{{"Response", std::move(response)}}.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
  }
  HttpResponse ErrorEnvelope(const ApiError& e, std::string_view language, const std::string& request_id) const {
    return Envelope({{"Error", {{"Code", e.code}, {"Message", LocalisedMessage(e.code, e.message, language)}}}},
                    request_id);
  }

  HttpResponse Handle(const HttpRequest& req);
  ApiResult<ApiKey> Authenticate(const HttpRequest& req, const CloudRequest& cloud, const ActionSchema& schema,
                                 ApiVersion version);
};

// ---------------------------------------------------------------- actions

namespace {

using Handler = ApiResult<json> (*)(CloudApi::Impl::Call&);

// The parameters of each action are in cloud_schema.cc.
struct ActionSpec {
  bool write;
  Handler handler;
};

#define FK_CHECK_PARAMS(c) \
  if ((c).params.error()) return *(c).params.error()

ApiResult<json> CreateGroup(CloudApi::Impl::Call& c) {
  service::CreateGroupRequest r;
  r.group_name = c.params.Str("GroupName", true);
  r.group_id = c.params.Str("GroupId", true);
  r.group_ex_descriptions = c.params.StrList("GroupExDescriptions");
  r.tag = c.params.Str("Tag");
  r.face_model_version = c.params.Str("FaceModelVersion");
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({r.group_id})) return *e;
  auto out = c.api.service.CreateGroup(r);
  if (!out.ok()) return out.error();
  return json{{"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> DeleteGroup(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("GroupId", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({id})) return *e;
  auto out = c.api.service.DeleteGroup(id);
  if (!out.ok()) return out.error();
  return json::object();
}

ApiResult<json> GetGroupList(CloudApi::Impl::Call& c) {
  const auto offset = c.params.Int("Offset", 0);
  const auto limit = c.params.Int("Limit", 10);
  FK_CHECK_PARAMS(c);
  auto out = c.api.service.GetGroupList(offset, limit, c.Filter());
  if (!out.ok()) return out.error();
  json infos = json::array();
  for (const auto& g : out->group_infos) infos.push_back(GroupInfoJson(g));
  return json{{"GroupInfos", infos}, {"GroupNum", out->group_num}};
}

ApiResult<json> GetGroupInfo(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("GroupId", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({id})) return *e;
  auto out = c.api.service.GetGroupInfo(id);
  if (!out.ok()) return out.error();
  json j = GroupInfoJson(out.value());
  return j;
}

ApiResult<json> ModifyGroup(CloudApi::Impl::Call& c) {
  service::ModifyGroupRequest r;
  r.group_id = c.params.Str("GroupId", true);
  r.group_name = c.params.OptStr("GroupName");
  r.tag = c.params.OptStr("Tag");
  for (auto& [i, d] : c.params.Pairs("GroupExDescriptionInfos", "GroupExDescriptionIndex", "GroupExDescription")) {
    r.group_ex_descriptions_infos.emplace_back(static_cast<int>(i), std::move(d));
  }
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({r.group_id})) return *e;
  auto out = c.api.service.ModifyGroup(r);
  if (!out.ok()) return out.error();
  return json::object();
}

std::vector<service::ExDescription> ExDescriptions(CloudApi::Impl::Call& c, bool required) {
  std::vector<service::ExDescription> out;
  for (auto& [i, d] : c.params.Pairs("PersonExDescriptionInfos", "PersonExDescriptionIndex", "PersonExDescription",
                                     required)) {
    out.push_back({static_cast<int>(i), std::move(d)});
  }
  return out;
}

ApiResult<json> CreatePerson(CloudApi::Impl::Call& c) {
  service::CreatePersonRequest r;
  r.group_id = c.params.Str("GroupId", true);
  r.person_name = c.params.Str("PersonName", true);
  r.person_id = c.params.Str("PersonId", true);
  r.gender = static_cast<int>(c.params.Int("Gender", 0));
  r.person_ex_descriptions = ExDescriptions(c, false);
  r.unique_person_control = static_cast<int>(c.params.Int("UniquePersonControl", 0));
  r.quality_control = static_cast<int>(c.params.Int("QualityControl", 0));
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({r.group_id})) return *e;
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto out = c.api.service.CreatePerson(r);
  if (!out.ok()) return out.error();
  json j = {{"FaceModelVersion", out->face_model_version}};
  if (out->similar_person_id.empty()) {
    j["FaceId"] = out->face_id;
    j["FaceRect"] = RectJson(out->face_rect);
    j["SimilarPersonId"] = "";
  } else {
    j["FaceId"] = nullptr;
    j["FaceRect"] = nullptr;
    j["SimilarPersonId"] = out->similar_person_id;
  }
  return j;
}

ApiResult<json> DeletePerson(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("PersonId", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(id, true)) return *e;
  auto out = c.api.service.DeletePerson(id);
  if (!out.ok()) return out.error();
  return json::object();
}

ApiResult<json> DeletePersonFromGroup(CloudApi::Impl::Call& c) {
  const std::string person = c.params.Str("PersonId", true);
  const std::string group = c.params.Str("GroupId", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({group})) return *e;
  if (auto e = c.CheckPerson(person, false)) return *e;
  auto out = c.api.service.DeletePersonFromGroup(person, group);
  if (!out.ok()) return out.error();
  return json::object();
}

json PersonInfoJson(const service::PersonInfo& p) {
  return {{"PersonName", p.person_name},
          {"PersonId", p.person_id},
          {"Gender", p.gender},
          {"PersonExDescriptions", p.person_ex_descriptions},
          {"FaceIds", p.face_ids},
          {"CreationTimestamp", p.creation_timestamp}};
}

ApiResult<json> GetPersonList(CloudApi::Impl::Call& c) {
  const std::string group = c.params.Str("GroupId", true);
  const auto offset = c.params.Int("Offset", 0);
  const auto limit = c.params.Int("Limit", 10);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({group})) return *e;
  auto out = c.api.service.GetPersonList(group, offset, limit);
  if (!out.ok()) return out.error();
  json infos = json::array();
  for (const auto& p : out->person_infos) infos.push_back(PersonInfoJson(p));
  return json{{"PersonInfos", infos},
              {"PersonNum", out->person_num},
              {"FaceNum", out->face_num},
              {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> GetPersonListNum(CloudApi::Impl::Call& c) {
  const std::string group = c.params.Str("GroupId", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({group})) return *e;
  auto out = c.api.service.GetPersonListNum(group);
  if (!out.ok()) return out.error();
  return json{{"PersonNum", out->person_num}, {"FaceNum", out->face_num}};
}

ApiResult<json> GetPersonBaseInfo(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("PersonId", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(id, false)) return *e;
  auto out = c.api.service.GetPersonBaseInfo(id);
  if (!out.ok()) return out.error();
  return json{{"PersonName", out->person_name}, {"Gender", out->gender}, {"FaceIds", out->face_ids}};
}

ApiResult<json> GetPersonGroupInfo(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("PersonId", true);
  const auto offset = c.params.Int("Offset", 0);
  const auto limit = c.params.Int("Limit", 10);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(id, false)) return *e;
  auto out = c.api.service.GetPersonGroupInfo(id, offset, limit, c.Filter());
  if (!out.ok()) return out.error();
  json infos = json::array();
  for (const auto& g : out->person_group_infos) {
    infos.push_back({{"GroupId", g.group_id}, {"PersonExDescriptions", g.person_ex_descriptions}});
  }
  return json{{"PersonGroupInfos", infos}, {"GroupNum", out->group_num}, {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> ModifyPersonBaseInfo(CloudApi::Impl::Call& c) {
  service::ModifyPersonBaseInfoRequest r;
  r.person_id = c.params.Str("PersonId", true);
  r.person_name = c.params.OptStr("PersonName");
  if (auto g = c.params.OptInt("Gender")) r.gender = static_cast<int>(*g);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(r.person_id, true)) return *e;
  auto out = c.api.service.ModifyPersonBaseInfo(r);
  if (!out.ok()) return out.error();
  return json::object();
}

ApiResult<json> ModifyPersonGroupInfo(CloudApi::Impl::Call& c) {
  service::ModifyPersonGroupInfoRequest r;
  r.group_id = c.params.Str("GroupId", true);
  r.person_id = c.params.Str("PersonId", true);
  r.person_ex_descriptions = ExDescriptions(c, true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({r.group_id})) return *e;
  if (auto e = c.CheckPerson(r.person_id, false)) return *e;
  auto out = c.api.service.ModifyPersonGroupInfo(r);
  if (!out.ok()) return out.error();
  return json::object();
}

ApiResult<json> CopyPerson(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("PersonId", true);
  const auto groups = c.params.StrList("GroupIds", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups(groups)) return *e;
  if (auto e = c.CheckPerson(id, false)) return *e;
  auto out = c.api.service.CopyPerson(id, groups);
  if (!out.ok()) return out.error();
  return json{{"SucGroupNum", out->suc_group_num}, {"SucGroupIds", out->suc_group_ids}};
}

ApiResult<json> CreateFace(CloudApi::Impl::Call& c) {
  service::CreateFaceRequest r;
  r.person_id = c.params.Str("PersonId", true);
  const auto images = c.params.StrList("Images");
  const auto urls = c.params.StrList("Urls");
  r.face_match_threshold = static_cast<float>(c.params.Num("FaceMatchThreshold", 60));
  r.quality_control = static_cast<int>(c.params.Int("QualityControl", 0));
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(r.person_id, true)) return *e;
  // Urls win over Images, as for single images.
  const bool use_urls = !urls.empty();
  const auto& inputs = use_urls ? urls : images;
  if (inputs.empty()) return Err("InvalidParameterValue.ImageEmpty", "give the images as Images or Urls");
  if (inputs.size() > c.api.service.options().max_images_per_call) {
    return Err("InvalidParameterValue.UploadFaceNumExceed",
               "at most " + std::to_string(c.api.service.options().max_images_per_call) + " images per call");
  }
  // An input that cannot be read becomes an image that cannot be decoded:
  // it gets RetCode -1102 while the others are still added.
  for (const auto& in : inputs) {
    auto bytes = use_urls ? c.api.Download(in) : c.api.DecodeBase64(in, "Images");
    if (!bytes.ok() && bytes.error().code == "InvalidParameterValue.UrlIllegal") return bytes.error();
    r.images.push_back(bytes.ok() ? std::move(bytes.value()) : std::vector<std::uint8_t>{});
  }
  auto out = c.api.service.CreateFace(r);
  if (!out.ok()) return out.error();
  json rects = json::array();
  for (const auto& rect : out->suc_face_rects) rects.push_back(RectJson(rect));
  return json{{"SucFaceNum", out->suc_face_num}, {"SucFaceIds", out->suc_face_ids},
              {"RetCode", out->ret_code},        {"SucIndexes", out->suc_indexes},
              {"SucFaceRects", rects},           {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> DeleteFace(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("PersonId", true);
  const auto faces = c.params.StrList("FaceIds", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(id, true)) return *e;
  auto out = c.api.service.DeleteFace(id, faces);
  if (!out.ok()) return out.error();
  return json{{"SucDeletedNum", out->suc_deleted_num}, {"SucFaceIds", out->suc_face_ids}};
}

// The four search actions share their parameters.
ApiResult<json> Search(CloudApi::Impl::Call& c, bool persons, bool by_group) {
  service::SearchRequest r;
  r.group_ids = c.params.StrList("GroupIds", true);
  r.max_face_num = static_cast<int>(c.params.Int("MaxFaceNum", 1));
  r.min_face_size = static_cast<int>(c.params.Int("MinFaceSize", 34));
  r.max_person_num = static_cast<int>(c.params.Int(by_group ? "MaxPersonNumPerGroup" : "MaxPersonNum", 5));
  r.min_seq = c.min_seq;
  r.need_person_info = c.params.Int("NeedPersonInfo", 0) == 1;
  r.face_match_threshold = static_cast<float>(c.params.Num("FaceMatchThreshold", 0));
  r.quality_control = static_cast<int>(c.params.Int("QualityControl", 0));
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups(r.group_ids)) return *e;
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto out = persons ? c.api.service.SearchPersons(r, by_group) : c.api.service.SearchFaces(r, by_group);
  if (!out.ok()) return out.error();
  // A person's other groups are only shown when the key may see them.
  auto filter_infos = [&](service::Candidate cand) {
    std::erase_if(cand.person_group_infos, [&](const auto& g) { return !c.Visible(g.group_id); });
    return cand;
  };
  json results = json::array();
  for (const auto& res : out->results) {
    json item = {{"FaceRect", RectJson(res.face_rect)}, {"RetCode", res.ret_code}};
    if (by_group) {
      json groups = json::array();
      for (const auto& g : res.by_group) {
        json cands = json::array();
        for (const auto& cand : g.candidates) {
          cands.push_back(CandidateJson(filter_infos(cand), r.need_person_info, persons));
        }
        groups.push_back({{"GroupId", g.group_id}, {"Candidates", cands}});
      }
      item["GroupCandidates"] = groups;
    } else {
      json cands = json::array();
      for (const auto& cand : res.candidates) {
        cands.push_back(CandidateJson(filter_infos(cand), r.need_person_info, persons));
      }
      item["Candidates"] = cands;
    }
    results.push_back(std::move(item));
  }
  json j = {{"FaceModelVersion", out->face_model_version}};
  j[by_group ? "ResultsReturnsByGroup" : "Results"] = results;
  if (persons) {
    j["PersonNum"] = out->person_num;
  } else {
    j["FaceNum"] = out->face_num;
  }
  return j;
}
ApiResult<json> SearchFaces(CloudApi::Impl::Call& c) { return Search(c, false, false); }
ApiResult<json> SearchFacesReturnsByGroup(CloudApi::Impl::Call& c) { return Search(c, false, true); }
ApiResult<json> SearchPersons(CloudApi::Impl::Call& c) { return Search(c, true, false); }
ApiResult<json> SearchPersonsReturnsByGroup(CloudApi::Impl::Call& c) { return Search(c, true, true); }

ApiResult<json> Verify(CloudApi::Impl::Call& c, bool person) {
  const std::string id = c.params.Str("PersonId", true);
  (void)c.params.Int("QualityControl", 0);
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckPerson(id, false)) return *e;
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  auto out = person ? c.api.service.VerifyPerson(id, image.value()) : c.api.service.VerifyFace(id, image.value());
  if (!out.ok()) return out.error();
  return json{{"Score", Score(out->score)}, {"IsMatch", out->is_match}, {"FaceModelVersion", out->face_model_version}};
}
ApiResult<json> VerifyFace(CloudApi::Impl::Call& c) { return Verify(c, false); }
ApiResult<json> VerifyPerson(CloudApi::Impl::Call& c) { return Verify(c, true); }

ApiResult<json> CompareFace(CloudApi::Impl::Call& c) {
  (void)c.params.Str("FaceModelVersion");
  (void)c.params.Int("QualityControl", 0);
  (void)c.params.Int("NeedRotateDetection", 0);
  (void)c.params.Int("FaceMatchingStrategy", 0);
  FK_CHECK_PARAMS(c);
  auto a = c.Image("ImageA", "UrlA");
  if (!a.ok()) return a.error();
  auto b = c.Image("ImageB", "UrlB");
  if (!b.ok()) return b.error();
  auto out = c.api.service.CompareFace(a.value(), b.value());
  if (!out.ok()) return out.error();
  return json{{"Score", Score(out->score)}, {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> DetectFace(CloudApi::Impl::Call& c) {
  service::DetectFaceRequest r;
  r.max_face_num = static_cast<int>(c.params.Int("MaxFaceNum", 1));
  r.min_face_size = static_cast<int>(c.params.Int("MinFaceSize", 34));
  r.need_face_attributes = c.params.Int("NeedFaceAttributes", 0) == 1;
  r.need_quality = c.params.Int("NeedQualityDetection", 0) == 1;
  (void)c.params.Str("FaceModelVersion");
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto out = c.api.service.DetectFace(r);
  if (!out.ok()) return out.error();
  json faces = json::array();
  for (const auto& f : out->face_infos) {
    json j = RectJson(f.rect);
    // What is not computed (glasses, hat, mask, ...) is left out, not invented.
    if (const auto& a = f.attributes) j["FaceAttributesInfo"] = FaceAttributesInfoJson(*a);
    if (f.quality) {
      j["FaceQualityInfo"] = {{"Score", f.quality->score},
                              {"Sharpness", f.quality->sharpness},
                              {"Brightness", f.quality->brightness}};
    }
    faces.push_back(std::move(j));
  }
  return json{{"ImageWidth", out->image_width},
              {"ImageHeight", out->image_height},
              {"FaceInfos", faces},
              {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> DetectFaceAttributes(CloudApi::Impl::Call& c) {
  service::DetectFaceRequest r;
  r.max_face_num = static_cast<int>(c.params.Int("MaxFaceNum", 1));
  r.min_face_size = 1;  // the action has no MinFaceSize: every face found
  const std::string type_text = c.params.Str("FaceAttributesType");
  (void)c.params.Str("FaceModelVersion");
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  auto types = ParseFaceAttributesType(type_text);
  if (!types.ok()) return types.error();
  r.need_face_attributes = true;
  r.attribute_selection = SelectionFor(types.value());
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto out = c.api.service.DetectFace(r);
  if (!out.ok()) return out.error();
  json faces = json::array();
  for (const auto& f : out->face_infos) {
    faces.push_back({{"FaceRect", RectJson(f.rect)},
                     {"FaceDetailAttributesInfo", FaceDetailAttributesJson(*f.attributes, types.value())}});
  }
  return json{{"ImageWidth", out->image_width},
              {"ImageHeight", out->image_height},
              {"FaceDetailInfos", faces},
              {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> DetectLiveFace(CloudApi::Impl::Call& c) {
  (void)c.params.Str("FaceModelVersion");
  FK_CHECK_PARAMS(c);
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  auto out = c.api.service.DetectLiveFace(image.value());
  if (!out.ok()) return out.error();
  return json{{"Score", Score(out->score)},
              {"IsLiveness", out->is_liveness},
              {"FaceModelVersion", out->face_model_version}};
}

ApiResult<json> DetectLiveFaceAccurate(CloudApi::Impl::Call& c) {
  auto out = DetectLiveFace(c);
  if (!out.ok()) return out;
  out->erase("IsLiveness");  // the accurate variant reports only the score
  return out;
}

// AnalyzeFace / AnalyzeDenseLandmarks: the contours from the face mesh.
ApiResult<json> Analyze(CloudApi::Impl::Call& c, bool dense) {
  service::AnalyzeFaceRequest r;
  r.mode = static_cast<int>(c.params.Int("Mode", 0));
  r.dense = dense;
  (void)c.params.Str("FaceModelVersion");
  (void)c.params.Int("NeedRotateDetection", 0);
  FK_CHECK_PARAMS(c);
  auto image = c.Image("Image", "Url");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto out = c.api.service.AnalyzeFace(r);
  if (!out.ok()) return out.error();
  return AnalyzeFaceJson(out.value(), dense);
}
ApiResult<json> AnalyzeFace(CloudApi::Impl::Call& c) { return Analyze(c, false); }
ApiResult<json> AnalyzeDenseLandmarks(CloudApi::Impl::Call& c) { return Analyze(c, true); }

// CompareMaskFace / DetectFaceSimilarity: two images and QualityControl.
ApiResult<json> ComparePair(CloudApi::Impl::Call& c, bool similarity) {
  if (!similarity) (void)c.params.Str("FaceModelVersion");
  const int quality = static_cast<int>(c.params.Int("QualityControl", 0));
  FK_CHECK_PARAMS(c);
  auto a = c.Image("ImageA", "UrlA");
  if (!a.ok()) return a.error();
  auto b = c.Image("ImageB", "UrlB");
  if (!b.ok()) return b.error();
  if (similarity) {
    auto out = c.api.service.DetectFaceSimilarity(a.value(), b.value(), quality);
    if (!out.ok()) return out.error();
    return json{{"Score", Score(out->score)}};
  }
  auto out = c.api.service.CompareMaskFace(a.value(), b.value(), quality);
  if (!out.ok()) return out.error();
  return json{{"Score", Score(out->score)}, {"FaceModelVersion", out->face_model_version}};
}
ApiResult<json> CompareMaskFace(CloudApi::Impl::Call& c) { return ComparePair(c, false); }
ApiResult<json> DetectFaceSimilarity(CloudApi::Impl::Call& c) { return ComparePair(c, true); }

// ---- face model versions (docs/gallery.md#face-model-versions)
// The job, when it exists and the key may see its group.
ApiResult<service::UpgradeJobInfo> VisibleJob(CloudApi::Impl::Call& c, const std::string& job_id) {
  auto job = c.api.service.GetUpgradeJobResult(job_id);
  if (job.ok() && !c.Visible(job->group_id)) return Err("ResourceNotFound", "JobId " + job_id + " does not exist");
  return job;
}
ApiResult<json> UpgradeGroupFaceModelVersion(CloudApi::Impl::Call& c) {
  const std::string id = c.params.Str("GroupId", true), version = c.params.Str("FaceModelVersion", true);
  FK_CHECK_PARAMS(c);
  if (auto e = c.CheckGroups({id})) return *e;
  auto out = c.api.service.UpgradeGroupFaceModelVersion(id, version);
  if (!out.ok()) return out.error();
  return json{{"JobId", out.value()}};
}
ApiResult<json> RevertGroupFaceModelVersion(CloudApi::Impl::Call& c) {
  const std::string job_id = c.params.Str("JobId", true);
  FK_CHECK_PARAMS(c);
  auto job = VisibleJob(c, job_id);
  if (!job.ok()) return job.error();
  if (auto e = c.CheckGroups({job->group_id})) return *e;
  auto out = c.api.service.RevertGroupFaceModelVersion(job_id);
  if (!out.ok()) return out.error();
  return json::object();
}
ApiResult<json> GetUpgradeGroupFaceModelVersionJobList(CloudApi::Impl::Call& c) {
  const auto offset = c.params.Int("Offset", 0), limit = c.params.Int("Limit", 10);
  FK_CHECK_PARAMS(c);
  auto out = c.api.service.GetUpgradeJobList(offset, limit, c.Filter());
  if (!out.ok()) return out.error();
  return UpgradeJobListJson(out.value());
}
ApiResult<json> GetUpgradeGroupFaceModelVersionResult(CloudApi::Impl::Call& c) {
  const std::string job_id = c.params.Str("JobId", true);
  FK_CHECK_PARAMS(c);
  auto j = VisibleJob(c, job_id);
  if (!j.ok()) return j.error();
  return UpgradeJobResultJson(j.value());
}

const std::map<std::string, ActionSpec, std::less<>>& ActionTable() {
  static const std::map<std::string, ActionSpec, std::less<>> table = {
      {"CreateGroup", {true, CreateGroup}},
      {"DeleteGroup", {true, DeleteGroup}},
      {"GetGroupList", {false, GetGroupList}},
      {"GetGroupInfo", {false, GetGroupInfo}},
      {"ModifyGroup", {true, ModifyGroup}},
      {"CreatePerson", {true, CreatePerson}},
      {"DeletePerson", {true, DeletePerson}},
      {"DeletePersonFromGroup", {true, DeletePersonFromGroup}},
      {"GetPersonList", {false, GetPersonList}},
      {"GetPersonListNum", {false, GetPersonListNum}},
      {"GetPersonBaseInfo", {false, GetPersonBaseInfo}},
      {"GetPersonGroupInfo", {false, GetPersonGroupInfo}},
      {"ModifyPersonBaseInfo", {true, ModifyPersonBaseInfo}},
      {"ModifyPersonGroupInfo", {true, ModifyPersonGroupInfo}},
      {"CopyPerson", {true, CopyPerson}},
      {"CreateFace", {true, CreateFace}},
      {"DeleteFace", {true, DeleteFace}},
      {"SearchFaces", {false, SearchFaces}},
      {"SearchFacesReturnsByGroup", {false, SearchFacesReturnsByGroup}},
      {"SearchPersons", {false, SearchPersons}},
      {"SearchPersonsReturnsByGroup", {false, SearchPersonsReturnsByGroup}},
      {"VerifyFace", {false, VerifyFace}},
      {"VerifyPerson", {false, VerifyPerson}},
      {"CompareFace", {false, CompareFace}},
      {"DetectFace", {false, DetectFace}},
      {"DetectFaceAttributes", {false, DetectFaceAttributes}},
      {"DetectLiveFace", {false, DetectLiveFace}},
      {"DetectLiveFaceAccurate", {false, DetectLiveFaceAccurate}},
      {"AnalyzeFace", {false, AnalyzeFace}},
      {"AnalyzeDenseLandmarks", {false, AnalyzeDenseLandmarks}},
      {"CompareMaskFace", {false, CompareMaskFace}},
      {"DetectFaceSimilarity", {false, DetectFaceSimilarity}},
      {"UpgradeGroupFaceModelVersion", {true, UpgradeGroupFaceModelVersion}},
      {"RevertGroupFaceModelVersion", {true, RevertGroupFaceModelVersion}},
      {"GetUpgradeGroupFaceModelVersionJobList", {false, GetUpgradeGroupFaceModelVersionJobList}},
      {"GetUpgradeGroupFaceModelVersionResult", {false, GetUpgradeGroupFaceModelVersionResult}},
  };
  return table;
}

}  // namespace

ApiResult<ApiKey> CloudApi::Impl::Authenticate(const HttpRequest& req, const CloudRequest& cloud,
                                               const ActionSchema& schema, ApiVersion version) {
  if (IsV1(cloud.form)) return policy->AuthenticateV1(cloud.v1);
  Tc3Headers h;
  h.authorization = std::string(req.Header("authorization"));
  h.content_type = std::string(req.Header("content-type"));
  h.host = std::string(req.Header("host"));
  h.timestamp = std::string(req.Header("x-tc-timestamp"));
  h.content_sha256 = std::string(req.Header("x-tc-content-sha256"));
  Tc3RequestLine line;
  line.method = req.method;
  line.canonical_uri = std::string(req.Path());
  line.canonical_query = std::string(req.Query());
  auto key = policy->Authenticate(h, req.body, cloud.action, line);
  if (cloud.form != CloudRequestForm::kTc3Multipart || key.ok() || key.error().code != "AuthFailure.SignatureFailure") {
    return key;
  }
  // The Node SDK hashes a multipart body without its number parts (common/sign.js).
  const std::string digest = NodeMultipartDigest(
      cloud, MultipartBoundary(h.content_type), [&](const FlatParam& p) { return IsNumberParam(p, schema, version); });
  return policy->AuthenticateDigest(h, digest, cloud.action, line);
}

HttpResponse CloudApi::Impl::Handle(const HttpRequest& req) {
  const std::string request_id = options.request_id();
  std::string language(req.Header("x-tc-language"));
  std::string action;
  const auto started = req.received;

  auto finish = [&](ApiResult<json> result) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string metric_action = ActionTable().count(action) ? action : "unknown";
    if (metrics) metrics->Observe("cloud", metric_action, result.ok() ? "OK" : result.error().code, seconds);
    if (language != "zh-CN" && language != "en-US") language = options.default_language;
    if (!result.ok()) return ErrorEnvelope(result.error(), language, request_id);
    HttpResponse ok = Envelope(std::move(result.value()), request_id);
    // Read-your-writes: the change-log position this answer reflects.
    if (const std::int64_t position = service.ChangePosition(); position > 0) {
      ok.headers.emplace_back(kChangePositionHeader, std::to_string(position));
    }
    return ok;
  };

  auto decoded = DecodeCloudRequest(req, {options.max_v1_body_bytes});
  if (!decoded.ok()) return finish(decoded.error());
  const CloudRequest& cloud = decoded.value();
  language = cloud.language;
  action = cloud.action;
  const auto& table = ActionTable();
  const auto spec = table.find(action);
  const ActionSchema* schema = FindActionSchema(action);
  if (spec == table.end() || !schema) return finish(Err("InvalidAction", "the action " + action + " does not exist"));
  const auto version = ParseApiVersion(cloud.version);
  if (!version) {
    return finish(Err("NoSuchVersion", "the version " + cloud.version + " does not exist; use 2020-03-03 or 2018-03-01"));
  }
  if (!schema->InVersion(*version)) {
    return finish(Err("InvalidAction", "the action " + action + " does not exist in version " + cloud.version +
                                           " (it is a 2020-03-03 action)"));
  }
  auto key = Authenticate(req, cloud, *schema, *version);
  if (!key.ok()) return finish(key.error());
  if (auto e = policy->Authorise(key.value(), action, spec->second.write)) return finish(*e);
  const auto params = BuildParamTree(cloud, *schema, *version);
  if (!params.ok()) return finish(params.error());
  Call call{*this, key.value(), CloudParams(params.value()), action};
  if (auto e = ReachRequestedPosition(service, req.Header(kMinChangePositionHeader), std::nullopt, &call.min_seq)) {
    return finish(*e);
  }
  return finish(spec->second.handler(call));
}

AccessPolicyOptions PolicyOptions(const CloudApiOptions& options) {
  AccessPolicyOptions p;
  p.max_clock_skew_s = options.max_clock_skew_s;
  p.reject_signatures_of_other_actions = options.reject_signatures_of_other_actions;
  p.default_rate_limit = options.default_rate_limit;
  p.now_s = options.now_s;
  p.steady_ms = options.steady_ms;
  return p;
}

CloudApi::CloudApi(service::FaceService& service, KeyDirectory& keys, UrlFetch fetch, Metrics* metrics,
                   CloudApiOptions options)
    : CloudApi(service, std::make_shared<AccessPolicy>(keys, PolicyOptions(options)), std::move(fetch), metrics,
               options) {}  // `options` copied, not moved: PolicyOptions reads it in the same call

CloudApi::CloudApi(service::FaceService& service, std::shared_ptr<AccessPolicy> policy, UrlFetch fetch,
                   Metrics* metrics, CloudApiOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(policy), std::move(fetch), metrics, std::move(options))) {}

CloudApi::~CloudApi() = default;

HttpResponse CloudApi::Handle(const HttpRequest& request) { return impl_->Handle(request); }

HttpResponse CloudApi::Refusal(std::string_view code, const std::string& message, std::string_view language) {
  const std::string lang = language == "zh-CN" || language == "en-US" ? std::string(language)
                                                                        : impl_->options.default_language;
  return impl_->ErrorEnvelope(Err(std::string(code), message), lang, impl_->options.request_id());
}

std::vector<std::pair<std::string, bool>> CloudApi::Actions() {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& [name, spec] : ActionTable()) out.emplace_back(name, spec.write);
  return out;
}

}  // namespace facekit::server
