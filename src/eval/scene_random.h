// eval/scene_random.h - SceneRandom: the deterministic random numbers of the
// synthetic liveness scenes.
//
// WHAT THIS REPRESENTS
//   A std::mt19937_64 (whose output sequence the C++ standard fixes) with
//   its own uniform mapping, so that a seed gives the same scenes on every
//   standard library (std::uniform_real_distribution's algorithm is not
//   specified). Seeds of sub-streams are derived with SplitMix64.
//
// THREAD SAFETY
//   None; one per scene.
#pragma once

#include <cstdint>
#include <random>

namespace facekit::eval {

class SceneRandom {
 public:
  explicit SceneRandom(std::uint64_t seed) : engine_(seed) {}

  /// A seed derived from `seed` and a stream number (SplitMix64 of both).
  static std::uint64_t Derive(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  /// Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  /// Uniform integer in [0, n); 0 when n <= 0.
  int Index(int n) { return n <= 0 ? 0 : static_cast<int>(Uniform() * n); }
  /// True with probability p.
  bool Chance(double p) { return Uniform() < p; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace facekit::eval
