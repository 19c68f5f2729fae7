#include "eval/lfw_pairs.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace facekit::eval {
namespace {

TEST(LfwPairs, ParsesView1AndFoldedHeaders) {
  auto p = ParseLfwPairs("1\nA 1 2\nA 1 B 3\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->pairs.size(), 2u);
  EXPECT_TRUE(p->pairs[0].same);
  EXPECT_EQ(p->pairs[1].name2, "B");
  EXPECT_EQ(p->pairs[1].n2, 3);
  auto f = ParseLfwPairs("2 1\nA 1 2\nA 1 B 1\nC 1 2\nC 1 D 1\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->folds, 2);
  EXPECT_EQ(f->pairs[3].fold, 1);
  EXPECT_EQ(ParseLfwPairs("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLfwPairs("2\nA 1 2\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLfwPairs("1\nA x 2\nA 1 B 2\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LfwImagePath("d", "Ann_Lee", 7), "d/Ann_Lee/Ann_Lee_0007.jpg");
}

TEST(LfwPairs, RealDevListsHaveTheOfficialSizes) {
  auto train = LoadLfwPairs(testing::DataDir() + "/lfw-view1/pairsDevTrain.txt");
  auto test = LoadLfwPairs(testing::DataDir() + "/lfw-view1/pairsDevTest.txt");
  ASSERT_TRUE(train.ok() && test.ok());
  EXPECT_EQ(train->pairs.size(), 2200u);
  EXPECT_EQ(test->pairs.size(), 1000u);
}

TEST(LfwPairs, BestThresholdMaximisesAccuracy) {
  std::vector<float> s = {0.1f, 0.2f, 0.35f, 0.5f, 0.6f, 0.9f};
  std::vector<bool> same = {false, false, true, false, true, true};
  float t = BestThreshold(s, same);
  EXPECT_NEAR(Accuracy(s, same, t), 5.0 / 6.0, 1e-9);
  // No threshold does better than the chosen one.
  for (float c = 0.f; c <= 1.f; c += 0.01f) EXPECT_LE(Accuracy(s, same, c), Accuracy(s, same, t) + 1e-12);
  std::vector<float> sep = {0.1f, 0.2f, 0.8f, 0.9f};
  std::vector<bool> lab = {false, false, true, true};
  EXPECT_NEAR(BestThreshold(sep, lab), 0.5f, 1e-6);
  EXPECT_DOUBLE_EQ(Accuracy(sep, lab, 0.5f), 1.0);
}

}  // namespace
}  // namespace facekit::eval
