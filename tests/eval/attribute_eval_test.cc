// The gender labels and people lists `facekit eval attributes` reads, and
// its metrics on hand-counted cases.
#include "eval/attribute_eval.h"

#include <gtest/gtest.h>

namespace facekit::eval {
namespace {

TEST(AttributeEval, ParsesGenderLabelsAndNamesABadLine) {
  auto labels = ParseGenderLabels("AJ_Cook/AJ_Cook_0001.jpg F\r\n\nAaron_Guiel/Aaron_Guiel_0001.jpg M\n");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  ASSERT_EQ(labels->size(), 2u);
  EXPECT_EQ((*labels)[0].person, "AJ_Cook");
  EXPECT_FALSE((*labels)[0].male);
  EXPECT_TRUE((*labels)[1].male);
  for (const char* bad : {"a/b.jpg X", "a/b.jpg", "nofolder.jpg M", "/b.jpg M", "a/ M", "a/b.jpg M extra"}) {
    auto r = ParseGenderLabels(std::string("x/y.jpg F\n") + bad + "\n");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().ToString();
  }
}

TEST(AttributeEval, ParsesAnLfwPeopleList) {
  auto people = ParseLfwPeople("2\nAJ_Cook\t1\nAaron_Peirsol\t4\n");
  ASSERT_TRUE(people.ok());
  EXPECT_EQ(*people, (std::set<std::string>{"AJ_Cook", "Aaron_Peirsol"}));
  EXPECT_FALSE(ParseLfwPeople("").ok());
  EXPECT_FALSE(ParseLfwPeople("x\nA\t1\n").ok());
  EXPECT_FALSE(ParseLfwPeople("1\nA\n").ok());
}

TEST(AttributeEval, ConfusionAccuracyAndBalancedAccuracy) {
  GenderConfusion c;
  EXPECT_EQ(c.accuracy(), 0.0);
  EXPECT_EQ(c.balanced_accuracy(), 0.0);
  // 4 women: 3 right; 6 men: all right.
  for (int i = 0; i < 3; ++i) c.Add(false, false);
  c.Add(false, true);
  for (int i = 0; i < 6; ++i) c.Add(true, true);
  EXPECT_EQ(c.counts[0][0], 3);
  EXPECT_EQ(c.counts[0][1], 1);
  EXPECT_EQ(c.counts[1][1], 6);
  EXPECT_EQ(c.total(), 10);
  EXPECT_DOUBLE_EQ(c.accuracy(), 0.9);
  EXPECT_DOUBLE_EQ(c.balanced_accuracy(), (0.75 + 1.0) / 2);
  GenderConfusion men_only;
  men_only.Add(true, false);
  men_only.Add(true, true);
  EXPECT_DOUBLE_EQ(men_only.balanced_accuracy(), 0.5);
}

TEST(AttributeEval, AgeHistogramDecadesMedianMean) {
  AgeHistogram h;
  EXPECT_EQ(h.median(), 0.f);
  for (float a : {5.f, 25.f, 31.f, 38.f, 120.f, -3.f}) h.Add(a);
  EXPECT_EQ(h.decades[0], 2);  // 5 and -3
  EXPECT_EQ(h.decades[2], 1);
  EXPECT_EQ(h.decades[3], 2);
  EXPECT_EQ(h.decades[9], 1);         // 120
  EXPECT_FLOAT_EQ(h.median(), 28.f);  // (25 + 31) / 2
  EXPECT_FLOAT_EQ(h.mean(), 216.f / 6);
  h.Add(40.f);
  EXPECT_FLOAT_EQ(h.median(), 31.f);
}

}  // namespace
}  // namespace facekit::eval
