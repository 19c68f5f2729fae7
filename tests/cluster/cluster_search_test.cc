// ClusterSearch without a network (cluster_search.h): per-shard indexing of a
// gallery under a shard map, ShardSearch answers and refusals, the
// coordinator's answer on a one-node map equal to the gallery's own search,
// never silently partial, the caller's deadline over a hung node; and the
// hedge delay's latency tracker.
#include "cluster/cluster_search.h"
#include "cluster/shard_client.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <set>

#include "random_vectors.h"
#include "store/pg_test_cluster.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "test_util.h"

namespace facekit::cluster {
namespace {

constexpr int kDim = 16;

std::vector<float> RandomUnit(std::mt19937& rng) { return testing::RandomUnit(rng, kDim); }

// A gallery of group "g" with 30 persons of 1-3 random faces each (fixed seed).
std::unique_ptr<gallery::Gallery> MakeGallery(const testing::TempDir& dir) {
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  EXPECT_TRUE(store.ok());
  gallery::GalleryOptions o;
  o.dim = kDim;
  auto g = gallery::Gallery::Open(std::move(*store), o);
  EXPECT_TRUE(g.ok());
  auto& gal = **g;
  auto gkey = gal.Write([](const gallery::Catalog&) -> Result<store::Batch> {
    store::Batch b;
    b.push_back(store::mutation::InsertGroup{{0, "g", "g", "", {}, "3.0", 1}});
    return b;
  });
  EXPECT_TRUE(gkey.ok());
  std::mt19937 rng(17);
  for (int p = 0; p < 30; ++p) {
    const std::string pid = "p" + std::to_string(p);
    const int faces = 1 + p % 3;
    auto w = gal.Write([&](const gallery::Catalog&) -> Result<store::Batch> {
      store::Batch b;
      b.push_back(store::mutation::InsertPerson{{0, pid, pid, 0, 1}});
      b.push_back(store::mutation::InsertMembership{{(*gkey)[0], store::Placeholder(0), {}, 1}});
      for (int f = 0; f < faces; ++f) {
        store::FaceRecord r;
        r.id = pid + "-f" + std::to_string(f);
        r.person_key = store::Placeholder(0);
        r.model_version = "m";
        r.embedding = RandomUnit(rng);
        b.push_back(store::mutation::InsertFace{r});
      }
      return b;
    });
    EXPECT_TRUE(w.ok());
  }
  return std::move(*g);
}

std::vector<float> Query(int seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  return RandomUnit(rng);
}

// Options whose lost shards are released only by ReleaseIdleShards() calls,
// on the clock `*now`; their new owners serve them when `*owners_serve`
// (none given: always), and each ask's lost shards go to `*asked`.
ClusterSearchOptions ManualRelease(const std::chrono::steady_clock::time_point* now, const bool* owners_serve = nullptr,
                                   std::vector<std::vector<service::ShardRef>>* asked = nullptr) {
  ClusterSearchOptions options;
  options.release_thread = false;
  options.clock = [now] { return *now; };
  options.new_owners_serve = [owners_serve, asked](const std::vector<service::ShardRef>& lost) {
    if (asked != nullptr) asked->push_back(lost);
    return owners_serve == nullptr || *owners_serve;
  };
  return options;
}

TEST(ClusterSearch, IndexesOnlyItsShardsAndRefusesTheOthers) {
  testing::TempDir dir;
  auto gallery = MakeGallery(dir);
  const auto persons_before = gallery->SearchPersons({1}, Query(1).data(), 30);
  ClusterSearch search(*gallery, {});
  auto map = std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b", "c"}, 8, 2);
  ASSERT_TRUE(search.OnMembership("a", {{"a", ""}, {"b", ""}, {"c", ""}}, map).ok());
  const std::vector<int> mine = map->ShardsOf("a", "g");
  ASSERT_FALSE(mine.empty());
  ASSERT_LT(mine.size(), 8u);
  // The loaded state: this node's shards, at the change log's position.
  const auto loaded = search.LoadedShards();
  ASSERT_EQ(loaded.size(), mine.size());
  for (std::size_t i = 0; i < mine.size(); ++i) EXPECT_EQ(loaded[i].shard, mine[i]);
  // The face index holds exactly the faces of those shards; the catalog stays whole.
  std::size_t expected = 0;
  gallery->Read([&](const gallery::Catalog& c) {
    EXPECT_EQ(c.face_count(), 60u);
    for (int p = 0; p < 30; ++p) {
      for (std::int64_t fk : c.PersonById("p" + std::to_string(p))->faces) {
        const int s = ShardOfFace(c.FaceByKey(fk)->id, 8);
        if (std::find(mine.begin(), mine.end(), s) != mine.end()) ++expected;
      }
    }
    EXPECT_EQ(c.GroupById("g")->faces->size(), expected);
    return 0;
  });
  // The person index holds the persons of those shards (by person id), with
  // their fused features unchanged (read from the store for faces not indexed here).
  std::map<std::int64_t, float> held_before;
  gallery->Read([&](const gallery::Catalog& c) {
    for (const auto& h : persons_before) {
      const int s = ShardOfPerson(c.PersonByKey(h.key)->record.id, 8);
      if (std::find(mine.begin(), mine.end(), s) != mine.end()) held_before[h.key] = h.similarity;
    }
    return 0;
  });
  ASSERT_FALSE(held_before.empty());
  ASSERT_LT(held_before.size(), persons_before.size());
  const auto persons_after = gallery->SearchPersons({1}, Query(1).data(), 30);
  ASSERT_EQ(persons_after.size(), held_before.size());
  for (const auto& h : persons_after) {
    ASSERT_TRUE(held_before.count(h.key)) << h.key;
    EXPECT_FLOAT_EQ(h.similarity, held_before[h.key]);
  }
  // ShardSearch: every shard asked; owned ones answer with their faces only.
  service::ShardQuery q;
  q.query = Query(2);
  q.face_model_version = "3.0";
  q.k = 100;
  for (std::uint32_t s = 0; s < 8; ++s) q.shards.push_back({"g", s});
  auto answers = search.SearchShards(q);
  ASSERT_TRUE(answers.ok());
  ASSERT_EQ(answers->size(), 8u);
  std::size_t hits = 0;
  for (const auto& a : *answers) {
    const bool owned = std::find(mine.begin(), mine.end(), static_cast<int>(a.shard.shard)) != mine.end();
    EXPECT_EQ(a.refused.empty(), owned) << a.shard.shard << " " << a.refused;
    for (const auto& h : a.hits) EXPECT_EQ(ShardOfFace(h.face_id, 8), static_cast<int>(a.shard.shard));
    hits += a.hits.size();
  }
  EXPECT_EQ(hits, expected);
  // A persons' ShardSearch: owned shards answer with their own persons, no face ids.
  q.persons = true;
  auto persons = search.SearchShards(q);
  ASSERT_TRUE(persons.ok());
  std::size_t person_hits = 0;
  for (const auto& a : *persons) {
    const bool owned = std::find(mine.begin(), mine.end(), static_cast<int>(a.shard.shard)) != mine.end();
    EXPECT_EQ(a.refused.empty(), owned) << a.shard.shard << " " << a.refused;
    for (const auto& h : a.hits) {
      EXPECT_EQ(ShardOfPerson(h.person_id, 8), static_cast<int>(a.shard.shard));
      EXPECT_TRUE(h.face_id.empty());
    }
    person_hits += a.hits.size();
  }
  EXPECT_EQ(person_hits, held_before.size());
  q.persons = false;
  // Another version or an unknown group is refused, not answered empty.
  q.face_model_version = "3.1";
  auto other = search.SearchShards(q);
  ASSERT_TRUE(other.ok());
  for (const auto& a : *other) EXPECT_FALSE(a.refused.empty());
}

TEST(ClusterSearch, OneNodeAnswersAsTheGalleryAndMissingShardsAreNeverSilent) {
  testing::TempDir dir;
  auto gallery = MakeGallery(dir);
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  ClusterSearchOptions options = ManualRelease(&now);
  ClusterSearch search(*gallery, options);
  service::RoutedSearchQuery q;
  q.group_ids = {"g"};
  q.face_model_version = "3.0";
  q.max_persons = 5;
  q.max_faces_per_person = 5;
  // Not joined yet: unavailable.
  q.query = Query(3);
  EXPECT_EQ(search.SearchFaces(q).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(
      search.OnMembership("a", {{"a", ""}}, std::make_shared<const ShardMap>(std::vector<std::string>{"a"}, 8, 2))
          .ok());
  for (int seed = 3; seed < 23; ++seed) {
    q.query = Query(seed);
    auto got = search.SearchFaces(q);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->missing_shards.empty());
    // The gallery's own answer: best face per person of its top 25 faces, 5 persons.
    std::vector<std::string> want;
    gallery->Read([&](const gallery::Catalog& c) {
      std::set<std::int64_t> seen;
      for (const auto& h : c.Search({1}, q.query.data(), 25, false)) {
        const auto* f = c.FaceByKey(h.key);
        if (seen.insert(f->person_key).second && want.size() < 5) want.push_back(f->id.str());
      }
      return 0;
    });
    ASSERT_EQ(got->hits.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got->hits[i].face_id, want[i]) << seed;
    // Persons: the gallery's own person search, person by person.
    service::RoutedSearchQuery pq = q;
    pq.persons = true;
    auto persons = search.SearchFaces(pq);
    ASSERT_TRUE(persons.ok()) << persons.status().ToString();
    const auto want_persons = gallery->SearchPersons({1}, q.query.data(), 5);
    ASSERT_EQ(persons->hits.size(), want_persons.size());
    gallery->Read([&](const gallery::Catalog& c) {
      for (std::size_t i = 0; i < want_persons.size(); ++i) {
        EXPECT_EQ(persons->hits[i].person_id, c.PersonByKey(want_persons[i].key)->record.id) << seed;
        EXPECT_TRUE(persons->hits[i].face_id.empty());
        EXPECT_FLOAT_EQ(persons->hits[i].similarity, want_persons[i].similarity);
      }
      return 0;
    });
  }
  // A second member that cannot be reached (no address): its shards fail
  // over to this node where it is a replica (2 of 2 nodes: everywhere).
  ASSERT_TRUE(search
                  .OnMembership("a", {{"a", ""}, {"b", ""}},
                                std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b"}, 8, 2))
                  .ok());
  EXPECT_TRUE(search.SearchFaces(q).ok());
  // With one replica per shard, b's shards have no other replica. This node
  // held them under the previous map and keeps them while they are asked
  // for: the coordinator asks b, then this node as their previous owner.
  auto map = std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b"}, 8, 1);
  ASSERT_TRUE(search.OnMembership("a", {{"a", ""}, {"b", ""}}, map).ok());
  const std::size_t theirs = map->ShardsOf("b", "g").size();
  ASSERT_GT(theirs, 0u);
  auto handed = search.SearchFaces(q);
  ASSERT_TRUE(handed.ok()) << handed.status().ToString();
  EXPECT_TRUE(handed->missing_shards.empty());
  // Once none was asked for 10 s they are dropped: the search fails naming
  // them, or answers without them when partial answers are allowed.
  now += std::chrono::seconds(10);
  ASSERT_TRUE(search.ReleaseIdleShards());
  auto failed = search.SearchFaces(q);
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("shards could not answer"), std::string::npos);
  q.allow_partial = true;
  auto partial = search.SearchFaces(q);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->missing_shards.size(), theirs);
  EXPECT_EQ(partial->missing_shards.front().rfind("g/", 0), 0u);
}

TEST(ClusterSearch, ALostShardStaysServedUntilNoSearchAsksForItThenIsDropped) {
  testing::TempDir dir;
  auto gallery = MakeGallery(dir);
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  bool owners_serve = false;
  std::vector<std::vector<service::ShardRef>> asked;
  ClusterSearchOptions options = ManualRelease(&now, &owners_serve, &asked);
  std::vector<std::pair<std::size_t, std::size_t>> released;
  options.on_release = [&](std::size_t r, std::size_t serving) { released.emplace_back(r, serving); };
  ClusterSearch search(*gallery, options);
  // Alone, then b joins with one replica per shard: a loses b's shards.
  ASSERT_TRUE(
      search.OnMembership("a", {{"a", ""}}, std::make_shared<const ShardMap>(std::vector<std::string>{"a"}, 8, 1))
          .ok());
  auto map = std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b"}, 8, 1);
  ASSERT_TRUE(search.OnMembership("a", {{"a", ""}, {"b", ""}}, map).ok());
  const std::vector<int> mine = map->ShardsOf("a", "g"), lost = map->ShardsOf("b", "g");
  ASSERT_FALSE(mine.empty());
  ASSERT_FALSE(lost.empty());
  auto faces_indexed = [&] {
    return gallery->Read([](const gallery::Catalog& c) { return c.GroupById("g")->faces->size(); });
  };
  // Kept: every shard still loaded (the lost ones flagged) and indexed.
  auto loaded = search.LoadedShards();
  ASSERT_EQ(loaded.size(), 8u);
  for (const LoadedShard& l : loaded) {
    EXPECT_EQ(l.lost, std::find(lost.begin(), lost.end(), l.shard) != lost.end()) << l.shard;
  }
  EXPECT_EQ(faces_indexed(), 60u);
  auto ask = [&](const std::vector<int>& shards, bool hedge = false) {
    service::ShardQuery q;
    q.query = Query(2);
    q.face_model_version = "3.0";
    q.k = 100;
    q.hedge = hedge;
    for (int s : shards) q.shards.push_back({"g", static_cast<std::uint32_t>(s)});
    auto answers = search.SearchShards(q);
    EXPECT_TRUE(answers.ok());
    std::size_t refused = 0;
    for (const auto& a : *answers) refused += a.refused.empty() ? 0 : 1;
    return refused;
  };
  EXPECT_EQ(ask(lost), 0u);  // answered
  // Asked again 6 s later: kept 10 s from then, whatever the own shards are asked.
  now += std::chrono::seconds(6);
  EXPECT_FALSE(search.ReleaseIdleShards());
  EXPECT_EQ(ask({lost.front()}), 0u);
  now += std::chrono::seconds(9);
  EXPECT_EQ(ask(mine), 0u);
  EXPECT_FALSE(search.ReleaseIdleShards());
  EXPECT_TRUE(released.empty());
  EXPECT_TRUE(asked.empty());  // not idle yet: the new owners are not asked
  now += std::chrono::seconds(1);
  // Idle, but the new owner does not answer for them yet (still loading,
  // or hung): kept, however long no search comes.
  EXPECT_FALSE(search.ReleaseIdleShards());
  now += std::chrono::seconds(60);
  EXPECT_FALSE(search.ReleaseIdleShards());
  EXPECT_TRUE(released.empty());
  EXPECT_EQ(ask(lost), 0u);
  ASSERT_EQ(asked.size(), 2u);
  std::vector<int> asked_shards;
  for (const service::ShardRef& ref : asked[0]) {
    EXPECT_EQ(ref.group_id, "g");
    asked_shards.push_back(static_cast<int>(ref.shard));
  }
  EXPECT_EQ(asked_shards, lost);  // exactly the lost shards
  // A hedge (the current replica was slow) still gets an answer but is not
  // a need for the lost shard: 10 s after the last search that was not one,
  // the shards go.
  now += std::chrono::seconds(5);
  EXPECT_EQ(ask(lost, /*hedge=*/true), 0u);
  now += std::chrono::seconds(5);
  owners_serve = true;
  ASSERT_TRUE(search.ReleaseIdleShards());
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0], std::make_pair(lost.size(), mine.size()));
  EXPECT_EQ(ask(lost), lost.size());  // refused: "not loaded here"
  EXPECT_EQ(ask(mine), 0u);
  loaded = search.LoadedShards();
  ASSERT_EQ(loaded.size(), mine.size());
  for (const LoadedShard& l : loaded) EXPECT_FALSE(l.lost);
  // Only the own shards' faces stay indexed.
  std::size_t expected = 0;
  gallery->Read([&](const gallery::Catalog& c) {
    for (int p = 0; p < 30; ++p) {
      for (std::int64_t fk : c.PersonById("p" + std::to_string(p))->faces) {
        const int s = ShardOfFace(c.FaceByKey(fk)->id, 8);
        if (std::find(mine.begin(), mine.end(), s) != mine.end()) ++expected;
      }
    }
    return 0;
  });
  EXPECT_EQ(faces_indexed(), expected);
  EXPECT_FALSE(search.ReleaseIdleShards());  // nothing left to release
  // A node started with --shard-linger-s 0 drops lost shards at the change.
  testing::TempDir dir2;
  auto gallery2 = MakeGallery(dir2);
  ClusterSearchOptions at_once;
  at_once.linger_idle_ms = 0;
  ClusterSearch eager(*gallery2, at_once);
  ASSERT_TRUE(
      eager.OnMembership("a", {{"a", ""}}, std::make_shared<const ShardMap>(std::vector<std::string>{"a"}, 8, 1)).ok());
  ASSERT_TRUE(eager.OnMembership("a", {{"a", ""}, {"b", ""}}, map).ok());
  EXPECT_EQ(eager.LoadedShards().size(), mine.size());
}

TEST(ClusterSearch, TheFirstMapWaitsForTheMemberListToSettleAndOnlyTheNewestIsIndexed) {
  testing::TempDir dir;
  auto gallery = MakeGallery(dir);
  ClusterSearchOptions options;
  options.first_map_settle_ms = 300;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::size_t, std::size_t>> applied;  // (nodes, shards loaded)
  std::vector<std::chrono::steady_clock::time_point> at;
  options.on_applied = [&](const Status& s, const ShardMap& map, const std::vector<LoadedShard>& loaded) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::lock_guard lock(mu);
    applied.emplace_back(map.nodes().size(), loaded.size());
    at.push_back(std::chrono::steady_clock::now());
    cv.notify_all();
  };
  ClusterSearch search(*gallery, options);
  auto one = std::make_shared<const ShardMap>(std::vector<std::string>{"a"}, 8, 1);
  auto two = std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b"}, 8, 1);
  auto three = std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b", "c"}, 8, 1);
  // Two members arrive 100 ms apart: only the two-node map is indexed, 300 ms after the second.
  search.ProposeMembership("a", {{"a", ""}}, one);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto second = std::chrono::steady_clock::now();
  search.ProposeMembership("a", {{"a", ""}, {"b", ""}}, two);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !applied.empty(); }));
    EXPECT_GE(at[0] - second, std::chrono::milliseconds(300));
    EXPECT_EQ(applied[0], std::make_pair(std::size_t{2}, two->ShardsOf("a", "g").size()));
  }
  EXPECT_EQ(search.LoadedShards().size(), two->ShardsOf("a", "g").size());  // nothing of the one-node map kept
  // Later maps are applied as they come.
  search.ProposeMembership("a", {{"a", ""}, {"b", ""}, {"c", ""}}, three);
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return applied.size() == 2; }));
  EXPECT_EQ(applied[1].first, 3u);
}

// A TCP port that takes connections into its backlog and never answers: a
// node that hangs.
class SilentPort {
 public:
  SilentPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(fd_, 16) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~SilentPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ClusterSearch, TheCallersDeadlineBoundsTheShardsAndIsNamedWhenItCutsTheSearchShort) {
  testing::TempDir dir;
  auto gallery = MakeGallery(dir);
  ClusterSearchOptions options;
  options.deadline_ms = 5000;  // the node's own limit, far above the caller's
  ClusterSearch search(*gallery, options);
  SilentPort hung;
  ASSERT_GT(hung.port(), 0);
  // One replica per shard: b's shards can only be answered by b, which hangs.
  auto map = std::make_shared<const ShardMap>(std::vector<std::string>{"a", "b"}, 8, 1);
  ASSERT_TRUE(search.OnMembership("a", {{"a", ""}, {"b", hung.address()}}, map).ok());
  service::RoutedSearchQuery q;
  q.group_ids = {"g"};
  q.face_model_version = "3.0";
  q.query = Query(3);
  // A deadline already passed: refused before any shard is asked.
  q.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  auto late = search.SearchFaces(q);
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  // 300 ms left: the search ends at the caller's deadline, not the node's
  // 5 s, and says so, naming the shards that did not answer.
  const auto t0 = std::chrono::steady_clock::now();
  q.deadline = t0 + std::chrono::milliseconds(300);
  auto cut = search.SearchFaces(q);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(cut.status().code(), StatusCode::kDeadlineExceeded) << cut.status().ToString();
  EXPECT_NE(cut.status().message().find("caller's deadline"), std::string::npos) << cut.status().message();
  EXPECT_NE(cut.status().message().find("could not answer (shard "), std::string::npos) << cut.status().message();
  EXPECT_LT(took, std::chrono::milliseconds(4000));
  // Allowed partial: the answer comes at the caller's deadline without b's shards.
  q.allow_partial = true;
  q.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  auto partial = search.SearchFaces(q);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->missing_shards.size(), map->ShardsOf("b", "g").size());
  // Without a caller's deadline the node's own applies (kUnavailable after it).
  ClusterSearchOptions quick;
  quick.deadline_ms = 200;
  ClusterSearch node_bound(*gallery, quick);
  ASSERT_TRUE(node_bound.OnMembership("a", {{"a", ""}, {"b", hung.address()}}, map).ok());
  q.allow_partial = false;
  q.deadline.reset();
  EXPECT_EQ(node_bound.SearchFaces(q).status().code(), StatusCode::kUnavailable);
}

TEST(LatencyTracker, HedgesAfterTheRecentP95WithinBounds) {
  LatencyTracker t(100);
  EXPECT_EQ(t.P95Us("n"), -1);
  EXPECT_EQ(t.HedgeAfterUs("n", 2'000'000), 50'000);  // unknown node
  for (int i = 1; i <= 100; ++i) t.Record("n", i * 1000);
  EXPECT_EQ(t.P95Us("n"), 95'000);
  EXPECT_EQ(t.HedgeAfterUs("n", 2'000'000), 95'000);
  EXPECT_EQ(t.HedgeAfterUs("n", 100'000), 50'000);  // at most half the time left
  for (int i = 0; i < 100; ++i) t.Record("fast", 100);
  EXPECT_EQ(t.HedgeAfterUs("fast", 2'000'000), 5'000);  // at least 5 ms
  for (int i = 0; i < 100; ++i) t.Record("n", 2000);    // the window forgets old samples
  EXPECT_EQ(t.P95Us("n"), 2000);
}

TEST(OrderReplicas, SelfFirstThenThoseThatDidNotRefuseTheShardRecentlyThenByLatency) {
  using V = std::vector<std::string>;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  LatencyTracker latencies(100, std::chrono::seconds(30), [&] { return now; });
  RefusalMemory refused(std::chrono::seconds(1), [&] { return now; });
  for (int i = 0; i < 10; ++i) {
    latencies.Record("a", 1000);
    latencies.Record("b", 2000);
    latencies.Record("c", 3000);
  }
  auto order = [&](V replicas, const service::ShardRef& shard, const std::string& self) {
    ReplicaOrder(self, latencies, refused).Sort(&replicas, shard);
    return replicas;
  };
  EXPECT_EQ(order({"c", "b", "a", "self"}, {"g", 3}, "self"), (V{"self", "a", "b", "c"}));
  EXPECT_EQ(order({"d", "c", "a"}, {"g", 3}, ""), (V{"a", "c", "d"}));  // no samples: last
  // a refused g/3 ("not loaded here"): asked last for g/3 only.
  refused.Note("a", {"g", 3});
  refused.Note("self", {"g", 3});  // in-process: still first
  EXPECT_EQ(order({"c", "b", "a", "self"}, {"g", 3}, "self"), (V{"self", "b", "c", "a"}));
  EXPECT_EQ(order({"c", "b", "a"}, {"g", 4}, ""), (V{"a", "b", "c"}));
  EXPECT_EQ(order({"c", "b", "a"}, {"h", 3}, ""), (V{"a", "b", "c"}));
  EXPECT_TRUE(refused.Recent("a", {"g", 3}));
  // Previous owners (they may still keep a shard they lost) after the current
  // replicas, before those that refused it; the current ones are not repeated.
  auto with_previous = [&](V replicas, const service::ShardRef& shard, const std::string& self, const V& previous) {
    ReplicaOrder(self, latencies, refused).Sort(&replicas, shard, previous);
    return replicas;
  };
  EXPECT_EQ(with_previous({"c", "a"}, {"g", 3}, "", V{"b", "c", "self"}), (V{"c", "b", "a", "self"}));  // "self" is just a name here: it refused g/3
  EXPECT_EQ(with_previous({"c"}, {"g", 4}, "self", V{"self", "b", "a"}), (V{"c", "a", "b", "self"}));
  EXPECT_EQ(with_previous({"self", "b"}, {"g", 4}, "self", V{}), (V{"self", "b"}));
  // A second later it is asked first again.
  now += std::chrono::milliseconds(1001);
  EXPECT_FALSE(refused.Recent("a", {"g", 3}));
  EXPECT_EQ(order({"c", "b", "a"}, {"g", 3}, ""), (V{"a", "b", "c"}));
}

TEST(LatencyTracker, FailuresRankANodeLastWithoutMovingTheHedgeAndAgeOut) {
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  LatencyTracker t(100, std::chrono::seconds(30), [&] { return now; });
  for (int i = 0; i < 100; ++i) {
    t.Record("a", 3000);
    t.Record("b", 4000);
  }
  EXPECT_LT(t.RankUs("a"), t.RankUs("b"));
  // a starts failing (refused at once, 2 s deadline): from the 6th failure
  // in 100 samples on it ranks below b; its hedge delay still follows its answers.
  for (int i = 0; i < 5; ++i) t.RecordFailure("a", 200, 2'000'000);
  EXPECT_LT(t.RankUs("a"), t.RankUs("b"));
  t.RecordFailure("a", 200, 2'000'000);
  EXPECT_EQ(t.RankUs("a"), 2'000'000);
  EXPECT_GT(t.RankUs("a"), t.RankUs("b"));
  EXPECT_EQ(t.P95Us("a"), 3000);
  // A call that failed later than its deadline counts as what it took.
  t.RecordFailure("c", 2'500'000, 2'000'000);
  EXPECT_EQ(t.RankUs("c"), 2'500'000);
  EXPECT_EQ(t.P95Us("c"), -1);  // no answer: the unknown node's hedge delay
  EXPECT_EQ(t.HedgeAfterUs("c", 2'000'000), 50'000);
  // 31 s later every sample is too old: a is unknown again, and recovers
  // its rank with its next answers.
  now += std::chrono::seconds(31);
  EXPECT_EQ(t.RankUs("a"), -1);
  EXPECT_EQ(t.P95Us("b"), -1);
  t.Record("a", 3000);
  t.Record("b", 4000);
  EXPECT_EQ(t.RankUs("a"), 3000);
  EXPECT_LT(t.RankUs("a"), t.RankUs("b"));
}

// Read-your-writes on a shard owner (docs/scale-out.md): a ShardSearch with a
// min_seq this node has not applied reads the change log first (here with no
// follower thread: nothing else would move it), and one it cannot reach is
// refused ("behind") so that the coordinator asks another replica.
TEST(ClusterSearch, AnOwnerReachesTheMinSeqItIsAskedForOrRefusesItsShards) {
  testing::PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto open = [&](int follow_ms) {
    auto store = store::OpenPostgresStore(pg.conninfo());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    gallery::GalleryOptions o;
    o.dim = kDim;
    o.follow_interval_ms = follow_ms;
    return gallery::Gallery::Open(std::unique_ptr<store::GalleryStore>(std::move(*store)), o);
  };
  auto writer = open(100);
  auto owner = open(0);
  ASSERT_TRUE(writer.ok() && owner.ok());
  ClusterSearch search(**owner, {});
  ASSERT_TRUE(search.OnMembership("a", {{"a", ""}}, std::make_shared<const ShardMap>(std::vector<std::string>{"a"}))
                  .ok());
  std::mt19937 rng(5);
  const std::vector<float> v = RandomUnit(rng);
  auto written = (*writer)->Write([&](const gallery::Catalog&) -> Result<store::Batch> {
    store::Batch b;
    b.push_back(store::mutation::InsertGroup{{0, "g", "g", "", {}, "3.0", 1}});
    b.push_back(store::mutation::InsertPerson{{0, "p", "p", 0, 1}});
    b.push_back(store::mutation::InsertMembership{{store::Placeholder(0), store::Placeholder(1), {}, 1}});
    store::FaceRecord r;
    r.id = "f";
    r.person_key = store::Placeholder(1);
    r.model_version = "m";
    r.embedding = v;
    b.push_back(store::mutation::InsertFace{r});
    return b;
  });
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  const std::int64_t seq = (*writer)->position();
  ASSERT_GT(seq, 0);
  service::ShardQuery q;
  q.query = v;
  q.face_model_version = "3.0";
  q.k = 5;
  q.shards.push_back({"g", static_cast<std::uint32_t>(ShardOfFace("f", kDefaultShards))});
  // Without the position: the owner has not seen the group.
  auto plain = search.SearchShards(q);
  ASSERT_TRUE(plain.ok());
  EXPECT_NE((*plain)[0].refused.find("not known here yet"), std::string::npos) << (*plain)[0].refused;
  // With it: the write is read from the log, the face answered.
  q.min_seq = seq;
  q.wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto reached = search.SearchShards(q);
  ASSERT_TRUE(reached.ok());
  EXPECT_EQ((*reached)[0].refused, "");
  ASSERT_EQ((*reached)[0].hits.size(), 1u);
  EXPECT_EQ((*reached)[0].hits[0].face_id, "f");
  EXPECT_GE((*reached)[0].applied_seq, seq);
  // A position the log never had: refused, and said why.
  q.min_seq = seq + 1000;
  auto past = search.SearchShards(q);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ((*past)[0].refused.rfind("behind: ", 0), 0u) << (*past)[0].refused;
  EXPECT_NE((*past)[0].refused.find("past the change log's end"), std::string::npos) << (*past)[0].refused;
  EXPECT_TRUE((*past)[0].hits.empty());
}

}  // namespace
}  // namespace facekit::cluster
