// attribute_eval.h - labels and metrics for `facekit eval attributes`.
//
// WHAT THIS REPRESENTS
//   Reading the gender labels (one "<Name>/<file> F|M" line per image, as in
//   ../shared/data/lfw-view1/gender.txt) and an LFW people list (the
//   held-out split), and the figures the command reports: the gender
//   confusion matrix with accuracy and balanced accuracy, an age histogram,
//   and an expression distribution. No age or expression labels exist in the
//   shared data, so those two are distributions, not accuracies
//   (docs/attributes.md).
//
// THREAD SAFETY
//   Pure functions and values.
#pragma once

#include <array>
#include <set>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::eval {

struct GenderLabel {
  std::string image;  ///< path relative to the image folder ("Name/Name_0001.jpg")
  std::string person;
  bool male = false;
};

/// Parses gender label lines. Blank lines are skipped; any other line that
/// is not "<person>/<file> F|M" fails with kInvalidArgument naming it.
Result<std::vector<GenderLabel>> ParseGenderLabels(const std::string& text);

/// The names of an LFW people file (first line: a count; then "name<TAB>n").
Result<std::set<std::string>> ParseLfwPeople(const std::string& text);

/// Rows: true female, true male; columns: predicted female, predicted male.
struct GenderConfusion {
  std::array<std::array<int, 2>, 2> counts{};
  void Add(bool true_male, bool predicted_male) { ++counts[true_male ? 1 : 0][predicted_male ? 1 : 0]; }
  int total() const;
  /// Fraction correct; 0 for no samples.
  double accuracy() const;
  /// Mean of the per-class recalls (female and male); classes without
  /// samples are left out.
  double balanced_accuracy() const;
};

/// Counts of values in bins [0,10), [10,20), ... [90, inf).
struct AgeHistogram {
  std::array<int, 10> decades{};
  std::vector<float> values;
  void Add(float age);
  /// Median of the values added (0 for none).
  float median() const;
  float mean() const;
};

}  // namespace facekit::eval
