#include "eval/attribute_eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace facekit::eval {

namespace {

// Square confusion matrices (rows: truth, columns: prediction), shared by
// gender, expression and smile.
template <std::size_t N>
using Matrix = std::array<std::array<int, N>, N>;

template <std::size_t N>
int MatrixTotal(const Matrix<N>& m) {
  int n = 0;
  for (const auto& row : m) n += std::accumulate(row.begin(), row.end(), 0);
  return n;
}

// Fraction on the diagonal; 0 for no samples.
template <std::size_t N>
double MatrixAccuracy(const Matrix<N>& m) {
  const int n = MatrixTotal(m);
  int right = 0;
  for (std::size_t c = 0; c < N; ++c) right += m[c][c];
  return n == 0 ? 0.0 : static_cast<double>(right) / n;
}

// Mean recall over the classes (rows) that have samples; 0 for none.
template <std::size_t N>
double MatrixBalancedAccuracy(const Matrix<N>& m) {
  double sum = 0;
  int classes = 0;
  for (std::size_t c = 0; c < N; ++c) {
    const int n = std::accumulate(m[c].begin(), m[c].end(), 0);
    if (n == 0) continue;
    sum += static_cast<double>(m[c][c]) / n;
    ++classes;
  }
  return classes == 0 ? 0.0 : sum / classes;
}

// Calls `line_fn(number, fields)` for every line that is not blank or a '#' comment.
template <typename Fn>
Status ForEachDataLine(const std::string& text, Fn line_fn) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (Status s = line_fn(number, line); !s.ok()) return s;
  }
  return Status::Ok();
}

Status BadLine(const std::string& what, int number, const std::string& expected, const std::string& line) {
  return Status(StatusCode::kInvalidArgument,
                what + " line " + std::to_string(number) + ": expected '" + expected + "', got '" + line + "'");
}

}  // namespace

Result<std::vector<GenderLabel>> ParseGenderLabels(const std::string& text) {
  std::vector<GenderLabel> out;
  Status s = ForEachDataLine(text, [&](int number, const std::string& line) {
    std::istringstream fields(line);
    std::string image, sex, extra;
    fields >> image >> sex;
    const size_t slash = image.find('/');
    if (image.empty() || (sex != "F" && sex != "M") || (fields >> extra) || slash == 0 || slash == std::string::npos ||
        slash + 1 == image.size()) {
      return BadLine("gender labels", number, "<person>/<file> F|M", line);
    }
    out.push_back({image, image.substr(0, slash), sex == "M"});
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::set<std::string>> ParseLfwPeople(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::set<std::string> names;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::string name;
    int count = 0;
    if (number == 1) {
      if (!(fields >> count) || count < 0) {
        return Status(StatusCode::kInvalidArgument, "people list: the first line must be a count");
      }
      continue;
    }
    if (line.empty()) continue;
    if (!(fields >> name >> count) || count < 1) {
      return Status(StatusCode::kInvalidArgument,
                    "people list line " + std::to_string(number) + ": expected '<name> <count>', got '" + line + "'");
    }
    names.insert(name);
  }
  if (number == 0) return Status(StatusCode::kInvalidArgument, "people list is empty");
  return names;
}

int GenderConfusion::total() const { return MatrixTotal(counts); }
double GenderConfusion::accuracy() const { return MatrixAccuracy(counts); }
double GenderConfusion::balanced_accuracy() const { return MatrixBalancedAccuracy(counts); }

void AgeHistogram::Add(float age) {
  const int bin = std::clamp(static_cast<int>(age / 10.f), 0, 9);
  ++decades[static_cast<size_t>(bin)];
  values.push_back(age);
}

float AgeHistogram::median() const {
  if (values.empty()) return 0.f;
  std::vector<float> v = values;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  if (v.size() % 2 == 1) return v[mid];
  const float upper = v[mid];
  const float lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

float AgeHistogram::mean() const {
  if (values.empty()) return 0.f;
  return static_cast<float>(std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size()));
}


Result<std::map<std::string, int>> ParseBirthYears(const std::string& text) {
  std::map<std::string, int> out;
  Status s = ForEachDataLine(text, [&](int number, const std::string& line) {
    std::istringstream fields(line);
    std::string person, extra;
    long year = 0;
    if (!(fields >> person >> year) || (fields >> extra) || year < 1850 || year > 2030) {
      return BadLine("birth years", number, "<person> <year>", line);
    }
    if (!out.emplace(person, static_cast<int>(year)).second) {
      return Status(StatusCode::kInvalidArgument,
                    "birth years line " + std::to_string(number) + ": " + person + " is listed twice");
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

const char* ExpressionClassName(ExpressionClass c) {
  switch (c) {
    case ExpressionClass::kHappy: return "happy";
    case ExpressionClass::kNeutral: return "neutral";
    case ExpressionClass::kOther: return "other";
  }
  return "other";
}

ExpressionClass ExpressionClassOf(const std::string& model_label) {
  if (model_label == "happy") return ExpressionClass::kHappy;
  if (model_label == "neutral") return ExpressionClass::kNeutral;
  return ExpressionClass::kOther;
}

Result<std::map<std::string, ExpressionClass>> ParseExpressionLabels(const std::string& text, int* unclear) {
  std::map<std::string, ExpressionClass> out;
  int skipped = 0;
  Status s = ForEachDataLine(text, [&](int number, const std::string& line) {
    std::istringstream fields(line);
    std::string image, label, extra;
    fields >> image >> label;
    const size_t slash = image.find('/');
    const bool known = label == "happy" || label == "neutral" || label == "other" || label == "unclear";
    if (!known || (fields >> extra) || slash == 0 || slash == std::string::npos || slash + 1 == image.size()) {
      return BadLine("expression labels", number, "<person>/<file> happy|neutral|other|unclear", line);
    }
    if (label == "unclear") {
      ++skipped;
      return Status::Ok();
    }
    if (!out.emplace(image, ExpressionClassOf(label)).second) {
      return Status(StatusCode::kInvalidArgument,
                    "expression labels line " + std::to_string(number) + ": " + image + " is labelled twice");
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (unclear) *unclear = skipped;
  return out;
}

void ExpressionConfusion::Add(ExpressionClass truth, ExpressionClass predicted, bool smile_predicted) {
  ++counts[static_cast<size_t>(truth)][static_cast<size_t>(predicted)];
  ++smile[truth == ExpressionClass::kHappy ? 1 : 0][smile_predicted ? 1 : 0];
}

int ExpressionConfusion::total() const { return MatrixTotal(counts); }
double ExpressionConfusion::accuracy() const { return MatrixAccuracy(counts); }
double ExpressionConfusion::balanced_accuracy() const { return MatrixBalancedAccuracy(counts); }
double ExpressionConfusion::smile_accuracy() const { return MatrixAccuracy(smile); }

void AgeError::Add(const std::string& person, double true_age, double predicted_age) {
  const double err = predicted_age - true_age;
  abs_errors.push_back(std::abs(err));
  signed_sum += err;
  auto& p = per_person[person];
  p.first += std::abs(err);
  ++p.second;
  Decade& d = by_true_decade[static_cast<size_t>(std::clamp(static_cast<int>(true_age / 10), 0, 9))];
  ++d.count;
  d.abs_sum += std::abs(err);
  d.signed_sum += err;
}

double AgeError::mae() const {
  return abs_errors.empty() ? 0.0
                            : std::accumulate(abs_errors.begin(), abs_errors.end(), 0.0) /
                                  static_cast<double>(abs_errors.size());
}

double AgeError::bias() const { return abs_errors.empty() ? 0.0 : signed_sum / static_cast<double>(abs_errors.size()); }

double AgeError::median_abs() const {
  if (abs_errors.empty()) return 0.0;
  std::vector<double> v = abs_errors;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

double AgeError::within(double years) const {
  if (abs_errors.empty()) return 0.0;
  return static_cast<double>(std::count_if(abs_errors.begin(), abs_errors.end(),
                                           [years](double e) { return e <= years; })) /
         static_cast<double>(abs_errors.size());
}

double AgeError::person_mae() const {
  if (per_person.empty()) return 0.0;
  double sum = 0;
  for (const auto& [person, p] : per_person) sum += p.first / p.second;
  return sum / static_cast<double>(per_person.size());
}

}  // namespace facekit::eval
