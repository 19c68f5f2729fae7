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
//   ExclusionList is an explicit, reviewed list of pairs whose labels are
//   wrong (the same person under two names, the same photo twice); Build
//   leaves those pairs out and records which entry removed each one.
//   OpenSetSearch measures 1:N false alarms directly: every probe (a person
//   absent from the gallery) searched against the whole gallery, the best
//   similarity per probe.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "facekit/engine.h"

namespace facekit::eval {

/// One reviewed label error. Each side is a person ("Name": all of that
/// person's images) or one image ("Name/Name_0001.jpg"); the entry removes
/// every pair with one image matching `a` and the other matching `b`.
struct Exclusion {
  std::string kind;  ///< "same-person" or "same-photo"
  std::string a, b;
  std::string reason;
  int line = 0;  ///< line in the list file
};

/// The exclusion list file: one entry per line, `KIND A B REASON...`, with
/// KIND `same-person` or `same-photo` and a non-empty free-text reason;
/// blank lines and lines starting with '#' are ignored.
struct ExclusionList {
  std::vector<Exclusion> entries;
  static Result<ExclusionList> Parse(const std::string& text);
  static Result<ExclusionList> Load(const std::string& path);
};

/// Labelled images: embedding, person and file of each.
struct LabelledSet {
  std::vector<Embedding> embeddings;
  std::vector<int> identity;       ///< index into `names`
  std::vector<std::string> names;  ///< person names
  std::vector<std::string> files;  ///< "Name/Name_0001.jpg"
  std::vector<bool> detected;      ///< a face was detected (else the centred fallback was embedded)
  std::vector<int> faces;          ///< faces detected in the image
  std::vector<bool> central;       ///< the embedded face covers the image centre
  void Add(Embedding e, int person, std::string file, bool face_detected, int face_count = 1, bool covers_centre = true);
};

/// Which exclusion entry (if any) removes a pair of images, one from set `x`
/// and one from set `y` (the same set for within-set pairs).
class PairExcluder {
 public:
  PairExcluder() = default;
  PairExcluder(const ExclusionList& list, const LabelledSet& x, const LabelledSet& y);
  /// Index of the first entry matching (x image i, y image j), or -1.
  int Match(size_t i, size_t j) const;

 private:
  // Per image: the entries whose side a / side b names it (empty for the
  // many images no entry names).
  struct Marks {
    std::vector<int> a, b;
  };
  std::vector<Marks> x_marks_, y_marks_;
};

/// A pair of images with its similarity (indices into the set(s) it came from).
struct ScoredPair {
  size_t i = 0, j = 0;
  float similarity = 0;
  int exclusion = -1;  ///< entry that removed the pair, -1 when kept
  bool genuine = false;
};

struct SimilarityDistribution {
  std::vector<float> impostor;  ///< sorted ascending after Build
  std::vector<float> genuine;   ///< sorted ascending after Build
  size_t people = 0, images = 0;
  std::vector<ScoredPair> excluded;       ///< pairs removed by the exclusion list
  std::vector<ScoredPair> top_impostors;  ///< the most similar kept impostor pairs, most similar first

  /// All pairs of `embeddings`, labelled by `identity` (same index), less the
  /// pairs `excluder` matches; keeps the `keep_top` most similar impostors.
  static SimilarityDistribution Build(const std::vector<Embedding>& embeddings, const std::vector<int>& identity,
                                      const PairExcluder* excluder = nullptr, size_t keep_top = 0);
};

/// Open-set 1:N search of probes whose people are absent from the gallery:
/// per probe, the best similarity over the gallery (pairs the excluder
/// matches are skipped).
struct OpenSetSearch {
  std::vector<ScoredPair> best;  ///< per probe: (probe, best gallery image, similarity), most similar first
  std::vector<float> best_sorted;  ///< the best similarities, ascending
  std::vector<ScoredPair> excluded;  ///< probe-gallery pairs the excluder removed, most similar first
  size_t gallery = 0;

  static OpenSetSearch Run(const std::vector<Embedding>& probes, const std::vector<Embedding>& gallery,
                           const PairExcluder* excluder = nullptr);
  /// Fraction of probes whose best similarity is >= `threshold` (a false
  /// alarm on a gallery of `gallery` faces).
  double FalseAlarmAt(float threshold) const;
};

/// Exact (Garwood) two-sided `confidence` interval for the mean of a Poisson
/// count observed as `k`: {lower, upper}; lower is 0 when k is 0.
std::array<double, 2> PoissonInterval(size_t k, double confidence = 0.95);

/// The 1:N false alarm rate measured on a gallery of `measured_gallery`
/// faces, carried to `target_gallery` faces assuming independent
/// comparisons: 1 - (1 - rate)^(target / measured).
double ExtrapolateFalseAlarm(double rate, double measured_gallery, double target_gallery);

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

/// The 1:N search score map. The cloud API's two scales agree on the
/// per-comparison false accept rate, 10^-(score/10 - 1): 40 / 50 / 60 are
/// 1e-3 / 1e-4 / 1e-5 in 1:1, and 70 / 80 / 90 (1:N 1 % / 0.1 % / 0.01 % on
/// 10,000 faces) are about 1e-6 / 1e-7 / 1e-8. So the search map continues
/// the 1:1 one: (-1, 0), (t_1e-3, 40), (t_1e-4, 50), (t_1e-5, 60), (t_70, 70),
/// (t_80, 80), (t_90, 90), (1, 100), made strictly increasing; a stranger
/// scores as low in a search as in a comparison.
std::vector<std::array<float, 2>> SearchScorePoints(float t_1e3, float t_1e4, float t_1e5, float t_70, float t_80,
                                                    float t_90);

}  // namespace facekit::eval
