// calibration.h - score calibration from impostor and genuine similarities.
//
// WHAT THIS REPRESENTS
//   SimilarityDistribution holds the cosine similarities of impostor pairs
//   (different people) and genuine pairs (same person) of a labelled image
//   set. ThresholdAtFar gives the smallest threshold whose false accept rate
//   (fraction of impostor similarities >= threshold) is at most `far`; FarAt
//   and TarAt measure a threshold on another (held-out) distribution.
//   ScorePoints turns thresholds for false accept rates 1e-3 / 1e-4 / 1e-5
//   into the piecewise-linear 0-100 score map of the manifest, so that
//   score 40 / 50 / 60 sits at those rates as in the cloud API's 1:1 scores.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "facekit/engine.h"

namespace facekit::eval {

struct SimilarityDistribution {
  std::vector<float> impostor;  ///< sorted ascending after Build
  std::vector<float> genuine;   ///< sorted ascending after Build
  size_t people = 0, images = 0;

  /// All pairs of `embeddings`, labelled by `identity` (same index).
  static SimilarityDistribution Build(const std::vector<Embedding>& embeddings, const std::vector<int>& identity);
};

float ThresholdAtFar(const std::vector<float>& impostor_sorted, double far);
double FarAt(const std::vector<float>& impostor_sorted, float threshold);
double TarAt(const std::vector<float>& genuine_sorted, float threshold);

/// An exponential model of the impostor tail, log10 FAR(t) = slope * t +
/// intercept, fitted by least squares to the empirical FAR at the thresholds
/// for rates `fit_fars` (all must be resolvable); used to reach rates below
/// the impostor set's resolution.
struct TailModel {
  double slope = 0, intercept = 0;
  double FarAt(float t) const;
  float ThresholdAt(double far) const;
};
TailModel FitTail(const std::vector<float>& impostor_sorted, const std::vector<double>& fit_fars);

/// Per-comparison false accept rate that gives a 1:N false alarm rate
/// `rate_1n` for a probe searched against `gallery` non-matching faces:
/// 1 - (1 - rate_1n)^(1/gallery).
double PerPairFar(double rate_1n, double gallery);

/// (similarity, score) points: (-1, 0), (t_1e-3, 40), (t_1e-4, 50), (t_1e-5, 60), (1, 100),
/// made strictly increasing when thresholds coincide (too few impostors).
std::vector<std::array<float, 2>> ScorePoints(float t_1e3, float t_1e4, float t_1e5);

/// The same shape for 1:N search scores: 70 / 80 / 90 at the given thresholds.
std::vector<std::array<float, 2>> SearchScorePoints(float t_70, float t_80, float t_90);

}  // namespace facekit::eval
