// facekit bench shared-store - the read-after-write delay between two
// `facekit serve` nodes on one PostgreSQL gallery (--store): a person is
// enrolled through node A (CreatePerson, acknowledged after COMMIT) and node B
// is asked, from that acknowledgement on and back to back, until its answer
// contains the person. Trials take turns among four probes on B:
//   * SearchFaces with the enrolled photo (the delay includes the search
//     itself: detection and embedding of the photo, about one search's time);
//   * GetPersonBaseInfo (a catalog read: the delay of the change log alone,
//     at the resolution of one cheap request);
//   * one SearchFaces, and one GetPersonBaseInfo, carrying the write's
//     position (X-FaceKit-Min-Seq, the X-FaceKit-Seq of A's answer:
//     read-your-writes), which must hold the person (exit 1 otherwise).
// Prints p50/p99/max of each, and the search's own latency for comparison.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/serve_child.h"
#include "common/base64.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct SharedStoreOptions {
  std::string store;   // postgres://...
  std::string photos;  // DIR/<person>/<photos>
  std::string data;
  int trials = 200;
  double timeout_s = 30;
  std::uint64_t seed = 42;
  bool json = false;
};

bool HasPerson(const json& search, const std::string& person_id) {
  for (const auto& r : search.value("Results", json::array())) {
    for (const auto& c : r.value("Candidates", json::array())) {
      if (c.value("PersonId", std::string()) == person_id) return true;
    }
  }
  return false;
}

json Figures(const std::vector<double>& ms) {
  return {{"trials", ms.size()},
          {"p50_ms", Percentile(ms, 0.50)},
          {"p99_ms", Percentile(ms, 0.99)},
          {"max_ms", ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end())}};
}

int RunSharedStore(const GlobalOptions& g, const SharedStoreOptions& o) {
  auto people = LoadPhotoPersons(o.photos, 0, 1);
  if (!people.ok()) return Fail(people.status());
  std::vector<std::string> images;  // one photo per person, base64
  for (const auto& p : *people) images.push_back(Base64Encode(p.images[0]));
  std::mt19937_64 rng(o.seed);
  std::shuffle(images.begin(), images.end(), rng);

  // Two nodes, each with its own folder (keys.db, snapshots, log), one database.
  const std::string data_root = o.data.empty() ? "" : (fs::path(o.data) / "a").string();
  auto setup_a = PrepareBenchServer(ResolveModelsDir(g), data_root, "shared-a", "--rate-limit 1000000");
  if (!setup_a.ok()) return Fail(setup_a.status());
  auto setup_b = PrepareBenchServer(ResolveModelsDir(g), o.data.empty() ? "" : (fs::path(o.data) / "b").string(),
                                    "shared-b", "--rate-limit 1000000");
  if (!setup_b.ok()) return Fail(setup_b.status());
  ServeChild node_a, node_b;
  const std::vector<std::string> extra = {"--store", o.store};
  for (auto [node, setup] : {std::pair{&node_a, &*setup_a}, std::pair{&node_b, &*setup_b}}) {
    if (Status s = node->Start(setup->self, setup->models, setup->folder, setup->log, extra); !s.ok()) return Fail(s);
  }
  auto api_a = ApiClient::Create({node_a.url(), setup_a->credential});
  // B's clients send no position of their own: the first measures the log's
  // delay, the second sends exactly A's.
  auto api_b = ApiClient::Create({node_b.url(), setup_b->credential, 120, /*read_your_writes=*/false});
  auto api_b_seq = ApiClient::Create({node_b.url(), setup_b->credential, 120, /*read_your_writes=*/false});
  if (!api_a.ok()) return Fail(api_a.status());
  if (!api_b.ok()) return Fail(api_b.status());
  if (!api_b_seq.ok()) return Fail(api_b_seq.status());

  // A group of this run (the database may hold earlier runs).
  const std::string run = std::to_string(std::random_device{}() % 1000000);
  const std::string group = "raw-" + run;
  if (auto made = (*api_a)->CallCloud("CreateGroup", {{"GroupId", group}, {"GroupName", group}}); !made.ok()) {
    return Fail(Status(StatusCode::kInternal, "CreateGroup: " + made.error().code + " " + made.error().message));
  }

  std::vector<double> search_delay, read_delay, search_ms, positioned_search, positioned_read;
  int failed = 0, timed_out = 0;
  int positioned_had = 0, positioned_missed = 0;  // requests with A's position: held the person or not
  int first_search = 0, first_read = 0;  // trials whose first request on B already had the person
  const int trials = std::min<int>(o.trials, static_cast<int>(images.size()));
  for (int t = 0; t < trials; ++t) {
    const std::string person = group + "-p" + std::to_string(t);  // person ids are global
    auto made = (*api_a)->CallCloud(
        "CreatePerson", {{"GroupId", group}, {"PersonId", person}, {"PersonName", person}, {"Image", images[t]}});
    const double acked = NowMs();
    if (!made.ok()) {  // e.g. no face found in this photo
      ++failed;
      continue;
    }
    if (t % 4 >= 2) {  // one request with the write's position
      (*api_b_seq)->set_min_position((*api_a)->position());
      const bool search = t % 4 == 2;
      auto got = search ? (*api_b_seq)->CallCloud("SearchFaces", {{"GroupIds", {group}}, {"Image", images[t]},
                                                                  {"MaxPersonNum", 5}})
                        : (*api_b_seq)->CallCloud("GetPersonBaseInfo", {{"PersonId", person}});
      (search ? positioned_search : positioned_read).push_back(NowMs() - acked);
      ++(got.ok() && (!search || HasPerson(got.value(), person)) ? positioned_had : positioned_missed);
      if (!got.ok() && !o.json) {
        std::fprintf(stderr, "\nshared-store: %s: %s\n", got.error().code.c_str(), got.error().message.c_str());
      }
      continue;
    }
    const bool by_search = t % 4 == 0;
    bool seen = false;
    int asks = 0;
    while (!seen && NowMs() - acked < o.timeout_s * 1000) {
      ++asks;
      const double asked = NowMs();
      if (by_search) {
        auto got =
            (*api_b)->CallCloud("SearchFaces", {{"GroupIds", {group}}, {"Image", images[t]}, {"MaxPersonNum", 5}});
        seen = got.ok() && HasPerson(got.value(), person);
        if (seen) search_ms.push_back(NowMs() - asked);
      } else {
        seen = (*api_b)->CallCloud("GetPersonBaseInfo", {{"PersonId", person}}).ok();
      }
    }
    if (!seen) {
      ++timed_out;
      continue;
    }
    (by_search ? search_delay : read_delay).push_back(NowMs() - acked);
    if (asks == 1) ++(by_search ? first_search : first_read);
    if (!o.json) std::fprintf(stderr, "\rshared-store: trial %d/%d", t + 1, trials);
  }
  if (!o.json) std::fprintf(stderr, "\n");
  node_a.Kill(15);
  node_b.Kill(15);

  json out = {{"trials", trials},
              {"first_search_had_it", first_search},
              {"first_read_had_it", first_read},
              {"enrol_failed", failed},
              {"timed_out", timed_out},
              {"search_faces_on_b", Figures(search_delay)},
              {"get_person_on_b", Figures(read_delay)},
              {"search_latency_on_b", Figures(search_ms)},
              {"search_with_position_on_b", Figures(positioned_search)},
              {"get_person_with_position_on_b", Figures(positioned_read)},
              {"position_had_it", positioned_had},
              {"position_missed", positioned_missed}};
  if (o.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    auto line = [](const char* what, const json& f) {
      std::printf("%-52s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (%d trials)\n", what, f["p50_ms"].get<double>(),
                  f["p99_ms"].get<double>(), f["max_ms"].get<double>(), f["trials"].get<int>());
    };
    line("ack on A -> SearchFaces on B finds it", out["search_faces_on_b"]);
    line("ack on A -> GetPersonBaseInfo on B finds it", out["get_person_on_b"]);
    line("one SearchFaces on B (for comparison)", out["search_latency_on_b"]);
    line("ack on A -> SearchFaces on B with its position", out["search_with_position_on_b"]);
    line("ack on A -> GetPersonBaseInfo on B with its position", out["get_person_with_position_on_b"]);
    std::printf("the first request on B already had the person: %d of %zu searches, %d of %zu reads\n", first_search,
                search_delay.size(), first_read, read_delay.size());
    std::printf("the request with the write's position had the person: %d of %d\n", positioned_had,
                positioned_had + positioned_missed);
    if (failed || timed_out)
      std::printf("%d enrolments failed, %d not seen within %.0f s\n", failed, timed_out, o.timeout_s);
  }
  std::error_code ec;
  for (const auto* s : {&*setup_a, &*setup_b}) {
    if (s->temporary) fs::remove_all(s->dir, ec);
  }
  return timed_out == 0 && positioned_missed == 0 ? 0 : 1;
}

}  // namespace

void RegisterBenchSharedStore(CLI::App* bench, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<SharedStoreOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "shared-store",
      "Two serve nodes on one PostgreSQL gallery (--store): the delay from a CreatePerson acknowledged by node A "
      "to node B's first answer containing the person, p50/p99, and requests on B carrying the write's position "
      "(X-FaceKit-Min-Seq) (exit 1 when a write was not seen in time or a positioned request missed it)");
  cmd->add_option("--store", o->store, "PostgreSQL URI both nodes use (postgres://... as for serve --store)")
      ->required();
  cmd->add_option("--photos", o->photos, "Folder of DIR/<person>/<photo> images (e.g. LFW View 1)")->required();
  cmd->add_option("--data", o->data, "Folder for the nodes' folders and logs (kept; default: temporary ones)");
  cmd->add_option("--trials", o->trials,
                  "Persons enrolled on A and looked for on B (a quarter each: by search until found, by "
                  "GetPersonBaseInfo until found, by one search and by one GetPersonBaseInfo carrying the write's "
                  "position)")
      ->default_val(o->trials)
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for one write on B")->default_val(o->timeout_s);
  cmd->add_option("--seed", o->seed, "Seed of the photo order")->default_val(o->seed);
  cmd->add_flag("--json", o->json, "One JSON object on stdout");
  cmd->callback([o, &g, run] { *run = [o, &g] { return RunSharedStore(g, *o); }; });
}

}  // namespace facekit::cli
