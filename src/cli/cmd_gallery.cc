// facekit gallery - groups, persons and faces in a data folder, from the
// command line: create-group, enroll, search, list, delete, export, import.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "service/open_service.h"

namespace facekit::cli {

namespace {

namespace fs = std::filesystem;
using service::ApiError;
using service::FaceService;

struct GalleryOptionsCli {
  std::string data;
  std::string group;
  std::vector<std::string> groups;
  std::string name, tag, person, folder, image, file;
  int top = 5;
  bool json = false;
  bool persons = false;
  int quality = 0;
};

int FailApi(const ApiError& e) {
  std::fprintf(stderr, "facekit: error %s: %s\n", e.code.c_str(), e.message.c_str());
  return 1;
}

Result<std::unique_ptr<FaceService>> Open(const GlobalOptions& g, const std::string& data,
                                          std::unique_ptr<FaceEngine>* engine) {
  FACEKIT_ASSIGN_OR_RETURN(*engine, MakeEngine(g));
  service::DataDirOptions options;
  options.service.image_limits = ImageLimitsOf(g);
  return service::OpenFaceService(data, **engine, options);
}

bool IsImageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp";
}

nlohmann::json RectJson(const service::Rect& r) {
  return {{"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}};
}

int CreateGroupCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto svc = Open(g, o.data, &engine);
  if (!svc.ok()) return Fail(svc.status());
  service::CreateGroupRequest r;
  r.group_id = o.group;
  r.group_name = o.name.empty() ? o.group : o.name;
  r.tag = o.tag;
  auto res = (*svc)->CreateGroup(r);
  if (!res.ok()) return FailApi(res.error());
  std::cout << "created group " << o.group << "\n";
  return 0;
}

// Enrols FOLDER/<person>/<image>: the first face creates the person, later
// ones are added (up to the 5-face limit). Images already enrolled (same
// relative path) are skipped, so an interrupted run can simply be repeated.
// Each stored face is reported on stdout as one JSON line once it is durable.
int EnrollCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto opened = Open(g, o.data, &engine);
  if (!opened.ok()) return Fail(opened.status());
  FaceService& svc = **opened;
  std::error_code ec;
  if (!fs::is_directory(o.folder, ec)) return Fail(Status(StatusCode::kNotFound, o.folder + " is not a folder"));
  if (!svc.GetGroupInfo(o.group).ok()) {
    service::CreateGroupRequest r;
    r.group_id = o.group;
    r.group_name = o.name.empty() ? o.group : o.name;
    auto created = svc.CreateGroup(r);
    if (!created.ok()) return FailApi(created.error());
  }
  // person -> images, sorted.
  std::map<std::string, std::vector<fs::path>> people;
  std::size_t total = 0;
  for (const auto& entry : fs::directory_iterator(o.folder, ec)) {
    if (!entry.is_directory()) continue;
    std::vector<fs::path> images;
    for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
      if (f.is_regular_file() && IsImageFile(f.path())) images.push_back(f.path());
    }
    std::sort(images.begin(), images.end());
    total += images.size();
    people[entry.path().filename().string()] = std::move(images);
  }
  std::map<std::string, std::size_t> failures;  // by error code
  std::size_t enrolled = 0, skipped = 0, done = 0;
  ProgressBar progress("enrol", total, "images");
  for (const auto& [person, images] : people) {
    for (const fs::path& image : images) {
      ++done;
      const std::string source = person + "/" + image.filename().string();
      const bool known = svc.gallery().Read([&](const gallery::Catalog& c) { return c.FaceSourceKnown(source); });
      if (known) {
        ++skipped;
        progress.Update(done);
        continue;
      }
      auto bytes = ReadFileBytes(image.string());
      if (!bytes.ok()) {
        ++failures["FailedOperation.ImageDecodeFailed"];
        continue;
      }
      enum class State { kAbsent, kInGroup, kElsewhere };
      const State state = svc.gallery().Read([&](const gallery::Catalog& c) {
        const gallery::PersonState* p = c.PersonById(person);
        if (!p) return State::kAbsent;
        const gallery::GroupState* grp = c.GroupById(o.group);
        return grp && p->groups.count(grp->record.key) ? State::kInGroup : State::kElsewhere;
      });
      std::string face_id, error;
      if (state == State::kAbsent) {
        service::CreatePersonRequest r;
        r.group_id = o.group;
        r.person_id = person;
        r.person_name = person;
        r.image = std::move(*bytes);
        r.quality_control = o.quality;
        r.source = source;
        auto res = svc.CreatePerson(r);
        if (res.ok()) {
          face_id = res->face_id;
        } else {
          error = res.error().code;
        }
      } else {
        if (state == State::kElsewhere) {
          auto copied = svc.CopyPerson(person, {o.group});
          if (!copied.ok()) error = copied.error().code;
        }
        if (error.empty()) {
          service::CreateFaceRequest r;
          r.person_id = person;
          r.images.push_back(std::move(*bytes));
          r.sources.push_back(source);
          r.face_match_threshold = 0;
          r.quality_control = o.quality;
          auto res = svc.CreateFace(r);
          if (!res.ok()) {
            error = res.error().code;
          } else if (res->suc_face_num == 1) {
            face_id = res->suc_face_ids[0];
          } else {
            const int rc = res->ret_code[0];
            error = rc == -1101   ? "InvalidParameterValue.NoFaceInPhoto"
                    : rc == -1102 ? "FailedOperation.ImageDecodeFailed"
                    : rc == -1601 ? "FailedOperation.FaceQualityNotQualified"
                                  : "RetCode" + std::to_string(rc);
          }
        }
      }
      if (!face_id.empty()) {
        ++enrolled;
        nlohmann::json j{{"event", "enrolled"}, {"person_id", person}, {"face_id", face_id}, {"source", source}};
        std::cout << j.dump() << "\n" << std::flush;
      } else {
        ++failures[error];
        if (!o.json) std::fprintf(stderr, "%s: %s\n", source.c_str(), error.c_str());
      }
      progress.Update(done);
    }
  }
  if (Status s = svc.gallery().Checkpoint(); !s.ok()) return Fail(s);
  std::size_t failed = 0;
  nlohmann::json by_reason = nlohmann::json::object();
  for (const auto& [reason, n] : failures) {
    by_reason[reason] = n;
    failed += n;
  }
  nlohmann::json summary{{"event", "summary"},          {"images", total},  {"enrolled", enrolled},
                         {"already_enrolled", skipped}, {"failed", failed}, {"failures", by_reason}};
  if (o.json) {
    std::cout << summary.dump() << "\n";
  } else {
    std::fprintf(stderr, "%zu images: %zu enrolled, %zu already enrolled, %zu failed\n", total, enrolled, skipped,
                 failed);
    for (const auto& [reason, n] : failures) std::fprintf(stderr, "  %zu x %s\n", n, reason.c_str());
  }
  return 0;
}

int SearchCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto svc = Open(g, o.data, &engine);
  if (!svc.ok()) return Fail(svc.status());
  auto bytes = ReadFileBytes(o.image);
  if (!bytes.ok()) return Fail(bytes.status());
  service::SearchRequest r;
  r.group_ids = o.groups;
  r.image = std::move(*bytes);
  r.max_person_num = o.top;
  r.need_person_info = true;
  const double t0 = NowMs();
  auto res = o.persons ? (*svc)->SearchPersons(r) : (*svc)->SearchFaces(r);
  const double ms = NowMs() - t0;
  if (!res.ok()) return FailApi(res.error());
  const auto& result = res->results.at(0);
  if (o.json) {
    nlohmann::json cands = nlohmann::json::array();
    for (const auto& c : result.candidates) {
      nlohmann::json j{{"person_id", c.person_id},
                       {"score", c.score},
                       {"similarity", c.similarity},
                       {"group_id", c.group_id},
                       {"person_name", c.person_name.value_or("")}};
      if (!c.face_id.empty()) j["face_id"] = c.face_id;
      cands.push_back(j);
    }
    nlohmann::json out{{"face_rect", RectJson(result.face_rect)}, {"candidates", cands}, {"ms", ms}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("face at %d,%d %dx%d\n", result.face_rect.x, result.face_rect.y, result.face_rect.width,
                result.face_rect.height);
    for (const auto& c : result.candidates) {
      std::printf("  %-30s score %5.1f  similarity %.3f  group %s\n", c.person_id.c_str(), c.score, c.similarity,
                  c.group_id.c_str());
    }
  }
  return 0;
}

int ListCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto svc = Open(g, o.data, &engine);
  if (!svc.ok()) return Fail(svc.status());
  nlohmann::json out;
  if (o.group.empty()) {
    auto groups = (*svc)->GetGroupList(0, 1000);
    if (!groups.ok()) return FailApi(groups.error());
    out = nlohmann::json::array();
    for (const auto& gi : groups->group_infos) {
      auto n = (*svc)->GetPersonListNum(gi.group_id);
      out.push_back({{"group_id", gi.group_id},
                     {"group_name", gi.group_name},
                     {"persons", n.ok() ? n->person_num : 0},
                     {"faces", n.ok() ? n->face_num : 0}});
    }
  } else {
    out = nlohmann::json::array();
    for (std::int64_t offset = 0;; offset += 1000) {
      auto page = (*svc)->GetPersonList(o.group, offset, 1000);
      if (!page.ok()) return FailApi(page.error());
      for (const auto& p : page->person_infos) {
        out.push_back({{"person_id", p.person_id}, {"person_name", p.person_name}, {"faces", p.face_ids.size()}});
      }
      if (page->person_infos.size() < 1000) break;
    }
  }
  if (o.json) {
    std::cout << out.dump() << "\n";
  } else {
    for (const auto& e : out) {
      if (e.contains("group_id")) {
        std::printf("%-30s %8d persons %8d faces\n", e["group_id"].get<std::string>().c_str(), e["persons"].get<int>(),
                    e["faces"].get<int>());
      } else {
        std::printf("%-30s %d faces\n", e["person_id"].get<std::string>().c_str(), e["faces"].get<int>());
      }
    }
  }
  return 0;
}

int DeleteCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto svc = Open(g, o.data, &engine);
  if (!svc.ok()) return Fail(svc.status());
  if (!o.person.empty() && !o.group.empty()) {
    auto r = (*svc)->DeletePersonFromGroup(o.person, o.group);
    if (!r.ok()) return FailApi(r.error());
    std::cout << "removed " << o.person << " from " << o.group << "\n";
  } else if (!o.person.empty()) {
    auto r = (*svc)->DeletePerson(o.person);
    if (!r.ok()) return FailApi(r.error());
    std::cout << "deleted person " << o.person << "\n";
  } else if (!o.group.empty()) {
    auto r = (*svc)->DeleteGroup(o.group);
    if (!r.ok()) return FailApi(r.error());
    std::cout << "deleted group " << o.group << "\n";
  } else {
    return Fail(Status(StatusCode::kInvalidArgument, "give --group, --person or both"));
  }
  if (Status s = (*svc)->gallery().Checkpoint(); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace

void RegisterGallery(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* gal = app.add_subcommand("gallery", "Groups, persons and faces in a data folder (see docs/gallery.md)");
  gal->require_subcommand(1);
  auto o = std::make_shared<GalleryOptionsCli>();
  auto data = [&](CLI::App* sub) {
    sub->add_option("--data", o->data, "Data folder (gallery.db and index/)")->required();
  };

  CLI::App* cg = gal->add_subcommand("create-group", "Create a group");
  data(cg);
  cg->add_option("--group", o->group, "Group id")->required();
  cg->add_option("--name", o->name, "Group name (default: the id)");
  cg->add_option("--tag", o->tag, "Tag");
  cg->callback([o, &g, run] { *run = [o, &g] { return CreateGroupCmd(g, *o); }; });

  CLI::App* en = gal->add_subcommand(
      "enroll", "Enrol FOLDER/<person>/<image>: one person per sub-folder (its name is the person id); resumable");
  data(en);
  en->add_option("--group", o->group, "Group id (created if missing)")->required();
  en->add_option("FOLDER", o->folder, "Folder of person folders")->required();
  en->add_option("--quality", o->quality, "QualityControl 0-4 for every image")
      ->default_val(0)
      ->check(CLI::Range(0, 4));
  en->add_flag("--json", o->json, "Summary as JSON (each enrolled face is always a JSON line on stdout)");
  en->callback([o, &g, run] { *run = [o, &g] { return EnrollCmd(g, *o); }; });

  CLI::App* se = gal->add_subcommand("search", "Search the largest face of IMAGE in one or more groups");
  data(se);
  se->add_option("--group", o->groups, "Group id (repeat for several)")->required()->allow_extra_args(false);
  se->add_option("IMAGE", o->image, "Image file")->required();
  se->add_option("--top", o->top, "Persons to return")->default_val(5)->check(CLI::Range(1, 100));
  se->add_flag("--persons", o->persons, "Match persons' fused features instead of single faces");
  se->add_flag("--json", o->json, "JSON output");
  se->callback([o, &g, run] { *run = [o, &g] { return SearchCmd(g, *o); }; });

  CLI::App* ls = gal->add_subcommand("list", "List groups, or the persons of --group");
  data(ls);
  ls->add_option("--group", o->group, "Group id");
  ls->add_flag("--json", o->json, "JSON output");
  ls->callback([o, &g, run] { *run = [o, &g] { return ListCmd(g, *o); }; });

  CLI::App* de = gal->add_subcommand(
      "delete", "Delete a group (--group), a person (--person), or remove a person from a group (both)");
  data(de);
  de->add_option("--group", o->group, "Group id");
  de->add_option("--person", o->person, "Person id");
  de->callback([o, &g, run] { *run = [o, &g] { return DeleteCmd(g, *o); }; });

  RegisterGalleryTransfer(gal, g, run);
}

}  // namespace facekit::cli
