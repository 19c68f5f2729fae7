// facekit bench load - a real `facekit serve` under many connections of the
// cloud API (TC3-signed, each request signed when it is sent, so runs longer
// than the signature window work): SearchFaces, DetectFace and CreateFace in
// turn, with CreatePerson when a connection's person is full. Prints requests, throughput, p50/p99 per action and every error by
// code; exit 1 when an answer was an error other than RequestLimitExceeded.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/serve_child.h"
#include "common/base64.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kGroup = "load";

struct LoadOptions {
  std::string photos;  // DIR/<person>/<photos>
  std::string detect_photo;
  std::string data;
  int connections = 64;
  double duration_s = 300;
  int people = 200;
  std::uint64_t seed = 42;
  bool json = false;
};

struct Person {
  std::string name;
  std::vector<std::string> images;  // base64
};

struct ActionStats {
  std::vector<double> ms;
  std::int64_t ok = 0;
  std::map<std::string, std::int64_t> errors;
};

// The people of --photos with two photos or more (one to enrol, others to
// search and add), base64-encoded once.
Result<std::vector<Person>> LoadPeople(const std::string& dir, std::size_t count) {
  FACEKIT_ASSIGN_OR_RETURN(auto found, LoadPhotoPersons(dir, count, 2));
  std::vector<Person> out;
  for (auto& f : found) {
    Person p{std::move(f.name), {}};
    for (const auto& img : f.images) p.images.push_back(Base64Encode(img));
    out.push_back(std::move(p));
  }
  return out;
}

class Load {
 public:
  Load(const LoadOptions& o, std::vector<Person> people, std::string detect_image)
      : o_(o), people_(std::move(people)), detect_image_(std::move(detect_image)) {}

  // Enrols every person with their first photo; the people that failed are dropped.
  Status Enrol(ApiClient& api) {
    if (auto g = api.CallCloud("CreateGroup", {{"GroupId", kGroup}, {"GroupName", kGroup}}); !g.ok()) {
      return Status(StatusCode::kInternal, "CreateGroup: " + g.error().code + " " + g.error().message);
    }
    std::vector<Person> kept;
    for (std::size_t i = 0; i < people_.size(); ++i) {
      auto made = api.CallCloud("CreatePerson", {{"GroupId", kGroup},
                                                 {"PersonId", "p" + std::to_string(i)},
                                                 {"PersonName", people_[i].name},
                                                 {"Image", people_[i].images[0]}});
      if (made.ok()) {
        enrolled_.push_back(i);
      }
    }
    if (enrolled_.empty()) return Status(StatusCode::kInternal, "no person could be enrolled");
    return Status::Ok();
  }

  // One connection's loop: its requests go SearchFaces, DetectFace, a write,
  // SearchFaces, ... The writes add faces to a person of the connection's own
  // (CreateFace), and when it has 5 (the limit) or none yet, create the next
  // one (CreatePerson), so no write is refused for the face limit.
  void Run(ApiClient& api, int connection, double until_ms) {
    std::mt19937_64 rng(o_.seed + static_cast<std::uint64_t>(connection));
    std::size_t own = 0, own_faces = 0, own_seq = 0;
    std::string own_id;
    for (std::uint64_t n = static_cast<std::uint64_t>(connection); NowMs() < until_ms; ++n) {
      const Person& p = people_[enrolled_[rng() % enrolled_.size()]];
      std::string action;
      json params;
      if (n % 3 == 0) {
        action = "SearchFaces";
        params = {{"GroupIds", {kGroup}}, {"Image", p.images[1 + rng() % (p.images.size() - 1)]}, {"MaxPersonNum", 5}};
      } else if (n % 3 == 1) {
        action = "DetectFace";
        params = {{"Image", detect_image_.empty() ? p.images[0] : detect_image_}, {"MaxFaceNum", 5}};
      } else if (own_faces == 0 || own_faces >= 5) {
        action = "CreatePerson";
        own = (static_cast<std::size_t>(connection) + own_seq * static_cast<std::size_t>(o_.connections)) % people_.size();
        own_id = "c" + std::to_string(connection) + "-" + std::to_string(own_seq++);
        own_faces = 0;
        params = {{"GroupId", kGroup}, {"PersonId", own_id}, {"PersonName", people_[own].name},
                  {"Image", people_[own].images[0]}};
      } else {
        action = "CreateFace";
        const Person& mine = people_[own];
        params = {{"PersonId", own_id}, {"Images", {mine.images[1 + own_faces % (mine.images.size() - 1)]}}};
      }
      const double t0 = NowMs();
      auto got = api.CallCloud(action, params);
      const double ms = NowMs() - t0;
      std::lock_guard lock(mu_);
      ActionStats& s = stats_[action];
      s.ms.push_back(ms);
      if (got.ok()) {
        ++s.ok;
        if (action == "CreatePerson") own_faces = 1;
        if (action == "CreateFace") {
          own_faces += static_cast<std::size_t>(std::max(0, got->value("SucFaceNum", 0)));
          for (const auto& c : got->value("RetCode", json::array())) {  // -1604: not similar enough to the person
            if (c.is_number_integer() && c.get<int>() != 0) ++s.errors["RetCode " + std::to_string(c.get<int>())];
          }
          if (got->value("SucFaceNum", 0) == 0) own_faces = 5;  // move on to another person
        }
      } else {
        ++s.errors[got.error().code];
        if (action == "CreatePerson") own_faces = 0;  // try the next person
      }
    }
  }

  int Report(double seconds) const {
    json actions = json::object();
    std::int64_t total = 0, bad = 0, limited = 0;
    std::vector<double> all;
    for (const auto& [name, s] : stats_) {
      json errors = s.errors;
      for (const auto& [code, count] : s.errors) {
        if (code == "RequestLimitExceeded") {
          limited += count;
        } else if (code.rfind("RetCode", 0) != 0) {
          bad += count;
        }
      }
      total += static_cast<std::int64_t>(s.ms.size());
      all.insert(all.end(), s.ms.begin(), s.ms.end());
      actions[name] = {{"requests", s.ms.size()},
                       {"ok", s.ok},
                       {"p50_ms", Percentile(s.ms, 0.5)},
                       {"p99_ms", Percentile(s.ms, 0.99)},
                       {"errors", errors}};
    }
    json j{{"connections", o_.connections},
           {"seconds", seconds},
           {"people", enrolled_.size()},
           {"requests", total},
           {"per_second", seconds > 0 ? static_cast<double>(total) / seconds : 0.0},
           {"p50_ms", Percentile(all, 0.5)},
           {"p99_ms", Percentile(all, 0.99)},
           {"errors", bad},
           {"request_limit_exceeded", limited},
           {"actions", actions}};
    std::cout << (o_.json ? j.dump() : j.dump(2)) << "\n";
    return bad == 0 ? 0 : 1;
  }

 private:
  const LoadOptions& o_;
  std::vector<Person> people_;
  std::string detect_image_;
  std::vector<std::size_t> enrolled_;
  std::mutex mu_;
  std::map<std::string, ActionStats> stats_;
};

int RunLoad(const GlobalOptions& g, const LoadOptions& o) {
  auto people = LoadPeople(o.photos, static_cast<std::size_t>(o.people));
  if (!people.ok()) return Fail(people.status());
  std::string detect_image;
  if (!o.detect_photo.empty()) {
    auto bytes = ReadFileBytes(o.detect_photo);
    if (!bytes.ok()) return Fail(bytes.status());
    detect_image = Base64Encode(*bytes);
  }
  auto setup = PrepareBenchServer(ResolveModelsDir(g), o.data, "load", "--rate-limit 1000000");
  if (!setup.ok()) return Fail(setup.status());
  const BenchServerSetup& b = *setup;
  ServeChild server;
  if (Status s = server.Start(b.self, b.models, b.folder, b.log); !s.ok()) return Fail(s);
  Load load(o, std::move(people).value(), std::move(detect_image));
  {
    auto api = ApiClient::Create({server.url(), b.credential});
    if (!api.ok()) return Fail(api.status());
    if (Status s = load.Enrol(**api); !s.ok()) return Fail(s);
  }
  if (!o.json) std::fprintf(stderr, "load: %d connections for %.0f s\n", o.connections, o.duration_s);
  const double start = NowMs();
  const double until = start + o.duration_s * 1000;
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      auto api = ApiClient::Create({server.url(), b.credential});
      if (api.ok()) load.Run(**api, c, until);
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = (NowMs() - start) / 1000;
  server.Kill(15);
  const int rc = load.Report(seconds);
  std::error_code ec;
  if (b.temporary) fs::remove_all(b.dir, ec);
  return rc;
}

}  // namespace

void RegisterBenchLoad(CLI::App* bench, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<LoadOptions>();
  CLI::App* load = bench->add_subcommand(
      "load", "Many connections of signed cloud API calls (SearchFaces, DetectFace, CreateFace) on a real server: "
              "throughput, p50/p99 per action, errors by code (exit 1 on errors other than RequestLimitExceeded)");
  load->add_option("--photos", o->photos, "Folder of DIR/<person>/<photo> images (e.g. LFW View 1)")->required();
  load->add_option("--detect-photo", o->detect_photo, "The photo of every DetectFace (default: a person's photo)");
  load->add_option("--data", o->data, "Folder for the server's data and log (kept; default: a temporary one)");
  load->add_option("--connections", o->connections, "Concurrent connections")->default_val(64)->check(CLI::Range(1, 1024));
  load->add_option("--duration", o->duration_s, "Seconds of load")->default_val(300)->check(CLI::Range(1.0, 86400.0));
  load->add_option("--people", o->people, "Persons enrolled first (people with two photos or more)")
      ->default_val(200)
      ->check(CLI::Range(1, 100000));
  load->add_option("--seed", o->seed, "Seed of the connections' choices")->default_val(42);
  load->add_flag("--json", o->json, "One JSON object on stdout");
  load->callback([o, &g, run] { *run = [o, &g] { return RunLoad(g, *o); }; });
}

}  // namespace facekit::cli
