// The shard map: rendezvous hashing of (group, shard) over node ids.
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

TEST(ShardMap, EveryShardHasRDistinctReplicasAndTheLoadIsEven) {
  const ShardMap map(Nodes(4), 64, 2);
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

TEST(ShardMap, ANodeLeavingMovesOnlyItsShardsAndJoiningTakesOnlyShardsItGets) {
  const ShardMap before(Nodes(4), 64, 2);
  std::vector<std::string> three = Nodes(4);
  three.erase(three.begin() + 2);  // node-2 leaves
  const ShardMap after(three, 64, 2);
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
  const ShardMap rejoined(Nodes(4), 64, 2);
  for (int s = 0; s < 64; ++s) EXPECT_EQ(rejoined.Replicas("g", s), before.Replicas("g", s));
}

TEST(ShardMap, FewerNodesThanReplicas) {
  const ShardMap one({"only"}, 8, 3);
  for (int s = 0; s < 8; ++s) EXPECT_EQ(one.Replicas("g", s), std::vector<std::string>{"only"});
  const ShardMap none({}, 8, 2);
  EXPECT_TRUE(none.Replicas("g", 0).empty());
}

}  // namespace
}  // namespace facekit::cluster
