// A shard's owners under the previous shard maps (the coordinator's later
// routes during a hand-over) and the maps a coordinator keeps per member list.
#include "cluster/previous_owners.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace facekit::cluster {
namespace {

std::vector<std::string> Nodes(std::initializer_list<int> ids) {
  std::vector<std::string> out;
  for (int i : ids) out.push_back("node-" + std::to_string(i));
  return out;
}

// `a`'s replicas of each shard that are in `alive`, then `b`'s not yet listed.
std::vector<std::string> Expected(const ShardMap& a, const ShardMap* b, const std::string& group, int shard,
                                  const std::vector<std::string>& alive) {
  std::vector<std::string> out;
  for (const ShardMap* m : {&a, b}) {
    if (m == nullptr) continue;
    for (const std::string& n : m->Replicas(group, shard)) {
      if (std::find(alive.begin(), alive.end(), n) != alive.end() &&
          std::find(out.begin(), out.end(), n) == out.end()) {
        out.push_back(n);
      }
    }
  }
  return out;
}

TEST(PreviousOwners, AreTheLiveOwnersUnderThePreviousMapsNewestFirst) {
  for (Placement placement : {Placement::kBalanced, Placement::kRendezvous}) {
    SCOPED_TRACE(PlacementName(placement));
    ShardMapHistory history(16, 1, placement);
    const auto four = history.For(Nodes({1, 2, 3, 4}));
    EXPECT_EQ(four.previous->maps(), 0u);
    EXPECT_TRUE(four.previous->Of("g", 0).empty());
    // node-4 dies: its shards go to the survivors; their previous owners are
    // the survivors that held them under the 4-node map (node-4 is not alive).
    const auto three = history.For(Nodes({3, 1, 2}));
    ASSERT_EQ(three.previous->maps(), 1u);
    for (const std::string group : {"g", "bench"}) {
      for (int s = 0; s < 16; ++s) {
        const auto& of = three.previous->Of(group, s);
        EXPECT_EQ(of, Expected(*four.map, nullptr, group, s, Nodes({1, 2, 3}))) << group << " " << s;
        EXPECT_EQ(std::count(of.begin(), of.end(), "node-4"), 0);
      }
    }
    // node-5 joins: the 3-node map first, then the 4-node one; dead node-4 never.
    const auto joined = history.For(Nodes({1, 2, 3, 5}));
    ASSERT_EQ(joined.previous->maps(), 2u);
    for (int s = 0; s < 16; ++s) {
      EXPECT_EQ(joined.previous->Of("g", s), Expected(*three.map, four.map.get(), "g", s, Nodes({1, 2, 3, 5})));
    }
    // node-4 back instead: the 4-node map is the current one's node list and
    // adds nothing; the previous owners are those of the 3-node map.
    ShardMapHistory again(16, 1, placement);
    again.For(Nodes({1, 2, 3, 4}));
    again.For(Nodes({1, 2, 3}));
    const auto back = again.For(Nodes({1, 2, 3, 4}));
    ASSERT_EQ(back.previous->maps(), 1u);
    for (int s = 0; s < 16; ++s) {
      EXPECT_EQ(back.previous->Of("g", s), three.map->Replicas("g", s)) << s;
    }
    EXPECT_TRUE(back.previous->Of("g", -1).empty());
    EXPECT_TRUE(back.previous->Of("g", 16).empty());
  }
}

TEST(PreviousOwners, RemembersAtMostEightMaps) {
  ShardMapHistory history(8, 2, Placement::kBalanced);
  std::vector<std::string> nodes = Nodes({1, 2});
  for (int i = 3; i < 15; ++i) {
    nodes.push_back("node-" + std::to_string(i));
    history.For(nodes);
  }
  const auto last = history.For(Nodes({1, 2}));
  EXPECT_EQ(last.previous->maps(), PreviousOwners::kMaps);
  // Only the owners under the eight newest maps, alive now (node-1, node-2).
  for (int s = 0; s < 8; ++s) {
    for (const std::string& n : last.previous->Of("g", s)) EXPECT_TRUE(n == "node-1" || n == "node-2") << n;
  }
}

TEST(ShardMapHistory, KeepsTheMapWhileTheMemberListHolds) {
  ShardMapHistory history(64, 2, Placement::kBalanced);
  const auto a = history.For(Nodes({1, 2, 3}));
  const auto b = history.For(Nodes({3, 2, 1, 2}));  // same list, any order, duplicates
  EXPECT_EQ(a.map, b.map);
  EXPECT_EQ(a.previous, b.previous);
  EXPECT_EQ(b.map->nodes(), Nodes({1, 2, 3}));
  const auto c = history.For(Nodes({1, 2}));
  EXPECT_NE(c.map, a.map);
  EXPECT_EQ(c.map->nodes(), Nodes({1, 2}));
  EXPECT_EQ(c.map->shards(), 64);
  EXPECT_EQ(c.map->replicas(), 2);
}

}  // namespace
}  // namespace facekit::cluster
