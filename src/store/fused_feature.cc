#include "store/fused_feature.h"

#include <cmath>

namespace facekit::store {

std::vector<float> NormalisedMean(const std::vector<std::vector<float>>& vectors) {
  if (vectors.empty()) return {};
  std::vector<double> sum(vectors[0].size(), 0.0);
  for (const auto& v : vectors) {
    for (std::size_t i = 0; i < sum.size() && i < v.size(); ++i) sum[i] += v[i];
  }
  double norm = 0;
  for (double x : sum) norm += x * x;
  norm = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
  std::vector<float> out(sum.size());
  for (std::size_t i = 0; i < sum.size(); ++i) out[i] = static_cast<float>(sum[i] * norm);
  return out;
}

}  // namespace facekit::store
