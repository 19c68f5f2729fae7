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
  auto p = SearchScorePoints(0.45f, 0.52f, 0.59f, 0.64f, 0.64f, 0.70f);
  ASSERT_EQ(p.size(), 8u);
  EXPECT_FLOAT_EQ(p[1][0], 0.45f);  // the 1:1 points below 70
  EXPECT_FLOAT_EQ(p[3][1], 60.f);
  EXPECT_FLOAT_EQ(p[4][0], 0.64f);
  EXPECT_FLOAT_EQ(p[6][1], 90.f);
  for (size_t i = 1; i < p.size(); ++i) {
    EXPECT_GT(p[i][0], p[i - 1][0]) << i;
    EXPECT_GT(p[i][1], p[i - 1][1]) << i;
  }
  // A tail model that puts 80 and 90 at or beyond similarity 1 still gives a valid map.
  auto q = SearchScorePoints(0.45f, 0.52f, 0.59f, 0.9f, 1.2f, 1.5f);
  for (size_t i = 1; i < q.size(); ++i) EXPECT_GT(q[i][0], q[i - 1][0]) << i;
  EXPECT_FLOAT_EQ(q.back()[0], 1.f);
}

}  // namespace
}  // namespace facekit::eval

namespace facekit::eval {
namespace {

// Unit vector at `degrees` in the plane: the similarity of two is the cosine
// of the angle between them.
Embedding At(double degrees) {
  const double r = degrees * 3.14159265358979323846 / 180.0;
  return {static_cast<float>(std::cos(r)), static_cast<float>(std::sin(r))};
}

TEST(Calibration, ExclusionListParsesAndRejectsBadLines) {
  auto ok = ExclusionList::Parse(
      "# reviewed label errors\n"
      "\n"
      "same-person  Joseph_Blatter Sepp_Blatter   one man, two names  \n"
      "same-photo A/A_0001.jpg B/B_0002.jpg the same photograph\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->entries.size(), 2u);
  EXPECT_EQ(ok->entries[0].kind, "same-person");
  EXPECT_EQ(ok->entries[0].a, "Joseph_Blatter");
  EXPECT_EQ(ok->entries[0].b, "Sepp_Blatter");
  EXPECT_EQ(ok->entries[0].reason, "one man, two names");
  EXPECT_EQ(ok->entries[0].line, 3);
  EXPECT_EQ(ok->entries[1].b, "B/B_0002.jpg");

  auto bad_kind = ExclusionList::Parse("look-alike A B they look alike\n");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_NE(bad_kind.status().message().find("line 1"), std::string::npos);
  EXPECT_FALSE(ExclusionList::Parse("same-person A B\n").ok());  // no reason
  EXPECT_FALSE(ExclusionList::Parse("same-person A A the same\n").ok());
}

TEST(Calibration, ExclusionsRemoveOnlyTheListedPairs) {
  // Three people: A (2 images), B (2 images, really A under another name),
  // C (1 image, a different person).
  LabelledSet s;
  s.names = {"A", "B", "C"};
  s.Add(At(0), 0, "A/A_0001.jpg", true);
  s.Add(At(10), 0, "A/A_0002.jpg", true);
  s.Add(At(5), 1, "B/B_0001.jpg", true);
  s.Add(At(15), 1, "B/B_0002.jpg", false);
  s.Add(At(90), 2, "C/C_0001.jpg", true);
  auto list = ExclusionList::Parse("same-person A B one person under two names\n"
                                   "same-photo A/A_0001.jpg C/C_0001.jpg listed only to test image entries\n");
  ASSERT_TRUE(list.ok());
  PairExcluder ex(*list, s, s);
  EXPECT_EQ(ex.Match(0, 2), 0);  // A x B, either order
  EXPECT_EQ(ex.Match(3, 1), 0);
  EXPECT_EQ(ex.Match(0, 4), 1);  // the one image pair
  EXPECT_EQ(ex.Match(4, 0), 1);
  EXPECT_EQ(ex.Match(1, 4), -1);  // A_0002 x C is not listed
  EXPECT_EQ(ex.Match(0, 1), -1);  // a genuine pair

  SimilarityDistribution all = SimilarityDistribution::Build(s.embeddings, s.identity, nullptr, 3);
  EXPECT_EQ(all.impostor.size(), 8u);  // 4 A x B + 4 x C
  ASSERT_EQ(all.top_impostors.size(), 3u);
  EXPECT_NEAR(all.top_impostors[0].similarity, std::cos(5 * 3.14159265 / 180), 1e-6);  // an A x B pair

  SimilarityDistribution d = SimilarityDistribution::Build(s.embeddings, s.identity, &ex, 3);
  EXPECT_EQ(d.genuine.size(), 2u);
  ASSERT_EQ(d.impostor.size(), 3u);  // A_0002, B_0001, B_0002 x C
  ASSERT_EQ(d.excluded.size(), 5u);
  EXPECT_EQ(std::count_if(d.excluded.begin(), d.excluded.end(), [](const ScoredPair& p) { return p.exclusion == 0; }), 4);
  EXPECT_EQ(std::count_if(d.excluded.begin(), d.excluded.end(), [](const ScoredPair& p) { return p.exclusion == 1; }), 1);
  // The most similar kept impostor is now B_0002 x C at 75 degrees.
  ASSERT_FALSE(d.top_impostors.empty());
  EXPECT_EQ(d.top_impostors[0].i, 3u);
  EXPECT_EQ(d.top_impostors[0].j, 4u);
  EXPECT_NEAR(d.impostor.back(), std::cos(75 * 3.14159265 / 180), 1e-6);
}

TEST(Calibration, OpenSetSearchTakesTheBestGalleryMatchPerProbe) {
  // Gallery at 0, 90, 180, 270 degrees; probes at known angular distances
  // from their nearest gallery face.
  std::vector<Embedding> gallery = {At(0), At(90), At(180), At(270)};
  std::vector<Embedding> probes = {At(5), At(30), At(100), At(45), At(200)};
  OpenSetSearch r = OpenSetSearch::Run(probes, gallery);
  EXPECT_EQ(r.gallery, 4u);
  ASSERT_EQ(r.best.size(), 5u);
  // Most similar first: 5 deg (gallery 0), 10 deg (gallery 1), 20 deg, 30 deg, 45 deg.
  EXPECT_EQ(r.best[0].i, 0u);
  EXPECT_EQ(r.best[0].j, 0u);
  EXPECT_EQ(r.best[1].i, 2u);
  EXPECT_EQ(r.best[1].j, 1u);
  EXPECT_NEAR(r.best[4].similarity, std::cos(45 * 3.14159265 / 180), 1e-6);
  // Thresholds between the best similarities count exactly the probes above.
  EXPECT_DOUBLE_EQ(r.FalseAlarmAt(0.99f), 1.0 / 5.0);   // cos 5 = 0.9962
  EXPECT_DOUBLE_EQ(r.FalseAlarmAt(0.95f), 2.0 / 5.0);   // cos 5 and cos 10; cos 20 = 0.940 is below
  EXPECT_DOUBLE_EQ(r.FalseAlarmAt(0.70f), 5.0 / 5.0);   // cos 45 = 0.707
  EXPECT_DOUBLE_EQ(r.FalseAlarmAt(0.999f), 0.0);

  // An excluded probe-gallery pair is skipped: probe 0 then matches gallery 1 at 85 degrees.
  LabelledSet p, g;
  p.names = {"P0", "P1", "P2", "P3", "P4"};
  for (size_t i = 0; i < probes.size(); ++i) p.Add(probes[i], static_cast<int>(i), p.names[i] + "/x.jpg", true);
  g.names = {"G"};
  for (size_t j = 0; j < gallery.size(); ++j) g.Add(gallery[j], 0, "G/G_000" + std::to_string(j) + ".jpg", true);
  auto list = ExclusionList::Parse("same-photo P0/x.jpg G/G_0000.jpg test\n");
  ASSERT_TRUE(list.ok());
  PairExcluder ex(*list, p, g);
  OpenSetSearch r2 = OpenSetSearch::Run(probes, gallery, &ex);
  ASSERT_EQ(r2.excluded.size(), 1u);
  EXPECT_EQ(r2.excluded[0].exclusion, 0);
  EXPECT_NEAR(r2.excluded[0].similarity, std::cos(5 * 3.14159265 / 180), 1e-6);
  EXPECT_DOUBLE_EQ(r2.FalseAlarmAt(0.99f), 0.0);
  auto probe0 = std::find_if(r2.best.begin(), r2.best.end(), [](const ScoredPair& b) { return b.i == 0; });
  ASSERT_NE(probe0, r2.best.end());
  EXPECT_EQ(probe0->j, 1u);
  EXPECT_NEAR(probe0->similarity, std::cos(85 * 3.14159265 / 180), 1e-6);

  // Exact Poisson intervals (Garwood; tabulated values).
  auto zero = PoissonInterval(0);
  EXPECT_DOUBLE_EQ(zero[0], 0.0);
  EXPECT_NEAR(zero[1], 3.689, 1e-3);
  auto eleven = PoissonInterval(11);
  EXPECT_NEAR(eleven[0], 5.491, 1e-3);
  EXPECT_NEAR(eleven[1], 19.682, 1e-3);

  // 1:N rates carried to another gallery size.
  EXPECT_NEAR(ExtrapolateFalseAlarm(0.01, 10000, 10000), 0.01, 1e-12);
  EXPECT_NEAR(ExtrapolateFalseAlarm(0.1, 1000, 2000), 1 - 0.9 * 0.9, 1e-12);
  EXPECT_NEAR(ExtrapolateFalseAlarm(ExtrapolateFalseAlarm(1e-3, 10000, 3443), 3443, 10000), 1e-3, 1e-12);
}

}  // namespace
}  // namespace facekit::eval
