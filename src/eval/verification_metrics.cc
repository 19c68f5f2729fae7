#include "eval/verification_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>


namespace facekit::eval {
namespace {

void Split(const std::vector<ScoredPair>& pairs, std::vector<float>* genuine, std::vector<float>* impostor) {
  for (const ScoredPair& p : pairs) (p.same ? genuine : impostor)->push_back(p.score);
  std::sort(genuine->begin(), genuine->end());
  std::sort(impostor->begin(), impostor->end());
}

// Fraction of sorted values >= t.
double FractionAtLeast(const std::vector<float>& sorted, float t) {
  if (sorted.empty()) return 0.0;
  auto it = std::lower_bound(sorted.begin(), sorted.end(), t);
  return static_cast<double>(sorted.end() - it) / static_cast<double>(sorted.size());
}

}  // namespace

float BestThreshold(const std::vector<ScoredPair>& pairs) {
  std::vector<float> scores;
  std::vector<bool> same;
  for (const ScoredPair& p : pairs) {
    scores.push_back(p.score);
    same.push_back(p.same);
  }
  if (scores.empty()) return 0.f;
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Threshold below everything: all predicted same.
  long correct = std::count(same.begin(), same.end(), true);
  long best = correct;
  size_t best_lo = 0, best_hi = 0;  // best interval of cut positions [lo, hi]
  for (size_t k = 0; k < order.size(); ++k) {
    // Cut after k (scores[order[0..k]] predicted different).
    correct += same[order[k]] ? -1 : 1;
    if (k + 1 < order.size() && scores[order[k]] == scores[order[k + 1]]) continue;
    if (correct > best) {
      best = correct;
      best_lo = best_hi = k + 1;
    } else if (correct == best && best_hi == k) {
      best_hi = k + 1;
    }
  }
  size_t cut = (best_lo + best_hi) / 2;
  if (cut == 0) return scores[order[0]] - 1e-6f;
  if (cut >= order.size()) return scores[order.back()] + 1e-6f;
  return 0.5f * (scores[order[cut - 1]] + scores[order[cut]]);
}

Confusion ConfusionAt(const std::vector<ScoredPair>& pairs, float threshold) {
  Confusion c;
  for (const ScoredPair& p : pairs) {
    bool accept = p.score >= threshold;
    if (accept && p.same) ++c.tp;
    else if (accept) ++c.fp;
    else if (p.same) ++c.fn;
    else ++c.tn;
  }
  return c;
}

double RocAuc(const std::vector<ScoredPair>& pairs) {
  std::vector<float> g, im;
  Split(pairs, &g, &im);
  if (g.empty() || im.empty()) return 0.0;
  double wins = 0;
  for (float s : g) {
    auto lo = std::lower_bound(im.begin(), im.end(), s);
    auto hi = std::upper_bound(im.begin(), im.end(), s);
    wins += static_cast<double>(lo - im.begin()) + 0.5 * static_cast<double>(hi - lo);
  }
  return wins / (static_cast<double>(g.size()) * static_cast<double>(im.size()));
}

double EqualErrorRate(const std::vector<ScoredPair>& pairs) {
  std::vector<float> g, im;
  Split(pairs, &g, &im);
  if (g.empty() || im.empty()) return 0.0;
  std::set<float> thresholds;
  for (const ScoredPair& p : pairs) thresholds.insert(p.score);
  double best_gap = 2, eer = 1;
  for (float t : thresholds) {
    double far = FractionAtLeast(im, t);
    double frr = 1.0 - FractionAtLeast(g, t);
    double gap = std::fabs(far - frr);
    if (gap < best_gap) {
      best_gap = gap;
      eer = 0.5 * (far + frr);
    }
  }
  return eer;
}

double TarAtFar(const std::vector<ScoredPair>& pairs, double far) {
  std::vector<float> g, im;
  Split(pairs, &g, &im);
  if (g.empty() || im.empty()) return 0.0;
  // Allow k impostors at or above the threshold: the threshold is just above
  // the (k+1)-th highest impostor score.
  const size_t k = static_cast<size_t>(std::floor(far * static_cast<double>(im.size()) + 1e-9));
  if (k >= im.size()) return 1.0;
  const float above = im[im.size() - 1 - k];
  auto it = std::upper_bound(g.begin(), g.end(), above);
  return static_cast<double>(g.end() - it) / static_cast<double>(g.size());
}

std::vector<std::pair<double, double>> RocCurve(const std::vector<ScoredPair>& pairs) {
  std::vector<float> g, im;
  Split(pairs, &g, &im);
  std::vector<std::pair<double, double>> roc;
  if (g.empty() || im.empty()) return roc;
  std::set<float, std::greater<float>> thresholds;
  for (const ScoredPair& p : pairs) thresholds.insert(p.score);
  for (float t : thresholds) roc.emplace_back(FractionAtLeast(im, t), FractionAtLeast(g, t));
  return roc;
}

VerificationReport EvaluateFolds(const std::vector<ScoredPair>& pairs, const std::vector<ScoredPair>& train,
                                 float fixed_threshold, const std::vector<double>& fars) {
  VerificationReport r;
  int folds = 0;
  for (const ScoredPair& p : pairs) folds = std::max(folds, p.fold + 1);
  for (int f = 0; f < folds; ++f) {
    std::vector<ScoredPair> test, rest;
    for (const ScoredPair& p : pairs) (p.fold == f ? test : rest).push_back(p);
    float t;
    if (fixed_threshold >= -1.f) {
      t = fixed_threshold;
    } else if (folds > 1) {
      t = BestThreshold(rest);
    } else {
      t = BestThreshold(train.empty() ? test : train);
    }
    Confusion c = ConfusionAt(test, t);
    r.fold_accuracy.push_back(c.accuracy());
    r.fold_threshold.push_back(t);
    r.confusion.tp += c.tp;
    r.confusion.fp += c.fp;
    r.confusion.tn += c.tn;
    r.confusion.fn += c.fn;
  }
  if (folds > 0) {
    double n = static_cast<double>(folds);
    r.accuracy_mean = std::accumulate(r.fold_accuracy.begin(), r.fold_accuracy.end(), 0.0) / n;
    double var = 0;
    for (double a : r.fold_accuracy) var += (a - r.accuracy_mean) * (a - r.accuracy_mean);
    r.accuracy_std = folds > 1 ? std::sqrt(var / n) : 0.0;
    r.threshold = static_cast<float>(
        std::accumulate(r.fold_threshold.begin(), r.fold_threshold.end(), 0.0) / n);
  }
  r.auc = RocAuc(pairs);
  r.eer = EqualErrorRate(pairs);
  for (double f : fars) r.tar_at_far[f] = TarAtFar(pairs, f);
  return r;
}

}  // namespace facekit::eval
