#include "eval/identification.h"

#include <gtest/gtest.h>

#include <cmath>

namespace facekit::eval {
namespace {

Embedding Unit(float angle) { return {std::cos(angle), std::sin(angle)}; }

TEST(Identification, RankAndOpenSetRatesByHand) {
  // Gallery on the unit circle; probes near their mates, one of them closer
  // to a stranger.
  std::vector<IdentityEmbedding> gallery = {{"a", Unit(0.0f)}, {"b", Unit(1.0f)}, {"c", Unit(2.0f)}, {"d", Unit(3.0f)}};
  std::vector<IdentityEmbedding> probes = {
      {"a", Unit(0.1f)}, {"b", Unit(1.05f)}, {"c", Unit(1.45f)}, {"x", Unit(0.5f)}};  // x is not enrolled
  const IdentificationResult r = EvaluateIdentification(gallery, probes, 0.5);
  EXPECT_EQ(r.probes, 3u);
  EXPECT_EQ(r.probes_without_mate, 1u);
  EXPECT_NEAR(r.rank1, 2.0 / 3.0, 1e-9);  // c's probe is closer to b
  EXPECT_NEAR(r.rank5, 1.0, 1e-9);
  // Non-mated best scores: a -> b cos(0.9), b -> c cos(0.95), c -> b cos(0.45).
  // far 0.5 of 3 allows 1 at or above the threshold: t just above cos(0.9).
  EXPECT_NEAR(r.threshold, std::cos(0.9), 1e-5);
  // a (cos 0.1) and b (cos 0.05) are detected; c is not at rank 1.
  EXPECT_NEAR(r.dir_at_far, 2.0 / 3.0, 1e-9);
}

// The scored form runs the same protocol on any score: here a table where
// the second "model" puts c's probe back on its mate.
TEST(Identification, ScoredFormRanksByTheGivenScore) {
  const std::vector<std::string> gallery = {"a", "b", "c"};
  const std::vector<std::string> probes = {"a", "c", "z"};
  const double table[3][3] = {{0.9, 0.1, 0.2}, {0.1, 0.6, 0.5}, {0.3, 0.2, 0.1}};
  auto first = EvaluateIdentificationScored(gallery, probes, [&](size_t p, size_t g) { return table[p][g]; }, 0.5);
  EXPECT_EQ(first.probes, 2u);
  EXPECT_EQ(first.probes_without_mate, 1u);
  EXPECT_NEAR(first.rank1, 0.5, 1e-9);  // c's probe scores b (0.6) above c (0.5)
  // A fused score: the first table plus a second one that separates c.
  const double second[3][3] = {{0.8, 0.0, 0.1}, {0.0, 0.1, 0.9}, {0.0, 0.0, 0.0}};
  auto fused = EvaluateIdentificationScored(
      gallery, probes, [&](size_t p, size_t g) { return table[p][g] + second[p][g]; }, 0.5);
  EXPECT_NEAR(fused.rank1, 1.0, 1e-9);
  // Non-mated bests: a -> 0.3 (c: 0.2 + 0.1), c -> 0.7 (b: 0.6 + 0.1); far 0.5 of 2 allows one: t just above 0.3.
  EXPECT_NEAR(fused.threshold, 0.3, 1e-9);
  EXPECT_GT(fused.threshold, 0.3);
  EXPECT_NEAR(fused.dir_at_far, 1.0, 1e-9);  // mates 1.7 and 1.4
}

}  // namespace
}  // namespace facekit::eval
