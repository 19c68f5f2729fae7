// Random unit vectors for index and search tests (deterministic per generator).
#pragma once

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace facekit::testing {

/// A vector of `dim` standard normal draws, scaled to unit length.
inline std::vector<float> RandomUnit(std::mt19937& rng, int dim) {
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> v(static_cast<std::size_t>(dim));
  float norm = 0;
  for (float& x : v) {
    x = n(rng);
    norm += x * x;
  }
  for (float& x : v) x /= std::sqrt(norm);
  return v;
}

}  // namespace facekit::testing
