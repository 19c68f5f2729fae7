// facekit gallery export / import - the whole gallery as JSON lines, with
// embeddings (no images), to back up or move it between data folders.
//
// Format (one JSON object per line):
//   {"type":"facekit-gallery","version":1,"dim":192,"face_model_version":"3.0"}
//   {"type":"group","id":..,"name":..,"tag":..,"ex_descriptions":[..],"created_ms":..}
//   {"type":"person","id":..,"name":..,"gender":..,"created_ms":..,
//    "groups":[{"group_id":..,"ex_descriptions":[[index,value],..],"added_ms":..}]}
//   {"type":"face","id":..,"person_id":..,"model_version":..,"embedding":"<base64 float32 LE>",
//    "rect":[x,y,w,h],"quality":..,"source":..,"created_ms":..}
// Persons follow their groups and faces their persons, so a reader can apply
// the file in one pass.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "cli/commands.h"
#include "common/base64.h"
#include "service/open_service.h"
#include "store/data_folder_lock.h"
#include "store/sqlite_store.h"

namespace facekit::cli {

namespace {

struct TransferOptions {
  std::string data, file;
};

int ExportCmd(const TransferOptions& o) {
  const std::string db = (std::filesystem::path(o.data) / "gallery.db").string();
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) return Fail(Status(StatusCode::kNotFound, "no gallery at " + db));
  auto store = store::OpenSqliteStore(db, /*read_only=*/true);  // beside the folder's owner, if any
  if (!store.ok()) return Fail(store.status());
  auto contents = (*store)->Load(/*with_embeddings=*/true);
  if (!contents.ok()) return Fail(contents.status());
  std::ofstream out(o.file, std::ios::trunc);
  if (!out) return Fail(Status(StatusCode::kIoError, "cannot write " + o.file));
  const std::size_t dim = contents->faces.empty() ? 0 : contents->faces[0].embedding.size();
  out << nlohmann::json{{"type", "facekit-gallery"}, {"version", 1}, {"dim", dim}}.dump() << "\n";
  std::unordered_map<std::int64_t, std::string> group_ids, person_ids;
  for (const auto& g : contents->groups) {
    group_ids[g.key] = g.id;
    out << nlohmann::json{{"type", "group"},
                          {"id", g.id},
                          {"name", g.name},
                          {"tag", g.tag},
                          {"ex_descriptions", g.ex_descriptions},
                          {"face_model_version", g.face_model_version},
                          {"created_ms", g.created_ms}}
               .dump()
        << "\n";
  }
  std::multimap<std::int64_t, const store::MembershipRecord*> memberships;
  for (const auto& m : contents->memberships) memberships.emplace(m.person_key, &m);
  for (const auto& p : contents->persons) {
    person_ids[p.key] = p.id;
    nlohmann::json groups = nlohmann::json::array();
    auto [begin, end] = memberships.equal_range(p.key);
    for (auto it = begin; it != end; ++it) {
      nlohmann::json ex = nlohmann::json::array();
      for (const auto& [i, v] : it->second->ex_descriptions) {
        nlohmann::json pair = nlohmann::json::array();
        pair.push_back(i);
        pair.push_back(v);
        ex.push_back(pair);
      }
      groups.push_back({{"group_id", group_ids[it->second->group_key]},
                        {"ex_descriptions", ex},
                        {"added_ms", it->second->added_ms}});
    }
    out << nlohmann::json{{"type", "person"},           {"id", p.id},      {"name", p.name}, {"gender", p.gender},
                          {"created_ms", p.created_ms}, {"groups", groups}}
               .dump()
        << "\n";
  }
  for (const auto& f : contents->faces) {
    std::vector<std::uint8_t> raw(f.embedding.size() * sizeof(float));
    std::memcpy(raw.data(), f.embedding.data(), raw.size());
    nlohmann::json rect = nlohmann::json::array();
    for (int v : {f.rect.x, f.rect.y, f.rect.width, f.rect.height}) rect.push_back(v);
    out << nlohmann::json{{"type", "face"},
                          {"id", f.id},
                          {"person_id", person_ids[f.person_key]},
                          {"model_version", f.model_version},
                          {"embedding", Base64Encode(raw)},
                          {"rect", rect},
                          {"quality", f.quality},
                          {"source", f.source},
                          {"created_ms", f.created_ms}}
               .dump()
        << "\n";
  }
  out.flush();
  if (!out) return Fail(Status(StatusCode::kIoError, "writing " + o.file + " failed"));
  std::fprintf(stderr, "exported %zu groups, %zu persons, %zu faces to %s\n", contents->groups.size(),
               contents->persons.size(), contents->faces.size(), o.file.c_str());
  return 0;
}

Status BadLine(std::size_t line, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, "line " + std::to_string(line) + ": " + why);
}

// Imports into a data folder. Records whose id exists already are refused
// (the import stops there; everything before it is stored).
int ImportCmd(const GlobalOptions& g, const TransferOptions& o) {
  std::ifstream in(o.file);
  if (!in) return Fail(Status(StatusCode::kNotFound, "cannot read " + o.file));
  auto lock = store::DataFolderLock::Acquire(o.data, {0, "facekit gallery import", "", 0});
  if (!lock.ok()) return Fail(lock.status());
  auto engine = MakeEngine(g);
  if (!engine.ok()) return Fail(engine.status());
  auto svc = service::OpenFaceService(o.data, **engine);
  if (!svc.ok()) return Fail(svc.status());
  gallery::Gallery& gal = (*svc)->gallery();
  const int dim = (*engine)->embedding_dim();
  std::string text;
  std::size_t line = 0, groups = 0, persons = 0, faces = 0;
  auto write = [&](const gallery::Gallery::Planner& plan) -> Status {
    auto r = gal.Write(plan);
    return r.ok() ? Status::Ok() : r.status();
  };
  while (std::getline(in, text)) {
    ++line;
    if (text.empty()) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return Fail(BadLine(line, "not a record"));
    const std::string type = j["type"];
    Status s;
    try {
      if (type == "facekit-gallery") {
        if (j.value("version", 0) != 1) return Fail(BadLine(line, "unsupported export version"));
        if (j.value("dim", dim) != dim && j.value("dim", 0) != 0) {
          return Fail(BadLine(line, "embeddings are " + std::to_string(j.value("dim", 0)) + "-D; this engine makes " +
                                        std::to_string(dim) + "-D ones"));
        }
      } else if (type == "group") {
        store::GroupRecord rec{0,
                               j.at("id").get<std::string>(),
                               j.at("name").get<std::string>(),
                               j.value("tag", ""),
                               j.value("ex_descriptions", std::vector<std::string>{}),
                               // The file carries the faces' 3.0 vectors only (not
                               // face_vectors or crops): the group comes in at 3.0.
                               std::string("3.0"),
                               j.value("created_ms", std::int64_t{0})};
        s = write([&](const gallery::Catalog& c) -> Result<store::Batch> {
          if (c.GroupById(rec.id) || c.GroupNameTaken(rec.name)) {
            return Status(StatusCode::kAlreadyExists, "group " + rec.id + " (or its name) exists");
          }
          return store::Batch{store::mutation::InsertGroup{rec}};
        });
        ++groups;
      } else if (type == "person") {
        store::PersonRecord rec{0, j.at("id").get<std::string>(), j.at("name").get<std::string>(), j.value("gender", 0),
                                j.value("created_ms", std::int64_t{0})};
        s = write([&](const gallery::Catalog& c) -> Result<store::Batch> {
          if (c.PersonById(rec.id)) return Status(StatusCode::kAlreadyExists, "person " + rec.id + " exists");
          store::Batch b{store::mutation::InsertPerson{rec}};
          for (const auto& m : j.at("groups")) {
            const gallery::GroupState* grp = c.GroupById(m.at("group_id").get<std::string>());
            if (!grp)
              return Status(StatusCode::kNotFound,
                            "group " + m.at("group_id").get<std::string>() + " is not in the file before");
            store::MembershipRecord mr{
                grp->record.key, store::Placeholder(0), {}, m.value("added_ms", std::int64_t{0})};
            for (const auto& pair : m.value("ex_descriptions", nlohmann::json::array())) {
              mr.ex_descriptions.emplace_back(pair.at(0).get<int>(), pair.at(1).get<std::string>());
            }
            b.push_back(store::mutation::InsertMembership{mr});
          }
          return b;
        });
        ++persons;
      } else if (type == "face") {
        auto raw = Base64Decode(j.at("embedding").get<std::string>());
        if (!raw || raw->size() != static_cast<std::size_t>(dim) * sizeof(float)) {
          return Fail(BadLine(line, "embedding is not " + std::to_string(dim) + " base64 float32 values"));
        }
        store::FaceRecord f;
        f.id = j.at("id").get<std::string>();
        f.model_version = j.value("model_version", "3.0");
        f.embedding.resize(static_cast<std::size_t>(dim));
        std::memcpy(f.embedding.data(), raw->data(), raw->size());
        const auto rect = j.value("rect", std::vector<int>{0, 0, 0, 0});
        if (rect.size() == 4) f.rect = {rect[0], rect[1], rect[2], rect[3]};
        f.quality = j.value("quality", 0.0f);
        f.source = j.value("source", "");
        f.created_ms = j.value("created_ms", std::int64_t{0});
        const std::string person = j.at("person_id").get<std::string>();
        s = write([&](const gallery::Catalog& c) -> Result<store::Batch> {
          const gallery::PersonState* p = c.PersonById(person);
          if (!p) return Status(StatusCode::kNotFound, "person " + person + " is not in the file before");
          if (c.FaceKeyById(f.id) != 0) return Status(StatusCode::kAlreadyExists, "face " + f.id + " exists");
          f.person_key = p->record.key;
          return store::Batch{store::mutation::InsertFace{f}};
        });
        ++faces;
      } else {
        return Fail(BadLine(line, "unknown record type '" + type + "'"));
      }
    } catch (const nlohmann::json::exception& e) {
      return Fail(BadLine(line, std::string("malformed record: ") + e.what()));
    }
    if (!s.ok()) return Fail(BadLine(line, s.message()));
  }
  if (Status s = gal.Checkpoint(); !s.ok()) return Fail(s);
  std::fprintf(stderr, "imported %zu groups, %zu persons, %zu faces\n", groups, persons, faces);
  return 0;
}

}  // namespace

void RegisterGalleryTransfer(CLI::App* gallery_app, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<TransferOptions>();
  CLI::App* ex = gallery_app->add_subcommand("export", "Write the gallery (with embeddings) as JSON lines");
  ex->add_option("--data", o->data, "Data folder")->required();
  ex->add_option("FILE", o->file, "Output file")->required();
  ex->callback([o, run] { *run = [o] { return ExportCmd(*o); }; });
  CLI::App* im = gallery_app->add_subcommand("import", "Read a file written by export into a data folder");
  im->add_option("--data", o->data, "Data folder")->required();
  im->add_option("FILE", o->file, "File written by export")->required();
  im->callback([o, &g, run] { *run = [o, &g] { return ImportCmd(g, *o); }; });
}

}  // namespace facekit::cli
