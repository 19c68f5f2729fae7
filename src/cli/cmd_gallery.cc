// facekit gallery - groups, persons and faces in a data folder, from the
// command line: create-group, enroll, search, list, delete, export, import.
// Each command works on a data folder (--data; writing commands take the
// folder's lock) or through a running server (--server --key); see
// gallery_backend.h.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/gallery_backend.h"

namespace facekit::cli {

namespace {

namespace fs = std::filesystem;
using service::ApiError;

struct GalleryOptionsCli {
  BackendOptions backend;
  std::string group;
  std::vector<std::string> groups;
  std::string name, tag, person, folder, image;
  int top = 5;
  bool json = false;
  bool persons = false;
  int quality = 0;
  FaceChoice face;
  bool face_given = false;
  float threshold = 0;
};


nlohmann::json RectJson(const service::Rect& r) {
  return {{"x", r.x}, {"y", r.y}, {"width", r.width}, {"height", r.height}};
}

Result<std::unique_ptr<GalleryBackend>> Open(const GlobalOptions& g, const GalleryOptionsCli& o, bool writes,
                                             const char* command, std::unique_ptr<FaceEngine>* engine) {
  BackendOptions b = o.backend;
  b.writes = writes;
  b.command = command;
  return OpenBackend(g, b, engine);
}

// Through a node of a cluster: where these writes are in the change log, on
// stderr (stdout may be JSON lines), for another command's --min-seq.
void ReportPosition(const GalleryBackend& backend) {
  if (const std::int64_t seq = backend.Position(); seq > 0) {
    std::cerr << "facekit: change-log position " << seq << " (--min-seq " << seq
              << " reads these writes through any node of the cluster at once)\n";
  }
}

int CreateGroupCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto backend = Open(g, o, true, "facekit gallery create-group", &engine);
  if (!backend.ok()) return Fail(backend.status());
  service::CreateGroupRequest r;
  r.group_id = o.group;
  r.group_name = o.name.empty() ? o.group : o.name;
  r.tag = o.tag;
  auto res = (*backend)->CreateGroup(r);
  if (!res.ok()) return FailApi(res.error());
  if (Status s = (*backend)->Finish(); !s.ok()) return Fail(s);
  ReportPosition(**backend);
  std::cout << "created group " << o.group << " in the " << (*backend)->Describe() << "\n";
  return 0;
}

// The error a CreateFace result code stands for.
ApiError RetCodeError(int rc) {
  switch (rc) {
    case -1101:
      return {"InvalidParameterValue.NoFaceInPhoto", "no face in the image"};
    case -1102:
      return {"FailedOperation.ImageDecodeFailed", "the image does not decode"};
    case -1103:
      return {"FailedOperation.FaceAmbiguous",
              "several faces of similar size; say which one with --face largest|central|INDEX"};
    case -1601:
      return {"FailedOperation.FaceQualityNotQualified", "the face is below the --quality level"};
    default:
      return {"RetCode" + std::to_string(rc), "refused with result code " + std::to_string(rc)};
  }
}

std::string Duration(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof(buf), "%.1f s", seconds);
  } else {
    std::snprintf(buf, sizeof(buf), "%d min %02d s", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  }
  return buf;
}

// Enrols FOLDER/<person>/<image>: the first face creates the person, later
// ones are added up to the 5-face limit, which is applied before any work
// (images past it are listed, not tried). Images already enrolled (same
// relative path, recorded as the face's source) are skipped, so an
// interrupted run can simply be repeated. A photo with several faces of
// similar size is refused unless --face says which face to take. Each stored
// face is reported on stdout as one JSON line once it is durable; the exit
// status is 1 when any image failed.
int EnrollCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::error_code ec;
  if (!fs::is_directory(o.folder, ec)) return Fail(Status(StatusCode::kNotFound, o.folder + " is not a folder"));
  std::unique_ptr<FaceEngine> engine;
  auto opened = Open(g, o, true, "facekit gallery enroll", &engine);
  if (!opened.ok()) return Fail(opened.status());
  GalleryBackend& backend = **opened;
  if (auto info = backend.GetGroupInfo(o.group); !info.ok()) {
    if (info.error().code != "InvalidParameterValue.GroupIdNotExist") return FailApi(info.error());
    service::CreateGroupRequest r;
    r.group_id = o.group;
    r.group_name = o.name.empty() ? o.group : o.name;
    auto created = backend.CreateGroup(r);
    if (!created.ok()) return FailApi(created.error());
  }
  // person -> images, sorted.
  std::map<std::string, std::vector<fs::path>> people;
  std::size_t total = 0;
  for (const auto& entry : fs::directory_iterator(o.folder, ec)) {
    if (!entry.is_directory()) continue;
    std::vector<fs::path> images;
    for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
      if (f.is_regular_file() && HasImageFileExtension(f.path().string())) images.push_back(f.path());
    }
    std::sort(images.begin(), images.end());
    total += images.size();
    people[entry.path().filename().string()] = std::move(images);
  }
  const std::size_t max_faces = service::ServiceOptions{}.max_faces_per_person;
  const FaceChoice choice = o.face_given ? o.face : FaceChoice{FaceChoice::Rule::kSole, 0};
  std::map<std::string, std::size_t> failures;  // by error code
  std::vector<std::string> over_limit;
  std::size_t enrolled = 0, skipped = 0, done = 0, worked = 0;
  const double started = NowMs();
  ProgressBar progress("enrol", total, "images");
  auto fail = [&](const std::string& source, const ApiError& e) {
    ++failures[e.code];
    if (o.json) {
      std::cout << nlohmann::json{{"event", "failed"}, {"source", source}, {"code", e.code}, {"message", e.message}}
                       .dump()
                << "\n"
                << std::flush;
    } else {
      std::fprintf(stderr, "\r\033[K%s: %s: %s\n", source.c_str(), e.code.c_str(), e.message.c_str());
    }
  };
  for (const auto& [person, images] : people) {
    auto state = backend.PersonState(person, o.group);
    if (!state.ok()) return FailApi(state.error());
    std::optional<EnrolState> st = std::move(state.value());
    std::size_t stored = st ? st->faces : 0;
    if (st && !st->in_group && !images.empty()) {  // enrolled elsewhere (another group): add it to this one
      auto copied = backend.CopyPerson(person, o.group);
      if (!copied.ok()) return FailApi(copied.error());
      st->in_group = true;
    }
    for (const fs::path& image : images) {
      ++done;
      const std::string source = person + "/" + image.filename().string();
      if (st && st->sources.count(source)) {
        ++skipped;
        progress.Update(done, worked);
        continue;
      }
      if (stored >= max_faces) {
        over_limit.push_back(source);
        progress.Update(done, worked);
        continue;
      }
      ++worked;
      auto bytes = ReadFileBytes(image.string());
      if (!bytes.ok()) {
        fail(source, {"FailedOperation.ImageReadFailed", bytes.status().message()});
        progress.Update(done, worked);
        continue;
      }
      std::string face_id;
      std::optional<ApiError> error;
      int faces_in_photo = 0;
      if (!st) {
        service::CreatePersonRequest r;
        r.group_id = o.group;
        r.person_id = person;
        r.person_name = person;
        r.image = std::move(*bytes);
        r.quality_control = o.quality;
        r.source = source;
        r.face_choice = choice;
        auto res = backend.CreatePerson(r);
        if (res.ok()) {
          face_id = res->face_id;
          faces_in_photo = res->faces_in_photo;
          st = EnrolState{true, 0, {}};
        } else {
          error = res.error();
        }
      } else {
        {
          service::CreateFaceRequest r;
          r.person_id = person;
          r.images.push_back(std::move(*bytes));
          r.sources.push_back(source);
          r.face_match_threshold = 0;
          r.quality_control = o.quality;
          r.face_choice = choice;
          auto res = backend.CreateFace(r);
          if (!res.ok()) {
            error = res.error();
          } else if (res->suc_face_num == 1 && !res->suc_face_ids.empty()) {
            face_id = res->suc_face_ids[0];
            faces_in_photo = res->faces_in_photo.empty() ? 0 : res->faces_in_photo[0];
          } else {
            error = RetCodeError(res->ret_code.empty() ? 0 : res->ret_code[0]);
          }
        }
      }
      if (!face_id.empty()) {
        ++enrolled;
        ++stored;
        st->sources.insert(source);
        nlohmann::json j{{"event", "enrolled"}, {"person_id", person}, {"face_id", face_id}, {"source", source}};
        if (faces_in_photo > 1) j["faces_in_photo"] = faces_in_photo;
        std::cout << j.dump() << "\n" << std::flush;
      } else {
        fail(source, *error);
      }
      progress.Update(done, worked);
    }
  }
  if (Status s = backend.Finish(); !s.ok()) return Fail(s);
  ReportPosition(backend);
  const double seconds = (NowMs() - started) / 1000;
  std::size_t failed = 0;
  nlohmann::json by_reason = nlohmann::json::object();
  for (const auto& [reason, n] : failures) {
    by_reason[reason] = n;
    failed += n;
  }
  nlohmann::json summary{{"event", "summary"},       {"images", total},          {"enrolled", enrolled},
                         {"already_enrolled", skipped}, {"over_face_limit", over_limit.size()},
                         {"failed", failed},         {"failures", by_reason},    {"seconds", seconds}};
  if (o.json) {
    std::cout << summary.dump() << "\n";
  } else {
    std::fprintf(stderr, "%zu images in %s: %zu enrolled, %zu already enrolled, %zu over the %zu-face limit, %zu failed\n",
                 total, Duration(seconds).c_str(), enrolled, skipped, over_limit.size(), max_faces, failed);
    for (const auto& [reason, n] : failures) std::fprintf(stderr, "  %zu x %s\n", n, reason.c_str());
    if (!over_limit.empty()) {
      std::fprintf(stderr, "  not tried (a person holds at most %zu faces): %s%s\n", max_faces, over_limit[0].c_str(),
                   over_limit.size() > 1 ? (" and " + std::to_string(over_limit.size() - 1) + " more").c_str() : "");
    }
  }
  return failed > 0 ? 1 : 0;
}

int SearchCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  auto bytes = ReadFileBytes(o.image);
  if (!bytes.ok()) return Fail(bytes.status());
  std::unique_ptr<FaceEngine> engine;
  auto backend = Open(g, o, false, "facekit gallery search", &engine);
  if (!backend.ok()) return Fail(backend.status());
  service::SearchRequest r;
  r.group_ids = o.groups;
  r.image = std::move(*bytes);
  r.max_person_num = o.top;
  r.need_person_info = true;
  r.face_choice = o.face;
  const double t0 = NowMs();
  auto res = (*backend)->Search(r, o.persons);
  const double ms = NowMs() - t0;
  if (!res.ok()) return FailApi(res.error());
  if (res->results.empty()) return Fail(Status(StatusCode::kInternal, "the search answered no result"));
  const auto& result = res->results.front();
  const float threshold = o.threshold > 0 ? o.threshold : kSearchMatchScore;
  const service::Candidate* best = result.candidates.empty() ? nullptr : &result.candidates.front();
  const bool match = best != nullptr && best->score >= threshold;
  if (res->faces_in_photo > 1) {
    std::fprintf(stderr,
                 "facekit: %s holds %zu faces; searched face %s (%d,%d %dx%d); choose another with --face central "
                 "or --face INDEX\n",
                 o.image.c_str(), res->faces_in_photo, FaceChoiceName(o.face).c_str(), result.face_rect.x,
                 result.face_rect.y, result.face_rect.width, result.face_rect.height);
  }
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
    nlohmann::json verdict{{"match", match}, {"threshold", threshold}};
    if (best) {
      verdict["person_id"] = best->person_id;
      verdict["score"] = best->score;
    }
    nlohmann::json out{{"face_rect", RectJson(result.face_rect)},
                       {"faces_in_photo", res->faces_in_photo},
                       {"verdict", verdict},
                       {"candidates", cands},
                       {"ms", ms}};
    std::cout << out.dump() << "\n";
  } else {
    std::printf("face at %d,%d %dx%d\n", result.face_rect.x, result.face_rect.y, result.face_rect.width,
                result.face_rect.height);
    if (match) {
      std::printf("match: %s (score %.1f >= %g)\n", best->person_id.c_str(), static_cast<double>(best->score),
                  static_cast<double>(threshold));
    } else if (best) {
      std::printf("no match: the best candidate, %s, scores %.1f < %g\n", best->person_id.c_str(),
                  static_cast<double>(best->score), static_cast<double>(threshold));
    } else {
      std::printf("no match: no candidates\n");
    }
    std::printf("  (%s)\n", SearchRuleText(threshold).c_str());
    for (const auto& c : result.candidates) {
      std::printf("  %-30s score %5.1f  similarity %.3f  group %s\n", c.person_id.c_str(), static_cast<double>(c.score),
                  static_cast<double>(c.similarity), c.group_id.c_str());
    }
  }
  return 0;
}

int ListCmd(const GlobalOptions& g, const GalleryOptionsCli& o) {
  std::unique_ptr<FaceEngine> engine;
  auto opened = Open(g, o, false, "facekit gallery list", &engine);
  if (!opened.ok()) return Fail(opened.status());
  GalleryBackend& backend = **opened;
  nlohmann::json out = nlohmann::json::array();
  if (o.group.empty()) {
    for (std::int64_t offset = 0;; offset += 1000) {
      auto groups = backend.GetGroupList(offset, 1000);
      if (!groups.ok()) return FailApi(groups.error());
      for (const auto& gi : groups->group_infos) {
        auto n = backend.GetPersonListNum(gi.group_id);
        out.push_back({{"group_id", gi.group_id},
                       {"group_name", gi.group_name},
                       {"persons", n.ok() ? n->person_num : 0},
                       {"faces", n.ok() ? n->face_num : 0}});
      }
      if (groups->group_infos.size() < 1000) break;
    }
  } else {
    for (std::int64_t offset = 0;; offset += 1000) {
      auto page = backend.GetPersonList(o.group, offset, 1000);
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
  if (o.person.empty() && o.group.empty()) {
    return Fail(Status(StatusCode::kInvalidArgument, "give --group, --person or both"));
  }
  std::unique_ptr<FaceEngine> engine;
  auto opened = Open(g, o, true, "facekit gallery delete", &engine);
  if (!opened.ok()) return Fail(opened.status());
  GalleryBackend& backend = **opened;
  if (!o.person.empty() && !o.group.empty()) {
    auto r = backend.DeletePersonFromGroup(o.person, o.group);
    if (!r.ok()) return FailApi(r.error());
    std::cout << "removed " << o.person << " from " << o.group << "\n";
  } else if (!o.person.empty()) {
    auto r = backend.DeletePerson(o.person);
    if (!r.ok()) return FailApi(r.error());
    std::cout << "deleted person " << o.person << "\n";
  } else {
    auto r = backend.DeleteGroup(o.group);
    if (!r.ok()) return FailApi(r.error());
    std::cout << "deleted group " << o.group << "\n";
  }
  if (Status s = backend.Finish(); !s.ok()) return Fail(s);
  ReportPosition(backend);
  return 0;
}

}  // namespace

void RegisterGallery(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* gal = app.add_subcommand(
      "gallery",
      "Groups, persons and faces in a data folder, or through a running server with --server (see docs/gallery.md)");
  gal->require_subcommand(1);
  auto o = std::make_shared<GalleryOptionsCli>();

  CLI::App* cg = gal->add_subcommand("create-group", "Create a group");
  AddBackendOptions(cg, &o->backend);
  cg->add_option("--group", o->group, "Group id")->required();
  cg->add_option("--name", o->name, "Group name (default: the id)");
  cg->add_option("--tag", o->tag, "Tag");
  cg->callback([o, &g, run] { *run = [o, &g] { return CreateGroupCmd(g, *o); }; });

  CLI::App* en = gal->add_subcommand(
      "enroll",
      "Enrol FOLDER/<person>/<image>: one person per sub-folder (its name is the person id); resumable; exit status 1 "
      "when an image failed");
  AddBackendOptions(en, &o->backend);
  en->add_option("--group", o->group, "Group id (created if missing)")->required();
  en->add_option("FOLDER", o->folder, "Folder of person folders")->required();
  en->add_option("--quality", o->quality, "QualityControl 0-4 for every image")
      ->default_val(0)
      ->check(CLI::Range(0, 4));
  AddFaceOption(en, &o->face, "refuse photos with several faces of similar size", "--face", &o->face_given);
  en->add_flag("--json", o->json, "Failures and the summary as JSON lines too (each enrolled face always is one)");
  en->callback([o, &g, run] { *run = [o, &g] { return EnrollCmd(g, *o); }; });

  CLI::App* se = gal->add_subcommand("search", "Search a face of IMAGE in one or more groups: a verdict and the top persons");
  AddBackendOptions(se, &o->backend);
  se->add_option("--group", o->groups, "Group id (repeat for several)")->required()->allow_extra_args(false);
  se->add_option("IMAGE", o->image, "Image file")->required();
  se->add_option("--top", o->top, "Persons to return")->default_val(5)->check(CLI::Range(1, 100));
  se->add_flag("--persons", o->persons, "Match persons' fused features instead of single faces");
  se->add_option("--threshold", o->threshold,
                 "A match at or above this search score (default 70: about 1 false alarm in 100 searches of a "
                 "10,000-face gallery)")
      ->check(CLI::Range(0.0, 100.0));
  AddFaceOption(se, &o->face);
  se->add_flag("--json", o->json, "JSON output");
  se->callback([o, &g, run] { *run = [o, &g] { return SearchCmd(g, *o); }; });

  CLI::App* ls = gal->add_subcommand("list", "List groups, or the persons of --group");
  AddBackendOptions(ls, &o->backend);
  ls->add_option("--group", o->group, "Group id");
  ls->add_flag("--json", o->json, "JSON output");
  ls->callback([o, &g, run] { *run = [o, &g] { return ListCmd(g, *o); }; });

  CLI::App* de = gal->add_subcommand(
      "delete", "Delete a group (--group), a person (--person), or remove a person from a group (both)");
  AddBackendOptions(de, &o->backend);
  de->add_option("--group", o->group, "Group id");
  de->add_option("--person", o->person, "Person id");
  de->callback([o, &g, run] { *run = [o, &g] { return DeleteCmd(g, *o); }; });

  RegisterGalleryTransfer(gal, g, run);
}

}  // namespace facekit::cli
