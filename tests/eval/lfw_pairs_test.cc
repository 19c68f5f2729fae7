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

}  // namespace
}  // namespace facekit::eval
