// Synthetic face-embedding galleries for search benchmarks.
//
// Uniformly random unit vectors are the worst case for approximate search and
// unlike real embeddings, whose variance sits in fewer directions and which
// share a common mean. The generator draws identities and faces from a model
// with those traits, its three constants chosen so that the cosine statistics
// match what MobileFaceNet gives on LFW (see docs/gallery.md): impostor mean
// about 0.07 and standard deviation about 0.12, the same person about 0.6.
//   identity centre c = normalise(a * m + D g),  g ~ N(0, I)
//   face            x = normalise(c + b * D h),  h ~ N(0, I)
// with m a fixed unit vector and D = diag(exp(-i / tau)) scaled to unit norm.
// Deterministic for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace facekit::eval {

struct SyntheticOptions {
  int dim = 192;
  std::size_t faces_per_identity = 3;
  double common = 0.30;  // a
  double tau = 60.0;     // spectrum decay (effective dimension about 1/impostor variance)
  double within = 0.70;  // b
  std::uint64_t seed = 42;
};

class SyntheticGallery {
 public:
  explicit SyntheticGallery(SyntheticOptions options);

  // `count` faces, row-major; identity of face i is i / faces_per_identity.
  std::vector<float> Faces(std::size_t count);
  // Faces [first, first + count) of that sequence (each face depends only on
  // its position): a large gallery made a chunk at a time.
  std::vector<float> FacesRange(std::size_t first, std::size_t count);
  // A new face of identity `identity` (a probe of an enrolled person).
  std::vector<float> Probe(std::size_t identity);

  struct Stats {
    double impostor_mean = 0, impostor_std = 0, genuine_mean = 0;
  };
  // Cosine statistics measured on fresh samples.
  Stats Measure(std::size_t pairs);

 private:
  std::vector<float> Centre(std::size_t identity) const;
  void Face(const std::vector<float>& centre, std::uint64_t stream, float* out) const;

  SyntheticOptions options_;
  std::vector<double> spectrum_;
  std::vector<double> common_;
  std::uint64_t probe_counter_ = 0;
};

// A face id for face `index` as the service makes them (19 decimal digits, as
// the cloud API's FaceIds), so that a synthetic gallery's records cost what a
// real one's do (a 19-character id does not fit std::string's inline buffer).
// Unique for index < 10^9; deterministic for a seed.
std::string SyntheticFaceId(std::uint64_t seed, std::size_t index);

}  // namespace facekit::eval
