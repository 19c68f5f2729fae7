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

TEST(AttributeEval, ParsesBirthYearsAndNamesABadLine) {
  auto years = ParseBirthYears("# comment\nAl_Pacino\t1940\r\n\nEmma_Watson 1990\n");
  ASSERT_TRUE(years.ok()) << years.status().ToString();
  EXPECT_EQ(*years, (std::map<std::string, int>{{"Al_Pacino", 1940}, {"Emma_Watson", 1990}}));
  for (const char* bad : {"A", "A x", "A 1940 1941", "A 1700", "A 2100", "Al_Pacino 1941"}) {
    auto r = ParseBirthYears(std::string("Al_Pacino 1940\n") + bad + "\n");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().ToString();
  }
}

TEST(AttributeEval, ParsesExpressionLabelsAndLeavesUnclearOut) {
  int unclear = -1;
  auto labels = ParseExpressionLabels(
      "# by eye\nA/A_1.jpg happy\nA/A_2.jpg unclear\nB/B_1.jpg neutral\r\nC/C_1.jpg other\n", &unclear);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(unclear, 1);
  ASSERT_EQ(labels->size(), 3u);
  EXPECT_EQ(labels->at("A/A_1.jpg"), ExpressionClass::kHappy);
  EXPECT_EQ(labels->at("B/B_1.jpg"), ExpressionClass::kNeutral);
  EXPECT_EQ(labels->at("C/C_1.jpg"), ExpressionClass::kOther);
  EXPECT_EQ(labels->count("A/A_2.jpg"), 0u);
  for (const char* bad : {"A/A_3.jpg sad", "A_3.jpg happy", "A/A_3.jpg", "A/A_3.jpg happy x", "A/A_1.jpg neutral"}) {
    auto r = ParseExpressionLabels(std::string("A/A_1.jpg happy\n") + bad + "\n");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().ToString();
  }
}

TEST(AttributeEval, ModelLabelsMapOntoThreeExpressionClasses) {
  EXPECT_EQ(ExpressionClassOf("happy"), ExpressionClass::kHappy);
  EXPECT_EQ(ExpressionClassOf("neutral"), ExpressionClass::kNeutral);
  for (const char* other : {"angry", "disgust", "fear", "sad", "surprise", "surprised", "disgusted", "fearful"}) {
    EXPECT_EQ(ExpressionClassOf(other), ExpressionClass::kOther) << other;
  }
  EXPECT_STREQ(ExpressionClassName(ExpressionClass::kOther), "other");
}

TEST(AttributeEval, ExpressionConfusionAccuracies) {
  ExpressionConfusion c;
  EXPECT_EQ(c.accuracy(), 0.0);
  EXPECT_EQ(c.smile_accuracy(), 0.0);
  using E = ExpressionClass;
  // 4 happy (3 right, one read as neutral, smile said for 3), 2 neutral (both right, no smile).
  for (int i = 0; i < 3; ++i) c.Add(E::kHappy, E::kHappy, true);
  c.Add(E::kHappy, E::kNeutral, false);
  c.Add(E::kNeutral, E::kNeutral, false);
  c.Add(E::kNeutral, E::kNeutral, true);
  EXPECT_EQ(c.total(), 6);
  EXPECT_EQ(c.counts[0][1], 1);
  EXPECT_DOUBLE_EQ(c.accuracy(), 5.0 / 6);
  EXPECT_DOUBLE_EQ(c.balanced_accuracy(), (0.75 + 1.0) / 2);  // no "other" samples: left out
  EXPECT_EQ(c.smile[1][1], 3);
  EXPECT_EQ(c.smile[0][1], 1);
  EXPECT_DOUBLE_EQ(c.smile_accuracy(), 4.0 / 6);
}

TEST(AttributeEval, AgeErrorPerPhotoPerPersonAndByDecade) {
  AgeError e;
  EXPECT_EQ(e.mae(), 0.0);
  EXPECT_EQ(e.person_mae(), 0.0);
  // A: three photos, each 2 years too old; B: one photo 10 years too young.
  for (int i = 0; i < 3; ++i) e.Add("A", 40.5, 42.5);
  e.Add("B", 71.5, 61.5);
  EXPECT_EQ(e.count(), 4);
  EXPECT_DOUBLE_EQ(e.mae(), (3 * 2.0 + 10.0) / 4);
  EXPECT_DOUBLE_EQ(e.person_mae(), (2.0 + 10.0) / 2);
  EXPECT_DOUBLE_EQ(e.bias(), (3 * 2.0 - 10.0) / 4);
  EXPECT_DOUBLE_EQ(e.median_abs(), 2.0);
  EXPECT_DOUBLE_EQ(e.within(5), 0.75);
  EXPECT_EQ(e.by_true_decade[4].count, 3);
  EXPECT_DOUBLE_EQ(e.by_true_decade[7].signed_sum, -10.0);
}

}  // namespace
}  // namespace facekit::eval
