// 1:N identification metrics (closed-set rank-1, open-set detection rate at
// a false-alarm rate), for `facekit eval identify`.
//
// Open set, leave-mate-out: every probe is searched twice in effect, once as
// a mated search (its person is enrolled) and once as a non-mated search
// (the same gallery without its person). The false-alarm rate at threshold t
// is the share of non-mated searches whose best score is >= t; the detection
// and identification rate (DIR) is the share of mated searches whose own
// person is at rank 1 with a score >= t. t is set where the false-alarm rate
// is the requested one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "facekit/engine.h"

namespace facekit::eval {

struct IdentityEmbedding {
  std::string person;
  Embedding embedding;
};

struct IdentificationResult {
  std::size_t probes = 0;
  std::size_t gallery = 0;
  std::size_t probes_without_mate = 0;  // skipped: their person is not enrolled
  double rank1 = 0;
  double rank5 = 0;
  double far = 0.01;
  double threshold = 0;  // similarity where the non-mated false-alarm rate is `far`
  double dir_at_far = 0;
};

// Gallery person ids must be unique. Scores are cosine similarities.
IdentificationResult EvaluateIdentification(const std::vector<IdentityEmbedding>& gallery,
                                            const std::vector<IdentityEmbedding>& probes, double far = 0.01);

// The same protocol with any score (higher = more alike): `score(p, g)` is
// probe p's score against gallery entry g; `gallery_people[g]` and
// `probe_people[p]` name their persons. Used for fused scores of two
// embedders (docs/embedders.md).
IdentificationResult EvaluateIdentificationScored(const std::vector<std::string>& gallery_people,
                                                  const std::vector<std::string>& probe_people,
                                                  const std::function<double(std::size_t, std::size_t)>& score,
                                                  double far = 0.01);

}  // namespace facekit::eval
