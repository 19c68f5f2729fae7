// facekit bench cluster - a real sharded cluster on this machine and its
// figures (docs/scale-out.md, "Measured: bench cluster"): a private
// PostgreSQL, a 3-member etcd and N `facekit serve` nodes (--etcd,
// --cluster-key-file: each indexes only its shards); F synthetic 192-D faces
// (eval::SyntheticGallery, as `bench search`: clustered identities, unit
// vectors, fixed seed) bulk-loaded through the store interface
// (PostgresStore::Apply in large batches); then
//   * load time, each node's time from start to serving its shards, its
//     memory (VmRSS, VmHWM);
//   * Q query vectors searched as a coordinator does (ShardSearch over gRPC to
//     one replica of every shard, RunScatterGather, the exact merge):
//     p50/p99 latency one at a time and throughput with C clients, recall@10
//     (persons) against an exact brute-force search in this process;
//   * read after write: W new faces committed one at a time straight to
//     PostgreSQL (acknowledged at COMMIT), each searched for through the
//     coordinator back to back until the shard holding it answers with it on
//     top: the time from the commit to that answer;
//   * failover: kill -9 of one node while a client searches: searches with
//     missing shards, the time until the survivors serve the new map, the
//     latency during that window;
//   * restart: the killed node started again on its data folder: the shards
//     its index snapshots held, its time to serving, the time until every
//     node serves the whole map again, searches with missing shards meanwhile.
// Refuses to start when the memory estimate exceeds the memory available.
#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/bench_cluster_coordinator.h"
#include "cli/commands.h"
#include "cli/serve_child.h"
#include "cluster/bench_figures.h"
#include "cluster/local_servers.h"
#include "cluster/shard_map.h"
#include "eval/synthetic_gallery.h"
#include "gallery/gallery.h"
#include "store/postgres_schema.h"
#include "store/postgres_store.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ClusterBenchOptions {
  int nodes = 4;
  std::size_t faces = 100000;
  int replicas = 2;
  int shards = 64;
  std::size_t queries = 1000;
  std::size_t recall_queries = 300;
  std::size_t k = 10;
  int clients = 4;
  std::size_t batch = 3000;
  std::size_t writes = 50;
  int lease_ttl_s = 2;
  std::string index_rows = "fp32";  // the nodes' --index-rows
  std::string index_structure = "hnsw";  // the nodes' --index-structure
  int nprobe = 0;                        // the nodes' --nprobe
  int grow_slice_ms = 0;            // the nodes' --grow-slice-ms (0: serve's default)
  double checkpoint_s = 300;        // the nodes' --checkpoint-interval
  std::string shard_placement = "balanced";  // the nodes' --shard-placement
  int deadline_ms = 2000;
  double start_timeout_s = 3600;
  double failover_timeout_s = 1800;
  bool no_failover = false;
  bool resume = false;  // --data holds an earlier run's finished load
  std::string data;
  std::uint64_t seed = 42;
  bool json = false;
};

constexpr int kDim = 192;
const char* const kGroup = "bench";

void Say(const ClusterBenchOptions& o, const std::string& text) {
  if (!o.json) std::fprintf(stderr, "bench cluster: %s\n", text.c_str());
}

// What a node's log says: when it first served its shards with every
// expected member, read from a byte offset on.
struct LogWatch {
  std::string path;
  std::uintmax_t from = 0;
  // The number of shards of the first "serving N shards (of S per group, M
  // nodes)" line with M == members, once the node keeps no shard of an
  // earlier map (a "serving" line saying it "keeps" lost shards counts at
  // the "released" line after it); -1 until then.
  int ServingWith(std::size_t members) const {
    std::ifstream in(path);
    in.seekg(static_cast<std::streamoff>(from));
    std::string line;
    int keeping = -1;  // shards served while lost ones are kept
    const std::string s = "facekit: serving ", m = " per group, ";
    while (std::getline(in, line)) {
      if (auto sat = line.find(s); sat != std::string::npos && line.find(" shards") != std::string::npos) {
        const auto mat = line.find(m);
        const bool all = mat != std::string::npos &&
                         static_cast<std::size_t>(std::atol(line.c_str() + mat + m.size())) == members;
        keeping = -1;
        if (!all) continue;
        const int n = std::atoi(line.c_str() + sat + s.size());
        if (line.find(" keeps ") == std::string::npos) return n;
        keeping = n;
      } else if (keeping >= 0 && line.find("facekit: released ") != std::string::npos) {
        return keeping;
      }
    }
    return -1;
  }
};

// Whether every watched log shows its node serving with `members` members.
bool AllServingWith(const std::vector<LogWatch>& logs, std::size_t members) {
  return std::all_of(logs.begin(), logs.end(), [&](const LogWatch& w) { return w.ServingWith(members) >= 0; });
}

// The value of an unlabelled gauge in a node's /metrics; -1 when unreadable.
double MetricOf(const std::string& base_url, const std::string& name) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return -1;
  std::string body;
  const std::string url = base_url + "/metrics";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return -1;
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atof(body.c_str() + at + name.size() + 2);
}

std::uintmax_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

json LatencyFigures(const std::vector<double>& ms, double wall_s) {
  json j = {{"queries", ms.size()},
            {"p50_ms", Percentile(ms, 0.50)},
            {"p99_ms", Percentile(ms, 0.99)},
            {"max_ms", ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end())}};
  if (wall_s > 0) j["qps"] = static_cast<double>(ms.size()) / wall_s;
  return j;
}

// One client searching back to back on its own thread (the failover and
// restart windows): each search's start, latency and completeness.
class SearchSampler {
 public:
  struct Sample {
    double at_ms, latency_ms;
    bool complete;
  };
  SearchSampler(BenchCoordinator& coord, const std::vector<std::vector<float>>& probes, std::size_t k) {
    thread_ = std::thread([this, &coord, &probes, k] {
      for (std::size_t q = 0; !stop_; q = (q + 1) % probes.size()) {
        const double s = NowMs();
        const auto out = coord.Search(probes[q], k);
        const Sample sample{s, NowMs() - s, out.missing.empty() && out.status.ok()};
        std::lock_guard lock(mu_);
        samples_.push_back(sample);
      }
    });
  }
  ~SearchSampler() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // After Stop(): the searches that ended after `from_ms` and started before
  // `to_ms`: how many, how many incomplete, the seconds from `from_ms` until
  // searches were complete again (0: none incomplete, -1: never), latencies.
  json Window(double from_ms, double to_ms) const {
    std::vector<double> latencies;
    int incomplete = 0;
    double last_incomplete = -1, complete_again = 0;
    for (const Sample& s : samples_) {
      if (s.at_ms + s.latency_ms < from_ms || s.at_ms > to_ms) continue;
      latencies.push_back(s.latency_ms);
      if (!s.complete) {
        ++incomplete;
        last_incomplete = s.at_ms;
      }
    }
    if (last_incomplete >= 0) {
      complete_again = -1;
      for (const Sample& s : samples_) {
        if (s.at_ms > last_incomplete && s.complete) {
          complete_again = (s.at_ms + s.latency_ms - from_ms) / 1000.0;
          break;
        }
      }
    }
    return {{"searches_in_window", latencies.size()},
            {"incomplete_in_window", incomplete},
            {"complete_again_s", complete_again},
            {"window", LatencyFigures(latencies, 0)}};
  }
  // After Stop(): the latencies of the searches that ended before `ms`.
  std::vector<double> Before(double ms) const {
    std::vector<double> out;
    for (const Sample& s : samples_) {
      if (s.at_ms + s.latency_ms < ms) out.push_back(s.latency_ms);
    }
    return out;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Sample> samples_;
  std::thread thread_;
};

std::vector<std::int64_t> PersonsOf(const cluster::ScatterOutcome& out) {
  std::vector<std::int64_t> ids;
  for (const auto& h : out.hits) {
    if (h.person_id.size() > 1) ids.push_back(std::atoll(h.person_id.c_str() + 1));  // "p<identity>"
  }
  return ids;
}

// A person's insert, and its membership of group `group_key` (the person at
// `person_at` in the batch).
store::Mutation PersonInsert(const std::string& person_id) {
  store::PersonRecord p;
  p.id = person_id;
  p.name = p.id;
  p.created_ms = 1;
  return store::mutation::InsertPerson{p};
}
store::Mutation MembershipInsert(std::int64_t group_key, std::size_t person_at) {
  store::MembershipRecord m;
  m.group_key = group_key;
  m.person_key = store::Placeholder(person_at);
  m.added_ms = 1;
  return store::mutation::InsertMembership{m};
}

// Appends a person of group `group_key` to `b` (person, membership); returns
// the person's position in `b`, for its faces' placeholders.
std::size_t AppendPerson(store::Batch* b, std::int64_t group_key, const std::string& person_id) {
  const std::size_t at = b->size();
  b->push_back(PersonInsert(person_id));
  b->push_back(MembershipInsert(group_key, at));
  return at;
}

// Appends a face of the person at `person_at` in `b`.
void AppendFace(store::Batch* b, std::size_t person_at, const std::string& face_id, const float* vector) {
  store::FaceRecord face;
  face.id = face_id;
  face.person_key = store::Placeholder(person_at);
  face.model_version = "3.0";
  face.embedding.assign(vector, vector + kDim);
  face.quality = 1;
  face.created_ms = 1;
  b->push_back(store::mutation::InsertFace{std::move(face)});
}

// Faces [first_face, end_face) of the generator, shown to `exact` (one
// person per identity of `per_identity` faces); returns their vectors.
std::vector<float> FacesShownTo(eval::SyntheticGallery& synth, std::size_t first_face, std::size_t end_face,
                                std::size_t per_identity, cluster::ExactTopPersonsStream* exact) {
  std::vector<float> vectors = synth.FacesRange(first_face, end_face - first_face);
  std::vector<std::int64_t> person_of(end_face - first_face);
  for (std::size_t f = first_face; f < end_face; ++f) {
    person_of[f - first_face] = static_cast<std::int64_t>(f / per_identity);
  }
  exact->Add(vectors.data(), person_of.data(), person_of.size());
  return vectors;
}

// Faces, persons and memberships through the store interface, `batch` faces
// per transaction, each transaction's faces generated for it and shown to
// `exact` (the recall answers) before it is dropped, so the bench keeps no
// copy of the gallery; returns the seconds taken.
Result<double> LoadFaces(const std::string& uri, eval::SyntheticGallery& synth, std::size_t faces,
                         std::size_t per_identity, std::size_t batch, const ClusterBenchOptions& o,
                         cluster::ExactTopPersonsStream* exact, std::int64_t* group_key_out) {
  FACEKIT_ASSIGN_OR_RETURN(auto store, store::OpenPostgresStore(uri));
  const double t0 = NowMs();
  store::GroupRecord g;
  g.id = kGroup;
  g.name = kGroup;
  g.face_model_version = "3.0";
  g.created_ms = 1;
  FACEKIT_ASSIGN_OR_RETURN(auto gkeys, store->Apply({store::mutation::InsertGroup{g}}));
  const std::int64_t group_key = gkeys.at(0);
  *group_key_out = group_key;
  const std::size_t identities = (faces + per_identity - 1) / per_identity;
  std::size_t done = 0;
  for (std::size_t first = 0; first < identities;) {
    // The identities of this transaction: about `batch` faces, whole persons.
    const std::size_t last = std::min(identities, first + std::max<std::size_t>(batch / per_identity, 1));
    const std::size_t first_face = first * per_identity, end_face = std::min(faces, last * per_identity);
    const std::vector<float> vectors = FacesShownTo(synth, first_face, end_face, per_identity, exact);
    // Persons, then their memberships, then their faces: three runs of one
    // kind, each one statement in the store (src/store/postgres_runs.h).
    store::Batch b, memberships, face_inserts;
    std::size_t in_batch = 0;
    for (; first < last; ++first) {
      const std::size_t person_at = b.size();
      b.push_back(PersonInsert("p" + std::to_string(first)));
      memberships.push_back(MembershipInsert(group_key, person_at));
      for (std::size_t f = first * per_identity; f < std::min(faces, (first + 1) * per_identity); ++f, ++in_batch) {
        AppendFace(&face_inserts, person_at, eval::SyntheticFaceId(o.seed, f),
                   vectors.data() + (f - first_face) * kDim);
      }
    }
    b.insert(b.end(), std::make_move_iterator(memberships.begin()), std::make_move_iterator(memberships.end()));
    b.insert(b.end(), std::make_move_iterator(face_inserts.begin()), std::make_move_iterator(face_inserts.end()));
    FACEKIT_RETURN_IF_ERROR(store->Apply(b).status());
    done += in_batch;
    if (!o.json) std::fprintf(stderr, "\rbench cluster: loaded %zu / %zu faces", done, faces);
  }
  if (!o.json) std::fprintf(stderr, "\n");
  return (NowMs() - t0) / 1000.0;
}

// What an earlier run's load left in --data (DIR/loaded.json): a run with
// --resume skips the load when it matches.
const char* const kLoadedMarker = "loaded.json";

// The exact answers of a load done by an earlier run: the same faces
// generated again (the generator is deterministic) and shown to `exact`,
// nothing written.
void ExactAnswersOfLoaded(eval::SyntheticGallery& synth, std::size_t faces, std::size_t per_identity, std::size_t batch,
                          cluster::ExactTopPersonsStream* exact) {
  const std::size_t step = std::max<std::size_t>(batch / per_identity, 1) * per_identity;
  for (std::size_t first = 0; first < faces; first += step) {
    FacesShownTo(synth, first, std::min(faces, first + step), per_identity, exact);
  }
}

// Read after write: `writes` new persons of one face each, committed one at
// a time through the store (the acknowledgement a client gets), each
// searched for through the coordinator back to back (a search takes a few
// ms: that is the resolution) until it comes first, at most 10 s. Every
// other write is searched once instead, carrying its change-log position
// (read-your-writes: the shards' owners reach it first), and must come first.
// The faces are of identities `first_identity` on (not enrolled).
Result<json> ReadAfterWrite(const std::string& uri, std::int64_t group_key, const BenchCoordinator& coord,
                            eval::SyntheticGallery* synth, std::size_t first_identity, const ClusterBenchOptions& o,
                            const std::string& run) {
  FACEKIT_ASSIGN_OR_RETURN(auto store, store::OpenPostgresStore(uri));
  std::vector<double> commit_ms, visible_ms, positioned_ms;
  int never = 0, positioned_had = 0, first_had = 0;
  for (std::size_t w = 0; w < o.writes; ++w) {
    const std::vector<float> v = synth->Probe(first_identity + w);  // a face of a new identity
    const std::string face_id = "raw-" + run + "f" + std::to_string(w);
    store::Batch b;
    AppendFace(&b, AppendPerson(&b, group_key, "raw-" + run + "p" + std::to_string(w)), face_id, v.data());
    const double start = NowMs();
    FACEKIT_RETURN_IF_ERROR(store->Apply(b).status());
    const double acked = NowMs();
    commit_ms.push_back(acked - start);
    if (w % 2 == 1) {
      const auto out = coord.Search(v, 1, store->last_written_seq());
      positioned_ms.push_back(NowMs() - acked);
      if (!out.hits.empty() && out.hits.front().face_id == face_id) ++positioned_had;
      continue;
    }
    bool seen = false;
    int asks = 0;
    while (!seen && NowMs() - acked < 10000) {
      const auto out = coord.Search(v, 1);
      seen = !out.hits.empty() && out.hits.front().face_id == face_id;
      ++asks;
    }
    if (seen && asks == 1) ++first_had;
    if (seen) {
      visible_ms.push_back(NowMs() - acked);
    } else {
      ++never;
    }
  }
  json j = LatencyFigures(visible_ms, 0);
  j["writes"] = visible_ms.size() + static_cast<std::size_t>(never);
  j["not_visible_within_10s"] = never;
  j["first_answer_had_it"] = first_had;
  j["with_position"] = LatencyFigures(positioned_ms, 0);
  j["with_position"]["writes"] = positioned_ms.size();
  j["with_position"]["first_answer_had_it"] = positioned_had;
  j["commit"] = LatencyFigures(commit_ms, 0);
  return j;
}

int RunClusterBench(const GlobalOptions& g, const ClusterBenchOptions& o) {
  if (o.replicas > o.nodes) {
    return Fail(Status(StatusCode::kInvalidArgument, "--replicas cannot exceed --nodes"));
  }
  if (o.shards != store::kDefaultFaceShards) {
    // The database's shard count is fixed when it is created (facekit_settings
    // 'shards', docs/scale-out.md) and the nodes must use it.
    return Fail(Status(StatusCode::kInvalidArgument,
                       "--shards must be " + std::to_string(store::kDefaultFaceShards) +
                           ": a FaceKit PostgreSQL database is created with that many shards per group and every "
                           "node must use the database's count"));
  }
  // Memory first: refuse what cannot fit rather than swap or be killed.
  const std::size_t per_identity = std::max<std::size_t>(eval::SyntheticOptions{}.faces_per_identity, 1);
  const std::size_t persons = (o.faces + per_identity - 1) / per_identity;  // one person per identity
  cluster::SizingConstants sizing;
  if (o.index_structure == "ivf") sizing.index_bytes_per_face = sizing.ivf_index_bytes_per_face;
  if (o.index_rows == "fp16") sizing.index_bytes_per_face -= kDim * 2.0;  // 2 of a row value's 4 bytes
  const cluster::ClusterMemoryEstimate estimate =
      cluster::EstimateClusterMemory(o.faces, persons, o.nodes, o.replicas, sizing);
  const double available = cluster::MemAvailableMb();
  const bool failover_runs = !o.no_failover && o.nodes >= 2;
  const double needed = failover_runs ? estimate.total_peak_mb : estimate.total_start_peak_mb;
  json memory_estimate = {{"node_steady_mb", estimate.node_steady_mb},
                          {"node_start_peak_mb", estimate.node_start_peak_mb},
                          {"node_failover_peak_mb", estimate.node_failover_peak_mb},
                          {"total_peak_mb", needed},
                          {"available_mb", available}};
  if (available > 0 && needed > available) {
    char msg[640];
    std::snprintf(msg, sizeof(msg),
                  "%zu faces on %d nodes x %d replicas need about %.0f MB here (every node keeps the whole catalog; "
                  "a node serving its shards %.0f MB, %.0f MB while it indexes them at the start%s%.0f MB), but only "
                  "%.0f MB are available; use fewer faces, nodes or replicas, --index-rows fp16 or --no-failover "
                  "(docs/scale-out.md)",
                  o.faces, o.nodes, o.replicas, needed, estimate.node_steady_mb, estimate.node_start_peak_mb,
                  failover_runs ? ", and each survivor of the failover once it has taken over the lost shards "
                                : "; no failover: ",
                  failover_runs ? estimate.node_failover_peak_mb : 0.0, available);
    return Fail(Status(StatusCode::kLimitExceeded, msg));
  }

  // Folders: --data, or a short temporary one (a socket path fits in 107 bytes).
  fs::path root;
  bool temporary = false;
  std::error_code ec;
  if (o.data.empty()) {
    std::string tmpl = "/tmp/fkbc-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Fail(Status(StatusCode::kInternal, "cannot make a temporary folder"));
    root = tmpl;
    temporary = true;
  } else {
    root = fs::absolute(o.data).lexically_normal();
    fs::create_directories(root, ec);
    if (ec) return Fail(Status(StatusCode::kInvalidArgument, "cannot make --data " + o.data + ": " + ec.message()));
  }
  ::chmod(root.c_str(), 0755);  // the postgres user (when root) reaches its folder through it
  struct Cleanup {
    fs::path dir;
    bool remove;
    ~Cleanup() {
      std::error_code e;
      if (remove) fs::remove_all(dir, e);
    }
  } cleanup{root, temporary};

  // A resumed run: the earlier run's load (PostgreSQL's data) and the nodes'
  // folders are kept; its etcd membership is not (the nodes register anew).
  json loaded_before;
  if (o.resume) {
    std::ifstream in(root / kLoadedMarker);
    loaded_before = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!loaded_before.is_object() || loaded_before.value("faces", std::size_t{0}) != o.faces ||
        loaded_before.value("seed", std::uint64_t{0}) != o.seed) {
      return Fail(Status(StatusCode::kFailedPrecondition,
                         "--resume needs the --data folder of an earlier run whose load of the same --faces and "
                         "--seed finished (" +
                             (root / kLoadedMarker).string() + "); remove the folder to start anew"));
    }
    fs::remove_all(root / "etcd", ec);
  }
  cluster::LocalPostgres pg((root / "pg").string(), {"max_connections=200", "shared_buffers=128MB"});
  if (std::string why = pg.Start(); !why.empty()) return Fail(Status(StatusCode::kUnavailable, "PostgreSQL: " + why));
  cluster::LocalEtcd etcd(3, (root / "etcd").string());
  if (std::string why = etcd.Start(); !why.empty()) return Fail(Status(StatusCode::kUnavailable, "etcd: " + why));
  Say(o, "PostgreSQL and a 3-member etcd up under " + root.string());

  // The synthetic gallery, as `bench search` makes it.
  eval::SyntheticOptions so;
  so.dim = kDim;
  so.seed = o.seed;
  eval::SyntheticGallery synth(so);
  const auto stats = synth.Measure(2000);
  const std::size_t identities = (o.faces + so.faces_per_identity - 1) / so.faces_per_identity;
  std::vector<std::vector<float>> probes;
  for (std::size_t q = 0; q < std::max(o.queries, o.recall_queries); ++q) {
    probes.push_back(synth.Probe((q * 7919) % identities));
  }
  // The exact answers of the recall queries, worked out while the faces load.
  const std::size_t rq = std::min(o.recall_queries, probes.size());
  cluster::ExactTopPersonsStream exact(std::vector<std::vector<float>>(probes.begin(), probes.begin() + static_cast<std::ptrdiff_t>(rq)),
                                       kDim, o.k, so.faces_per_identity);

  std::int64_t group_key = 0;
  Result<double> load_s = 0.0;
  // The marker, kept up to date: the read-after-write faces of each run are
  // of new identities (`next_new_identity` on), never an earlier run's
  // vectors (a search would find the earlier face, of the same vector).
  json loaded = loaded_before;
  auto write_marker = [&] {
    if (!temporary) std::ofstream(root / kLoadedMarker) << loaded.dump() << "\n";
  };
  if (o.resume) {
    ExactAnswersOfLoaded(synth, o.faces, so.faces_per_identity, o.batch, &exact);
    load_s = loaded_before.value("load_s", 0.0);
    group_key = loaded_before.value("group_key", std::int64_t{0});
    Say(o, "resumed: the faces were loaded by an earlier run in " + std::to_string(*load_s) + " s");
  } else {
    load_s = LoadFaces(pg.uri(), synth, o.faces, so.faces_per_identity, o.batch, o, &exact, &group_key);
    if (!load_s.ok()) return Fail(load_s.status());
    Say(o, "loaded " + std::to_string(o.faces) + " faces in " + std::to_string(*load_s) + " s");
    loaded = {{"faces", o.faces},
              {"seed", o.seed},
              {"load_s", *load_s},
              {"group_key", group_key},
              {"next_new_identity", identities}};
    write_marker();
  }

  // One admin key on every node.
  auto setup = PrepareBenchServer(ResolveModelsDir(g), (root / "node-1").string(), "cluster", "");
  if (!setup.ok()) return Fail(setup.status());
  const std::string key_file = (root / "admin.key").string();
  std::ofstream(key_file) << setup->credential << "\n";
  struct NodeRun {
    std::string id, data, log;
    std::vector<std::string> args;  // after serve's own (ServeChild::Start)
    ServeChild child;
    Status started;
    std::uintmax_t log_from = 0;  // the log's size before this run (a resumed run appends to it)
    double spawned_ms = 0, http_ms = -1, serving_ms = -1, settled_ms = -1;
    int shards = -1;
    cluster::ProcMemory memory;
  };
  std::vector<std::unique_ptr<NodeRun>> nodes;
  for (int i = 1; i <= o.nodes; ++i) {
    auto n = std::make_unique<NodeRun>();
    n->id = "node-" + std::to_string(i);
    const fs::path dir = root / n->id;
    n->data = (dir / "data").string();
    n->log = (dir / "serve.log").string();
    if (i > 1) {
      fs::create_directories(n->data, ec);
      fs::copy_file(fs::path(setup->folder) / "keys.db", fs::path(n->data) / "keys.db",
                    fs::copy_options::overwrite_existing, ec);
      if (ec) return Fail(Status(StatusCode::kIoError, "cannot copy keys.db: " + ec.message()));
    }
    nodes.push_back(std::move(n));
  }
  // Each node's OpenMP team (faiss builds the HNSW graphs with it) would
  // default to every core of the machine: N nodes on one machine would run
  // N x cores threads spinning at their barriers against each other. Each
  // gets its share of the cores, and waiting threads sleep (unless the
  // caller's environment says otherwise).
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const char* omp_set = std::getenv("OMP_NUM_THREADS");
  const std::string omp_threads = omp_set != nullptr ? omp_set : std::to_string(std::max(1, cores / o.nodes));
  std::vector<std::string> node_env = {"OMP_NUM_THREADS=" + omp_threads};
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) node_env.push_back("OMP_WAIT_POLICY=passive");
  // Started together; each one's time runs from its own start.
  std::vector<std::thread> starters;
  for (auto& n : nodes) {
    starters.emplace_back([&, node = n.get()] {
      // clang-format off
      node->args = {"--store",           pg.uri(),
                    "--etcd",            etcd.endpoints(),
                    "--node-id",         node->id,
                    "--lease-ttl",       std::to_string(o.lease_ttl_s),
                    "--index-rows",      o.index_rows,
                    "--index-structure", o.index_structure,
                    "--nprobe",          std::to_string(o.nprobe),
                    "--cluster-key-file", key_file,
                    "--shards",          std::to_string(o.shards),
                    "--replicas",        std::to_string(o.replicas),
                    "--shard-placement", o.shard_placement,
                    "--shard-deadline-ms", std::to_string(o.deadline_ms),
                    "--grow-slice-ms",   std::to_string(o.grow_slice_ms),
                    "--checkpoint-interval", std::to_string(o.checkpoint_s)};
      // clang-format on
      node->log_from = FileSize(node->log);
      node->spawned_ms = NowMs();
      node->started = node->child.Start(setup->self, setup->models, node->data, node->log, node->args, node_env);
      node->http_ms = NowMs();
    });
  }
  for (auto& t : starters) t.join();
  for (auto& n : nodes) {
    if (!n->started.ok()) return Fail(n->started);
  }
  Say(o, "every node loaded the gallery and listens; waiting until each serves its shards");
  const double wait_from = NowMs();
  for (bool all = false; !all;) {
    all = true;
    for (auto& n : nodes) {
      if (n->serving_ms >= 0) continue;
      const int shards = LogWatch{n->log, n->log_from}.ServingWith(static_cast<std::size_t>(o.nodes));
      if (shards >= 0) {
        n->serving_ms = NowMs();
        n->shards = shards;
      } else {
        all = false;
      }
    }
    if (!all && NowMs() - wait_from > o.start_timeout_s * 1000) {
      return Fail(Status(StatusCode::kUnavailable, "the nodes did not all serve their shards in time; see " +
                                                       (root / "node-*" / "serve.log").string()));
    }
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Then until each has built its deferred indexes (the persons' HNSW, on
  // its compactor): the timed passes measure a settled cluster.
  Say(o, "every node serves its shards; waiting until their background index builds are done");
  for (bool all = false; !all;) {
    all = true;
    for (auto& n : nodes) {
      if (n->settled_ms >= 0) continue;
      if (MetricOf(n->child.url(), "facekit_gallery_index_builds_pending") == 0) {
        n->settled_ms = NowMs();
      } else {
        all = false;
      }
    }
    if (!all && NowMs() - wait_from > o.start_timeout_s * 1000) {
      return Fail(Status(StatusCode::kUnavailable, "the nodes did not finish their index builds in time"));
    }
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  json node_figures = json::array();
  for (auto& n : nodes) {
    auto mem = cluster::ReadProcMemory(n->child.pid());
    if (mem.ok()) n->memory = *mem;
    node_figures.push_back({{"node", n->id},
                            {"shards", n->shards},
                            {"gallery_loaded_s", (n->http_ms - n->spawned_ms) / 1000.0},
                            {"rebuild_s", (n->serving_ms - n->spawned_ms) / 1000.0},
                            {"settled_s", (n->settled_ms - n->spawned_ms) / 1000.0},
                            {"rss_mb", n->memory.rss_mb},
                            {"hwm_mb", n->memory.hwm_mb}});
    Say(o, n->id + ": serving " + std::to_string(n->shards) + " shards after " +
               std::to_string((n->serving_ms - n->spawned_ms) / 1000.0) + " s, RSS " +
               std::to_string(n->memory.rss_mb) + " MB, peak " + std::to_string(n->memory.hwm_mb) + " MB");
  }

  // The coordinator.
  BenchCoordinatorOptions co;
  co.etcd = etcd.endpoints();
  co.credential = setup->credential;
  co.group_id = kGroup;
  co.shards = o.shards;
  co.replicas = o.replicas;
  co.placement = *cluster::ParsePlacement(o.shard_placement);
  co.deadline_ms = o.deadline_ms;
  auto coordinator = BenchCoordinator::Connect(co);
  if (!coordinator.ok()) return Fail(coordinator.status());
  BenchCoordinator& coord = **coordinator;
  for (int i = 0; i < 200 && coord.members().size() != static_cast<std::size_t>(o.nodes); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (std::size_t q = 0; q < std::min<std::size_t>(20, probes.size()); ++q) coord.Search(probes[q], o.k);  // warm-up

  // Recall against the exact answer.
  Say(o, "recall of " + std::to_string(rq) + " queries against their exact answers");
  double recall = 0;
  int recall_incomplete = 0;
  for (std::size_t q = 0; q < rq; ++q) {
    const auto got = coord.Search(probes[q], o.k);
    if (!got.missing.empty()) ++recall_incomplete;
    recall += cluster::RecallAtK(exact.Top(q), PersonsOf(got));
  }
  recall /= static_cast<double>(std::max<std::size_t>(rq, 1));

  // Latency one query at a time, then throughput with `clients` clients.
  auto run_queries = [&](int clients, int* incomplete) {
    std::vector<std::vector<double>> per(static_cast<std::size_t>(clients));
    std::atomic<std::size_t> next{0};
    std::atomic<int> missing{0};
    const double t0 = NowMs();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (std::size_t q; (q = next.fetch_add(1)) < o.queries;) {
          const double s = NowMs();
          const auto out = coord.Search(probes[q], o.k);
          per[static_cast<std::size_t>(c)].push_back(NowMs() - s);
          if (!out.missing.empty()) ++missing;
        }
      });
    }
    for (auto& t : threads) t.join();
    const double wall = (NowMs() - t0) / 1000.0;
    std::vector<double> all;
    for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    *incomplete = missing.load();
    return LatencyFigures(all, wall);
  };
  Say(o, "searching " + std::to_string(o.queries) + " queries, 1 client then " + std::to_string(o.clients));
  int incomplete_serial = 0, incomplete_concurrent = 0;
  json serial = run_queries(1, &incomplete_serial);
  serial["incomplete"] = incomplete_serial;
  json concurrent = run_queries(o.clients, &incomplete_concurrent);
  concurrent["clients"] = o.clients;
  concurrent["incomplete"] = incomplete_concurrent;

  // Read after write (before the failover: every node serving).
  json read_after_write;
  if (o.writes > 0) {
    Say(o, "read after write: " + std::to_string(o.writes) + " faces committed one at a time");
    // The writes' ids name the run: a resumed run's gallery has the earlier ones.
    const std::string run = std::to_string(static_cast<long long>(std::time(nullptr))) + "-";
    const std::size_t first_new = loaded.value("next_new_identity", identities);
    auto raw = ReadAfterWrite(pg.uri(), group_key, coord, &synth, first_new, o, run);
    if (!raw.ok()) return Fail(raw.status());
    loaded["next_new_identity"] = first_new + o.writes;
    write_marker();
    read_after_write = std::move(*raw);
  }

  // Failover: kill -9 of the last node while one client searches.
  const std::map<std::string, int> failures_before = coord.failures();
  json failover, restart;
  if (!o.no_failover && o.nodes >= 2) {
    NodeRun& victim = *nodes.back();
    std::vector<LogWatch> survivors;
    for (std::size_t i = 0; i + 1 < nodes.size(); ++i) survivors.push_back({nodes[i]->log, FileSize(nodes[i]->log)});
    SearchSampler sampler(coord, probes, o.k);
    // The survivors' VmHWM from here on is the failover's (their start's peak forgotten).
    bool peaks_reset = true;
    for (auto& n : nodes) {
      if (n.get() != &victim) peaks_reset = cluster::ResetPeakMemory(n->child.pid()).ok() && peaks_reset;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    Say(o, "kill -9 " + victim.id);
    const double killed_ms = NowMs();
    victim.child.Kill(9);
    double left_ms = -1, reindexed_ms = -1;
    const auto members_after = static_cast<std::size_t>(o.nodes - 1);
    while (NowMs() - killed_ms < o.failover_timeout_s * 1000) {
      if (left_ms < 0 && coord.members().count(victim.id) == 0) left_ms = NowMs();
      if (AllServingWith(survivors, members_after)) {
        reindexed_ms = NowMs();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    sampler.Stop();
    const json window = sampler.Window(killed_ms, reindexed_ms >= 0 ? reindexed_ms : NowMs());
    json during = json::object();
    for (const auto& [why, count] : coord.failures()) {
      const auto earlier = failures_before.find(why);
      const int n = count - (earlier == failures_before.end() ? 0 : earlier->second);
      if (n > 0) during[why] = n;
    }
    failover = {{"killed", victim.id},
                {"shard_call_failures", during},
                {"lease_ttl_s", o.lease_ttl_s},
                {"left_membership_s", left_ms < 0 ? -1.0 : (left_ms - killed_ms) / 1000.0},
                {"survivors_serving_s", reindexed_ms < 0 ? -1.0 : (reindexed_ms - killed_ms) / 1000.0},
                {"before_kill", LatencyFigures(sampler.Before(killed_ms), 0)}};
    failover.update(window);
    // The survivors' memory once they serve the smaller map; hwm_mb is the
    // peak since just before the kill (the re-index of the lost shards),
    // unless the kernel refused the reset (then since the start).
    json survivor_memory = json::array();
    for (auto& n : nodes) {
      if (n.get() == &victim) continue;
      if (auto mem = cluster::ReadProcMemory(n->child.pid()); mem.ok()) {
        survivor_memory.push_back({{"node", n->id}, {"rss_mb", mem->rss_mb}, {"hwm_mb", mem->hwm_mb}});
      }
    }
    failover["survivors_memory"] = survivor_memory;
    failover["survivors_peak_since_kill"] = peaks_reset;
    Say(o, "failover: " + failover.dump());

    // Restart of the killed node on its data folder: its index snapshots
    // (written after its first map) hold its shards, so it serves without
    // re-indexing them; the survivors hand them back.
    Say(o, "restarting " + victim.id);
    SearchSampler again(coord, probes, o.k);
    std::vector<LogWatch> all;
    for (auto& n : nodes) all.push_back({n->log, FileSize(n->log)});
    const double restarted_ms = NowMs();
    const Status restarted =
        victim.child.Start(setup->self, setup->models, victim.data, victim.log, victim.args, node_env);
    if (!restarted.ok()) return Fail(restarted);
    const double listening_ms = NowMs();
    double rejoined_ms = -1, all_serving_ms = -1;
    while (NowMs() - restarted_ms < o.failover_timeout_s * 1000) {
      if (rejoined_ms < 0 && all.back().ServingWith(static_cast<std::size_t>(o.nodes)) >= 0) rejoined_ms = NowMs();
      if (AllServingWith(all, static_cast<std::size_t>(o.nodes))) {
        all_serving_ms = NowMs();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    again.Stop();
    // What its log said on start: the group shards its snapshots held.
    std::size_t resumed = 0;
    {
      std::ifstream in(victim.log);
      in.seekg(static_cast<std::streamoff>(all.back().from));
      const std::string said = "facekit: index snapshots hold ";
      for (std::string line; std::getline(in, line);) {
        if (line.rfind(said, 0) == 0) resumed = static_cast<std::size_t>(std::atol(line.c_str() + said.size()));
      }
    }
    restart = {{"node", victim.id},
               {"first_start_rebuild_s", (victim.serving_ms - victim.spawned_ms) / 1000.0},
               {"gallery_loaded_s", (listening_ms - restarted_ms) / 1000.0},
               {"serving_s", rejoined_ms < 0 ? -1.0 : (rejoined_ms - restarted_ms) / 1000.0},
               {"every_node_serving_s", all_serving_ms < 0 ? -1.0 : (all_serving_ms - restarted_ms) / 1000.0},
               {"group_shards_from_snapshots", resumed}};
    restart.update(again.Window(restarted_ms, all_serving_ms >= 0 ? all_serving_ms : NowMs()));
    if (auto mem = cluster::ReadProcMemory(victim.child.pid()); mem.ok()) restart["rss_mb"] = mem->rss_mb;
    Say(o, "restart: " + restart.dump());
  }

  const std::string load_method = "PostgresStore::Apply, " + std::to_string(o.batch) +
                                  " faces per transaction (multi-row runs)" + (o.resume ? ", by an earlier run" : "");
  json out = {{"faces", o.faces},
              {"dim", kDim},
              {"nodes", o.nodes},
              {"replicas", o.replicas},
              {"index_rows", o.index_rows},
              {"index_structure", o.index_structure},
              {"nprobe", o.nprobe},
              {"shard_placement", o.shard_placement},
              {"grow_slice_ms", o.grow_slice_ms > 0 ? o.grow_slice_ms : gallery::GalleryOptions().grow_slice_ms},
              {"checkpoint_interval_s", o.checkpoint_s},
              {"shards", o.shards},
              {"k", o.k},
              {"node_omp_threads", omp_threads},
              {"load_s", *load_s},
              {"load_method", load_method},
              {"resumed", o.resume},
              {"nodes_detail", node_figures},
              {"queries", serial["queries"]},
              {"p50_ms", serial["p50_ms"]},
              {"p99_ms", serial["p99_ms"]},
              {"qps", concurrent["qps"]},
              {"recall_at_10", recall},
              {"recall_queries", rq},
              {"recall_incomplete", recall_incomplete},
              {"serial", serial},
              {"shard_call_failures_before_failover", failures_before},
              {"concurrent", concurrent},
              {"memory_estimate", memory_estimate},
              {"synthetic",
               {{"impostor_cos_mean", stats.impostor_mean},
                {"impostor_cos_std", stats.impostor_std},
                {"genuine_cos_mean", stats.genuine_mean}}}};
  if (!read_after_write.is_null()) out["read_after_write"] = read_after_write;
  if (!failover.is_null()) out["failover"] = failover;
  if (!restart.is_null()) out["restart"] = restart;
  std::printf("%s\n", o.json ? out.dump().c_str() : out.dump(2).c_str());
  std::fflush(stdout);  // the nodes' stop below writes their final snapshots: seconds
  coordinator->reset();
  // kill -9: a SIGTERM would make the others re-index for the smaller map
  // (minutes at large sizes) while they are being stopped; PostgreSQL holds the data.
  // (ServeChild::Kill does nothing for a node already killed: never kill(-1, ...).)
  for (auto& n : nodes) n->child.Kill(9);
  return 0;
}

}  // namespace

void RegisterBenchCluster(CLI::App* bench, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<ClusterBenchOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "cluster",
      "A sharded cluster on this machine (PostgreSQL, 3-member etcd, N serve nodes) over synthetic faces: load and "
      "rebuild times, memory per node, p50/p99 and throughput of sharded searches, recall@10, kill -9 failover and "
      "the killed node's restart from its snapshots");
  cmd->add_option("--nodes", o->nodes, "serve nodes")->default_val(o->nodes)->check(CLI::Range(1, 32));
  cmd->add_option("--faces", o->faces, "Synthetic faces in one group")->required()->check(CLI::Range(1, 100000000));
  cmd->add_option("--replicas", o->replicas, "Nodes holding each shard")->default_val(o->replicas)->check(CLI::Range(1, 16));
  cmd->add_option("--shard-placement", o->shard_placement, "The nodes' --shard-placement (balanced, rendezvous)")
      ->default_val(o->shard_placement)
      ->check(CLI::IsMember({"balanced", "rendezvous"}));
  cmd->add_option("--shards", o->shards, "Shards per group")->default_val(o->shards)->check(CLI::Range(1, 4096));
  cmd->add_option("--queries", o->queries, "Timed searches (each pass)")->default_val(o->queries)->check(CLI::Range(1, 10000000));
  cmd->add_option("--recall-queries", o->recall_queries, "Searches checked against exact search")
      ->default_val(o->recall_queries);
  cmd->add_option("--k", o->k, "Persons per answer")->default_val(o->k)->check(CLI::Range(1, 1000));
  cmd->add_option("--clients", o->clients, "Concurrent clients of the throughput pass")
      ->default_val(o->clients)
      ->check(CLI::Range(1, 256));
  cmd->add_option("--batch", o->batch, "Faces per store transaction while loading")
      ->default_val(o->batch)
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--writes", o->writes, "Faces committed one at a time for the read-after-write figures (0: none)")
      ->default_val(o->writes);
  cmd->add_option("--index-rows", o->index_rows, "How the nodes' indexes keep their vectors (serve --index-rows)")
      ->default_val(o->index_rows)
      ->check(CLI::IsMember({"fp32", "fp16"}));
  cmd->add_option("--index-structure", o->index_structure,
                  "The nodes' index structure past 50,000 entries a group (serve --index-structure: hnsw or ivf)")
      ->default_val(o->index_structure)
      ->check(CLI::IsMember({"hnsw", "ivf"}));
  cmd->add_option("--nprobe", o->nprobe, "The nodes' IVF lists scanned a search (serve --nprobe; 0: by size)")
      ->default_val(o->nprobe)
      ->check(CLI::Range(0, 65536));
  cmd->add_option("--grow-slice-ms", o->grow_slice_ms,
                  "The nodes' --grow-slice-ms (how long a search waits at most for an index taking shards on; 0: "
                  "serve's default)")
      ->default_val(o->grow_slice_ms)
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--lease-ttl", o->lease_ttl_s, "The nodes' etcd lease TTL (seconds)")
      ->default_val(o->lease_ttl_s)
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--deadline-ms", o->deadline_ms, "Deadline of one sharded search")
      ->default_val(o->deadline_ms)
      ->check(CLI::Range(10, 600000));
  cmd->add_option("--start-timeout", o->start_timeout_s, "Seconds to wait for the nodes to serve")
      ->default_val(o->start_timeout_s);
  cmd->add_option("--failover-timeout", o->failover_timeout_s,
                  "Seconds to wait for the survivors of the kill -9 (and then the restarted node) to serve the new "
                  "map; the figures of a wait that ran out say so (survivors_serving_s -1)")
      ->default_val(o->failover_timeout_s)
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-failover", o->no_failover, "Skip the kill -9 and restart parts");
  cmd->add_option("--data", o->data, "Folder for PostgreSQL, etcd and the nodes (kept; default: a temporary one)");
  cmd->add_option("--checkpoint-interval", o->checkpoint_s,
                  "The nodes' --checkpoint-interval: seconds between index snapshots, the most indexing a node "
                  "killed while it indexes (or a run cut short) loses")
      ->default_val(o->checkpoint_s)
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_flag("--resume", o->resume,
                "Go on with the --data folder of an earlier run whose load finished (same --faces and --seed): the "
                "faces are not loaded again and the nodes resume their shards from their index snapshots (a run "
                "longer than one sitting; docs/scale-out.md)")
      ->needs("--data");
  cmd->add_option("--seed", o->seed, "Generator seed")->default_val(o->seed);
  cmd->add_flag("--json", o->json, "One JSON object on stdout");
  cmd->callback([o, &g, run] { *run = [o, &g] { return RunClusterBench(g, *o); }; });
}

}  // namespace facekit::cli
