// attribute_eval.h - labels and metrics for `facekit eval attributes`.
//
// WHAT THIS REPRESENTS
//   Reading the gender labels (one "<Name>/<file> F|M" line per image, as in
//   ../shared/data/lfw-view1/gender.txt) and an LFW people list (the
//   held-out split), and the figures the command reports: the gender
//   confusion matrix with accuracy and balanced accuracy, an age histogram,
//   and an expression distribution. The shared data has no age or expression
//   labels; the project's own (tools/labels/: birth years of well-known LFW
//   people, expressions labelled by eye) are read here too, and scored as
//   age error (MAE, bias, by decade) and an expression confusion matrix over
//   happy / neutral / other (docs/attributes.md).
//
// THREAD SAFETY
//   Pure functions and values.
#pragma once

#include <array>
#include <map>
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

/// Parses gender label lines. Blank and '#' comment lines are skipped; any other line that
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

/// Birth years: "<person> <year>" per line; '#' starts a comment line,
/// blank lines are skipped. A malformed line, a year outside 1850-2030 or a
/// person listed twice fails with kInvalidArgument naming the line.
Result<std::map<std::string, int>> ParseBirthYears(const std::string& text);

/// The three expression classes scored (the cloud API's Expression is a
/// smile score, so "happy" is the one that matters most).
enum class ExpressionClass { kHappy = 0, kNeutral = 1, kOther = 2 };
inline constexpr int kExpressionClasses = 3;
const char* ExpressionClassName(ExpressionClass c);
/// A model's label mapped onto the three classes: "happy" and "neutral" are
/// themselves, every other label (angry, disgust, fear, sad, surprise, ...) is
/// kOther.
ExpressionClass ExpressionClassOf(const std::string& model_label);

/// Expression labels: "<person>/<file> happy|neutral|other|unclear" per line
/// ('#' comments, blank lines skipped). "unclear" photos are kept out of the
/// map (not scored) and counted in `*unclear` when given.
Result<std::map<std::string, ExpressionClass>> ParseExpressionLabels(const std::string& text, int* unclear = nullptr);

/// Rows: the true class; columns: the predicted class (ExpressionClass order).
struct ExpressionConfusion {
  std::array<std::array<int, kExpressionClasses>, kExpressionClasses> counts{};
  /// Smile as the cloud reports it (P(happy) >= 0.5) against "happy".
  std::array<std::array<int, 2>, 2> smile{};  // rows: true not-happy, happy; columns: predicted
  void Add(ExpressionClass truth, ExpressionClass predicted, bool smile_predicted);
  int total() const;
  double accuracy() const;
  /// Mean recall over the classes that have samples.
  double balanced_accuracy() const;
  double smile_accuracy() const;
};

/// Age error against labels: absolute error per photo, and per person (each
/// person's mean absolute error, then the mean over people, so one person
/// with a hundred photos does not dominate).
struct AgeError {
  struct Decade {
    int count = 0;
    double abs_sum = 0, signed_sum = 0;
  };
  std::vector<double> abs_errors;
  double signed_sum = 0;
  std::map<std::string, std::pair<double, int>> per_person;  // abs sum, count
  std::array<Decade, 10> by_true_decade{};                 // [0,10), ... [90, inf)
  void Add(const std::string& person, double true_age, double predicted_age);
  int count() const { return static_cast<int>(abs_errors.size()); }
  double mae() const;
  /// Mean of (predicted - true): negative = the model reads people as younger.
  double bias() const;
  double median_abs() const;
  /// Fraction of photos within `years` of the label.
  double within(double years) const;
  double person_mae() const;
};

}  // namespace facekit::eval
