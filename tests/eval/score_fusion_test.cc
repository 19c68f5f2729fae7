#include "eval/score_fusion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace facekit::eval {
namespace {

// Two models' scores of the same pairs: model A separates genuine from
// impostor pairs well, model B less so, and their errors are independent.
void MakePairs(unsigned seed, int n, std::vector<ScoredPair>* a, std::vector<ScoredPair>* b) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    const bool same = i % 2 == 0;
    a->push_back({static_cast<float>((same ? 0.6 : 0.1) + 0.12 * noise(rng)), same, 0});
    b->push_back({static_cast<float>((same ? 0.9 : 0.6) + 0.10 * noise(rng)), same, 0});
  }
}

TEST(ScoreFusion, ZScoreUsesImpostorStatistics) {
  std::vector<ScoredPair> a = {{0.9f, true}, {0.1f, false}, {0.3f, false}};
  std::vector<ScoredPair> b = {{0.8f, true}, {0.5f, false}, {0.7f, false}};
  auto f = FitScoreFusion(FusionKind::kZScore, a, b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_NEAR(f->mean_a, 0.2, 1e-6);
  EXPECT_NEAR(f->std_a, 0.1, 1e-6);
  EXPECT_NEAR(f->mean_b, 0.6, 1e-6);
  EXPECT_NEAR(f->std_b, 0.1, 1e-6);
  // (0.9 - 0.2) / 0.1 + (0.8 - 0.6) / 0.1 = 7 + 2
  EXPECT_NEAR(f->Apply(0.9, 0.8), 9.0, 1e-5);
}

TEST(ScoreFusion, LogisticFitIsDeterministicAndWeighsTheBetterModelMore) {
  std::vector<ScoredPair> a, b;
  MakePairs(7, 2000, &a, &b);
  auto f1 = FitScoreFusion(FusionKind::kLogistic, a, b);
  auto f2 = FitScoreFusion(FusionKind::kLogistic, a, b);
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_EQ(f1->w_a, f2->w_a);  // bit-identical: same data, same steps
  EXPECT_EQ(f1->w_b, f2->w_b);
  EXPECT_EQ(f1->bias, f2->bias);
  EXPECT_GT(f1->w_a, f1->w_b);
  EXPECT_GT(f1->w_b, 0.0);
  EXPECT_TRUE(std::isfinite(f1->bias));
}

TEST(ScoreFusion, FusedBeatsEitherModelOnHeldOutPairs) {
  std::vector<ScoredPair> ta, tb, va, vb;
  MakePairs(11, 2000, &ta, &tb);
  MakePairs(12, 2000, &va, &vb);
  for (FusionKind kind : {FusionKind::kZScore, FusionKind::kLogistic}) {
    auto f = FitScoreFusion(kind, ta, tb);
    ASSERT_TRUE(f.ok());
    auto train = FuseScores(*f, ta, tb);
    auto held = FuseScores(*f, va, vb);
    const double fused = ConfusionAt(held, BestThreshold(train)).accuracy();
    const double only_a = ConfusionAt(va, BestThreshold(ta)).accuracy();
    const double only_b = ConfusionAt(vb, BestThreshold(tb)).accuracy();
    EXPECT_GT(fused, only_a) << FusionKindName(kind);
    EXPECT_GT(fused, only_b) << FusionKindName(kind);
  }
}

TEST(ScoreFusion, SeparableTrainingDataGivesFiniteWeights) {
  std::vector<ScoredPair> a = {{0.9f, true}, {0.8f, true}, {0.1f, false}, {0.2f, false}};
  std::vector<ScoredPair> b = {{0.7f, true}, {0.9f, true}, {0.3f, false}, {0.1f, false}};
  auto f = FitScoreFusion(FusionKind::kLogistic, a, b);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(std::isfinite(f->w_a) && std::isfinite(f->w_b) && std::isfinite(f->bias));
  EXPECT_GT(f->Apply(0.85, 0.8), f->Apply(0.15, 0.2));
}

TEST(ScoreFusion, RefusesMismatchedOrOneClassData) {
  std::vector<ScoredPair> a = {{0.9f, true}, {0.1f, false}};
  std::vector<ScoredPair> b = {{0.9f, true}};
  EXPECT_EQ(FitScoreFusion(FusionKind::kZScore, a, b).status().code(), StatusCode::kInvalidArgument);
  b = {{0.9f, false}, {0.1f, false}};
  EXPECT_EQ(FitScoreFusion(FusionKind::kZScore, a, b).status().code(), StatusCode::kInvalidArgument);
  std::vector<ScoredPair> all_same = {{0.9f, true}, {0.8f, true}};
  EXPECT_EQ(FitScoreFusion(FusionKind::kLogistic, all_same, all_same).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseFusionKind("mean").ok());
  EXPECT_EQ(*ParseFusionKind("logistic"), FusionKind::kLogistic);
}

}  // namespace
}  // namespace facekit::eval
