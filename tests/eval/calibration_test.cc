#include "eval/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace facekit::eval {
namespace {

TEST(Calibration, ThresholdAtFarAndMeasuredRates) {
  std::vector<float> impostor;
  for (int i = 0; i < 1000; ++i) impostor.push_back(static_cast<float>(i) / 1000.f);  // 0.000 .. 0.999
  // FAR 1e-2 allows 10 impostors at or above: just above the 11th largest (0.989).
  float t = ThresholdAtFar(impostor, 1e-2);
  EXPECT_GT(t, 0.989f);
  EXPECT_LE(t, 0.9891f);
  EXPECT_DOUBLE_EQ(FarAt(impostor, t), 0.01);
  // Below the resolution (1/1000): above every impostor.
  float strict = ThresholdAtFar(impostor, 1e-4);
  EXPECT_DOUBLE_EQ(FarAt(impostor, strict), 0.0);
  EXPECT_GT(strict, 0.999f);
  EXPECT_DOUBLE_EQ(TarAt({0.5f, 0.9f, 0.995f}, t), 1.0 / 3.0);
}

TEST(Calibration, DistributionSplitsPairsByIdentity) {
  std::vector<Embedding> e = {{1, 0}, {1, 0}, {0, 1}, {0.6f, 0.8f}};
  std::vector<int> id = {0, 0, 1, 1};
  SimilarityDistribution d = SimilarityDistribution::Build(e, id);
  EXPECT_EQ(d.people, 2u);
  EXPECT_EQ(d.images, 4u);
  ASSERT_EQ(d.genuine.size(), 2u);   // (0,1) and (2,3)
  ASSERT_EQ(d.impostor.size(), 4u);  // the cross pairs
  EXPECT_FLOAT_EQ(d.genuine[1], 1.f);
  EXPECT_FLOAT_EQ(d.genuine[0], 0.8f);
  EXPECT_FLOAT_EQ(d.impostor.front(), 0.f);
  EXPECT_FLOAT_EQ(d.impostor.back(), 0.6f);
}

TEST(Calibration, ScorePointsAreMonotonic) {
  auto p = ScorePoints(0.35f, 0.45f, 0.55f);
  ASSERT_EQ(p.size(), 5u);
  for (size_t i = 1; i < p.size(); ++i) {
    EXPECT_GT(p[i][0], p[i - 1][0]);
    EXPECT_GT(p[i][1], p[i - 1][1]);
  }
  EXPECT_FLOAT_EQ(p[1][1], 40.f);
  EXPECT_FLOAT_EQ(p[3][1], 60.f);
}

}  // namespace
}  // namespace facekit::eval

namespace facekit::eval {
namespace {

TEST(Calibration, TailModelAndPerPairRates) {
  // Impostors with an exact exponential tail: FAR(t) = 10^(-10 t) on [0, 0.6].
  std::vector<float> impostor;
  const int n = 1000000;
  for (int i = 0; i < n; ++i) {
    double far = (i + 0.5) / n;  // quantile
    impostor.push_back(static_cast<float>(-std::log10(far) / 10.0));
  }
  std::sort(impostor.begin(), impostor.end());
  TailModel m = FitTail(impostor, {1e-3, 1e-4, 1e-5});
  EXPECT_NEAR(m.slope, -10.0, 0.3);
  EXPECT_NEAR(m.ThresholdAt(1e-8), 0.8f, 0.03f);
  EXPECT_NEAR(m.FarAt(0.5f), 1e-5, 3e-6);
  // 1% over a 10,000-face gallery needs about 1e-6 per comparison.
  EXPECT_NEAR(PerPairFar(1e-2, 10000), 1.005e-6, 1e-9);
  EXPECT_NEAR(PerPairFar(1e-4, 10000), 1e-8, 1e-11);
  auto p = SearchScorePoints(0.5f, 0.5f, 0.6f);
  EXPECT_GT(p[2][0], p[1][0]);
  EXPECT_FLOAT_EQ(p[3][1], 90.f);
}

}  // namespace
}  // namespace facekit::eval
