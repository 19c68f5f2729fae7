// verification_metrics.h - 1:1 verification metrics from per-pair scores.
//
// WHAT THIS REPRESENTS
//   Given similarity scores of genuine (same person) and impostor pairs:
//   ROC AUC (Mann-Whitney, ties count one half), equal error rate, true
//   accept rate at given false accept rates, and the confusion matrix with
//   precision, recall and F1 at a threshold (score >= threshold means
//   "same"). EvaluateFolds implements the LFW protocol: for each fold the
//   accuracy-maximising threshold is chosen on the other folds and applied
//   to it; with one fold, a threshold chosen on separate training pairs is
//   applied instead.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace facekit::eval {

struct ScoredPair {
  float score = 0.f;
  bool same = false;
  int fold = 0;
};

struct Confusion {
  long tp = 0, fp = 0, tn = 0, fn = 0;
  double precision() const { return tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0.0; }
  double recall() const { return tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0.0; }
  double f1() const {
    double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  }
  double accuracy() const {
    long n = tp + fp + tn + fn;
    return n ? static_cast<double>(tp + tn) / static_cast<double>(n) : 0.0;
  }
};

Confusion ConfusionAt(const std::vector<ScoredPair>& pairs, float threshold);

/// The accuracy-maximising threshold (midpoint between adjacent sorted
/// scores; ties broken towards the middle of the best interval).
float BestThreshold(const std::vector<ScoredPair>& pairs);

/// Area under the ROC curve.
double RocAuc(const std::vector<ScoredPair>& pairs);

/// Equal error rate: where the false accept and false reject rates cross
/// (their mean at the threshold where they are closest).
double EqualErrorRate(const std::vector<ScoredPair>& pairs);

/// True accept rate at the largest threshold whose false accept rate is at
/// most `far`. With n impostors the smallest resolvable FAR is 1/n; below
/// that the threshold sits above every impostor (FAR 0).
double TarAtFar(const std::vector<ScoredPair>& pairs, double far);

/// ROC points (FAR, TAR), one per distinct threshold, FAR increasing.
std::vector<std::pair<double, double>> RocCurve(const std::vector<ScoredPair>& pairs);

struct VerificationReport {
  double accuracy_mean = 0, accuracy_std = 0;
  std::vector<double> fold_accuracy;
  std::vector<float> fold_threshold;
  float threshold = 0;  ///< mean of the fold thresholds (the single threshold with one fold)
  Confusion confusion;  ///< each fold at its own threshold, summed
  double auc = 0, eer = 0;
  std::map<double, double> tar_at_far;
};

/// `pairs` carry their fold; `train` (may be empty) supplies the threshold
/// when there is a single fold; `fixed_threshold` (if >= -1) overrides both.
VerificationReport EvaluateFolds(const std::vector<ScoredPair>& pairs, const std::vector<ScoredPair>& train,
                                 float fixed_threshold, const std::vector<double>& fars);

}  // namespace facekit::eval
