// Sharded search through the real binary (docs/scale-out.md, "Search"): three
// `facekit serve` nodes on one PostgreSQL and a 3-member etcd, each indexing
// only its shards and answering SearchFaces from one replica of every shard
// (ShardSearch over gRPC, its own shards in-process), compared with a fourth
// node on the same database that searches its whole gallery alone; and a
// node killed with -9 while a writer enrols and readers search. Skipped when
// PostgreSQL 15 or etcd is not installed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cluster/etcd_test_cluster.h"
#include "facekit/v1/facekit.grpc.pb.h"
#include "serve_process.h"
#include "store/pg_test_cluster.h"
#include "test_util.h"

namespace facekit {
namespace {

using testing::RunCommand;
namespace v1 = ::facekit::v1;

std::string Cli() { return ::facekit::testing::CliPath() + " --models " + testing::ModelsDir(); }

std::string Lfw() { return testing::DataDir() + "/lfw-view1/deepfunneled/"; }

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The photos of an LFW View 1 person, sorted (their numbers have gaps).
std::vector<std::string> PhotosOf(const std::string& name) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(Lfw() + name, ec)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Photo `i` (1-based) of a person.
std::string Photo(const std::string& name, int i) { return PhotosOf(name).at(static_cast<std::size_t>(i - 1)); }

// LFW View 1 people (folders in name order) with `min` to `max` photos, from the `skip`-th on.
std::vector<std::string> People(std::size_t min, std::size_t max, std::size_t count, std::size_t skip = 0) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(Lfw(), ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (out.size() >= count) break;
    const std::size_t n = PhotosOf(name).size();
    if (n < min || n > max) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    out.push_back(name);
  }
  return out;
}

// A node of the test cluster and a gRPC stub to it (Bearer from loopback).
struct Node {
  std::string data;
  std::vector<std::string> args;
  std::unique_ptr<testing::ServeProcess> process;
  std::unique_ptr<v1::FaceKit::Stub> stub;
  std::string key;

  Node(std::string data_dir, std::vector<std::string> serve_args, std::string credential)
      : data(std::move(data_dir)), args(std::move(serve_args)), key(std::move(credential)) {
    Start();
  }
  // (Again, after the process stopped: on the same data folder, a new port.)
  void Start() {
    process = std::make_unique<testing::ServeProcess>(data, args);
    stub =
        v1::FaceKit::NewStub(grpc::CreateChannel("127.0.0.1:" + process->port(), grpc::InsecureChannelCredentials()));
  }
  // `ctx`: the caller's (to add metadata or read the answer's), else one of its own.
  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (v1::FaceKit::Stub::*fn)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
                    Resp* resp, grpc::ClientContext* ctx = nullptr) {
    grpc::ClientContext own;
    if (ctx == nullptr) ctx = &own;
    ctx->AddMetadata("authorization", "Bearer " + key);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return (stub.get()->*fn)(ctx, req, resp);
  }
};

// Three sharded nodes, one whole-gallery reference node, one admin key on all.
class ShardedCluster {
 public:
  // `lease_ttl`: the nodes' etcd lease TTL in seconds; `extra`: more serve options of the three nodes.
  std::string Start(testing::PgTestCluster& pg, testing::EtcdTestCluster& etcd, int lease_ttl = 2,
                    const std::vector<std::string>& extra = {}) {
    auto [rc, out] = RunCommand(Cli() + " keys create --data " + dir_.file("node-1") + " --role admin --credential");
    if (rc != 0) return "keys create failed: " + out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    key_ = out;
    key_file_ = dir_.file("admin.key");
    std::ofstream(key_file_) << key_ << "\n";
    for (const char* d : {"node-2", "node-3", "ref"}) {
      std::filesystem::create_directories(dir_.file(d));
      std::filesystem::copy_file(dir_.file("node-1") + "/keys.db", dir_.file(d) + "/keys.db");
    }
    for (int i = 1; i <= 3; ++i) {
      const std::string id = "node-" + std::to_string(i);
      std::vector<std::string> args = {"--store", pg.uri(), "--etcd", etcd.endpoints(), "--node-id",
                                       id, "--lease-ttl", std::to_string(lease_ttl), "--cluster-key-file", key_file_,
                                       // snapshots of what the nodes indexed by following the log, too
                                       "--checkpoint-interval", "1"};
      args.insert(args.end(), extra.begin(), extra.end());
      nodes_.push_back(std::make_unique<Node>(dir_.file(id), std::move(args), key_));
      if (nodes_.back()->process->port().empty()) return id + " did not start";
    }
    reference_ = std::make_unique<Node>(dir_.file("ref"), std::vector<std::string>{"--store", pg.uri()}, key_);
    if (reference_->process->port().empty()) return "the reference node did not start";
    // Every node sees the three members (and has indexed its shards).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (true) {
      const auto [src, status] = RunCommand(Cli() + " cluster status --etcd " + etcd.endpoints() + " --json");
      if (src == 0 && status.find("node-3") != std::string::npos && status.find("node-1") != std::string::npos &&
          status.find("node-2") != std::string::npos) {
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return "the nodes did not all register: " + status;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }
  Node& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  Node& reference() { return *reference_; }

 private:
  testing::TempDir dir_;
  std::string key_, key_file_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<Node> reference_;
};

#define START_SHARDED_TTL_OR_SKIP(pg, etcd, cluster, ttl, ...)                                                        \
  if (testing::EtcdTestCluster::Binary().empty()) GTEST_SKIP() << "etcd not installed (apt-get install etcd-server)"; \
  testing::PgTestCluster pg;                                                                                          \
  START_PG_OR_SKIP(pg);                                                                                               \
  testing::EtcdTestCluster etcd(3);                                                                                   \
  START_ETCD_OR_SKIP(etcd);                                                                                           \
  ShardedCluster cluster;                                                                                             \
  if (std::string why = cluster.Start(pg, etcd, ttl __VA_OPT__(, ) __VA_ARGS__); !why.empty()) FAIL() << why
#define START_SHARDED_OR_SKIP(pg, etcd, cluster) START_SHARDED_TTL_OR_SKIP(pg, etcd, cluster, 2)

// A search answered as a comparable text: per face, per group list, each
// candidate's person, face, group and similarity.
struct Answer {
  grpc::Status status;
  std::vector<std::tuple<std::string, std::string, std::string, float>> rows;  // person, face, group, similarity
};

Answer Search(Node& node, const std::vector<std::string>& groups, const std::string& image, bool by_group,
              bool persons = false) {
  v1::SearchRequest req;
  for (const auto& g : groups) req.add_group_ids(g);
  req.set_image(image);
  req.set_max_person_num(5);
  req.set_by_group(by_group);
  v1::SearchResponse resp;
  Answer a;
  // A shard whose replicas are re-indexing answers UNAVAILABLE: asked again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    resp.Clear();
    a.status = node.Call(persons ? &v1::FaceKit::Stub::SearchPersons : &v1::FaceKit::Stub::SearchFaces, req, &resp);
  } while (a.status.error_code() == grpc::StatusCode::UNAVAILABLE && std::chrono::steady_clock::now() < deadline &&
           (std::this_thread::sleep_for(std::chrono::milliseconds(100)), true));
  for (const auto& r : resp.results()) {
    for (const auto& c : r.candidates()) a.rows.emplace_back(c.person_id(), c.face_id(), c.group_id(), c.similarity());
    for (const auto& g : r.group_candidates()) {
      for (const auto& c : g.candidates()) {
        a.rows.emplace_back(c.person_id(), c.face_id(), g.group_id() + ":" + c.group_id(), c.similarity());
      }
    }
  }
  return a;
}

// A node's gauge `name` (with its labels, e.g. `x{state="current"}`) from /metrics; -1 when unreadable.
int Gauge(Node& node, const std::string& name) {
  const auto [rc, text] = RunCommand("curl -s " + node.process->url() + "/metrics");
  const std::string key = "\n" + name + " ";
  const auto at = text.find(key);
  if (rc != 0 || at == std::string::npos) return -1;
  return std::atoi(text.c_str() + at + key.size());
}

// A node's facekit_cluster_shards_served{state=...}; -1 when unreadable.
int ShardsServed(Node& node, const std::string& state) {
  return Gauge(node, "facekit_cluster_shards_served{state=\"" + state + "\"}");
}

TEST(ShardedSearch, EveryNodeAnswersAsOneNodeOverTheSameGallery) {
  START_SHARDED_OR_SKIP(pg, etcd, cluster);
  // Group g: 14 people with two faces (photos 1 and 2); group h: 14 others with one.
  const std::vector<std::string> twice = People(3, 1000, 14), once = People(1, 2, 14);
  ASSERT_EQ(twice.size(), 14u);
  ASSERT_EQ(once.size(), 14u);
  Node& writer = cluster.node(0);
  for (const char* g : {"g", "h"}) {
    v1::CreateGroupRequest req;
    req.set_group_id(g);
    req.set_group_name(g);
    v1::Group resp;
    ASSERT_TRUE(writer.Call(&v1::FaceKit::Stub::CreateGroup, req, &resp).ok());
  }
  int enrolled = 0;
  auto enrol = [&](const std::string& group, const std::string& name, int photos, Node& via) {
    v1::CreatePersonRequest req;
    req.set_group_id(group);
    req.set_person_id(name);
    req.set_person_name(name);
    req.set_image(Bytes(Photo(name, 1)));
    v1::CreatePersonResponse resp;
    auto s = via.Call(&v1::FaceKit::Stub::CreatePerson, req, &resp);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
    ++enrolled;
    if (photos < 2) return;
    v1::CreateFacesRequest more;
    more.set_person_id(name);
    more.add_images(Bytes(Photo(name, 2)));
    more.set_face_match_threshold(0);
    v1::CreateFacesResponse done;
    s = via.Call(&v1::FaceKit::Stub::CreateFaces, more, &done);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
    ++enrolled;
  };
  // Writes through every node (each acknowledged after PostgreSQL's COMMIT).
  for (std::size_t i = 0; i < twice.size(); ++i) enrol("g", twice[i], 2, cluster.node(static_cast<int>(i % 3)));
  for (std::size_t i = 0; i < once.size(); ++i) enrol("h", once[i], 1, cluster.node(static_cast<int>(i % 3)));
  // Every node has applied the last write (the catalog is whole on each).
  for (Node* n : {&cluster.node(0), &cluster.node(1), &cluster.node(2), &cluster.reference()}) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    v1::GetPersonRequest req;
    req.set_person_id(once.back());
    v1::Person resp;
    while (!n->Call(&v1::FaceKit::Stub::GetPerson, req, &resp).ok() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // Each node serves only its own shards (the lost ones of the start's maps
  // released), so that an answer of one node's indexes alone would miss faces
  // and persons of the others.
  for (int n = 0; n < 3; ++n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    while ((ShardsServed(cluster.node(n), "lost") != 0 || ShardsServed(cluster.node(n), "own") <= 0) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_EQ(ShardsServed(cluster.node(n), "lost"), 0) << "node-" << n + 1;
    ASSERT_GT(ShardsServed(cluster.node(n), "own"), 0) << "node-" << n + 1;
    ASSERT_LT(ShardsServed(cluster.node(n), "own"), 2 * 64) << "node-" << n + 1 << " serves every shard";
  }
  // The fixed query set: photo 3 of each two-face person (not enrolled), and
  // photo 1 of four one-face persons; all groups, one group, by group.
  int compared = 0;
  for (std::size_t q = 0; q < twice.size() + 4; ++q) {
    const std::string image = Bytes(q < twice.size() ? Photo(twice[q], 3) : Photo(once[q - twice.size()], 1));
    for (const auto& [groups, by_group] : std::vector<std::pair<std::vector<std::string>, bool>>{
             {{"g", "h"}, false}, {{"g"}, false}, {{"g", "h"}, true}}) {
      for (const bool persons : {false, true}) {  // faces, and persons' fused features
        const Answer want = Search(cluster.reference(), groups, image, by_group, persons);
        ASSERT_TRUE(want.status.ok()) << want.status.error_message();
        ASSERT_FALSE(want.rows.empty());
        for (int n = 0; n < 3; ++n) {
          const Answer got = Search(cluster.node(n), groups, image, by_group, persons);
          ASSERT_TRUE(got.status.ok()) << "node-" << n + 1 << ": " << got.status.error_message();
          ASSERT_EQ(got.rows.size(), want.rows.size()) << "node-" << n + 1 << ", query " << q;
          for (std::size_t i = 0; i < want.rows.size(); ++i) {
            EXPECT_EQ(std::get<0>(got.rows[i]), std::get<0>(want.rows[i])) << "node-" << n + 1 << " q" << q << " #" << i;
            EXPECT_EQ(std::get<1>(got.rows[i]), std::get<1>(want.rows[i])) << "node-" << n + 1 << " q" << q << " #" << i;
            EXPECT_EQ(std::get<2>(got.rows[i]), std::get<2>(want.rows[i])) << "node-" << n + 1 << " q" << q << " #" << i;
            EXPECT_NEAR(std::get<3>(got.rows[i]), std::get<3>(want.rows[i]), 1e-5);
          }
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 2 * 3 * 3 * 18);
  std::printf("[ sharded ] %d faces enrolled, %d sharded answers equal to the single node's\n", enrolled, compared);
}

// Group `g` created through `via` (`ctx`: as Node::Call's).
grpc::Status CreateGroupG(Node& via, grpc::ClientContext* ctx = nullptr) {
  v1::CreateGroupRequest req;
  req.set_group_id("g");
  req.set_group_name("g");
  v1::Group resp;
  return via.Call(&v1::FaceKit::Stub::CreateGroup, req, &resp, ctx);
}

// Person `name` in group `g`, enrolled from their first photo through `via`.
grpc::Status CreatePersonInG(Node& via, const std::string& name, grpc::ClientContext* ctx = nullptr) {
  v1::CreatePersonRequest req;
  req.set_group_id("g");
  req.set_person_id(name);
  req.set_person_name(name);
  req.set_image(Bytes(Photo(name, 1)));
  v1::CreatePersonResponse resp;
  return via.Call(&v1::FaceKit::Stub::CreatePerson, req, &resp, ctx);
}

TEST(ShardedSearch, AKilledNodeLosesNoAcknowledgedWriteAndSearchesGoOn) {
  START_SHARDED_OR_SKIP(pg, etcd, cluster);
  const std::vector<std::string> base = People(3, 1000, 6), later = People(1, 2, 24, 20);
  ASSERT_EQ(later.size(), 24u);
  ASSERT_TRUE(CreateGroupG(cluster.node(0)).ok());
  const auto create = [](Node& via, const std::string& name) { return CreatePersonInG(via, name); };
  for (const auto& name : base) {
    const grpc::Status s = create(cluster.node(0), name);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
  }
  const std::string query = Bytes(Photo(base[0], 2));
  // node-3 has indexed its shards and written its snapshots (a checkpoint
  // follows every applied map, and every second here: the map may have come
  // before the group, whose faces it then indexed from the change log): its
  // restart below resumes from them.
  const std::string holdings = cluster.node(2).data + "/index/shard-holdings";
  const auto indexed_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto has_group = [&] {
    std::ifstream in(holdings);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("group ", 0) == 0) return true;
    }
    return false;
  };
  while (!has_group() && std::chrono::steady_clock::now() < indexed_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(has_group()) << "node-3 wrote no snapshot of its shards within 30 s (" << holdings << ")";

  // Readers on node-1 and node-2; the writer on node-1; node-3 killed once
  // the writer has 5 acknowledgements.
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0}, unavailable{0}, other_errors{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int n = 0; n < 2; ++n) {
    readers.emplace_back([&, n] {
      while (!stop) {
        v1::SearchRequest req;
        req.add_group_ids("g");
        req.set_image(query);
        v1::SearchResponse resp;
        const grpc::Status s = cluster.node(n).Call(&v1::FaceKit::Stub::SearchFaces, req, &resp);
        ++searches;
        if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++unavailable;
        } else if (!s.ok()) {
          ++other_errors;
        } else if (resp.results_size() == 0 || resp.results(0).candidates_size() == 0 ||
                   resp.results(0).candidates(0).person_id() != base[0]) {
          ++wrong;
        }
      }
    });
  }
  std::vector<std::string> acknowledged;
  int refused = 0;
  for (std::size_t i = 0; i < later.size(); ++i) {
    if (i == 5) cluster.node(2).process->Stop(SIGKILL);
    const grpc::Status s = create(cluster.node(0), later[i]);
    if (s.ok()) {
      acknowledged.push_back(later[i]);
    } else {
      ++refused;
    }
  }
  // Readers go on until node-3's lease (2 s) has expired and the survivors
  // have had a second with the two-node map, answering every shard alone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    const auto [rc, status] = RunCommand(Cli() + " cluster status --etcd " + etcd.endpoints() + " --json");
    gone = rc == 0 && status.find("node-3") == std::string::npos && status.find("node-2") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "node-3 still registered 20 s after kill -9";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (auto& t : readers) t.join();
  std::printf(
      "[ sharded ] kill -9 of node-3: %d searches, %d ShardsUnavailable, %d other errors, %d wrong top; "
      "%zu writes acknowledged, %d refused\n",
      searches.load(), unavailable.load(), other_errors.load(), wrong.load(), acknowledged.size(), refused);
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(searches.load() - unavailable.load(), 0);
  EXPECT_GE(acknowledged.size(), 20u);
  // Every acknowledged write is found by a search on both survivors.
  for (int n = 0; n < 2; ++n) {
    for (const auto& name : acknowledged) {
      const Answer a = Search(cluster.node(n), {"g"}, Bytes(Photo(name, 1)), false);
      ASSERT_TRUE(a.status.ok()) << "node-" << n + 1 << " " << name << ": " << a.status.error_message();
      ASSERT_FALSE(a.rows.empty()) << name;
      EXPECT_EQ(std::get<0>(a.rows[0]), name) << "node-" << n + 1;
    }
  }

  // node-3 started again on its data folder: its index snapshots (written
  // after its first map, before the writes it missed) hold its shards; it
  // takes them from there, catches up with the database and, once it serves
  // its shards again, answers every acknowledged write as the reference does.
  cluster.node(2).Start();
  ASSERT_FALSE(cluster.node(2).process->port().empty()) << "node-3 did not start again";
  EXPECT_GT(Gauge(cluster.node(2), "facekit_gallery_shards_resumed"), 0) << "node-3 rebuilt instead of resuming";
  const auto serving_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ShardsServed(cluster.node(2), "own") <= 0 && std::chrono::steady_clock::now() < serving_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(ShardsServed(cluster.node(2), "own"), 0) << "node-3 does not serve its shards 60 s after its restart";
  for (const auto& name : acknowledged) {
    const std::string photo = Bytes(Photo(name, 1));
    const Answer got = Search(cluster.node(2), {"g"}, photo, false);
    const Answer want = Search(cluster.reference(), {"g"}, photo, false);
    ASSERT_TRUE(got.status.ok()) << "restarted node-3 " << name << ": " << got.status.error_message();
    ASSERT_TRUE(want.status.ok()) << want.status.error_message();
    ASSERT_EQ(got.rows.size(), want.rows.size()) << name;
    for (std::size_t i = 0; i < want.rows.size(); ++i) {
      EXPECT_EQ(std::get<0>(got.rows[i]), std::get<0>(want.rows[i])) << name << " #" << i;
      EXPECT_EQ(std::get<1>(got.rows[i]), std::get<1>(want.rows[i])) << name << " #" << i;
      EXPECT_NEAR(std::get<3>(got.rows[i]), std::get<3>(want.rows[i]), 1e-5) << name << " #" << i;
    }
  }
}

// A node that hangs instead of dying (SIGSTOP): it stays registered (lease
// TTL 30 s, longer than the pause), so its shards stay on it in the map and
// every search that asks it must be hedged to the other replica. Searches go
// on with the right answer and none fails; the latencies are printed.
TEST(ShardedSearch, APausedNodeIsHedgedAroundAndNoSearchFails) {
  START_SHARDED_TTL_OR_SKIP(pg, etcd, cluster, 30);
  const std::vector<std::string> people = People(3, 1000, 8);
  ASSERT_TRUE(CreateGroupG(cluster.node(0)).ok());
  for (const auto& name : people) {
    const grpc::Status s = CreatePersonInG(cluster.node(0), name);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
  }
  // Every node has applied the writes: each answers every person right.
  for (int n = 0; n < 3; ++n) {
    for (const auto& name : people) {
      const Answer a = Search(cluster.node(n), {"g"}, Bytes(Photo(name, 2)), false);
      ASSERT_TRUE(a.status.ok()) << a.status.error_message();
      ASSERT_FALSE(a.rows.empty());
      ASSERT_EQ(std::get<0>(a.rows[0]), name) << "node-" << n + 1;
    }
  }
  std::vector<std::string> queries;
  for (const auto& name : people) queries.push_back(Bytes(Photo(name, 2)));
  // Searches through node-1 and node-2 in three phases: node-3 running,
  // paused, resumed.
  struct Phase {
    std::vector<double> ms;
    int unavailable = 0, other_errors = 0, wrong = 0;
  };
  auto run_phase = [&](std::chrono::milliseconds length) {
    Phase ph;
    std::mutex mu;
    std::vector<std::thread> readers;
    const auto end = std::chrono::steady_clock::now() + length;
    for (int n = 0; n < 2; ++n) {
      readers.emplace_back([&, n] {
        for (std::size_t i = static_cast<std::size_t>(n); std::chrono::steady_clock::now() < end; ++i) {
          const std::size_t q = i % queries.size();
          v1::SearchRequest req;
          req.add_group_ids("g");
          req.set_image(queries[q]);
          v1::SearchResponse resp;
          const auto t0 = std::chrono::steady_clock::now();
          const grpc::Status s = cluster.node(n).Call(&v1::FaceKit::Stub::SearchFaces, req, &resp);
          const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          std::lock_guard<std::mutex> lock(mu);
          ph.ms.push_back(ms);
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            ++ph.unavailable;
          } else if (!s.ok()) {
            ++ph.other_errors;
          } else if (resp.results_size() == 0 || resp.results(0).candidates_size() == 0 ||
                     resp.results(0).candidates(0).person_id() != people[q]) {
            ++ph.wrong;
          }
        }
      });
    }
    for (auto& t : readers) t.join();
    std::sort(ph.ms.begin(), ph.ms.end());
    return ph;
  };
  auto report = [](const char* what, const Phase& ph) {
    const auto at = [&](double q) { return ph.ms.empty() ? 0. : ph.ms[static_cast<std::size_t>(q * (ph.ms.size() - 1))]; };
    std::printf("[ sharded ] %s: %zu searches, p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d ShardsUnavailable, %d other "
                "errors, %d wrong top\n",
                what, ph.ms.size(), at(0.5), at(0.99), at(1.0), ph.unavailable, ph.other_errors, ph.wrong);
  };
  const Phase before = run_phase(std::chrono::seconds(2));
  ::kill(cluster.node(2).process->pid(), SIGSTOP);
  const Phase paused = run_phase(std::chrono::seconds(4));
  ::kill(cluster.node(2).process->pid(), SIGCONT);
  const Phase after = run_phase(std::chrono::seconds(2));
  report("node-3 running", before);
  report("node-3 paused (SIGSTOP)", paused);
  report("node-3 resumed", after);
  // node-3 kept its lease through the pause: the map never moved its shards.
  const auto [rc, status] = RunCommand(Cli() + " cluster status --etcd " + etcd.endpoints() + " --json");
  EXPECT_EQ(rc, 0);
  EXPECT_NE(status.find("node-3"), std::string::npos) << "node-3 lost its lease during a 4 s pause: " << status;
  for (const Phase* ph : {&before, &paused, &after}) {
    EXPECT_GT(ph->ms.size(), 0u);
    EXPECT_EQ(ph->unavailable, 0);
    EXPECT_EQ(ph->other_errors, 0);
    EXPECT_EQ(ph->wrong, 0);
  }
}



// With one replica per shard a joining node takes shards the running node
// held, and answers none of them until it has loaded them. Here the newcomer
// is paused (SIGSTOP) right after it registers: node-1 keeps the shards it
// lost and answers for them as their previous owner (after the hung
// newcomer's hedge delay), so no search fails; once the newcomer runs and
// answers, node-1 drops them after --shard-linger-s without a search asking.
TEST(ShardedSearch, ANodeJoiningWithOneReplicaTakesOverItsShardsWithoutAMissingShard) {
  if (testing::EtcdTestCluster::Binary().empty()) GTEST_SKIP() << "etcd not installed (apt-get install etcd-server)";
  testing::PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  testing::EtcdTestCluster etcd(1);
  START_ETCD_OR_SKIP(etcd);
  testing::TempDir dir;
  auto [rc, key] = RunCommand(Cli() + " keys create --data " + dir.file("node-1") + " --role admin --credential");
  ASSERT_EQ(rc, 0) << key;
  while (!key.empty() && key.back() == '\n') key.pop_back();
  std::ofstream(dir.file("admin.key")) << key << "\n";
  std::filesystem::create_directories(dir.file("node-2"));
  std::filesystem::copy_file(dir.file("node-1") + "/keys.db", dir.file("node-2") + "/keys.db");
  auto args = [&](const std::string& id) {
    return std::vector<std::string>{"--store",      pg.uri(), "--etcd",           etcd.endpoints(),
                                    "--node-id",    id,       "--replicas",       "1",
                                    "--lease-ttl",  "30",     "--shard-linger-s", "1",
                                    "--cluster-key-file", dir.file("admin.key")};
  };
  Node one(dir.file("node-1"), args("node-1"), key);
  ASSERT_FALSE(one.process->port().empty());
  auto wait_for = [](const std::function<bool()>& done, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  };
  auto ready = [](Node& node) {
    return RunCommand("curl -s " + node.process->url() + "/readyz").second == "ready\n";
  };
  // Not ready until its first map is indexed, which waits 2 s for the member list to settle.
  EXPECT_EQ(RunCommand("curl -s " + one.process->url() + "/readyz").second,
            "joining the cluster: no shard map indexed yet\n");
  ASSERT_TRUE(wait_for([&] { return ready(one); }, 30)) << "node-1 did not index its first shard map";
  const std::vector<std::string> people = People(3, 1000, 8);
  ASSERT_TRUE(CreateGroupG(one).ok());
  for (const auto& name : people) {
    const grpc::Status s = CreatePersonInG(one, name);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
  }
  auto search_all = [&](Node& via, const char* when) {
    int ok = 0;
    for (const auto& name : people) {
      v1::SearchRequest req;
      req.add_group_ids("g");
      req.set_image(Bytes(Photo(name, 2)));
      v1::SearchResponse resp;
      const grpc::Status s = via.Call(&v1::FaceKit::Stub::SearchFaces, req, &resp);
      EXPECT_TRUE(s.ok()) << when << ": " << name << ": " << s.error_message();
      if (!s.ok()) continue;
      EXPECT_FALSE(resp.results_size() == 0 || resp.results(0).candidates_size() == 0 ||
                   resp.results(0).candidates(0).person_id() != name)
          << when << ": " << name;
      ++ok;
    }
    return ok;
  };
  EXPECT_EQ(search_all(one, "node-1 alone"), 8);
  EXPECT_EQ(ShardsServed(one, "lost"), 0);
  EXPECT_EQ(ShardsServed(one, "own"), 64);

  // node-2 waits 15 s for the member list to settle before it indexes its
  // first map: time enough to pause it before it serves, however slow the
  // build (ASan) or the machine.
  std::vector<std::string> args_two = args("node-2");
  args_two.insert(args_two.end(), {"--join-settle-s", "15"});
  Node two(dir.file("node-2"), args_two, key);
  ASSERT_FALSE(two.process->port().empty());
  ASSERT_TRUE(wait_for(
      [&] {
        const auto [src, status] = RunCommand(Cli() + " cluster status --etcd " + etcd.endpoints() + " --json");
        return src == 0 && status.find("node-2") != std::string::npos;
      },
      30))
      << "node-2 did not register";
  ::kill(two.process->pid(), SIGSTOP);
  // node-1 has the two-node map: it owns about half the shards and keeps the others.
  ASSERT_TRUE(wait_for([&] { return ShardsServed(one, "lost") > 0; }, 20)) << "node-1 kept no lost shard";
  const int own = ShardsServed(one, "own"), lost = ShardsServed(one, "lost");
  EXPECT_EQ(own + lost, 64);
  EXPECT_GT(own, 0);
  // No search for 3 s (the linger time is 1 s): still kept, as node-2 does
  // not answer for them.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(ShardsServed(one, "lost"), lost);
  EXPECT_EQ(search_all(one, "node-2 paused"), 8);
  ::kill(two.process->pid(), SIGCONT);
  // node-2 serves its shards; node-1, no longer asked for them and seeing
  // node-2 answer for them, drops them.
  ASSERT_TRUE(wait_for([&] { return ShardsServed(two, "own") == lost; }, 60)) << "node-2 did not serve its shards";
  ASSERT_TRUE(wait_for(
      [&] {
        search_all(one, "hand-over");
        return ShardsServed(one, "lost") == 0;
      },
      60))
      << "node-1 kept its lost shards";
  EXPECT_EQ(ShardsServed(one, "own"), own);
  EXPECT_EQ(search_all(one, "after the hand-over (node-1)"), 8);
  EXPECT_EQ(search_all(two, "after the hand-over (node-2)"), 8);
}

// Read-your-writes (docs/scale-out.md): a write's x-facekit-seq passed as
// x-facekit-min-seq to another node makes its search (and the shards' owners
// it asks) answer with the write applied, on the first answer.
TEST(ShardedSearch, AWritesPositionMakesEveryNodeFindItOnTheFirstAnswer) {
  START_SHARDED_OR_SKIP(pg, etcd, cluster);
  Node& writer = cluster.node(0);
  auto seq_of = [](const grpc::ClientContext& ctx) -> std::int64_t {
    const auto& md = ctx.GetServerInitialMetadata();
    auto it = md.find("x-facekit-seq");
    return it == md.end() ? -1 : std::stoll(std::string(it->second.data(), it->second.size()));
  };
  auto with_min_seq = [](const std::string& min_seq) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-facekit-min-seq", min_seq);
    return ctx;
  };
  std::int64_t last = 0;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(CreateGroupG(writer, &ctx).ok());
    last = seq_of(ctx);
    EXPECT_GT(last, 0);
  }
  const std::vector<std::string> people = People(2, 1000, 6);
  ASSERT_EQ(people.size(), 6u);
  for (const std::string& name : people) {
    grpc::ClientContext ctx;
    auto s = CreatePersonInG(writer, name, &ctx);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
    const std::int64_t seq = seq_of(ctx);
    EXPECT_GT(seq, last) << name;
    last = seq;
    for (int n : {1, 2}) {
      v1::SearchRequest q;
      q.add_group_ids("g");
      q.set_image(Bytes(Photo(name, 2)));
      q.set_max_person_num(3);
      v1::SearchResponse found;
      // UNAVAILABLE (a shard's replicas still indexing the new group) is
      // asked again; the first answer must hold the write.
      grpc::Status st;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      do {
        found.Clear();
        auto sctx = with_min_seq(std::to_string(seq));
        st = cluster.node(n).Call(&v1::FaceKit::Stub::SearchFaces, q, &found, sctx.get());
        if (st.ok()) {
          EXPECT_GE(seq_of(*sctx), seq);
        }
      } while (st.error_code() == grpc::StatusCode::UNAVAILABLE && std::chrono::steady_clock::now() < until &&
               (std::this_thread::sleep_for(std::chrono::milliseconds(100)), true));
      ASSERT_TRUE(st.ok()) << name << " on node-" << n + 1 << ": " << st.error_message();
      ASSERT_EQ(found.results_size(), 1);
      ASSERT_GT(found.results(0).candidates_size(), 0) << name << " on node-" << n + 1;
      EXPECT_EQ(found.results(0).candidates(0).person_id(), name) << "node-" << n + 1;
    }
  }
  // A position no write returned, and a malformed one: INVALID_ARGUMENT.
  for (const std::string& bad : {std::to_string(last + 100000), std::string("-5")}) {
    v1::GetPersonRequest req;
    req.set_person_id(people[0]);
    v1::Person resp;
    auto ctx = with_min_seq(bad);
    auto s = cluster.node(1).Call(&v1::FaceKit::Stub::GetPerson, req, &resp, ctx.get());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad << ": " << s.error_message();
    EXPECT_NE(s.error_message().find("InvalidParameterValue"), std::string::npos) << s.error_message();
  }
}

// Every node's gRPC pool full of SearchFaces (each holding its thread while it
// waits for other nodes' ShardSearch): the ShardSearch calls run on the
// callback API, not on that pool, so a search that got a thread is answered;
// only calls beyond the pool are refused (RESOURCE_EXHAUSTED, retry later).
TEST(ShardedSearch, SearchesFillingEveryNodesPoolStillGetTheirShardsAnswered) {
  // A shard deadline long enough for a saturated 2-core machine (sanitizer
  // builds too): what fails without the callback method is an immediate
  // RESOURCE_EXHAUSTED on every replica, not a slow answer.
  START_SHARDED_TTL_OR_SKIP(pg, etcd, cluster, 2, std::vector<std::string>{"--shard-deadline-ms", "15000"});
  ASSERT_TRUE(CreateGroupG(cluster.node(0)).ok());
  const std::vector<std::string> people = People(2, 1000, 4);
  ASSERT_EQ(people.size(), 4u);
  for (const std::string& name : people) ASSERT_TRUE(CreatePersonInG(cluster.node(0), name).ok()) << name;
  const std::string photo = Bytes(Photo(people[0], 2));
  for (int n = 0; n < 3; ++n) {  // every node serves the group's shards first
    const Answer a = Search(cluster.node(n), {"g"}, photo, false);
    ASSERT_TRUE(a.status.ok()) << "node-" << n + 1 << ": " << a.status.error_message();
  }
  // 24 callers per node (its pool: 16 threads), each searching 4 times.
  std::atomic<int> ok{0}, exhausted{0}, unavailable{0}, other{0};
  std::mutex mu;
  std::string first_unavailable;
  std::vector<std::thread> callers;
  for (int n = 0; n < 3; ++n) {
    for (int c = 0; c < 24; ++c) {
      callers.emplace_back([&, n] {
        for (int i = 0; i < 4; ++i) {
          v1::SearchRequest req;
          req.add_group_ids("g");
          req.set_image(photo);
          v1::SearchResponse resp;
          const grpc::Status s = cluster.node(n).Call(&v1::FaceKit::Stub::SearchFaces, req, &resp);
          if (s.ok()) {
            ++ok;
          } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
            ++exhausted;
          } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            ++unavailable;
            std::lock_guard lock(mu);
            if (first_unavailable.empty()) first_unavailable = s.error_message();
          } else {
            ++other;
          }
        }
      });
    }
  }
  for (auto& t : callers) t.join();
  std::printf("[ sharded ] 288 searches with full pools: %d answered, %d refused RESOURCE_EXHAUSTED, %d "
              "UNAVAILABLE, %d other\n",
              ok.load(), exhausted.load(), unavailable.load(), other.load());
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(unavailable.load(), 0) << first_unavailable;
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace facekit
