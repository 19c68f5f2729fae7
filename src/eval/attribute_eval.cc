#include "eval/attribute_eval.h"

#include <algorithm>
#include <numeric>
#include <sstream>

namespace facekit::eval {

Result<std::vector<GenderLabel>> ParseGenderLabels(const std::string& text) {
  std::vector<GenderLabel> out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string image, sex, extra;
    fields >> image >> sex;
    const size_t slash = image.find('/');
    if (image.empty() || (sex != "F" && sex != "M") || (fields >> extra) || slash == 0 || slash == std::string::npos ||
        slash + 1 == image.size()) {
      return Status(StatusCode::kInvalidArgument, "gender labels line " + std::to_string(number) +
                                                      ": expected '<person>/<file> F|M', got '" + line + "'");
    }
    out.push_back({image, image.substr(0, slash), sex == "M"});
  }
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

int GenderConfusion::total() const { return counts[0][0] + counts[0][1] + counts[1][0] + counts[1][1]; }

double GenderConfusion::accuracy() const {
  const int n = total();
  return n == 0 ? 0.0 : static_cast<double>(counts[0][0] + counts[1][1]) / n;
}

double GenderConfusion::balanced_accuracy() const {
  double sum = 0;
  int classes = 0;
  for (int c = 0; c < 2; ++c) {
    const int n = counts[c][0] + counts[c][1];
    if (n == 0) continue;
    sum += static_cast<double>(counts[c][c]) / n;
    ++classes;
  }
  return classes == 0 ? 0.0 : sum / classes;
}

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

}  // namespace facekit::eval
