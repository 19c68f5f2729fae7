// facekit bench soak - crash safety of a real `facekit serve` under load:
// writers and readers talk to the server over its REST API while the server
// is killed with SIGKILL at random points and restarted, again and again.
// After each restart the gallery must hold every write the server
// acknowledged, and nothing half-written: no person without faces, no person
// or face nobody asked for, counts that agree with the listing, and the
// faces findable by search.
//
// Each writer owns its persons (ids "w<N>-<seq>"), so what a writer believes
// is exact except for the one request it had in flight when the server died:
// that one is "uncertain" and may have happened or not, but only whole.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "cli/gallery_backend.h"
#include "cli/serve_child.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kGroup = "soak";

struct SoakOptions {
  std::string photos;  // DIR/<identity>/<image files>
  std::string data;    // kept when given; a temporary folder otherwise
  int cycles = 100;
  int writers = 4;
  int readers = 2;
  double min_run_s = 0.3;
  double max_run_s = 2.5;
  int identities = 0;  // 0 = all
  std::uint64_t seed = 42;
  bool json = false;
};

using Identity = PhotoPerson;  // one identity's photos, read once

// What a writer knows about one of its persons.
struct PersonModel {
  std::size_t identity = 0;
  bool exists = false;
  std::set<std::string> faces;    // acknowledged face ids
  bool uncertain_create = false;  // CreatePerson in flight at a kill
  bool uncertain_delete = false;  // DeletePerson in flight at a kill
  int uncertain_adds = 0;         // CreateFace calls in flight at a kill
  std::size_t next_image = 1;     // the identity's next photo for CreateFace
  bool uncertain() const { return uncertain_create || uncertain_delete || uncertain_adds > 0; }
};

struct Totals {
  std::int64_t creates = 0, faces_added = 0, deletes = 0, refused = 0, uncertain = 0;
  std::int64_t lost = 0, half_written = 0, phantoms = 0, count_mismatches = 0;
  std::int64_t search_checks = 0, search_misses = 0;
  std::int64_t reads_ok = 0, reads_refused = 0, reads_unreachable = 0;
  std::map<std::string, std::int64_t> read_errors, write_errors;
  std::vector<std::string> problems;  // the first few, for the report
  void Problem(std::string what) {
    if (problems.size() < 20) problems.push_back(std::move(what));
  }
};

bool Unreachable(const service::ApiError& e) { return e.code == "ServerUnreachable"; }

Result<std::unique_ptr<GalleryBackend>> Connect(const GlobalOptions& g, const std::string& url, const std::string& key) {
  BackendOptions bo;
  bo.server = url;
  bo.key = key;
  bo.writes = true;
  return OpenBackend(g, bo, nullptr);
}

class Soak {
 public:
  Soak(const SoakOptions& o, std::vector<Identity> ids) : o_(o), ids_(std::move(ids)), models_(o.writers) {}

  // One writer's work until `stop`: creates, adds faces, deletes.
  void Write(GalleryBackend& api, int w, std::mt19937_64& rng, const std::atomic<bool>& stop) {
    auto& persons = models_[w];
    while (!stop.load()) {
      std::vector<std::string> live;
      for (const auto& [id, p] : persons) {
        if (p.exists && !p.uncertain()) live.push_back(id);
      }
      const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
      bool gone = false;  // the server died: this writer's request in flight is its only uncertain one
      if (live.empty() || roll < 0.55) {
        gone = Create(api, w, rng);
      } else if (roll < 0.85) {
        gone = AddFace(api, live[rng() % live.size()], w);
      } else {
        gone = Delete(api, live[rng() % live.size()], w);
      }
      if (gone) return;
    }
  }

  void Read(GalleryBackend& api, std::mt19937_64& rng, const std::atomic<bool>& stop) {
    while (!stop.load()) {
      const Identity& id = ids_[rng() % ids_.size()];
      service::SearchRequest r;
      r.group_ids = {kGroup};
      r.image = id.images[0];
      r.max_person_num = 5;
      auto got = api.Search(r, /*persons=*/true);
      std::lock_guard lock(mu_);
      if (got.ok()) {
        ++t_.reads_ok;
      } else if (Unreachable(got.error())) {
        ++t_.reads_unreachable;
        return;
      } else if (got.error().code == "InvalidParameterValue.NoFaceInGroups" ||
                 got.error().code == "InvalidParameterValue.NoFaceInPhoto") {
        ++t_.reads_refused;  // an empty group (first cycle), a photo without a face
      } else {
        ++t_.read_errors[got.error().code];
      }
    }
  }

  // Compares what the server holds with what the writers were told; then the
  // writers' belief becomes the server's state (uncertain requests resolved).
  Status Verify(GalleryBackend& api, std::mt19937_64& rng) {
    std::map<std::string, std::set<std::string>> held;
    for (std::int64_t offset = 0;; offset += 1000) {
      auto page = api.GetPersonList(kGroup, offset, 1000);
      if (!page.ok()) return Status(StatusCode::kInternal, "GetPersonList: " + page.error().code + " " + page.error().message);
      for (auto& p : page->person_infos) held[p.person_id] = {p.face_ids.begin(), p.face_ids.end()};
      if (page->person_infos.size() < 1000) break;
    }
    auto counts = api.GetPersonListNum(kGroup);
    if (!counts.ok()) return Status(StatusCode::kInternal, "GetPersonListNum: " + counts.error().code);
    std::size_t faces = 0;
    for (const auto& [id, f] : held) faces += f.size();
    if (counts->person_num != held.size() || counts->face_num != faces) {
      ++t_.count_mismatches;
      t_.Problem("counts " + std::to_string(counts->person_num) + "/" + std::to_string(counts->face_num) +
                 " but the listing has " + std::to_string(held.size()) + "/" + std::to_string(faces));
    }
    std::set<std::string> known;
    for (auto& persons : models_) {
      for (auto& [id, p] : persons) {
        known.insert(id);
        const auto it = held.find(id);
        const bool there = it != held.end();
        if (there && it->second.empty()) {
          ++t_.half_written;
          t_.Problem(id + " is listed without faces");
        }
        if (!there) {
          if (p.exists && !p.uncertain_delete) {
            ++t_.lost;
            t_.Problem(id + " (acknowledged) is missing");
          }
          p.exists = false;
        } else {
          if (!p.exists && !p.uncertain_create) {
            ++t_.lost;  // an acknowledged delete undone
            t_.Problem(id + " was deleted (acknowledged) but is back");
          }
          std::size_t extra = 0;
          for (const auto& f : it->second) extra += p.faces.count(f) == 0 ? 1 : 0;
          for (const auto& f : p.faces) {
            if (!it->second.count(f)) {
              ++t_.lost;
              t_.Problem(id + " lost acknowledged face " + f);
            }
          }
          const std::size_t allowed = static_cast<std::size_t>(p.uncertain_adds) + (p.uncertain_create ? 1 : 0);
          if (extra > allowed) {
            ++t_.half_written;
            t_.Problem(id + " has " + std::to_string(extra) + " faces nobody was told of");
          }
          p.exists = true;
          p.faces = it->second;
        }
        p.uncertain_create = p.uncertain_delete = false;
        p.uncertain_adds = 0;
      }
    }
    for (const auto& [id, f] : held) {
      if (!known.count(id)) {
        ++t_.phantoms;
        t_.Problem(id + " exists but was never created");
      }
    }
    return CheckSearch(api, rng);
  }

  void Report(const std::vector<double>& restart_ms, int cycles) const {
    json j{{"cycles", cycles},
           {"writers", o_.writers},
           {"readers", o_.readers},
           {"writes_acknowledged", t_.creates + t_.faces_added + t_.deletes},
           {"creates", t_.creates},
           {"faces_added", t_.faces_added},
           {"deletes", t_.deletes},
           {"writes_refused", t_.refused},
           {"write_errors", t_.write_errors},
           {"uncertain_at_kill", t_.uncertain},
           {"lost", t_.lost},
           {"half_written", t_.half_written},
           {"phantoms", t_.phantoms},
           {"count_mismatches", t_.count_mismatches},
           {"search_checks", t_.search_checks},
           {"search_misses", t_.search_misses},
           {"reads_ok", t_.reads_ok},
           {"reads_refused", t_.reads_refused},
           {"reads_while_down", t_.reads_unreachable},
           {"read_errors", t_.read_errors},
           {"restart_ms_p50", Percentile(restart_ms, 0.5)},
           {"restart_ms_p99", Percentile(restart_ms, 0.99)},
           {"restart_ms_max", restart_ms.empty() ? 0.0 : *std::max_element(restart_ms.begin(), restart_ms.end())},
           {"problems", t_.problems}};
    std::cout << (o_.json ? j.dump() : j.dump(2)) << "\n";
  }

  bool Clean() const {
    return t_.lost == 0 && t_.half_written == 0 && t_.phantoms == 0 && t_.count_mismatches == 0 &&
           t_.search_misses == 0 && t_.read_errors.empty() && t_.write_errors.empty();
  }

 private:
  // Each returns true when the server could not be reached (the request may
  // or may not have been carried out).
  bool Create(GalleryBackend& api, int w, std::mt19937_64& rng) {
    const std::string id = "w" + std::to_string(w) + "-" + std::to_string(next_seq_[w]++);
    PersonModel p;
    // Identities are dealt to writers round robin; a writer walks its own.
    const std::size_t mine = (ids_.size() + static_cast<std::size_t>(o_.writers) - 1 - static_cast<std::size_t>(w)) /
                             static_cast<std::size_t>(o_.writers);
    if (mine == 0) return false;
    p.identity = static_cast<std::size_t>(w) + static_cast<std::size_t>(o_.writers) * (rng() % mine);
    service::CreatePersonRequest r;
    r.group_id = kGroup;
    r.person_id = id;
    r.person_name = ids_[p.identity].name;
    r.image = ids_[p.identity].images[0];
    p.uncertain_create = true;
    auto got = api.CreatePerson(r);
    std::lock_guard lock(mu_);
    if (got.ok()) {
      p.uncertain_create = false;
      p.exists = true;
      p.faces.insert(got->face_id);
      ++t_.creates;
    } else if (Unreachable(got.error())) {
      ++t_.uncertain;
    } else {
      Refused(got.error());  // nothing was created
      return false;
    }
    const bool gone = p.uncertain_create;
    models_[w][id] = std::move(p);
    return gone;
  }

  bool AddFace(GalleryBackend& api, const std::string& id, int w) {
    PersonModel& p = models_[w][id];
    const Identity& who = ids_[p.identity];
    if (p.faces.size() >= 5 || who.images.size() < 2) return false;
    service::CreateFaceRequest r;
    r.person_id = id;
    r.images = {who.images[p.next_image % who.images.size()]};
    p.next_image = p.next_image % who.images.size() + 1;
    ++p.uncertain_adds;
    auto got = api.CreateFace(r);
    std::lock_guard lock(mu_);
    if (got.ok()) {
      --p.uncertain_adds;
      for (const auto& f : got->suc_face_ids) p.faces.insert(f);
      t_.faces_added += static_cast<std::int64_t>(got->suc_face_num);
      if (got->suc_face_num == 0) ++t_.refused;  // e.g. -1604: not similar enough to the person
    } else if (Unreachable(got.error())) {
      ++t_.uncertain;
      return true;
    } else {
      --p.uncertain_adds;
      Refused(got.error());
    }
    return false;
  }

  bool Delete(GalleryBackend& api, const std::string& id, int w) {
    PersonModel& p = models_[w][id];
    p.uncertain_delete = true;
    auto got = api.DeletePerson(id);
    std::lock_guard lock(mu_);
    if (got.ok()) {
      p.uncertain_delete = false;
      p.exists = false;
      p.faces.clear();
      ++t_.deletes;
    } else if (Unreachable(got.error())) {
      ++t_.uncertain;
      return true;
    } else {
      p.uncertain_delete = false;
      Refused(got.error());
    }
    return false;
  }

  // Refusals the photos can cause are counted; anything else is an error.
  static bool Expected(const service::ApiError& e) {
    return e.code.rfind("FailedOperation.", 0) == 0 || e.code == "InvalidParameterValue.NoFaceInPhoto" ||
           e.code == "InvalidParameterValue.PersonFaceNumExceed";
  }
  void Refused(const service::ApiError& e) {
    if (Expected(e)) {
      ++t_.refused;
    } else {
      ++t_.write_errors[e.code];
      t_.Problem("write refused: " + e.code + " " + e.message);
    }
  }

  // A few persons whose identity no other live person has: their first
  // photo must find them.
  Status CheckSearch(GalleryBackend& api, std::mt19937_64& rng) {
    std::map<std::size_t, int> uses;
    std::vector<std::pair<std::string, std::size_t>> candidates;
    for (const auto& persons : models_) {
      for (const auto& [id, p] : persons) {
        if (p.exists) ++uses[p.identity];
      }
    }
    for (const auto& persons : models_) {
      for (const auto& [id, p] : persons) {
        if (p.exists && uses[p.identity] == 1) candidates.emplace_back(id, p.identity);
      }
    }
    std::shuffle(candidates.begin(), candidates.end(), rng);
    if (candidates.size() > 3) candidates.resize(3);
    for (const auto& [id, identity] : candidates) {
      service::SearchRequest r;
      r.group_ids = {kGroup};
      r.image = ids_[identity].images[0];
      r.max_person_num = 5;
      auto got = api.Search(r, /*persons=*/true);
      if (!got.ok()) return Status(StatusCode::kInternal, "search after restart: " + got.error().code);
      ++t_.search_checks;
      bool found = false;
      for (const auto& res : got->results) {
        for (const auto& c : res.candidates) found = found || c.person_id == id;
      }
      if (!found) {
        ++t_.search_misses;
        t_.Problem("search with " + id + "'s enrolled photo does not find it");
      }
    }
    return Status::Ok();
  }

  const SoakOptions& o_;
  std::vector<Identity> ids_;
  std::vector<std::map<std::string, PersonModel>> models_;  // per writer
  std::map<int, std::int64_t> next_seq_;
  std::mutex mu_;  // t_ (writers touch only their own models_ entry)
  Totals t_;
};

int RunSoak(const GlobalOptions& g, const SoakOptions& o) {
  auto ids = LoadPhotoPersons(o.photos, static_cast<std::size_t>(o.identities), 1);
  if (!ids.ok()) return Fail(ids.status());
  auto setup = PrepareBenchServer(ResolveModelsDir(g), o.data, "soak", "");
  if (!setup.ok()) return Fail(setup.status());
  const BenchServerSetup& b = *setup;
  Soak soak(o, std::move(ids).value());
  std::mt19937_64 rng(o.seed);
  std::vector<double> restart_ms;
  ServeChild server;
  int cycles = 0;
  Status failed = Status::Ok();
  for (int cycle = 0; cycle <= o.cycles && failed.ok(); ++cycle) {
    const double t0 = NowMs();
    if (Status s = server.Start(b.self, b.models, b.folder, b.log); !s.ok()) {
      failed = s;
      break;
    }
    if (cycle > 0) restart_ms.push_back(NowMs() - t0);
    auto api = Connect(g, server.url(), b.credential);
    if (!api.ok()) return Fail(api.status());
    if (cycle == 0) {
      service::CreateGroupRequest cg;
      cg.group_id = kGroup;
      cg.group_name = kGroup;
      if (auto made = (*api)->CreateGroup(cg); !made.ok()) {
        return Fail(Status(StatusCode::kInternal, "CreateGroup: " + made.error().code + " " + made.error().message));
      }
    } else {
      if (Status s = soak.Verify(**api, rng); !s.ok()) {
        failed = s;
        break;
      }
      cycles = cycle;
      if (!o.json) std::fprintf(stderr, "\rcycle %d/%d", cycle, o.cycles);
    }
    if (cycle == o.cycles) break;  // the last restart only verifies
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < o.writers + o.readers; ++w) {
      threads.emplace_back([&, w, seed = rng()] {
        auto client = Connect(g, server.url(), b.credential);
        if (!client.ok()) return;
        std::mt19937_64 r(seed);
        if (w < o.writers) {
          soak.Write(**client, w, r, stop);
        } else {
          soak.Read(**client, r, stop);
        }
      });
    }
    const double run_s = std::uniform_real_distribution<double>(o.min_run_s, o.max_run_s)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(run_s * 1000)));
    server.Kill(SIGKILL);
    stop = true;
    for (auto& t : threads) t.join();
  }
  server.Kill(SIGTERM);
  if (!o.json) std::fprintf(stderr, "\n");
  soak.Report(restart_ms, cycles);
  if (!failed.ok()) return Fail(failed);
  std::error_code ec;
  if (b.temporary && soak.Clean()) fs::remove_all(b.dir, ec);
  if (!soak.Clean()) {
    std::fprintf(stderr, "facekit: soak found problems (data and server log kept in %s)\n", b.dir.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void RegisterBenchSoak(CLI::App* bench, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<SoakOptions>();
  CLI::App* soak = bench->add_subcommand(
      "soak", "Crash safety: writers and readers on a real server killed with SIGKILL and restarted; "
              "every acknowledged write must survive, nothing half-written (exit 1 otherwise)");
  soak->add_option("--photos", o->photos, "Folder of DIR/<person>/<photo> images (e.g. LFW View 1)")->required();
  soak->add_option("--data", o->data, "Folder for the server's data and log (kept; default: a temporary one)");
  soak->add_option("--cycles", o->cycles, "Kills and restarts")->default_val(100)->check(CLI::Range(1, 100000));
  soak->add_option("--writers", o->writers, "Writer connections")->default_val(4)->check(CLI::Range(1, 64));
  soak->add_option("--readers", o->readers, "Reader connections (searches)")->default_val(2)->check(CLI::Range(0, 64));
  soak->add_option("--min-run", o->min_run_s, "Shortest time between a start and the kill, seconds")
      ->default_val(0.3)
      ->check(CLI::Range(0.0, 3600.0));
  soak->add_option("--max-run", o->max_run_s, "Longest time between a start and the kill, seconds")
      ->default_val(2.5)
      ->check(CLI::Range(0.0, 3600.0));
  soak->add_option("--identities", o->identities, "Use the first N people of --photos (0 = all)")->default_val(0);
  soak->add_option("--seed", o->seed, "Seed of the kill times and the writers' choices")->default_val(42);
  soak->add_flag("--json", o->json, "One JSON object on stdout, no progress");
  soak->callback([o, &g, run] {
    *run = [o, &g] {
      if (o->max_run_s < o->min_run_s) {
        return Fail(Status(StatusCode::kInvalidArgument, "--max-run is shorter than --min-run"));
      }
      return RunSoak(g, *o);
    };
  });
}

}  // namespace facekit::cli
