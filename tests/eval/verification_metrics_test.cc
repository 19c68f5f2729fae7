#include "eval/verification_metrics.h"

#include <gtest/gtest.h>

namespace facekit::eval {
namespace {

std::vector<ScoredPair> Pairs(const std::vector<float>& genuine, const std::vector<float>& impostor, int fold = 0) {
  std::vector<ScoredPair> p;
  for (float s : genuine) p.push_back({s, true, fold});
  for (float s : impostor) p.push_back({s, false, fold});
  return p;
}

TEST(VerificationMetrics, BestThresholdMaximisesAccuracy) {
  auto p = Pairs({0.35f, 0.6f, 0.9f}, {0.1f, 0.2f, 0.5f});
  float t = BestThreshold(p);
  EXPECT_NEAR(ConfusionAt(p, t).accuracy(), 5.0 / 6.0, 1e-9);
  // No threshold does better than the chosen one.
  for (float c = 0.f; c <= 1.f; c += 0.01f) EXPECT_LE(ConfusionAt(p, c).accuracy(), ConfusionAt(p, t).accuracy() + 1e-12);
  auto sep = Pairs({0.8f, 0.9f}, {0.1f, 0.2f});
  EXPECT_NEAR(BestThreshold(sep), 0.5f, 1e-6);
  EXPECT_DOUBLE_EQ(ConfusionAt(sep, 0.5f).accuracy(), 1.0);
}

TEST(VerificationMetrics, AucAndEerOnKnownCases) {
  EXPECT_DOUBLE_EQ(RocAuc(Pairs({0.9f, 0.8f}, {0.1f, 0.2f})), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc(Pairs({0.1f, 0.2f}, {0.9f, 0.8f})), 0.0);
  EXPECT_DOUBLE_EQ(RocAuc(Pairs({0.5f}, {0.5f})), 0.5);
  // 3 genuine x 2 impostors: 0.9 and 0.6 each beat 0.5 only, 0.4 beats none -> 2/6.
  EXPECT_DOUBLE_EQ(RocAuc(Pairs({0.9f, 0.6f, 0.4f}, {0.5f, 0.95f})), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(EqualErrorRate(Pairs({0.9f, 0.8f}, {0.1f, 0.2f})), 0.0);
  // One impostor above one genuine of four each: EER 1/4.
  EXPECT_NEAR(EqualErrorRate(Pairs({0.9f, 0.8f, 0.7f, 0.3f}, {0.1f, 0.2f, 0.4f, 0.85f})), 0.25, 1e-9);
}

TEST(VerificationMetrics, TarAtFarRespectsResolution) {
  // 10 impostors: FAR 0.1 allows one above the threshold.
  std::vector<float> impostor = {0.1f, 0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.45f, 0.5f, 0.9f};
  std::vector<float> genuine = {0.95f, 0.85f, 0.6f, 0.55f};
  auto p = Pairs(genuine, impostor);
  EXPECT_DOUBLE_EQ(TarAtFar(p, 0.1), 1.0);    // threshold just above 0.5
  EXPECT_DOUBLE_EQ(TarAtFar(p, 0.01), 0.25);  // below 1/10: above every impostor (0.9)
  EXPECT_DOUBLE_EQ(TarAtFar(p, 1.0), 1.0);
  auto roc = RocCurve(p);
  ASSERT_FALSE(roc.empty());
  EXPECT_DOUBLE_EQ(roc.back().first, 1.0);
  EXPECT_DOUBLE_EQ(roc.back().second, 1.0);
  for (size_t i = 1; i < roc.size(); ++i) EXPECT_GE(roc[i].first, roc[i - 1].first);
}

TEST(VerificationMetrics, FoldsChooseThresholdsOnTheOtherFolds) {
  // Fold 1 alone would choose 0.3 (between 0.2 and 0.4), fold 0 alone 0.575
  // (between 0.45 and 0.7). Each fold is judged with the other's threshold:
  // fold 0 at 0.3 falsely accepts its impostor 0.45, fold 1 at 0.575 falsely
  // rejects its genuine 0.4.
  auto p = Pairs({0.8f, 0.7f}, {0.2f, 0.45f}, 0);
  auto p1 = Pairs({0.4f, 0.9f}, {0.1f, 0.2f}, 1);
  p.insert(p.end(), p1.begin(), p1.end());
  VerificationReport r = EvaluateFolds(p, {}, -2.f, {0.01});
  ASSERT_EQ(r.fold_accuracy.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fold_accuracy[0], 0.75);
  EXPECT_DOUBLE_EQ(r.fold_accuracy[1], 0.75);
  EXPECT_NEAR(r.fold_threshold[0], 0.3f, 1e-6);
  EXPECT_NEAR(r.fold_threshold[1], 0.575f, 1e-6);
  EXPECT_DOUBLE_EQ(r.accuracy_std, 0.0);
  EXPECT_EQ(r.confusion.fp, 1);
  EXPECT_EQ(r.confusion.fn, 1);
  EXPECT_EQ(r.confusion.tp + r.confusion.fn, 4);
  EXPECT_EQ(r.confusion.fp + r.confusion.tn, 4);
  // A fixed threshold overrides the folds.
  VerificationReport f = EvaluateFolds(p, {}, 0.5f, {});
  EXPECT_FLOAT_EQ(f.threshold, 0.5f);
  Confusion c = ConfusionAt(p, 0.5f);
  EXPECT_EQ(c.tp, 3);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.fp, 0);
  EXPECT_DOUBLE_EQ(c.precision(), 1.0);
  EXPECT_DOUBLE_EQ(c.recall(), 0.75);
  EXPECT_NEAR(c.f1(), 2 * 0.75 / 1.75, 1e-12);
}

}  // namespace
}  // namespace facekit::eval
