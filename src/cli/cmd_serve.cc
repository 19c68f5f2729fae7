// facekit serve: the server on one port; facekit keys: its API keys.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cluster/cluster_node.h"
#include "cluster/cluster_search.h"
#include "cluster/shard_map.h"
#include "facekit/face_attributes.h"
#include "facekit/face_mesh.h"
#include "facekit/liveness_judge.h"
#include "facekit/objects.h"
#include "server/grpc_shard_method.h"
#include "server/server.h"
#include "server/store_keys.h"
#include "server/tc3_signature.h"
#include "server/url_fetcher.h"
#include "service/open_service.h"
#include "store/data_folder_lock.h"
#include "store/key_store.h"

namespace facekit::cli {

namespace fs = std::filesystem;

namespace {

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string KeysPath(const std::string& data) { return (fs::path(data) / "keys.db").string(); }

Result<std::unique_ptr<store::KeyStore>> OpenKeys(const std::string& data) {
  std::error_code ec;
  fs::create_directories(data, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + data + ": " + ec.message());
  return store::KeyStore::Open(KeysPath(data));
}

bool SplitHostPort(const std::string& listen, std::string* host, std::uint16_t* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  try {
    const int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<std::uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host->empty();
}

struct ServeOptions {
  std::string data = "facekit-data";
  std::string index_rows = "fp32";  // gallery::RowFormat of the search indexes
  std::string index_structure = "hnsw";  // gallery::IndexOptions::approx_kind
  int nprobe = 0;                        // IVF lists scanned (0: by the lists' count)
  std::string store;  // postgres://...: the gallery is the database's (docs/scale-out.md)
  std::string etcd;   // etcd endpoints: register in the cluster's membership
  std::string node_id;
  std::string advertise;  // the URL other nodes reach this one at
  std::int64_t lease_ttl_s = 5;
  int shards = cluster::kDefaultShards;      // per group; every node of a cluster must agree
  int replicas = cluster::kDefaultReplicas;  // nodes holding each shard
  std::string shard_placement = "balanced";  // cluster::Placement
  std::string cluster_key_file;  // SecretId:SecretKey of the admin key every node has: sharded search
  std::int64_t shard_deadline_ms = 2000;
  int min_seq_wait_ms = 2000;  // read-your-writes: the longest wait for X-FaceKit-Min-Seq
  int grow_slice_ms = 0;       // gallery::GalleryOptions::grow_slice_ms (0: its default)
  double shard_linger_s = 10;  // a lost shard stays served this long after the last search asking for it
  double join_settle_s = 2;    // the first shard map waits until the member list was unchanged this long
  std::string listen = "127.0.0.1:8080";
  int workers = 0;
  int io_threads = 1;
  double rate_limit = 100;
  std::size_t max_queued = 256;
  double max_body_mb = 10;
  std::string language = "zh-CN";
  std::vector<std::string> allow_url_cidrs;
  bool no_url = false;
  bool no_grpc = false;
  double grace_s = 10;
  std::string tls_cert, tls_key;
  bool tls_allow_plaintext = false;
  bool no_loopback_bearer = false;
  double checkpoint_s = 300;
  float match_score = 0;
  std::string cloud_image_limits = "cloud";
};

// Writes the gallery's index snapshots (of groups changed since the last
// ones) every `interval` until stopped, so that a restart, even after a
// crash, loads them instead of rebuilding large indexes. The store stays the
// source of truth: a snapshot older than the store is brought up to date on
// open.
class Checkpointer {
 public:
  Checkpointer(gallery::Gallery& gallery, std::chrono::milliseconds interval) : gallery_(gallery) {
    if (interval.count() <= 0) return;
    thread_ = std::thread([this, interval] {
      std::unique_lock lock(mu_);
      while (!stop_) {
        cv_.wait_for(lock, interval, [this] { return stop_ || !nudged_.empty(); });
        if (stop_) break;
        const std::string why = std::exchange(nudged_, std::string());
        lock.unlock();
        Run(why.empty() ? "periodic" : why.c_str());
        lock.lock();
      }
    });
  }
  ~Checkpointer() { Stop(); }
  // Asks for a checkpoint now, on the checkpoint thread (none with interval 0):
  // after a cluster node re-indexed for a new map, so that a restart finds
  // its shards in the snapshots. `why` starts its log line.
  void Nudge(const char* why) {
    {
      std::lock_guard lock(mu_);
      nudged_ = why;
    }
    cv_.notify_all();
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void Run(const char* why) {
    const double t = NowMs();
    if (Status s = gallery_.Checkpoint(); !s.ok()) {
      std::fprintf(stderr, "facekit: %s index snapshot failed: %s\n", why, s.ToString().c_str());
      return;
    }
    const double ms = NowMs() - t;
    if (ms > 100) std::fprintf(stderr, "facekit: %s index snapshots written in %.1f s\n", why, ms / 1000);
  }

 private:
  gallery::Gallery& gallery_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string nudged_;  // why a checkpoint was asked for; empty: none
  std::thread thread_;
};

int Serve(const GlobalOptions& g, const ServeOptions& o) {
  // Block the shutdown signals before any thread starts, so that only the
  // sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::ServerOptions options;
  if (!SplitHostPort(o.listen, &options.http.host, &options.http.port)) {
    return Fail(Status(StatusCode::kInvalidArgument, "--listen wants HOST:PORT, not '" + o.listen + "'"));
  }
  // The server owns its data folder: a second server or a writing CLI
  // command is refused (the CLI can work through this server instead).
  auto lock = store::DataFolderLock::Acquire(o.data, {0, "facekit serve", "", 0});
  if (!lock.ok()) return Fail(lock.status());
  // FaceModelVersion 3.1 (groups upgraded to it or created with it) is
  // face-api's ResNet-128: loaded whenever the models folder has it, so that
  // such groups search and UpgradeGroupFaceModelVersion can run
  // (docs/gallery.md#face-model-versions states the cost).
  std::vector<EmbedderKind> extra_embedders;
  {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(ResolveModelsDir(g)) / "files" / "faceapi_resnet128.onnx", ec)) {
      extra_embedders.push_back(EmbedderKind::kResNet128);
    }
  }
  auto engine = MakeEngine(g, extra_embedders);
  if (!engine.ok()) return Fail(engine.status());
  // REST and gRPC: the pixel budget and working size (global options); the
  // cloud endpoint checks its documented limits first unless relaxed.
  service::DataDirOptions data_options;
  data_options.service.image_limits = ImageLimitsOf(g);
  data_options.service.verify_match_score = o.match_score;
  data_options.service.min_seq_wait_ms = o.min_seq_wait_ms;
  data_options.store_uri = o.store;
  auto rows = gallery::ParseRowFormat(o.index_rows);
  if (!rows.ok()) return Fail(rows.status());
  data_options.index.rows = *rows;
  auto structure = gallery::ParseIndexKind(o.index_structure);
  if (!structure.ok()) return Fail(structure.status());
  data_options.index.approx_kind = *structure;
  data_options.index.nprobe = o.nprobe;
  if (!o.etcd.empty() && !o.cluster_key_file.empty()) {
    // A sharded node owns no shard until it has joined (the map needs its
    // node id and the members): it opens the catalog and the persons' fused
    // features, and its first shard map loads its shards' face vectors.
    data_options.index_filter.shards = cluster::kDefaultShards;
    data_options.index_filter.holds = [](const std::string&, int) { return false; };
    // Every person's fused feature is on every node: their HNSW is built in
    // the background, not before the node can index its shards.
    data_options.defer_person_structures = true;
    // Restarted: its snapshots' shards stay indexed (DIR/index/shard-holdings);
    // a first map that gives it the same shards re-indexes nothing.
    data_options.resume_index_filter = true;
    data_options.grow_slice_ms = o.grow_slice_ms;
  }
  auto service = service::OpenFaceService(o.data, **engine, data_options);
  if (!service.ok()) return Fail(service.status());
  if (const std::size_t resumed = (*service)->gallery().resumed_shards(); resumed > 0) {
    std::fprintf(stderr, "facekit: index snapshots hold %zu group shards of this node's last map\n", resumed);
  }
  // DetectLiveFace / DetectLiveness decide from the replay medium around the
  // face (docs/liveness.md), not from the passive model alone.
  std::unique_ptr<LivenessJudge> judge;
  {
    LivenessJudgeOptions lo;
    lo.medium.models_dir = ResolveModelsDir(g);
    lo.medium.num_threads = g.threads;
    lo.report_passive = false;
    auto created = LivenessJudge::Create(engine->get(), lo);
    if (created.ok()) {
      judge = std::move(created.value());
      (*service)->SetLivenessJudge(judge.get());
    } else {
      std::fprintf(stderr, "facekit: DetectLiveFace falls back to the passive model alone: %s\n",
                   created.status().ToString().c_str());
    }
  }
  // DetectObjects (REST/gRPC) when the models folder has an object model.
  std::unique_ptr<ObjectDetector> objects;
  {
    ObjectDetectorOptions oo;
    oo.models_dir = ResolveModelsDir(g);
    oo.num_threads = g.threads;
    auto detector = ObjectDetector::Create(oo);
    if (detector.ok()) {
      objects = std::move(detector.value());
      (*service)->SetObjectDetector(objects.get(), objects->model_version());
    } else {
      std::fprintf(stderr, "facekit: DetectObjects is off: %s\n", detector.status().ToString().c_str());
    }
  }
  // The face mesh (AnalyzeFace, AnalyzeDenseLandmarks, eye openness) and the
  // attribute models (age, gender, expression; docs/attributes.md) when the
  // models folder has them.
  std::unique_ptr<FaceAttributeModels> attribute_models;
  std::unique_ptr<FaceMesh> mesh;
  std::unique_ptr<EyeLandmarks> eye_landmarks;
  {
    FaceMeshOptions mo;
    mo.models_dir = ResolveModelsDir(g);
    mo.num_threads = g.threads;
    auto m = FaceMesh::Create(mo);
    if (m.ok()) {
      mesh = std::move(m.value());
      (*service)->SetFaceMesh(mesh.get());
    } else {
      std::fprintf(stderr, "facekit: AnalyzeFace, AnalyzeDenseLandmarks and eye openness are off: %s\n",
                   m.status().ToString().c_str());
    }
    FaceAttributeOptions ao;
    ao.models_dir = ResolveModelsDir(g);
    ao.num_threads = g.threads;
    auto created = FaceAttributeModels::Create(ao);
    if (created.ok()) {
      attribute_models = std::move(created.value());
    } else {
      std::fprintf(stderr, "facekit: age, gender and expression are off: %s\n", created.status().ToString().c_str());
    }
    (*service)->SetAttributeModels(attribute_models.get(), mesh.get());
    EyeLandmarksOptions lo;
    lo.models_dir = ResolveModelsDir(g);
    lo.num_threads = g.threads;
    auto eyes = EyeLandmarks::Create(lo);
    if (eyes.ok()) {
      eye_landmarks = std::move(eyes.value());
      (*service)->SetEyeLandmarks(eye_landmarks.get());
    } else if (mesh) {
      std::fprintf(stderr, "facekit: eye openness from the face mesh alone: %s\n", eyes.status().ToString().c_str());
    }
  }
  auto keys = OpenKeys(o.data);
  if (!keys.ok()) return Fail(keys.status());
  // Requests look keys up here; admin keys manage them over the API (ListKeys, CreateKey, ...), the
  // `facekit keys` CLI writes the same keys.db, and either side's changes apply from the next request.
  server::StoreKeys directory(std::move(keys.value()), WallMs);

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  options.http.worker_threads = o.workers > 0 ? o.workers : static_cast<int>(cores);
  options.http.io_threads = o.io_threads;
  options.http.max_queued = o.max_queued;
  options.http.max_body_bytes = static_cast<std::size_t>(o.max_body_mb * 1024 * 1024);
  options.cloud.default_rate_limit = o.rate_limit;
  options.cloud.default_language = o.language;
  if (o.cloud_image_limits == "relaxed") {
    options.cloud.max_image_base64_bytes = 0;  // the body limit (--max-body-mb) still holds
    options.cloud.image_limits.reset();
  }
  options.enable_grpc = !o.no_grpc;
  options.grpc.bearer_from_loopback = !o.no_loopback_bearer;
  options.grpc.key_admin = &directory;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    if (o.tls_cert.empty() || o.tls_key.empty()) {
      return Fail(Status(StatusCode::kInvalidArgument, "TLS needs both --tls-cert and --tls-key"));
    }
    options.http.tls = server::HttpTlsOptions{o.tls_cert, o.tls_key, o.tls_allow_plaintext};
  } else if (o.tls_allow_plaintext) {
    return Fail(Status(StatusCode::kInvalidArgument, "--tls-allow-plaintext needs --tls-cert and --tls-key"));
  }

  // Sharded search (docs/scale-out.md): with --etcd and the cluster's key,
  // the node indexes only its shards, answers ShardSearch for them, and
  // sends every SearchFaces to one replica of each shard.
  // Declared before the cluster search, whose map thread nudges it.
  Checkpointer checkpointer((*service)->gallery(), std::chrono::milliseconds(static_cast<long>(o.checkpoint_s * 1000)));
  std::unique_ptr<cluster::ClusterSearch> cluster_search;
  if (!o.etcd.empty() && !o.cluster_key_file.empty()) {
    if (o.no_grpc) return Fail(Status(StatusCode::kInvalidArgument, "--cluster-key-file needs gRPC (no --no-grpc)"));
    std::ifstream in(o.cluster_key_file);
    std::string credential;
    std::getline(in, credential);
    while (!credential.empty() && (credential.back() == '\r' || credential.back() == ' ')) credential.pop_back();
    const auto colon = credential.find(':');
    if (!in.good() && credential.empty()) {
      return Fail(Status(StatusCode::kNotFound, "cannot read " + o.cluster_key_file));
    }
    if (colon == std::string::npos || colon == 0 || colon + 1 == credential.size()) {
      return Fail(Status(StatusCode::kInvalidArgument,
                         o.cluster_key_file + " must hold SecretId:SecretKey (facekit keys create --credential)"));
    }
    cluster::ClusterSearchOptions cso;
    cso.deadline_ms = o.shard_deadline_ms;
    cso.linger_idle_ms = static_cast<std::int64_t>(o.shard_linger_s * 1000);
    cso.first_map_settle_ms = static_cast<std::int64_t>(o.join_settle_s * 1000);
    cso.on_applied = [&checkpointer](const Status& applied, const cluster::ShardMap& map,
                                     const std::vector<cluster::LoadedShard>& loaded) {
      if (!applied.ok()) {
        std::fprintf(stderr, "facekit: re-indexing the shards failed: %s\n", applied.ToString().c_str());
        return;
      }
      checkpointer.Nudge("after a shard map,");
      const std::size_t lost = cluster::CountLost(loaded);
      std::string kept;
      if (lost > 0) kept = ", and keeps " + std::to_string(lost) + " lost shards until their new owners serve them";
      std::fprintf(stderr, "facekit: serving %zu shards (of %d per group, %zu nodes) at change-log position %lld%s\n",
                   loaded.size() - lost, map.shards(), map.nodes().size(),
                   static_cast<long long>(loaded.empty() ? 0 : loaded.front().loaded_seq), kept.c_str());
    };
    cso.on_release = [&checkpointer](std::size_t released, std::size_t serving) {
      std::fprintf(stderr, "facekit: released %zu lost shards no search asked for (their new owners serve them); "
                   "serving %zu shards\n", released, serving);
      if (released > 0) checkpointer.Nudge("after releasing lost shards,");  // the snapshots without them
    };
    cso.sign = [id = credential.substr(0, colon), secret = credential.substr(colon + 1)](const std::string& authority,
                                                                                         const std::string& body) {
      server::Tc3SignInput sign;
      sign.method = "POST";
      sign.canonical_uri = server::kShardSearchPath;
      sign.content_type = "application/grpc";
      sign.host = authority;
      sign.payload_hash = server::Sha256Hex(body);
      sign.timestamp = WallMs() / 1000;
      sign.service = "facekit";
      return std::vector<std::pair<std::string, std::string>>{
          {"authorization", server::Tc3Authorization(id, secret, sign)},
          {"x-tc-timestamp", std::to_string(sign.timestamp)}};
    };
    cluster_search = std::make_unique<cluster::ClusterSearch>((*service)->gallery(), std::move(cso));
    options.grpc.shard_search = cluster_search.get();
    (*service)->SetSearchRouter(cluster_search.get());
  } else if (!o.etcd.empty()) {
    std::fprintf(stderr, "facekit: no --cluster-key-file: this node searches its whole gallery itself (not sharded)\n");
  }

  server::UrlFetch fetch;
  if (!o.no_url) {
    server::UrlFetchOptions fo;
    fo.allow_cidrs = o.allow_url_cidrs;
    auto fetcher = std::make_shared<server::UrlFetcher>(fo);
    fetch = [fetcher](const std::string& url) { return fetcher->Fetch(url); };
  }
  auto started = server::Server::Start(options, **service, directory, fetch);
  if (!started.ok()) return Fail(started.status());
  auto& srv = *started.value();
  if (cluster_search) {
    srv.SetReadinessCheck([search = cluster_search.get()] {
      return search->Serving() ? std::string() : std::string("joining the cluster: no shard map indexed yet");
    });
    srv.metrics().AddGaugeSource([search = cluster_search.get()] {
      const auto loaded = search->LoadedShards();
      const std::size_t lost = cluster::CountLost(loaded);
      return std::vector<server::Metrics::Gauge>{
          {"facekit_cluster_shards_served",
           "(group, shard) pairs this node serves: its own under the current shard map, and lost ones it keeps "
           "until their new owners serve them.",
           {{"state=\"own\"", static_cast<double>(loaded.size()) - static_cast<double>(lost)},
            {"state=\"lost\"", static_cast<double>(lost)}}}};
    });
  }
  const char* scheme = !options.http.tls ? "http" : o.tls_allow_plaintext ? "https (and http)" : "https";
  {
    store::FolderOwner owner = (*lock)->owner();
    const bool v6 = options.http.host.find(':') != std::string::npos;
    owner.address = std::string(options.http.tls ? "https" : "http") + "://" + (v6 ? "[" : "") +
                    (options.http.host == "0.0.0.0" ? "127.0.0.1" : options.http.host) + (v6 ? "]" : "") + ":" +
                    std::to_string(srv.port());
    if (Status s = (*lock)->Update(owner); !s.ok()) std::fprintf(stderr, "facekit: %s\n", s.ToString().c_str());
  }
  std::printf("facekit: serving on %s://%s:%u (%s; data %s%s, %d workers)\n", scheme, options.http.host.c_str(),
              static_cast<unsigned>(srv.port()),
              o.no_grpc ? "cloud API at /"
                        : "cloud API at /, REST at /v1/, gRPC facekit.v1.FaceKit, web console at /console/",
              o.data.c_str(), o.store.empty() ? "" : ", gallery in PostgreSQL", options.http.worker_threads);
  std::printf("facekit: create an API key with: facekit keys create --data %s --role admin\n", o.data.c_str());
  std::fflush(stdout);

  // Cluster membership: registered under a lease once the address is known;
  // leaves (lease revoked) before the server stops taking requests.
  std::unique_ptr<cluster::ClusterNode> cluster_node;
  if (!o.etcd.empty()) {
    cluster::ClusterNodeOptions co;
    co.endpoints = o.etcd;
    const std::string host_port =
        (options.http.host == "0.0.0.0" ? "127.0.0.1" : options.http.host) + ":" + std::to_string(srv.port());
    co.address = !o.advertise.empty() ? o.advertise : std::string(options.http.tls ? "https://" : "http://") + host_port;
    co.node_id = o.node_id.empty() ? host_port : o.node_id;
    co.ttl_s = o.lease_ttl_s;
    co.shards = o.shards;
    co.replicas = o.replicas;
    co.placement = *cluster::ParsePlacement(o.shard_placement);  // checked by the option
    co.on_change = [](const cluster::MemberList& members) {
      std::string ids;
      for (const auto& [id, address] : members) ids += (ids.empty() ? "" : ", ") + id;
      std::fprintf(stderr, "facekit: cluster members (%zu): %s\n", members.size(), ids.c_str());
    };
    if (cluster_search) {
      // Refuse to start rather than index with another shard count than the database's.
      if (Status s = cluster::CheckShardCount((*service)->gallery(), co.shards); !s.ok()) {
        srv.Shutdown(std::chrono::milliseconds(0));
        return Fail(s);
      }
      co.on_map_change = [search = cluster_search.get(), id = co.node_id](
                             const cluster::MemberList& members, std::shared_ptr<const cluster::ShardMap> map) {
        search->ProposeMembership(id, members, std::move(map));
      };
    }
    auto joined = cluster::ClusterNode::Join(std::move(co));
    if (!joined.ok()) {
      srv.Shutdown(std::chrono::milliseconds(0));
      return Fail(joined.status());
    }
    cluster_node = std::move(joined).value();
    std::fprintf(stderr, "facekit: joined the cluster as %s (etcd %s)\n", cluster_node->node_id().c_str(),
                 o.etcd.c_str());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "facekit: %s received, finishing requests in flight\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  cluster_node.reset();  // leave the cluster first: the others stop counting on this node
  srv.Shutdown(std::chrono::milliseconds(static_cast<long>(o.grace_s * 1000)));
  cluster_search.reset();  // after the server: no request uses it any more
  checkpointer.Stop();
  checkpointer.Run("final");
  std::fprintf(stderr, "facekit: stopped\n");
  return 0;
}

nlohmann::json KeyJson(const ApiKey& k, bool with_secret) {
  nlohmann::json j = {{"secret_id", k.secret_id},
                      {"role", std::string(KeyRoleName(k.role))},
                      {"actions", k.actions},
                      {"groups", k.groups},
                      {"rate_limit", k.rate_limit},
                      {"description", k.description},
                      {"created_ms", k.created_ms},
                      {"revoked", k.revoked_ms != 0}};
  if (with_secret) j["secret_key"] = k.secret_key;
  return j;
}

}  // namespace

void RegisterServe(CLI::App& app, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve the cloud-compatible face API (POST /), the facekit.v1 gRPC service and its REST/JSON form (/v1/...), "
      "/ping, /healthz, /readyz and /metrics on one port");
  cmd->add_option("--data", o->data, "Data folder (gallery.db, index/, keys.db)")->default_val(o->data);
  cmd->add_option("--store", o->store,
                  "Keep the gallery in this PostgreSQL database (postgres://USER@HOST/DB, or "
                  "postgresql:///DB?host=/SOCKET/DIR) instead of DATA/gallery.db; every node started on it serves the "
                  "same gallery (docs/scale-out.md). keys.db and the index snapshots stay in --data");
  cmd->add_option("--index-rows", o->index_rows,
                  "How the search indexes keep their vectors: fp32, or fp16 (half the rows' memory, 384 instead of "
                  "768 bytes a face; scores move by about 1e-4; docs/gallery.md). Snapshots of the other format are "
                  "converted on load")
      ->default_val(o->index_rows)
      ->check(CLI::IsMember({"fp32", "fp16"}));
  cmd->add_option("--index-structure", o->index_structure,
                  "The structure of a group's index past 50,000 entries: hnsw (a graph: the fastest searches, the "
                  "slowest to build) or ivf (lists: built ~15x faster, searches scan more; docs/gallery.md)")
      ->default_val(o->index_structure)
      ->check(CLI::IsMember({"hnsw", "ivf"}));
  cmd->add_option("--nprobe", o->nprobe,
                  "IVF lists a search scans (0: by the lists' count, gallery::AutoNprobe; docs/gallery.md)")
      ->default_val(o->nprobe)
      ->check(CLI::Range(0, 65536));
  cmd->add_option("--etcd", o->etcd,
                  "Join the cluster whose membership is in these etcd members (HOST:PORT[,HOST:PORT...]): register "
                  "this node under a lease kept alive, follow the member list and the shard map (docs/scale-out.md)");
  cmd->add_option("--node-id", o->node_id, "This node's id in the cluster (default HOST:PORT of --listen)");
  cmd->add_option("--advertise", o->advertise,
                  "The URL other nodes and clients reach this node at, registered in etcd (default: from --listen, "
                  "127.0.0.1 for 0.0.0.0; give it when listening on all interfaces)");
  cmd->add_option("--lease-ttl", o->lease_ttl_s,
                  "Seconds after which a node that stopped renewing its lease (crashed) leaves the member list")
      ->default_val(o->lease_ttl_s)
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--shards", o->shards,
                  "With --etcd: shards per group (faces split by hash of the face id); must equal the PostgreSQL "
                  "database's count (facekit_settings 'shards', 64 for databases FaceKit creates): a node with "
                  "another is refused")
      ->default_val(o->shards)
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--replicas", o->replicas,
                  "With --etcd: nodes holding each shard; every node of the cluster must be started with the same value")
      ->default_val(o->replicas)
      ->check(CLI::Range(1, 16));
  cmd->add_option("--shard-placement", o->shard_placement,
                  "With --etcd: how shards are spread over the nodes; every node of the cluster must use the same. "
                  "balanced: no node holds more than its share rounded up (rendezvous hashing with bounded loads); "
                  "rendezvous: each shard on its top-ranked nodes (fewer shards move when a node joins or leaves, "
                  "uneven loads; the placement before 2026-12-07: use it while upgrading a cluster of older nodes "
                  "one by one; docs/scale-out.md)")
      ->default_val(o->shard_placement)
      ->check(CLI::IsMember({"balanced", "rendezvous"}));
  cmd->add_option("--cluster-key-file", o->cluster_key_file,
                  "With --etcd: a file holding SecretId:SecretKey of an admin key every node has (the same keys.db). "
                  "The node then indexes only its shards and answers SearchFaces from one replica of every shard "
                  "(docs/scale-out.md); without it each node searches its whole gallery");
  cmd->add_option("--shard-deadline-ms", o->shard_deadline_ms,
                  "Time a sharded search waits for the shards before failing with FailedOperation.ShardsUnavailable")
      ->default_val(o->shard_deadline_ms)
      ->check(CLI::Range(10, 600000));
  cmd->add_option("--min-seq-wait-ms", o->min_seq_wait_ms,
                  "With --store postgres://: the longest a request carrying X-FaceKit-Min-Seq (a position an earlier "
                  "answer's X-FaceKit-Seq gave) waits for this node to apply the change log that far before it "
                  "fails with FailedOperation.RequestTimeout (read-your-writes, docs/scale-out.md)")
      ->default_val(o->min_seq_wait_ms)
      ->check(CLI::Range(0, 600000));
  cmd->add_option("--grow-slice-ms", o->grow_slice_ms,
                  "With --etcd: a shard map that gives this node shards adds their faces to its serving HNSW "
                  "indexes a slice at a time, searches waiting for one slice: the slice's length in milliseconds "
                  "(shorter: searches wait less, the shards take longer to load; 0: the default, " +
                      std::to_string(gallery::GalleryOptions().grow_slice_ms) + "; docs/scale-out.md)")
      ->default_val(o->grow_slice_ms)
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--shard-linger-s", o->shard_linger_s,
                  "A shard this node loses at a map change stays served until no search asked for it for this "
                  "long and its new owners answer for it, so that it is served while they load it (0 = dropped "
                  "at once)")
      ->default_val(o->shard_linger_s)
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--join-settle-s", o->join_settle_s,
                  "A node joining the cluster indexes its first shard map once the member list has been unchanged "
                  "this long, so that nodes started together index only their own shards (0 = the first map at once)")
      ->default_val(o->join_settle_s)
      ->check(CLI::Range(0.0, 600.0));
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 = any free port)")->default_val(o->listen);
  cmd->add_option("--workers", o->workers, "Threads running requests (0 = one per core)")->default_val(0);
  cmd->add_option("--io-threads", o->io_threads, "Threads doing network I/O")->default_val(1)->check(CLI::Range(1, 64));
  cmd->add_option("--rate-limit", o->rate_limit, "Requests per second per key unless the key sets its own (0 = none)")
      ->default_val(o->rate_limit);
  cmd->add_option("--max-queued", o->max_queued, "Requests waiting for a worker beyond which new ones are refused")
      ->default_val(o->max_queued);
  cmd->add_option("--max-body-mb", o->max_body_mb, "Largest request body (MB)")->default_val(o->max_body_mb);
  cmd->add_option("--language", o->language,
                  "Error message language of the cloud endpoint (POST /) when X-TC-Language is absent; REST and "
                  "gRPC default to en-US")
      ->default_val(o->language)
      ->check(CLI::IsMember({"zh-CN", "en-US"}));
  cmd->add_option("--allow-url-cidr", o->allow_url_cidrs,
                  "Private/loopback networks that Url image inputs may reach (e.g. 10.0.0.0/8); default none");
  cmd->add_flag("--no-url", o->no_url, "Refuse Url image inputs altogether");
  cmd->add_option("--cloud-image-limits", o->cloud_image_limits,
                  "cloud: POST / keeps the cloud API's documented image limits (base64 <= 5 MB, JPEG long side <= "
                  "4000, others <= 2000); relaxed: only the pixel budget (--max-image-pixels) and the body limit, "
                  "as for REST and gRPC")
      ->default_val(o->cloud_image_limits)
      ->check(CLI::IsMember({"cloud", "relaxed"}));
  cmd->add_flag("--no-grpc", o->no_grpc, "Serve neither gRPC nor REST (/v1/...), only the cloud API and health");
  cmd->add_option("--grace", o->grace_s, "Seconds in-flight requests get to finish on SIGTERM")->default_val(10);
  cmd->add_option("--checkpoint-interval", o->checkpoint_s,
                  "Seconds between index snapshots of changed large groups (0 = only at shutdown); they make "
                  "restarts fast")
      ->default_val(o->checkpoint_s)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--match-score", o->match_score,
                  "1:1 decision rule of IsMatch (VerifyFace, VerifyPerson) and REST/gRPC compare: same person at or "
                  "above this score (0 = the manifest's 60, the cloud API's; 40/50/60 = false accepts 1e-3/1e-4/1e-5)")
      ->default_val(0)
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate chain: serve HTTPS and gRPC over TLS on the port")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  cmd->add_flag("--tls-allow-plaintext", o->tls_allow_plaintext,
                "With TLS, also serve plaintext clients on the same port (default: refused)");
  cmd->add_flag("--no-loopback-bearer", o->no_loopback_bearer,
                "Accept Bearer credentials over TLS only, also from 127.0.0.1 (use behind a local proxy)");
  cmd->callback([&g, o, run] { *run = [&g, o] { return Serve(g, *o); }; });
}

void RegisterKeys(CLI::App& app, Action* run) {
  CLI::App* keys = app.add_subcommand("keys", "Create, list and revoke API keys (SecretId/SecretKey)");
  keys->require_subcommand(1);
  auto data = std::make_shared<std::string>("facekit-data");

  auto create = keys->add_subcommand("create", "Create a key and print its SecretId and SecretKey");
  auto role = std::make_shared<std::string>("read-write");
  auto nk = std::make_shared<store::NewKey>();
  auto json_out = std::make_shared<bool>(false);
  create->add_option("--data", *data, "Data folder")->default_val(*data);
  create->add_option("--role", *role, "admin, read-write or read-only")
      ->default_val(*role)
      ->check(CLI::IsMember({"admin", "read-write", "read-only"}));
  create->add_option("--actions", nk->actions, "Only these actions (e.g. SearchFaces DetectFace); default all");
  create->add_option("--groups", nk->groups, "Only these group ids; default all groups");
  create->add_option("--rate-limit", nk->rate_limit, "Requests per second (0 = the server's default)");
  create->add_option("--description", nk->description, "A note on who uses the key");
  create->add_flag("--json", *json_out, "Print {\"secret_id\": ..., \"secret_key\": ...} as JSON");
  auto credential_out = std::make_shared<bool>(false);
  create->add_flag("--credential", *credential_out,
                   "Print only SecretId:SecretKey, the form `--key` and `Authorization: Bearer` take");
  create->callback([=] {
    *run = [=] {
      auto r = ParseKeyRole(*role);
      if (!r.ok()) return Fail(r.status());
      nk->role = *r;
      auto store = OpenKeys(*data);
      if (!store.ok()) return Fail(store.status());
      auto key = (*store)->Create(*nk, WallMs());
      if (!key.ok()) return Fail(key.status());
      if (*credential_out) {
        std::cout << key->secret_id << ":" << key->secret_key << "\n";
      } else if (*json_out) {
        std::cout << KeyJson(*key, true).dump() << "\n";
      } else {
        std::cout << "SecretId:  " << key->secret_id << "\nSecretKey: " << key->secret_key << "\nRole:      "
                  << KeyRoleName(key->role) << "\n(the SecretKey is shown once here; `facekit keys list` hides it)\n";
      }
      return 0;
    };
  });

  auto list = keys->add_subcommand("list", "List keys (without their secrets)");
  auto list_json = std::make_shared<bool>(false);
  list->add_option("--data", *data, "Data folder")->default_val(*data);
  list->add_flag("--json", *list_json, "One JSON array");
  list->callback([=] {
    *run = [=] {
      auto store = OpenKeys(*data);
      if (!store.ok()) return Fail(store.status());
      auto all = (*store)->List();
      if (!all.ok()) return Fail(all.status());
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& k : *all) arr.push_back(KeyJson(k, false));
      if (*list_json) {
        std::cout << arr.dump() << "\n";
      } else {
        for (const auto& k : *all) {
          std::printf("%s  %-10s %s%s%s\n", k.secret_id.c_str(), std::string(KeyRoleName(k.role)).c_str(),
                      k.revoked_ms ? "REVOKED " : "", k.groups.empty() ? "" : "groups-limited ",
                      k.description.c_str());
        }
      }
      return 0;
    };
  });

  auto revoke = keys->add_subcommand("revoke", "Revoke a key (a running server refuses it from its next request)");
  auto id = std::make_shared<std::string>();
  revoke->add_option("--data", *data, "Data folder")->default_val(*data);
  revoke->add_option("SECRET_ID", *id, "The key's SecretId")->required();
  revoke->callback([=] {
    *run = [=] {
      auto store = OpenKeys(*data);
      if (!store.ok()) return Fail(store.status());
      Status s = (*store)->Revoke(*id, WallMs());
      if (!s.ok()) return Fail(s);
      std::printf("revoked %s\n", id->c_str());
      return 0;
    };
  });
}

}  // namespace facekit::cli
