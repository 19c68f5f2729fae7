#include "common/flat_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace facekit {
namespace {

// The same operations on a FlatMap and a std::map give the same contents, in order.
TEST(FlatMap, BehavesAsAStdMapForTheOperationsItHas) {
  FlatMap<std::int64_t, std::string> flat;
  std::map<std::int64_t, std::string> want;
  std::mt19937 rng(3);
  for (int step = 0; step < 5000; ++step) {
    const std::int64_t key = static_cast<std::int64_t>(rng() % 40);
    switch (rng() % 4) {
      case 0:
      case 1:
        flat[key] = std::to_string(step);
        want[key] = std::to_string(step);
        break;
      case 2:
        EXPECT_EQ(flat.erase(key), want.erase(key));
        break;
      default:
        EXPECT_EQ(flat.count(key), want.count(key));
        if (want.count(key) != 0) {
          EXPECT_EQ(flat.at(key), want.at(key));
          EXPECT_EQ(flat.find(key)->second, want.find(key)->second);
        } else {
          EXPECT_TRUE(flat.find(key) == flat.end());
          EXPECT_THROW((void)flat.at(key), std::out_of_range);
        }
    }
    ASSERT_EQ(flat.size(), want.size());
    ASSERT_EQ(flat.empty(), want.empty());
    auto w = want.begin();
    for (const auto& [k, v] : flat) {
      ASSERT_EQ(k, w->first);
      ASSERT_EQ(v, w->second);
      ++w;
    }
  }
  const auto& constant = flat;
  for (const auto& [k, v] : want) EXPECT_EQ(constant.at(k), v);
}

}  // namespace
}  // namespace facekit
