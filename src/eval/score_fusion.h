// score_fusion.h - one verification score from two embedders' scores.
//
// WHAT THIS REPRESENTS
//   A fusion of two similarity scores of the same pair (MobileFaceNet's
//   cosine and ResNet-128's), fitted on training pairs only and then applied
//   unchanged to any pair:
//     kZScore:   z_a + z_b, each score z-normalised by the mean and standard
//                deviation of the training impostor scores of its model;
//     kLogistic: w_a z_a + w_b z_b + bias, a logistic regression of
//                "same person" on the two z-scores (Newton's method with a
//                small ridge penalty, so that separable training data still
//                gives finite weights). The fused value is the logit.
//   Fitting is deterministic: closed-form statistics and a fixed number of
//   Newton steps from zero, in pair order.
//
// THREAD SAFETY
//   Pure functions; ScoreFusion is an immutable value.
#pragma once

#include <string>
#include <vector>

#include "eval/verification_metrics.h"
#include "facekit/status.h"

namespace facekit::eval {

enum class FusionKind { kZScore, kLogistic };

struct ScoreFusion {
  FusionKind kind = FusionKind::kZScore;
  double mean_a = 0, std_a = 1, mean_b = 0, std_b = 1;  ///< impostor statistics per model
  double w_a = 1, w_b = 1, bias = 0;
  double Apply(double a, double b) const { return w_a * (a - mean_a) / std_a + w_b * (b - mean_b) / std_b + bias; }
};

/// "zscore" / "logistic".
std::string FusionKindName(FusionKind kind);
Result<FusionKind> ParseFusionKind(const std::string& name);

/// Fits a fusion on training pairs scored by both models: `a[i]` and `b[i]`
/// are the same pair (same `same` flag). kInvalidArgument when the lists
/// differ in length or labels, or lack genuine or impostor pairs.
Result<ScoreFusion> FitScoreFusion(FusionKind kind, const std::vector<ScoredPair>& a, const std::vector<ScoredPair>& b,
                                   double ridge = 1e-2);

/// The fused pairs (score = fusion.Apply(a, b); label and fold of `a`).
std::vector<ScoredPair> FuseScores(const ScoreFusion& fusion, const std::vector<ScoredPair>& a,
                                   const std::vector<ScoredPair>& b);

}  // namespace facekit::eval
