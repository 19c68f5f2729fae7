// The coordinator's merge of shard answers against a plain reference: the
// same search over every face at once (fixed seeds).
#include "cluster/shard_merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_set>

#include "cluster/shard_map.h"

namespace facekit::cluster {
namespace {

// The reference: all faces sorted, each person's best, top `n`.
std::vector<ShardHit> Reference(std::vector<ShardHit> faces, std::size_t n) {
  std::sort(faces.begin(), faces.end(), RanksBefore);
  std::vector<ShardHit> out;
  std::unordered_set<std::string> seen;
  for (const auto& f : faces) {
    if (out.size() < n && seen.insert(f.person_id).second) out.push_back(f);
  }
  return out;
}

// A shard's answer: its best `budget` faces.
std::vector<ShardHit> ShardAnswer(std::vector<ShardHit> faces, std::size_t budget) {
  std::sort(faces.begin(), faces.end(), RanksBefore);
  if (faces.size() > budget) faces.resize(budget);
  return faces;
}

TEST(ShardMerge, EqualsTheSearchOverAllFacesAtOnce) {
  std::mt19937 rng(17);
  for (int round = 0; round < 200; ++round) {
    const int shards = 1 + static_cast<int>(rng() % 16);
    const std::size_t faces_per_person = 1 + rng() % 5;
    const std::size_t persons = 1 + rng() % 300;
    const std::size_t max_persons = 1 + rng() % 20;
    // Similarities from a few levels, so that ties happen and are broken by face id.
    std::uniform_int_distribution<int> level(0, round % 2 ? 20 : 1000000);
    std::vector<ShardHit> all;
    std::vector<std::vector<ShardHit>> by_shard(static_cast<std::size_t>(shards));
    for (std::size_t p = 0; p < persons; ++p) {
      const std::size_t n = 1 + rng() % faces_per_person;
      for (std::size_t f = 0; f < n; ++f) {
        ShardHit h{"f" + std::to_string(p) + "-" + std::to_string(f), "p" + std::to_string(p), "g",
                   static_cast<float>(level(rng)) / 1000.f};
        all.push_back(h);
        by_shard[static_cast<std::size_t>(ShardOfFace(h.face_id, shards))].push_back(h);
      }
    }
    std::vector<std::vector<ShardHit>> answers;
    for (auto& s : by_shard) answers.push_back(ShardAnswer(s, ShardFaceBudget(max_persons, faces_per_person)));
    const auto merged = MergeFaceHits(answers, max_persons);
    const auto expected = Reference(all, max_persons);
    ASSERT_EQ(merged.size(), expected.size()) << "round " << round;
    for (std::size_t i = 0; i < merged.size(); ++i) {
      EXPECT_EQ(merged[i].face_id, expected[i].face_id) << "round " << round << " rank " << i;
      EXPECT_EQ(merged[i].person_id, expected[i].person_id);
    }
  }
}

TEST(ShardMerge, ASmallerBudgetCanMissAPerson) {
  // Why the budget is max_persons x faces per person: person a's five faces
  // fill the shard's top 5, b's only face is sixth on that shard.
  std::vector<ShardHit> shard;
  for (int i = 0; i < 5; ++i)
    shard.push_back({"a" + std::to_string(i), "a", "g", 0.9f - 0.01f * static_cast<float>(i)});
  shard.push_back({"b0", "b", "g", 0.5f});
  const auto exact = MergeFaceHits({ShardAnswer(shard, ShardFaceBudget(2, 5))}, 2);
  ASSERT_EQ(exact.size(), 2u);
  EXPECT_EQ(exact[1].person_id, "b");
  const auto short_budget = MergeFaceHits({ShardAnswer(shard, 2)}, 2);
  EXPECT_EQ(short_budget.size(), 1u);
}

TEST(ShardMerge, EmptyAndZero) {
  EXPECT_TRUE(MergeFaceHits({}, 5).empty());
  EXPECT_TRUE(MergeFaceHits({{{"f", "p", "g", 1.f}}}, 0).empty());
  EXPECT_EQ(ShardFaceBudget(3, 0), 3u);
}

}  // namespace
}  // namespace facekit::cluster
