#include "store/mutation_codec.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace facekit::store {

namespace {

using nlohmann::json;

// A vector in the log: base64 of its float32 bytes (Reader::Floats reads it).
json VectorText(const std::vector<float>& v) {
  return Base64Encode({reinterpret_cast<const std::uint8_t*>(v.data()), v.size() * sizeof(float)});
}
json VectorTexts(const std::vector<std::pair<std::string, std::vector<float>>>& vectors) {
  json out = json::array();
  for (const auto& [version, v] : vectors) out.push_back({version, VectorText(v)});
  return out;
}

json Group(const GroupRecord& g, std::int64_t key) {
  return {{"key", key},       {"id", g.id}, {"name", g.name}, {"tag", g.tag}, {"ex", g.ex_descriptions},
          {"fmv", g.face_model_version}, {"created_ms", g.created_ms}};
}
json Person(const PersonRecord& p, std::int64_t key) {
  return {{"key", key}, {"id", p.id}, {"name", p.name}, {"gender", p.gender}, {"created_ms", p.created_ms}};
}
json Membership(const MembershipRecord& m, std::int64_t gkey, std::int64_t pkey) {
  return {{"gkey", gkey}, {"pkey", pkey}, {"ex", m.ex_descriptions}, {"added_ms", m.added_ms}};
}

struct Encoder {
  const std::vector<std::int64_t>& keys;
  std::int64_t own;

  Result<json> operator()(const mutation::InsertGroup& m) const {
    return json{{"op", "InsertGroup"}, {"group", Group(m.group, own)}};
  }
  Result<json> operator()(const mutation::UpdateGroup& m) const {
    return json{{"op", "UpdateGroup"}, {"group", Group(m.group, m.group.key)}};
  }
  Result<json> operator()(const mutation::DeleteGroup& m) const { return json{{"op", "DeleteGroup"}, {"key", m.key}}; }
  Result<json> operator()(const mutation::InsertPerson& m) const {
    return json{{"op", "InsertPerson"}, {"person", Person(m.person, own)}};
  }
  Result<json> operator()(const mutation::UpdatePerson& m) const {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t key, ResolvePlaceholder(m.person.key, keys));
    return json{{"op", "UpdatePerson"}, {"person", Person(m.person, key)}};
  }
  Result<json> operator()(const mutation::DeletePerson& m) const {
    return json{{"op", "DeletePerson"}, {"key", m.key}};
  }
  Result<json> operator()(const mutation::InsertMembership& m) const {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t g, ResolvePlaceholder(m.membership.group_key, keys));
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t p, ResolvePlaceholder(m.membership.person_key, keys));
    return json{{"op", "InsertMembership"}, {"membership", Membership(m.membership, g, p)}};
  }
  Result<json> operator()(const mutation::UpdateMembership& m) const {
    return json{{"op", "UpdateMembership"},
                {"membership", Membership(m.membership, m.membership.group_key, m.membership.person_key)}};
  }
  Result<json> operator()(const mutation::DeleteMembership& m) const {
    return json{{"op", "DeleteMembership"}, {"gkey", m.group_key}, {"pkey", m.person_key}};
  }
  Result<json> operator()(const mutation::InsertFace& m) const {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t p, ResolvePlaceholder(m.face.person_key, keys));
    const FaceRecord& f = m.face;
    return json{{"op", "InsertFace"},
                {"face",
                 {{"key", own},
                  {"id", f.id},
                  {"pkey", p},
                  {"mv", f.model_version},
                  {"embedding", VectorText(f.embedding)},
                  {"rect", {f.rect.x, f.rect.y, f.rect.width, f.rect.height}},
                  {"quality", f.quality},
                  {"source", f.source},
                  {"created_ms", f.created_ms},
                  {"other_vectors", VectorTexts(f.other_vectors)},
                  {"crop", Base64Encode(f.crop)},
                  {"crop_landmarks", f.crop_landmarks}}}};
  }
  Result<json> operator()(const mutation::PutFaceVector& m) const {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t fkey, ResolvePlaceholder(m.face_key, keys));
    return json{{"op", "PutFaceVector"}, {"fkey", fkey}, {"mv", m.model_version}, {"vector", VectorText(m.vector)}};
  }
  Result<json> operator()(const mutation::SetGroupModelVersion& m) const {
    return json{{"op", "SetGroupModelVersion"}, {"gkey", m.group_key}, {"mv", m.model_version}};
  }
  Result<json> operator()(const mutation::PutModelJob& m) const {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t gkey, ResolvePlaceholder(m.job.group_key, keys));
    const ModelJobRecord& j = m.job;
    return json{{"op", "PutModelJob"},
                {"job",
                 {{"id", j.id},
                  {"gkey", gkey},
                  {"group_id", j.group_id},
                  {"from", j.from_version},
                  {"to", j.to_version},
                  {"status", j.status},
                  {"progress", j.progress},
                  {"start_ms", j.start_ms},
                  {"end_ms", j.end_ms},
                  {"failure", j.failure}}}};
  }
  Result<json> operator()(const mutation::DeleteFace& m) const { return json{{"op", "DeleteFace"}, {"key", m.key}}; }
};

// Typed reads that report the first wrong field instead of throwing.
class Reader {
 public:
  explicit Reader(const json& j) : j_(j) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  const json& Obj(const char* name) {
    static const json kEmpty = json::object();
    if (!j_.is_object() || !j_.contains(name) || !j_[name].is_object()) return Fail(name), kEmpty;
    return j_[name];
  }
  std::int64_t Int(const json& o, const char* name) {
    if (!o.contains(name) || !o[name].is_number_integer()) return Fail(name), 0;
    return o[name].get<std::int64_t>();
  }
  std::string Str(const json& o, const char* name) {
    if (!o.contains(name) || !o[name].is_string()) return Fail(name), std::string();
    return o[name].get<std::string>();
  }
  float Float(const json& o, const char* name) {
    if (!o.contains(name) || !o[name].is_number()) return Fail(name), 0.0f;
    return o[name].get<float>();
  }
  std::vector<std::string> Strings(const json& o, const char* name) {
    std::vector<std::string> out;
    if (!o.contains(name) || !o[name].is_array()) return Fail(name), out;
    for (const auto& e : o[name]) {
      if (!e.is_string()) return Fail(name), std::vector<std::string>{};
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  std::vector<std::pair<int, std::string>> Pairs(const json& o, const char* name) {
    std::vector<std::pair<int, std::string>> out;
    if (!o.contains(name) || !o[name].is_array()) return Fail(name), out;
    for (const auto& e : o[name]) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_string()) {
        return Fail(name), std::vector<std::pair<int, std::string>>{};
      }
      out.emplace_back(e[0].get<int>(), e[1].get<std::string>());
    }
    return out;
  }
  // A vector: base64 of its float32 bytes (VectorText), or, as written
  // before 2026-12-07, an array of numbers.
  std::vector<float> Floats(const json& o, const char* name) {
    std::vector<float> out;
    if (o.contains(name) && o[name].is_string()) {
      const auto bytes = Base64Decode(o[name].get_ref<const std::string&>());
      if (!bytes || bytes->size() % sizeof(float) != 0) return Fail(name), out;
      out.resize(bytes->size() / sizeof(float));
      std::memcpy(out.data(), bytes->data(), bytes->size());
      return out;
    }
    if (!o.contains(name) || !o[name].is_array()) return Fail(name), out;
    for (const auto& e : o[name]) {
      if (!e.is_number()) return Fail(name), std::vector<float>{};
      out.push_back(e.get<float>());
    }
    return out;
  }

 private:
  void Fail(const char* name) {
    if (error_.empty()) error_ = name;
  }
  const json& j_;
  std::string error_;
};

}  // namespace

Result<std::int64_t> ResolvePlaceholder(std::int64_t key, const std::vector<std::int64_t>& keys) {
  if (key >= 0) return key;
  const auto i = static_cast<std::size_t>(-key - 1);
  if (i >= keys.size() || keys[i] <= 0) {
    return Status(StatusCode::kInternal, "placeholder key does not name an earlier insert");
  }
  return keys[i];
}

Result<std::string> EncodeMutation(const Mutation& mutation, const std::vector<std::int64_t>& keys,
                                   std::int64_t own_key) {
  FACEKIT_ASSIGN_OR_RETURN(json j, std::visit(Encoder{keys, own_key}, mutation));
  return j.dump();
}

Result<DecodedMutation> DecodeMutation(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("op") || !j["op"].is_string()) {
    return Status(StatusCode::kDataCorrupt, "change log: an entry is not an encoded mutation");
  }
  const std::string op = j["op"].get<std::string>();
  Reader r(j);
  DecodedMutation out;
  if (op == "InsertGroup" || op == "UpdateGroup") {
    const json& o = r.Obj("group");
    GroupRecord g{r.Int(o, "key"),       r.Str(o, "id"),  r.Str(o, "name"),      r.Str(o, "tag"),
                  r.Strings(o, "ex"),    r.Str(o, "fmv"), r.Int(o, "created_ms")};
    if (op == "InsertGroup") {
      out.key = g.key;
      out.mutation = mutation::InsertGroup{std::move(g)};
    } else {
      out.mutation = mutation::UpdateGroup{std::move(g)};
    }
  } else if (op == "InsertPerson" || op == "UpdatePerson") {
    const json& o = r.Obj("person");
    PersonRecord p{r.Int(o, "key"), r.Str(o, "id"), r.Str(o, "name"), static_cast<int>(r.Int(o, "gender")),
                   r.Int(o, "created_ms")};
    if (op == "InsertPerson") {
      out.key = p.key;
      out.mutation = mutation::InsertPerson{std::move(p)};
    } else {
      out.mutation = mutation::UpdatePerson{std::move(p)};
    }
  } else if (op == "InsertMembership" || op == "UpdateMembership") {
    const json& o = r.Obj("membership");
    MembershipRecord m{r.Int(o, "gkey"), r.Int(o, "pkey"), r.Pairs(o, "ex"), r.Int(o, "added_ms")};
    if (op == "InsertMembership") {
      out.mutation = mutation::InsertMembership{std::move(m)};
    } else {
      out.mutation = mutation::UpdateMembership{std::move(m)};
    }
  } else if (op == "InsertFace") {
    const json& o = r.Obj("face");
    FaceRecord f;
    f.key = r.Int(o, "key");
    f.id = r.Str(o, "id");
    f.person_key = r.Int(o, "pkey");
    f.model_version = r.Str(o, "mv");
    f.embedding = r.Floats(o, "embedding");
    if (!o.contains("rect") || !o["rect"].is_array() || o["rect"].size() != 4) {
      return Status(StatusCode::kDataCorrupt, "change log: InsertFace without a valid rect");
    }
    for (const auto& v : o["rect"]) {
      if (!v.is_number_integer()) return Status(StatusCode::kDataCorrupt, "change log: InsertFace rect");
    }
    f.rect = {o["rect"][0].get<int>(), o["rect"][1].get<int>(), o["rect"][2].get<int>(), o["rect"][3].get<int>()};
    f.quality = r.Float(o, "quality");
    f.source = r.Str(o, "source");
    f.created_ms = r.Int(o, "created_ms");
    if (!o.contains("other_vectors") || !o["other_vectors"].is_array()) {
      return Status(StatusCode::kDataCorrupt, "change log: InsertFace without other_vectors");
    }
    for (const auto& e : o["other_vectors"]) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_string()) {
        return Status(StatusCode::kDataCorrupt, "change log: InsertFace other_vectors");
      }
      const json wrapper = {{"v", e[1]}};
      Reader wr(wrapper);
      std::vector<float> v = wr.Floats(wrapper, "v");
      if (!wr.ok() || v.empty()) return Status(StatusCode::kDataCorrupt, "change log: InsertFace other_vectors");
      f.other_vectors.emplace_back(e[0].get<std::string>(), std::move(v));
    }
    auto crop = Base64Decode(r.Str(o, "crop"));
    if (!crop) return Status(StatusCode::kDataCorrupt, "change log: InsertFace crop is not base64");
    f.crop = std::move(*crop);
    f.crop_landmarks = o.contains("crop_landmarks") && o["crop_landmarks"].is_array() && o["crop_landmarks"].empty()
                           ? std::vector<float>{}
                           : r.Floats(o, "crop_landmarks");
    if (r.ok() && f.embedding.empty()) return Status(StatusCode::kDataCorrupt, "change log: face without embedding");
    out.key = f.key;
    out.mutation = mutation::InsertFace{std::move(f)};
  } else if (op == "DeleteGroup" || op == "DeletePerson" || op == "DeleteFace") {
    const std::int64_t key = r.Int(j, "key");
    if (op == "DeleteGroup") out.mutation = mutation::DeleteGroup{key};
    if (op == "DeletePerson") out.mutation = mutation::DeletePerson{key};
    if (op == "DeleteFace") out.mutation = mutation::DeleteFace{key};
  } else if (op == "PutFaceVector") {
    mutation::PutFaceVector m{r.Int(j, "fkey"), r.Str(j, "mv"), r.Floats(j, "vector")};
    if (r.ok() && m.vector.empty()) return Status(StatusCode::kDataCorrupt, "change log: empty face vector");
    out.mutation = std::move(m);
  } else if (op == "SetGroupModelVersion") {
    out.mutation = mutation::SetGroupModelVersion{r.Int(j, "gkey"), r.Str(j, "mv")};
  } else if (op == "PutModelJob") {
    const json& o = r.Obj("job");
    ModelJobRecord job;
    job.id = r.Str(o, "id");
    job.group_key = r.Int(o, "gkey");
    job.group_id = r.Str(o, "group_id");
    job.from_version = r.Str(o, "from");
    job.to_version = r.Str(o, "to");
    job.status = static_cast<int>(r.Int(o, "status"));
    job.progress = r.Float(o, "progress");
    job.start_ms = r.Int(o, "start_ms");
    job.end_ms = r.Int(o, "end_ms");
    job.failure = r.Str(o, "failure");
    out.mutation = mutation::PutModelJob{std::move(job)};
  } else if (op == "DeleteMembership") {
    out.mutation = mutation::DeleteMembership{r.Int(j, "gkey"), r.Int(j, "pkey")};
  } else {
    return Status(StatusCode::kDataCorrupt, "change log: unknown operation \"" + op + "\"");
  }
  if (!r.ok()) return Status(StatusCode::kDataCorrupt, "change log: " + op + " with a missing or wrong \"" + r.error() + "\"");
  return out;
}

}  // namespace facekit::store
