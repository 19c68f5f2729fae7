#include "gallery/face_directory.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace facekit::gallery {
namespace {

// Random puts, replacements and removals (removals shift entries back: the
// part a mistake would break) checked against a std::unordered_map, across
// several growths.
TEST(FaceDirectory, AgreesWithAMapThroughPutsReplacementsAndRemovals) {
  std::mt19937_64 rng(7);
  FaceDirectory dir;
  std::unordered_map<std::int64_t, std::pair<std::int64_t, int>> ref;
  // Keys from a small range so that removals and re-puts hit the same keys
  // and probe runs collide.
  std::uniform_int_distribution<std::int64_t> key(1, 30000);
  std::uniform_int_distribution<int> op(0, 9);
  for (int step = 0; step < 200000; ++step) {
    const std::int64_t k = key(rng);
    if (op(rng) < 4) {
      EXPECT_EQ(dir.Erase(k), ref.erase(k) == 1) << "step " << step;
    } else {
      const std::int64_t person = static_cast<std::int64_t>(rng() % ((std::int64_t{1} << 48) - 1)) + 1;
      const int shard = static_cast<int>(rng() % 65536);
      dir.Put(k, person, shard);
      ref[k] = {person, shard};
    }
    if (step % 5000 == 0) {
      ASSERT_EQ(dir.size(), ref.size());
      for (std::int64_t probe = 1; probe <= 30000; ++probe) {
        auto got = dir.Find(probe);
        auto want = ref.find(probe);
        ASSERT_EQ(got.has_value(), want != ref.end()) << probe;
        if (got) {
          EXPECT_EQ(got->person_key, want->second.first);
          EXPECT_EQ(got->shard, want->second.second);
        }
      }
    }
  }
  EXPECT_GE(dir.capacity() * 3, dir.size() * 4);
  EXPECT_FALSE(dir.Find(0).has_value());
}

TEST(FaceDirectory, FitsOnlyKeysBelowTwoToThe48AndShardsBelowTwoToThe16) {
  EXPECT_TRUE(FaceDirectory::Fits(1, 1, 0));
  EXPECT_TRUE(FaceDirectory::Fits((std::int64_t{1} << 48) - 1, (std::int64_t{1} << 48) - 1, 65535));
  EXPECT_FALSE(FaceDirectory::Fits(std::int64_t{1} << 48, 1, 0));
  EXPECT_FALSE(FaceDirectory::Fits(1, std::int64_t{1} << 48, 0));
  EXPECT_FALSE(FaceDirectory::Fits(1, 1, 65536));
  EXPECT_FALSE(FaceDirectory::Fits(0, 1, 0));
  EXPECT_FALSE(FaceDirectory::Fits(1, 0, 0));
  FaceDirectory dir;
  dir.Reserve(1000);
  const std::size_t room = dir.capacity();
  for (std::int64_t k = 1; k <= 1000; ++k) dir.Put(k, k + 1, static_cast<int>(k % 64));
  EXPECT_EQ(dir.capacity(), room) << "Reserve made room for 1000";
  for (std::int64_t k = 1; k <= 1000; ++k) {
    ASSERT_TRUE(dir.Find(k));
    EXPECT_EQ(dir.Find(k)->person_key, k + 1);
    EXPECT_EQ(dir.Find(k)->shard, static_cast<int>(k % 64));
  }
}

}  // namespace
}  // namespace facekit::gallery
