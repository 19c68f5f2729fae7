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

}  // namespace
}  // namespace facekit::eval
