// The shard map: rendezvous hashing of (group, shard) over node ids, balanced
// (bounded loads, the default) or not.
#include "cluster/shard_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace facekit::cluster {
namespace {

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("node-" + std::to_string(i));
  return out;
}

TEST(ShardMap, TheHashIsStableAcrossBuilds) {
  // Fixed values (computed independently): every node of a cluster, whatever
  // its build or machine, must agree on them.
  EXPECT_EQ(StableHash(""), 0xf52a15e9a9b5e89bull);
  EXPECT_EQ(StableHash("face-1"), 0x946c2a134b84ee1dull);
  EXPECT_EQ(StableHash("\xe5\xbc\xa0\xe4\xb8\x89"), 0x1eef2626d40ac182ull);
  EXPECT_EQ(ShardOfFace("face-1", 64), 29);
  EXPECT_EQ(ShardOfFace("anything", 1), 0);
  for (const char* id : {"a", "face-17", "\xe5\xbc\xa0"}) {
    const int s = ShardOfFace(id, 64);
    EXPECT_GE(s, 0);
    EXPECT_LT(s, 64);
  }
}

TEST(ShardMap, RendezvousGivesEveryShardRDistinctReplicasAndRoughlyEvenLoads) {
  const ShardMap map(Nodes(4), 64, 2, Placement::kRendezvous);
  std::map<std::string, int> load;
  for (int s = 0; s < 64; ++s) {
    const auto r = map.Replicas("g", s);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_NE(r[0], r[1]);
    for (const auto& n : r) ++load[n];
  }
  ASSERT_EQ(load.size(), 4u);
  for (const auto& [node, count] : load) {
    // 128 replica slots over 4 nodes: 32 each on average.
    EXPECT_GT(count, 16) << node;
    EXPECT_LT(count, 48) << node;
  }
  // ShardsOf agrees with Replicas.
  int total = 0;
  for (const auto& n : map.nodes()) total += static_cast<int>(map.ShardsOf(n, "g").size());
  EXPECT_EQ(total, 128);
}

TEST(ShardMap, AMapIsAPureFunctionOfTheMemberList) {
  auto shuffled = Nodes(5);
  std::reverse(shuffled.begin(), shuffled.end());
  shuffled.push_back("node-2");  // a duplicate is ignored
  const ShardMap a(Nodes(5), 64, 2), b(shuffled, 64, 2);
  for (int s = 0; s < 64; ++s) EXPECT_EQ(a.Replicas("g", s), b.Replicas("g", s));
  // Groups are placed independently.
  int same = 0;
  for (int s = 0; s < 64; ++s) same += a.Replicas("g", s) == a.Replicas("h", s);
  EXPECT_LT(same, 32);
}

TEST(ShardMap, RendezvousMovesOnlyALeavingNodesShardsAndJoiningTakesOnlyShardsItGets) {
  const ShardMap before(Nodes(4), 64, 2, Placement::kRendezvous);
  std::vector<std::string> three = Nodes(4);
  three.erase(three.begin() + 2);  // node-2 leaves
  const ShardMap after(three, 64, 2, Placement::kRendezvous);
  int moved = 0;
  for (int s = 0; s < 64; ++s) {
    const auto old_r = before.Replicas("g", s), new_r = after.Replicas("g", s);
    const bool had = std::find(old_r.begin(), old_r.end(), "node-2") != old_r.end();
    if (!had) {
      EXPECT_EQ(old_r, new_r) << "shard " << s << " moved without losing a replica";
      continue;
    }
    ++moved;
    // The surviving replica stays; the next node by weight takes the lost place.
    for (const auto& n : old_r) {
      if (n != "node-2") {
        EXPECT_NE(std::find(new_r.begin(), new_r.end(), n), new_r.end()) << "shard " << s;
      }
    }
    EXPECT_EQ(new_r.size(), 2u);
  }
  EXPECT_EQ(moved, static_cast<int>(before.ShardsOf("node-2", "g").size()));
  // Joining again restores the first map exactly.
  const ShardMap rejoined(Nodes(4), 64, 2, Placement::kRendezvous);
  for (int s = 0; s < 64; ++s) EXPECT_EQ(rejoined.Replicas("g", s), before.Replicas("g", s));
}

TEST(ShardMap, FewerNodesThanReplicas) {
  for (Placement p : {Placement::kBalanced, Placement::kRendezvous}) {
    const ShardMap one({"only"}, 8, 3, p);
    for (int s = 0; s < 8; ++s) EXPECT_EQ(one.Replicas("g", s), std::vector<std::string>{"only"});
    const ShardMap none({}, 8, 2, p);
    EXPECT_TRUE(none.Replicas("g", 0).empty());
    EXPECT_TRUE(none.ShardsOf("x", "g").empty());
    const ShardMap two(Nodes(2), 8, 3, p);
    for (int s = 0; s < 8; ++s) EXPECT_EQ(two.Replicas("g", s).size(), 2u);
  }
}

// The slots of (group, shard) pairs a map gives `node`s that `before` did not.
int Moved(const ShardMap& before, const ShardMap& after, const std::string& group) {
  int moved = 0;
  for (int s = 0; s < before.shards(); ++s) {
    const auto a = before.Replicas(group, s), b = after.Replicas(group, s);
    for (const auto& n : b) moved += std::find(a.begin(), a.end(), n) == a.end() ? 1 : 0;
  }
  return moved;
}

// Balanced: no node holds more than ceil(S x R / N) of a group's replica
// slots, every shard has min(R, N) distinct replicas, the map is a pure
// function of the member list; a node leaving or joining moves its own
// shards and a few more.
TEST(ShardMap, BalancedLoadsStayWithinTheBoundAndMovesStaySmall) {
  const std::vector<std::string> groups = {"g", "h", "staff", "visitors", "a-much-longer-group-id"};
  for (int n = 1; n <= 10; ++n) {
    for (int r = 1; r <= 3; ++r) {
      const ShardMap map(Nodes(n), 64, r);
      ASSERT_EQ(map.placement(), Placement::kBalanced);
      const int want = std::min(r, n);
      const int cap = (64 * want + n - 1) / n;
      for (const auto& g : groups) {
        std::map<std::string, int> load;
        for (int s = 0; s < 64; ++s) {
          const auto replicas = map.Replicas(g, s);
          ASSERT_EQ(static_cast<int>(replicas.size()), want) << n << " " << r << " " << g;
          EXPECT_EQ(std::set<std::string>(replicas.begin(), replicas.end()).size(), replicas.size());
          for (const auto& node : replicas) ++load[node];
        }
        int total = 0;
        for (const auto& node : map.nodes()) {
          EXPECT_LE(load[node], cap) << n << " nodes, " << r << " replicas, group " << g << ", " << node;
          EXPECT_EQ(static_cast<int>(map.ShardsOf(node, g).size()), load[node]);
          total += load[node];
        }
        EXPECT_EQ(total, 64 * want);
      }
    }
  }
  // A pure function of the member list.
  auto shuffled = Nodes(5);
  std::reverse(shuffled.begin(), shuffled.end());
  const ShardMap a(Nodes(5), 64, 2), b(shuffled, 64, 2);
  for (int s = 0; s < 64; ++s) EXPECT_EQ(a.Replicas("g", s), b.Replicas("g", s));
  // Moves when a node leaves or joins, summed over the groups: at least the
  // leaving node's slots (or the joining node's share), at most twice
  // that (rendezvous moves exactly those; the bound moves some more).
  for (int n : {3, 4, 10}) {
    for (int r : {1, 2}) {
      int left = 0, moved_leave = 0, joined = 0, moved_join = 0;
      for (const auto& g : groups) {
        const ShardMap before(Nodes(n), 64, r);
        std::vector<std::string> fewer = Nodes(n);
        fewer.erase(fewer.begin() + 1);
        const ShardMap after(fewer, 64, r);
        left += static_cast<int>(before.ShardsOf("node-1", g).size());
        moved_leave += Moved(before, after, g);
        const ShardMap more(Nodes(n + 1), 64, r);
        joined += static_cast<int>(more.ShardsOf("node-" + std::to_string(n), g).size());
        moved_join += Moved(before, more, g);
      }
      EXPECT_GE(moved_leave, left) << n << " " << r;
      EXPECT_LE(moved_leave * 10, left * 20) << n << " " << r;
      EXPECT_GE(moved_join, joined) << n << " " << r;
      EXPECT_LE(moved_join * 10, joined * 20) << n << " " << r;
    }
  }
}

// Rendezvous's uneven loads, which the balanced placement removes: at 10
// nodes and 1 replica some node of some group holds well over its share.
TEST(ShardMap, RendezvousLoadsAreUnevenWhereBalancedOnesAreNot) {
  int worst_rendezvous = 0, worst_balanced = 0;
  for (int gi = 0; gi < 20; ++gi) {
    const std::string g = "group-" + std::to_string(gi);
    const ShardMap rv(Nodes(10), 64, 1, Placement::kRendezvous), bal(Nodes(10), 64, 1);
    for (const auto& node : rv.nodes()) {
      worst_rendezvous = std::max(worst_rendezvous, static_cast<int>(rv.ShardsOf(node, g).size()));
      worst_balanced = std::max(worst_balanced, static_cast<int>(bal.ShardsOf(node, g).size()));
    }
  }
  EXPECT_EQ(worst_balanced, 7);     // ceil(64 / 10)
  EXPECT_GE(worst_rendezvous, 10);  // 6.4 on average
}

}  // namespace
}  // namespace facekit::cluster
