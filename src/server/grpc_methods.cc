#include "server/grpc_methods.h"

#include <google/protobuf/empty.pb.h>

#include <algorithm>

#include "facekit/face_choice.h"
#include "facekit/v1/facekit.pb.h"

namespace facekit::server {

namespace v1 = ::facekit::v1;
using google::protobuf::Empty;
using google::protobuf::Message;
using service::ApiError;
using service::ApiResult;
using Outcome = std::optional<ApiError>;

service::ApiResult<std::vector<std::uint8_t>> GrpcCall::Image(const std::string& bytes, const std::string& url,
                                                             std::string_view field) const {
  if (!url.empty()) return DownloadImage(fetch, url);
  if (bytes.empty()) {
    return ApiError{"InvalidParameterValue.ImageEmpty",
                    "give the image as " + std::string(field) + " (the bytes of a JPEG, PNG, BMP or WebP file) or as a url"};
  }
  if (bytes.size() > max_image_bytes) {
    return ApiError{"FailedOperation.ImageSizeExceed", std::string(field) + " is " + std::to_string(bytes.size()) +
                                                           " bytes, more than the limit of " +
                                                           std::to_string(max_image_bytes)};
  }
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

namespace {

Outcome Missing(const char* field) {
  return ApiError{"MissingParameter", std::string("the field ") + field + " is required"};
}

template <typename Int>
std::int32_t I32(Int v) {
  return static_cast<std::int32_t>(v);
}

// 0 = the cloud API's default.
std::int64_t Or(std::int64_t v, std::int64_t fallback) { return v == 0 ? fallback : v; }

void SetRect(const service::Rect& r, v1::Rect* out) {
  out->set_x(r.x);
  out->set_y(r.y);
  out->set_width(r.width);
  out->set_height(r.height);
}

void SetGroup(const service::GroupInfo& g, v1::Group* out) {
  out->set_group_id(g.group_id);
  out->set_group_name(g.group_name);
  out->set_tag(g.tag);
  for (const auto& d : g.group_ex_descriptions) out->add_ex_descriptions(d);
  out->set_face_model_version(g.face_model_version);
  out->set_creation_timestamp(g.creation_timestamp);
}

std::vector<service::ExDescription> ExDescriptions(const google::protobuf::RepeatedPtrField<v1::ExDescription>& in) {
  std::vector<service::ExDescription> out;
  for (const auto& d : in) out.push_back({d.index(), d.description()});
  return out;
}

// A face_choice field; the cloud API's largest face when empty.
ApiResult<FaceChoice> Choice(const std::string& text) {
  auto parsed = ParseFaceChoice(text);
  if (!parsed.ok()) return ApiError{"InvalidParameterValue.FaceChoiceIllegal", parsed.status().message()};
  return *parsed;
}

// ---------------------------------------------------------------- groups

Outcome CreateGroup(GrpcCall& c, const v1::CreateGroupRequest& q, v1::Group* out) {
  if (q.group_id().empty()) return Missing("group_id");
  if (q.group_name().empty()) return Missing("group_name");
  service::CreateGroupRequest r;
  r.group_id = q.group_id();
  r.group_name = q.group_name();
  r.tag = q.tag();
  r.face_model_version = q.face_model_version();
  r.group_ex_descriptions.assign(q.ex_descriptions().begin(), q.ex_descriptions().end());
  if (auto e = c.scope.CheckGroups({r.group_id})) return e;
  auto created = c.service.CreateGroup(r);
  if (!created.ok()) return created.error();
  auto info = c.service.GetGroupInfo(r.group_id);
  if (info.ok()) {
    SetGroup(info.value(), out);
  } else {  // deleted again in between: answer with what was created
    service::GroupInfo g{r.group_id, r.group_name, r.tag, created->face_model_version, r.group_ex_descriptions, 0};
    SetGroup(g, out);
  }
  return std::nullopt;
}

Outcome DeleteGroup(GrpcCall& c, const v1::DeleteGroupRequest& q, Empty*) {
  if (q.group_id().empty()) return Missing("group_id");
  if (auto e = c.scope.CheckGroups({q.group_id()})) return e;
  auto out = c.service.DeleteGroup(q.group_id());
  if (!out.ok()) return out.error();
  return std::nullopt;
}

Outcome ListGroups(GrpcCall& c, const v1::ListGroupsRequest& q, v1::ListGroupsResponse* out) {
  auto got = c.service.GetGroupList(q.offset(), Or(q.limit(), 10), c.scope.Filter());
  if (!got.ok()) return got.error();
  for (const auto& g : got->group_infos) SetGroup(g, out->add_groups());
  out->set_group_num(I32(got->group_num));
  return std::nullopt;
}

Outcome GetGroup(GrpcCall& c, const v1::GetGroupRequest& q, v1::Group* out) {
  if (q.group_id().empty()) return Missing("group_id");
  if (auto e = c.scope.CheckGroups({q.group_id()})) return e;
  auto got = c.service.GetGroupInfo(q.group_id());
  if (!got.ok()) return got.error();
  SetGroup(got.value(), out);
  return std::nullopt;
}

Outcome UpdateGroup(GrpcCall& c, const v1::UpdateGroupRequest& q, Empty*) {
  if (q.group_id().empty()) return Missing("group_id");
  service::ModifyGroupRequest r;
  r.group_id = q.group_id();
  if (q.has_group_name()) r.group_name = q.group_name();
  if (q.has_tag()) r.tag = q.tag();
  for (const auto& d : q.ex_descriptions()) r.group_ex_descriptions_infos.emplace_back(d.index(), d.description());
  if (auto e = c.scope.CheckGroups({r.group_id})) return e;
  auto out = c.service.ModifyGroup(r);
  if (!out.ok()) return out.error();
  return std::nullopt;
}

// ---------------------------------------------------------------- persons

Outcome CreatePerson(GrpcCall& c, const v1::CreatePersonRequest& q, v1::CreatePersonResponse* out) {
  if (q.group_id().empty()) return Missing("group_id");
  if (q.person_id().empty()) return Missing("person_id");
  if (q.person_name().empty()) return Missing("person_name");
  service::CreatePersonRequest r;
  r.group_id = q.group_id();
  r.person_id = q.person_id();
  r.person_name = q.person_name();
  r.gender = q.gender();
  r.person_ex_descriptions = ExDescriptions(q.ex_descriptions());
  r.unique_person_control = q.unique_person_control();
  r.quality_control = q.quality_control();
  r.source = q.source();
  auto choice = Choice(q.face_choice());
  if (!choice.ok()) return choice.error();
  r.face_choice = choice.value();
  if (auto e = c.scope.CheckGroups({r.group_id})) return e;
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto got = c.service.CreatePerson(r);
  if (!got.ok()) return got.error();
  out->set_faces_in_photo(got->faces_in_photo);
  if (got->similar_person_id.empty()) {
    out->set_face_id(got->face_id);
    SetRect(got->face_rect, out->mutable_face_rect());
  } else {
    out->set_similar_person_id(got->similar_person_id);
  }
  out->set_face_model_version(got->face_model_version);
  return std::nullopt;
}

Outcome DeletePerson(GrpcCall& c, const v1::DeletePersonRequest& q, Empty*) {
  if (q.person_id().empty()) return Missing("person_id");
  if (auto e = c.scope.CheckPerson(q.person_id(), true)) return e;
  auto out = c.service.DeletePerson(q.person_id());
  if (!out.ok()) return out.error();
  return std::nullopt;
}

Outcome RemovePersonFromGroup(GrpcCall& c, const v1::RemovePersonFromGroupRequest& q, Empty*) {
  if (q.group_id().empty()) return Missing("group_id");
  if (q.person_id().empty()) return Missing("person_id");
  if (auto e = c.scope.CheckGroups({q.group_id()})) return e;
  if (auto e = c.scope.CheckPerson(q.person_id(), false)) return e;
  auto out = c.service.DeletePersonFromGroup(q.person_id(), q.group_id());
  if (!out.ok()) return out.error();
  return std::nullopt;
}

Outcome ListPersons(GrpcCall& c, const v1::ListPersonsRequest& q, v1::ListPersonsResponse* out) {
  if (q.group_id().empty()) return Missing("group_id");
  if (auto e = c.scope.CheckGroups({q.group_id()})) return e;
  auto got = c.service.GetPersonList(q.group_id(), q.offset(), Or(q.limit(), 10));
  if (!got.ok()) return got.error();
  for (const auto& p : got->person_infos) {
    auto* person = out->add_persons();
    person->set_person_id(p.person_id);
    person->set_person_name(p.person_name);
    person->set_gender(p.gender);
    for (const auto& f : p.face_ids) person->add_face_ids(f);
    for (const auto& d : p.person_ex_descriptions) person->add_ex_descriptions(d);
    person->set_creation_timestamp(p.creation_timestamp);
  }
  out->set_person_num(I32(got->person_num));
  out->set_face_num(I32(got->face_num));
  out->set_face_model_version(got->face_model_version);
  return std::nullopt;
}

Outcome CountPersons(GrpcCall& c, const v1::CountPersonsRequest& q, v1::CountPersonsResponse* out) {
  if (q.group_id().empty()) return Missing("group_id");
  if (auto e = c.scope.CheckGroups({q.group_id()})) return e;
  auto got = c.service.GetPersonListNum(q.group_id());
  if (!got.ok()) return got.error();
  out->set_person_num(I32(got->person_num));
  out->set_face_num(I32(got->face_num));
  return std::nullopt;
}

Outcome GetPerson(GrpcCall& c, const v1::GetPersonRequest& q, v1::Person* out) {
  if (q.person_id().empty()) return Missing("person_id");
  if (auto e = c.scope.CheckPerson(q.person_id(), false)) return e;
  auto got = c.service.GetPersonBaseInfo(q.person_id());
  if (!got.ok()) return got.error();
  out->set_person_id(q.person_id());
  out->set_person_name(got->person_name);
  out->set_gender(got->gender);
  for (const auto& f : got->face_ids) out->add_face_ids(f);
  for (const auto& s : got->face_sources) out->add_face_sources(s);
  return std::nullopt;
}

// The face's person is looked up first so that the key's scope applies as
// for reading the person; a face outside it does not exist for the key.
Outcome GetFaceCrop(GrpcCall& c, const v1::GetFaceCropRequest& q, v1::HttpBody* out) {
  if (q.face_id().empty()) return Missing("face_id");
  auto person = c.service.FacePerson(q.face_id());
  if (!person.ok()) return person.error();
  if (c.scope.CheckPerson(person.value(), false)) {
    return ApiError{"InvalidParameterValue.FaceIdNotExist", "FaceId " + q.face_id() + " does not exist"};
  }
  auto jpeg = c.service.GetFaceCrop(q.face_id());
  if (!jpeg.ok()) return jpeg.error();
  out->set_content_type("image/jpeg");
  out->set_data(std::string(jpeg->begin(), jpeg->end()));
  return std::nullopt;
}

Outcome ListPersonGroups(GrpcCall& c, const v1::ListPersonGroupsRequest& q, v1::ListPersonGroupsResponse* out) {
  if (q.person_id().empty()) return Missing("person_id");
  if (auto e = c.scope.CheckPerson(q.person_id(), false)) return e;
  auto got = c.service.GetPersonGroupInfo(q.person_id(), q.offset(), Or(q.limit(), 10), c.scope.Filter());
  if (!got.ok()) return got.error();
  for (const auto& g : got->person_group_infos) {
    auto* info = out->add_groups();
    info->set_group_id(g.group_id);
    for (const auto& d : g.person_ex_descriptions) info->add_ex_descriptions(d);
  }
  out->set_group_num(I32(got->group_num));
  out->set_face_model_version(got->face_model_version);
  return std::nullopt;
}

Outcome UpdatePerson(GrpcCall& c, const v1::UpdatePersonRequest& q, Empty*) {
  if (q.person_id().empty()) return Missing("person_id");
  service::ModifyPersonBaseInfoRequest r;
  r.person_id = q.person_id();
  if (q.has_person_name()) r.person_name = q.person_name();
  if (q.has_gender()) r.gender = q.gender();
  if (auto e = c.scope.CheckPerson(r.person_id, true)) return e;
  auto out = c.service.ModifyPersonBaseInfo(r);
  if (!out.ok()) return out.error();
  return std::nullopt;
}

Outcome UpdatePersonGroupInfo(GrpcCall& c, const v1::UpdatePersonGroupInfoRequest& q, Empty*) {
  if (q.group_id().empty()) return Missing("group_id");
  if (q.person_id().empty()) return Missing("person_id");
  if (q.ex_descriptions().empty()) return Missing("ex_descriptions");
  service::ModifyPersonGroupInfoRequest r;
  r.group_id = q.group_id();
  r.person_id = q.person_id();
  r.person_ex_descriptions = ExDescriptions(q.ex_descriptions());
  if (auto e = c.scope.CheckGroups({r.group_id})) return e;
  if (auto e = c.scope.CheckPerson(r.person_id, false)) return e;
  auto out = c.service.ModifyPersonGroupInfo(r);
  if (!out.ok()) return out.error();
  return std::nullopt;
}

Outcome CopyPerson(GrpcCall& c, const v1::CopyPersonRequest& q, v1::CopyPersonResponse* out) {
  if (q.person_id().empty()) return Missing("person_id");
  if (q.group_ids().empty()) return Missing("group_ids");
  const std::vector<std::string> groups(q.group_ids().begin(), q.group_ids().end());
  if (auto e = c.scope.CheckGroups(groups)) return e;
  if (auto e = c.scope.CheckPerson(q.person_id(), false)) return e;
  auto got = c.service.CopyPerson(q.person_id(), groups);
  if (!got.ok()) return got.error();
  out->set_suc_group_num(I32(got->suc_group_num));
  for (const auto& g : got->suc_group_ids) out->add_suc_group_ids(g);
  return std::nullopt;
}

// ---------------------------------------------------------------- faces

Outcome CreateFaces(GrpcCall& c, const v1::CreateFacesRequest& q, v1::CreateFacesResponse* out) {
  if (q.person_id().empty()) return Missing("person_id");
  service::CreateFaceRequest r;
  r.person_id = q.person_id();
  r.face_match_threshold = q.has_face_match_threshold() ? q.face_match_threshold() : 60.0F;
  r.quality_control = q.quality_control();
  auto choice = Choice(q.face_choice());
  if (!choice.ok()) return choice.error();
  r.face_choice = choice.value();
  r.sources.assign(q.sources().begin(), q.sources().end());
  if (auto e = c.scope.CheckPerson(r.person_id, true)) return e;
  // Urls win over images, as for single images.
  const bool use_urls = !q.urls().empty();
  const int inputs = use_urls ? q.urls_size() : q.images_size();
  if (inputs == 0) return ApiError{"InvalidParameterValue.ImageEmpty", "give the images as images or urls"};
  const std::size_t max = c.service.options().max_images_per_call;
  if (static_cast<std::size_t>(inputs) > max) {
    return ApiError{"InvalidParameterValue.UploadFaceNumExceed", "at most " + std::to_string(max) + " images per call"};
  }
  // An input that cannot be read becomes an image that cannot be decoded:
  // it gets ret code -1102 while the others are still added.
  for (int i = 0; i < inputs; ++i) {
    auto bytes = use_urls ? c.Image({}, q.urls(i), "urls") : c.Image(q.images(i), {}, "images");
    if (!bytes.ok() && bytes.error().code == "InvalidParameterValue.UrlIllegal") return bytes.error();
    r.images.push_back(bytes.ok() ? std::move(bytes.value()) : std::vector<std::uint8_t>{});
  }
  auto got = c.service.CreateFace(r);
  if (!got.ok()) return got.error();
  out->set_suc_face_num(I32(got->suc_face_num));
  for (const auto& f : got->suc_face_ids) out->add_suc_face_ids(f);
  for (int code : got->ret_code) out->add_ret_codes(code);
  for (std::size_t i : got->suc_indexes) out->add_suc_indexes(I32(i));
  for (const auto& rect : got->suc_face_rects) SetRect(rect, out->add_suc_face_rects());
  for (int n : got->faces_in_photo) out->add_faces_in_photo(n);
  out->set_face_model_version(got->face_model_version);
  return std::nullopt;
}

Outcome DeleteFaces(GrpcCall& c, const v1::DeleteFacesRequest& q, v1::DeleteFacesResponse* out) {
  if (q.person_id().empty()) return Missing("person_id");
  if (q.face_ids().empty()) return Missing("face_ids");
  if (auto e = c.scope.CheckPerson(q.person_id(), true)) return e;
  auto got = c.service.DeleteFace(q.person_id(), {q.face_ids().begin(), q.face_ids().end()});
  if (!got.ok()) return got.error();
  out->set_suc_deleted_num(I32(got->suc_deleted_num));
  for (const auto& f : got->suc_face_ids) out->add_suc_face_ids(f);
  return std::nullopt;
}

// ---------------------------------------------------------------- search and verification

void SetCandidate(const GrpcCall& c, const service::Candidate& in, v1::Candidate* out) {
  out->set_person_id(in.person_id);
  out->set_face_id(in.face_id);
  out->set_score(in.score);
  out->set_similarity(in.similarity);
  out->set_group_id(in.group_id);
  if (in.person_name) out->set_person_name(*in.person_name);
  if (in.gender) out->set_gender(*in.gender);
  // A person's other groups are only shown when the key may see them.
  for (const auto& g : in.person_group_infos) {
    if (!c.scope.Visible(g.group_id)) continue;
    auto* info = out->add_person_groups();
    info->set_group_id(g.group_id);
    for (const auto& d : g.person_ex_descriptions) info->add_ex_descriptions(d);
  }
}

Outcome Search(GrpcCall& c, const v1::SearchRequest& q, v1::SearchResponse* out, bool persons) {
  if (q.group_ids().empty()) return Missing("group_ids");
  service::SearchRequest r;
  r.group_ids.assign(q.group_ids().begin(), q.group_ids().end());
  r.max_face_num = static_cast<int>(Or(q.max_face_num(), 1));
  r.min_face_size = static_cast<int>(Or(q.min_face_size(), 34));
  r.max_person_num = static_cast<int>(Or(q.max_person_num(), 5));
  r.need_person_info = q.need_person_info();
  r.face_match_threshold = q.face_match_threshold();
  r.quality_control = q.quality_control();
  r.allow_partial = q.allow_partial();
  r.deadline = c.deadline;
  r.min_seq = c.min_seq;
  auto choice = Choice(q.face_choice());
  if (!choice.ok()) return choice.error();
  r.face_choice = choice.value();
  if (auto e = c.scope.CheckGroups(r.group_ids)) return e;
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto got = persons ? c.service.SearchPersons(r, q.by_group()) : c.service.SearchFaces(r, q.by_group());
  if (!got.ok()) return got.error();
  for (const auto& res : got->results) {
    auto* result = out->add_results();
    SetRect(res.face_rect, result->mutable_face_rect());
    result->set_ret_code(res.ret_code);
    for (const auto& cand : res.candidates) SetCandidate(c, cand, result->add_candidates());
    for (const auto& g : res.by_group) {
      auto* group = result->add_group_candidates();
      group->set_group_id(g.group_id);
      for (const auto& cand : g.candidates) SetCandidate(c, cand, group->add_candidates());
    }
  }
  out->set_face_num(I32(got->face_num));
  out->set_person_num(I32(got->person_num));
  out->set_face_model_version(got->face_model_version);
  out->set_faces_in_photo(I32(got->faces_in_photo));
  for (const auto& m : got->missing_shards) out->add_missing_shards(m);
  return std::nullopt;
}

Outcome SearchFaces(GrpcCall& c, const v1::SearchRequest& q, v1::SearchResponse* out) {
  return Search(c, q, out, false);
}
Outcome SearchPersons(GrpcCall& c, const v1::SearchRequest& q, v1::SearchResponse* out) {
  return Search(c, q, out, true);
}

Outcome Verify(GrpcCall& c, const v1::VerifyRequest& q, v1::VerifyResponse* out, bool person) {
  if (q.person_id().empty()) return Missing("person_id");
  if (auto e = c.scope.CheckPerson(q.person_id(), false)) return e;
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  auto got = person ? c.service.VerifyPerson(q.person_id(), image.value())
                    : c.service.VerifyFace(q.person_id(), image.value());
  if (!got.ok()) return got.error();
  out->set_score(got->score);
  out->set_is_match(got->is_match);
  out->set_face_model_version(got->face_model_version);
  out->set_match_score(got->match_score);
  return std::nullopt;
}
Outcome VerifyFace(GrpcCall& c, const v1::VerifyRequest& q, v1::VerifyResponse* out) { return Verify(c, q, out, false); }
Outcome VerifyPerson(GrpcCall& c, const v1::VerifyRequest& q, v1::VerifyResponse* out) {
  return Verify(c, q, out, true);
}

Outcome CompareFaces(GrpcCall& c, const v1::CompareFacesRequest& q, v1::CompareFacesResponse* out) {
  auto a = c.Image(q.image_a(), q.url_a(), "image_a");
  if (!a.ok()) return a.error();
  auto b = c.Image(q.image_b(), q.url_b(), "image_b");
  if (!b.ok()) return b.error();
  auto got = c.service.CompareFace(a.value(), b.value());
  if (!got.ok()) return got.error();
  out->set_score(got->score);
  out->set_similarity(got->similarity);
  out->set_face_model_version(got->face_model_version);
  out->set_is_match(got->is_match);
  out->set_match_score(got->match_score);
  return std::nullopt;
}

Outcome AnalyzeFace(GrpcCall& c, const v1::AnalyzeFaceRequest& q, v1::AnalyzeFaceResponse* out) {
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  service::AnalyzeFaceRequest r;
  r.image = std::move(image.value());
  r.mode = q.mode();
  r.dense = q.dense();
  auto got = c.service.AnalyzeFace(r);
  if (!got.ok()) return got.error();
  out->set_image_width(got->image_width);
  out->set_image_height(got->image_height);
  out->set_face_model_version(got->face_model_version);
  for (const auto& f : got->faces) {
    auto* face = out->add_faces();
    SetRect(f.rect, face->mutable_rect());
    face->set_mesh_confidence(f.mesh_confidence);
    for (const ShapeGroup& g : f.groups) {
      auto* group = face->add_groups();
      group->set_name(std::string(g.name));
      for (const Point2f& p : g.points) {
        auto* point = group->add_points();
        point->set_x(p.x);
        point->set_y(p.y);
      }
    }
  }
  return std::nullopt;
}

Outcome CompareMaskFaces(GrpcCall& c, const v1::CompareMaskFacesRequest& q, v1::CompareFacesResponse* out) {
  auto a = c.Image(q.image_a(), q.url_a(), "image_a");
  if (!a.ok()) return a.error();
  auto b = c.Image(q.image_b(), q.url_b(), "image_b");
  if (!b.ok()) return b.error();
  auto got = c.service.CompareMaskFace(a.value(), b.value(), q.quality_control());
  if (!got.ok()) return got.error();
  out->set_score(got->score);
  out->set_similarity(got->similarity);
  out->set_face_model_version(got->face_model_version);
  out->set_is_match(got->is_match);
  out->set_match_score(got->match_score);
  return std::nullopt;
}

Outcome DetectFaceSimilarity(GrpcCall& c, const v1::DetectFaceSimilarityRequest& q,
                             v1::DetectFaceSimilarityResponse* out) {
  auto a = c.Image(q.image_a(), q.url_a(), "image_a");
  if (!a.ok()) return a.error();
  auto b = c.Image(q.image_b(), q.url_b(), "image_b");
  if (!b.ok()) return b.error();
  auto got = c.service.DetectFaceSimilarity(a.value(), b.value(), q.quality_control());
  if (!got.ok()) return got.error();
  out->set_score(got->score);
  out->set_compare_score(got->compare_score);
  out->set_similarity(got->similarity);
  out->set_is_match(got->score >= service::kSimilarityMatchScore);
  return std::nullopt;
}

// need_quality_detection, or its deprecated alias need_quality.
bool NeedQuality(const v1::DetectFacesRequest& q) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return q.need_quality_detection() || q.need_quality();
#pragma GCC diagnostic pop
}

Outcome DetectFaces(GrpcCall& c, const v1::DetectFacesRequest& q, v1::DetectFacesResponse* out) {
  service::DetectFaceRequest r;
  r.max_face_num = static_cast<int>(Or(q.max_face_num(), 1));
  r.min_face_size = static_cast<int>(Or(q.min_face_size(), 34));
  r.need_quality = NeedQuality(q);
  r.need_face_attributes = q.need_face_attributes();
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  r.image = std::move(image.value());
  auto got = c.service.DetectFace(r);
  if (!got.ok()) return got.error();
  out->set_image_width(got->image_width);
  out->set_image_height(got->image_height);
  for (const auto& f : got->face_infos) {
    auto* face = out->add_faces();
    SetRect(f.rect, face->mutable_rect());
    face->set_yaw(f.yaw);
    face->set_pitch(f.pitch);
    face->set_roll(f.roll);
    for (const auto& p : f.landmarks) {
      auto* point = face->add_landmarks();
      point->set_x(p.x);
      point->set_y(p.y);
    }
    if (f.attributes) {
      auto* attributes = face->mutable_attributes();
      attributes->set_yaw(f.attributes->yaw);
      attributes->set_pitch(f.attributes->pitch);
      attributes->set_roll(f.attributes->roll);
      if (f.attributes->age) attributes->set_age(*f.attributes->age);
      if (f.attributes->male_probability) attributes->set_male_probability(*f.attributes->male_probability);
      for (const auto& e : f.attributes->expression) {
        auto* score = attributes->add_expression();
        score->set_label(e.label);
        score->set_probability(e.probability);
      }
      if (f.attributes->eye_openness) attributes->set_eye_openness(*f.attributes->eye_openness);
      if (f.attributes->eyes_open) attributes->set_eyes_open(*f.attributes->eyes_open);
    }
    if (f.quality) {
      auto* quality = face->mutable_quality();
      quality->set_score(f.quality->score);
      quality->set_sharpness(f.quality->sharpness);
      quality->set_brightness(f.quality->brightness);
      quality->set_level(f.quality->level);
    }
  }
  out->set_face_model_version(got->face_model_version);
  return std::nullopt;
}

Outcome DetectLiveness(GrpcCall& c, const v1::DetectLivenessRequest& q, v1::DetectLivenessResponse* out) {
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  auto got = c.service.DetectLiveFace(image.value());
  if (!got.ok()) return got.error();
  out->set_score(got->score);
  out->set_is_live(got->is_liveness);
  out->set_face_model_version(got->face_model_version);
  out->set_reason(got->reason);
  return std::nullopt;
}

Outcome DetectObjects(GrpcCall& c, const v1::DetectObjectsRequest& q, v1::DetectObjectsResponse* out) {
  auto image = c.Image(q.image(), q.url(), "image");
  if (!image.ok()) return image.error();
  service::DetectObjectsRequest r;
  r.image = std::move(image.value());
  r.classes.assign(q.classes().begin(), q.classes().end());
  r.min_score = q.min_score();
  r.max_objects = q.max_objects();
  auto got = c.service.DetectObjects(r);
  if (!got.ok()) return got.error();
  out->set_image_width(got->image_width);
  out->set_image_height(got->image_height);
  for (const auto& o : got->objects) {
    auto* d = out->add_objects();
    SetRect(o.rect, d->mutable_rect());
    d->set_score(o.score);
    d->set_class_id(o.class_id);
    d->set_label(o.label);
  }
  out->set_model_version(got->model_version);
  return std::nullopt;
}

// ---------------------------------------------------------------- the table

template <typename Req, typename Resp>
GrpcMethod Method(const char* name, bool write, std::function<std::string(const Req&)> action,
                  Outcome (*fn)(GrpcCall&, const Req&, Resp*)) {
  GrpcMethod m;
  m.name = name;
  m.write = write;
  m.action = [action = std::move(action)](const Message& request) {
    return action(static_cast<const Req&>(request));
  };
  m.run = [fn](GrpcCall& call, const Message& request, Message* response) {
    return fn(call, static_cast<const Req&>(request), static_cast<Resp*>(response));
  };
  return m;
}

template <typename Req, typename Resp>
GrpcMethod Method(const char* name, bool write, const char* action, Outcome (*fn)(GrpcCall&, const Req&, Resp*)) {
  return Method<Req, Resp>(name, write, [a = std::string(action)](const Req&) { return a; }, fn);
}

std::string SearchAction(const v1::SearchRequest& q, bool persons) {
  std::string action = persons ? "SearchPersons" : "SearchFaces";
  return q.by_group() ? action + "ReturnsByGroup" : action;
}

}  // namespace

const std::vector<GrpcMethod>& FaceKitMethods() {
  static const std::vector<GrpcMethod> methods = {
      Method("CreateGroup", true, "CreateGroup", CreateGroup),
      Method("DeleteGroup", true, "DeleteGroup", DeleteGroup),
      Method("ListGroups", false, "GetGroupList", ListGroups),
      Method("GetGroup", false, "GetGroupInfo", GetGroup),
      Method("UpdateGroup", true, "ModifyGroup", UpdateGroup),
      Method("CreatePerson", true, "CreatePerson", CreatePerson),
      Method("DeletePerson", true, "DeletePerson", DeletePerson),
      Method("RemovePersonFromGroup", true, "DeletePersonFromGroup", RemovePersonFromGroup),
      Method("ListPersons", false, "GetPersonList", ListPersons),
      Method("CountPersons", false, "GetPersonListNum", CountPersons),
      Method("GetPerson", false, "GetPersonBaseInfo", GetPerson),
      Method("ListPersonGroups", false, "GetPersonGroupInfo", ListPersonGroups),
      Method("UpdatePerson", true, "ModifyPersonBaseInfo", UpdatePerson),
      Method("UpdatePersonGroupInfo", true, "ModifyPersonGroupInfo", UpdatePersonGroupInfo),
      Method("CopyPerson", true, "CopyPerson", CopyPerson),
      Method("CreateFaces", true, "CreateFace", CreateFaces),
      Method("DeleteFaces", true, "DeleteFace", DeleteFaces),
      Method("GetFaceCrop", false, "GetPersonBaseInfo", GetFaceCrop),
      Method<v1::SearchRequest, v1::SearchResponse>(
          "SearchFaces", false, [](const v1::SearchRequest& q) { return SearchAction(q, false); }, SearchFaces),
      Method<v1::SearchRequest, v1::SearchResponse>(
          "SearchPersons", false, [](const v1::SearchRequest& q) { return SearchAction(q, true); }, SearchPersons),
      Method("VerifyFace", false, "VerifyFace", VerifyFace),
      Method("VerifyPerson", false, "VerifyPerson", VerifyPerson),
      Method("CompareFaces", false, "CompareFace", CompareFaces),
      Method("DetectFaces", false, "DetectFace", DetectFaces),
      Method("DetectLiveness", false, "DetectLiveFace", DetectLiveness),
      Method<v1::AnalyzeFaceRequest, v1::AnalyzeFaceResponse>(
          "AnalyzeFace", false,
          [](const v1::AnalyzeFaceRequest& q) { return std::string(q.dense() ? "AnalyzeDenseLandmarks" : "AnalyzeFace"); },
          AnalyzeFace),
      Method("CompareMaskFaces", false, "CompareMaskFace", CompareMaskFaces),
      Method("DetectFaceSimilarity", false, "DetectFaceSimilarity", DetectFaceSimilarity),
      Method("DetectObjects", false, "DetectObjects", DetectObjects),
  };
  static const std::vector<GrpcMethod> all = [] {
    std::vector<GrpcMethod> v = methods;
    for (auto& m : KeyMethods()) v.push_back(std::move(m));
    for (auto& m : EventMethods()) v.push_back(std::move(m));
    return v;
  }();
  return all;
}

}  // namespace facekit::server
