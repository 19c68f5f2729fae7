#include "cli/gallery_backend.h"

#include <cstdio>

#include "cli/api_client.h"
#include "common/base64.h"
#include "service/open_service.h"
#include "store/data_folder_lock.h"

namespace facekit::cli {

namespace {

using nlohmann::json;
using service::ApiError;
template <typename T>
using R = service::ApiResult<T>;

// ---------------------------------------------------------------- local

class LocalBackend final : public GalleryBackend {
 public:
  LocalBackend(std::unique_ptr<store::DataFolderLock> lock, std::unique_ptr<service::FaceService> svc,
               std::string description)
      : lock_(std::move(lock)), svc_(std::move(svc)), description_(std::move(description)) {}

  R<service::CreateGroupResponse> CreateGroup(const service::CreateGroupRequest& r) override {
    return svc_->CreateGroup(r);
  }
  R<service::GroupInfo> GetGroupInfo(const std::string& id) override { return svc_->GetGroupInfo(id); }
  R<service::GetGroupListResponse> GetGroupList(std::int64_t offset, std::int64_t limit) override {
    return svc_->GetGroupList(offset, limit);
  }
  R<service::GetPersonListResponse> GetPersonList(const std::string& g, std::int64_t offset,
                                                  std::int64_t limit) override {
    return svc_->GetPersonList(g, offset, limit);
  }
  R<service::GetPersonListResponse> GetPersonListNum(const std::string& g) override {
    return svc_->GetPersonListNum(g);
  }
  R<std::optional<EnrolState>> PersonState(const std::string& person_id, const std::string& group_id) override {
    return svc_->gallery().Read([&](const gallery::Catalog& c) -> std::optional<EnrolState> {
      const gallery::PersonState* p = c.PersonById(person_id);
      if (!p) return std::nullopt;
      EnrolState s;
      const gallery::GroupState* grp = c.GroupById(group_id);
      s.in_group = grp != nullptr && p->groups.count(grp->record.key) != 0;
      s.faces = p->faces.size();
      for (std::int64_t fk : p->faces) {
        if (const std::string_view src = c.FaceSource(fk); !src.empty()) s.sources.emplace(src);
      }
      return s;
    });
  }
  R<service::CreatePersonResponse> CreatePerson(const service::CreatePersonRequest& r) override {
    return svc_->CreatePerson(r);
  }
  R<service::CreateFaceResponse> CreateFace(const service::CreateFaceRequest& r) override {
    return svc_->CreateFace(r);
  }
  R<service::CopyPersonResponse> CopyPerson(const std::string& person_id, const std::string& group_id) override {
    return svc_->CopyPerson(person_id, {group_id});
  }
  R<service::SearchResponse> Search(const service::SearchRequest& r, bool persons) override {
    return persons ? svc_->SearchPersons(r) : svc_->SearchFaces(r);
  }
  R<service::Empty> DeleteGroup(const std::string& g) override { return svc_->DeleteGroup(g); }
  R<service::Empty> DeletePerson(const std::string& p) override { return svc_->DeletePerson(p); }
  R<service::Empty> DeletePersonFromGroup(const std::string& p, const std::string& g) override {
    return svc_->DeletePersonFromGroup(p, g);
  }
  Status Finish() override { return lock_ ? svc_->gallery().Checkpoint() : Status::Ok(); }
  std::string Describe() const override { return description_; }

 private:
  std::unique_ptr<store::DataFolderLock> lock_;  // held by writers, for as long as the service is open
  std::unique_ptr<service::FaceService> svc_;
  std::string description_;
};

// ---------------------------------------------------------------- remote (REST)

service::Rect RectOf(const json& j) {
  if (!j.is_object()) return {};
  return {j.value("x", 0), j.value("y", 0), j.value("width", 0), j.value("height", 0)};
}

// Strings of a JSON array field ("" entries kept).
std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& v : j[key]) out.push_back(v.is_string() ? v.get<std::string>() : std::string());
  }
  return out;
}

std::size_t Count(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned() || it->is_number_integer()) return it->get<std::size_t>();
  if (it->is_string()) return std::stoul("0" + it->get<std::string>());  // int64 fields are strings in proto JSON
  return 0;
}

class RemoteBackend final : public GalleryBackend {
 public:
  explicit RemoteBackend(std::unique_ptr<ApiClient> client) : api_(std::move(client)) {}

  R<service::CreateGroupResponse> CreateGroup(const service::CreateGroupRequest& r) override {
    json body{{"group_id", r.group_id}, {"group_name", r.group_name}, {"tag", r.tag}};
    auto got = api_->Call("POST", "/v1/groups", &body);
    if (!got.ok()) return got.error();
    return service::CreateGroupResponse{got->value("face_model_version", std::string())};
  }
  R<service::GroupInfo> GetGroupInfo(const std::string& id) override {
    auto got = api_->Call("GET", "/v1/groups/" + UrlEncode(id));
    if (!got.ok()) return got.error();
    return GroupOf(got.value());
  }
  R<service::GetGroupListResponse> GetGroupList(std::int64_t offset, std::int64_t limit) override {
    auto got = api_->Call("GET", "/v1/groups?offset=" + std::to_string(offset) + "&limit=" + std::to_string(limit));
    if (!got.ok()) return got.error();
    service::GetGroupListResponse out;
    for (const auto& g : got->value("groups", json::array())) out.group_infos.push_back(GroupOf(g));
    out.group_num = Count(got.value(), "group_num");
    return out;
  }
  R<service::GetPersonListResponse> GetPersonList(const std::string& g, std::int64_t offset,
                                                  std::int64_t limit) override {
    auto got = api_->Call("GET", "/v1/groups/" + UrlEncode(g) + "/persons?offset=" + std::to_string(offset) +
                                     "&limit=" + std::to_string(limit));
    if (!got.ok()) return got.error();
    service::GetPersonListResponse out;
    for (const auto& p : got->value("persons", json::array())) {
      service::PersonInfo info;
      info.person_id = p.value("person_id", std::string());
      info.person_name = p.value("person_name", std::string());
      info.gender = p.value("gender", 0);
      info.face_ids = Strings(p, "face_ids");
      out.person_infos.push_back(std::move(info));
    }
    out.person_num = Count(got.value(), "person_num");
    out.face_num = Count(got.value(), "face_num");
    return out;
  }
  R<service::GetPersonListResponse> GetPersonListNum(const std::string& g) override {
    auto got = api_->Call("GET", "/v1/groups/" + UrlEncode(g) + "/persons:count");
    if (!got.ok()) return got.error();
    service::GetPersonListResponse out;
    out.person_num = Count(got.value(), "person_num");
    out.face_num = Count(got.value(), "face_num");
    return out;
  }
  R<std::optional<EnrolState>> PersonState(const std::string& person_id, const std::string& group_id) override {
    auto person = api_->Call("GET", "/v1/persons/" + UrlEncode(person_id));
    if (!person.ok()) {
      if (person.error().code == "InvalidParameterValue.PersonIdNotExist") return std::optional<EnrolState>();
      return person.error();
    }
    EnrolState s;
    s.faces = Strings(person.value(), "face_ids").size();
    for (auto& src : Strings(person.value(), "face_sources")) {
      if (!src.empty()) s.sources.insert(std::move(src));
    }
    auto groups = api_->Call("GET", "/v1/persons/" + UrlEncode(person_id) + "/groups?limit=1000");
    if (!groups.ok()) return groups.error();
    for (const auto& gi : groups->value("groups", json::array())) {
      if (gi.value("group_id", std::string()) == group_id) s.in_group = true;
    }
    return std::optional<EnrolState>(std::move(s));
  }
  R<service::CreatePersonResponse> CreatePerson(const service::CreatePersonRequest& r) override {
    json body{{"group_id", r.group_id},
              {"person_id", r.person_id},
              {"person_name", r.person_name},
              {"image", Base64Encode(r.image)},
              {"quality_control", r.quality_control},
              {"face_choice", FaceChoiceName(r.face_choice)},
              {"source", r.source}};
    auto got = api_->Call("POST", "/v1/groups/" + UrlEncode(r.group_id) + "/persons", &body);
    if (!got.ok()) return got.error();
    service::CreatePersonResponse out;
    out.face_id = got->value("face_id", std::string());
    out.face_rect = RectOf(got->value("face_rect", json::object()));
    out.similar_person_id = got->value("similar_person_id", std::string());
    out.faces_in_photo = got->value("faces_in_photo", 0);
    return out;
  }
  R<service::CreateFaceResponse> CreateFace(const service::CreateFaceRequest& r) override {
    json images = json::array();
    for (const auto& img : r.images) images.push_back(Base64Encode(img));
    json body{{"images", images},
              {"face_match_threshold", r.face_match_threshold},
              {"quality_control", r.quality_control},
              {"face_choice", FaceChoiceName(r.face_choice)},
              {"sources", r.sources}};
    auto got = api_->Call("POST", "/v1/persons/" + UrlEncode(r.person_id) + "/faces", &body);
    if (!got.ok()) return got.error();
    service::CreateFaceResponse out;
    out.suc_face_num = Count(got.value(), "suc_face_num");
    out.suc_face_ids = Strings(got.value(), "suc_face_ids");
    for (const auto& c : got->value("ret_codes", json::array())) out.ret_code.push_back(c.get<int>());
    for (const auto& c : got->value("faces_in_photo", json::array())) out.faces_in_photo.push_back(c.get<int>());
    return out;
  }
  R<service::CopyPersonResponse> CopyPerson(const std::string& person_id, const std::string& group_id) override {
    json body{{"group_ids", {group_id}}};
    auto got = api_->Call("POST", "/v1/persons/" + UrlEncode(person_id) + ":copy", &body);
    if (!got.ok()) return got.error();
    return service::CopyPersonResponse{Count(got.value(), "suc_group_num"), Strings(got.value(), "suc_group_ids")};
  }
  R<service::SearchResponse> Search(const service::SearchRequest& r, bool persons) override {
    json body{{"group_ids", r.group_ids},
              {"image", Base64Encode(r.image)},
              {"max_person_num", r.max_person_num},
              {"need_person_info", r.need_person_info},
              {"face_choice", FaceChoiceName(r.face_choice)}};
    auto got = api_->Call("POST", persons ? "/v1/search/persons" : "/v1/search", &body);
    if (!got.ok()) return got.error();
    service::SearchResponse out;
    for (const auto& res : got->value("results", json::array())) {
      service::SearchResult sr;
      sr.face_rect = RectOf(res.value("face_rect", json::object()));
      sr.ret_code = res.value("ret_code", 0);
      for (const auto& c : res.value("candidates", json::array())) {
        service::Candidate cand;
        cand.person_id = c.value("person_id", std::string());
        cand.face_id = c.value("face_id", std::string());
        cand.score = c.value("score", 0.f);
        cand.similarity = c.value("similarity", 0.f);
        cand.group_id = c.value("group_id", std::string());
        cand.person_name = c.value("person_name", std::string());
        sr.candidates.push_back(std::move(cand));
      }
      out.results.push_back(std::move(sr));
    }
    out.face_num = Count(got.value(), "face_num");
    out.person_num = Count(got.value(), "person_num");
    out.faces_in_photo = Count(got.value(), "faces_in_photo");
    return out;
  }
  R<service::Empty> DeleteGroup(const std::string& g) override {
    return Done(api_->Call("DELETE", "/v1/groups/" + UrlEncode(g)));
  }
  R<service::Empty> DeletePerson(const std::string& p) override {
    return Done(api_->Call("DELETE", "/v1/persons/" + UrlEncode(p)));
  }
  R<service::Empty> DeletePersonFromGroup(const std::string& p, const std::string& g) override {
    return Done(api_->Call("DELETE", "/v1/groups/" + UrlEncode(g) + "/persons/" + UrlEncode(p)));
  }
  Status Finish() override { return Status::Ok(); }  // the server checkpoints itself
  std::string Describe() const override { return "server " + api_->server(); }
  std::int64_t Position() const override { return api_->position(); }

 private:
  static service::GroupInfo GroupOf(const json& g) {
    service::GroupInfo info;
    info.group_id = g.value("group_id", std::string());
    info.group_name = g.value("group_name", std::string());
    info.tag = g.value("tag", std::string());
    info.face_model_version = g.value("face_model_version", std::string());
    info.group_ex_descriptions = Strings(g, "ex_descriptions");
    return info;
  }
  static R<service::Empty> Done(const R<json>& got) {
    if (!got.ok()) return got.error();
    return service::Empty{};
  }

  std::unique_ptr<ApiClient> api_;
};

}  // namespace

void AddBackendOptions(CLI::App* cmd, BackendOptions* o) {
  cmd->add_option("--data", o->data, "Data folder (gallery.db and index/)");
  cmd->add_option("--store", o->store,
                  "Work on the gallery in this PostgreSQL database (postgres://... as given to facekit serve --store) "
                  "instead of a data folder");
  cmd->add_option("--server", o->server,
                  "Work through a running facekit serve at this URL (e.g. http://127.0.0.1:8080) instead of a data "
                  "folder; needed to change a folder that a server holds");
  cmd->add_option("--key", o->key, "SecretId:SecretKey of an API key for --server (facekit keys create)");
  cmd->add_option("--min-seq", o->min_seq,
                  "With --server, a node of a cluster: answer only once the node has applied the change log up to "
                  "this position (X-FaceKit-Min-Seq; the position a write command printed), so writes made through "
                  "another node are seen at once (docs/scale-out.md, read-your-writes)")
      ->check(CLI::NonNegativeNumber);
}

Result<std::unique_ptr<GalleryBackend>> OpenBackend(const GlobalOptions& g, const BackendOptions& o,
                                                    std::unique_ptr<FaceEngine>* engine) {
  if (!o.server.empty()) {
    if (o.key.empty()) {
      return Status(StatusCode::kInvalidArgument, "--server needs --key SecretId:SecretKey (facekit keys create)");
    }
    FACEKIT_ASSIGN_OR_RETURN(auto client, ApiClient::Create({o.server, o.key}));
    client->set_min_position(o.min_seq);
    return std::unique_ptr<GalleryBackend>(new RemoteBackend(std::move(client)));
  }
  if (o.min_seq > 0) {
    return Status(StatusCode::kInvalidArgument,
                  "--min-seq is for --server (a node of a cluster); a command on a data folder or a store reads it "
                  "whole");
  }
  if (!o.store.empty() && !o.data.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "give --data DIR or --store URI, not both (with --store the gallery is the database's)");
  }
  if (o.data.empty() && o.store.empty()) {
    return Status(StatusCode::kInvalidArgument, "give --data DIR, --store URI, or --server URL --key ID:SECRET");
  }
  std::unique_ptr<store::DataFolderLock> lock;
  if (o.writes && o.store.empty()) {
    FACEKIT_ASSIGN_OR_RETURN(lock, store::DataFolderLock::Acquire(o.data, {0, o.command, "", 0}));
  }
  FACEKIT_ASSIGN_OR_RETURN(*engine, MakeEngine(g));
  service::DataDirOptions options;
  options.read_only = !o.writes;
  options.store_uri = o.store;
  options.service.image_limits = ImageLimitsOf(g);
  FACEKIT_ASSIGN_OR_RETURN(auto svc, service::OpenFaceService(o.data, **engine, options));
  return std::unique_ptr<GalleryBackend>(
      new LocalBackend(std::move(lock), std::move(svc), o.store.empty() ? "data folder " + o.data : "the PostgreSQL store"));
}

int FailApi(const service::ApiError& e) {
  std::fprintf(stderr, "facekit: error %s: %s\n", e.code.c_str(), e.message.c_str());
  return 1;
}

}  // namespace facekit::cli
