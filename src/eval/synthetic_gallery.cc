#include "eval/synthetic_gallery.h"

#include <cmath>
#include <random>

namespace facekit::eval {

namespace {

void Normalise(std::vector<double>& v) {
  double n = 0;
  for (double x : v) n += x * x;
  n = n > 0 ? 1.0 / std::sqrt(n) : 0.0;
  for (double& x : v) x *= n;
}

std::uint64_t Mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  return h;
}

}  // namespace

std::string SyntheticFaceId(std::uint64_t seed, std::size_t index) {
  // The low 9 digits are the index (unique), the others drawn from it.
  const std::uint64_t high = Mix(seed ^ 0xFACE1D, index) % 900000000ull;
  return std::to_string(1000000000000000000ull + high * 1000000000ull + index % 1000000000ull);
}

SyntheticGallery::SyntheticGallery(SyntheticOptions options) : options_(options) {
  const auto d = static_cast<std::size_t>(options_.dim);
  spectrum_.resize(d);
  double norm = 0;
  for (std::size_t i = 0; i < d; ++i) {
    spectrum_[i] = std::exp(-static_cast<double>(i) / options_.tau);
    norm += spectrum_[i] * spectrum_[i];
  }
  for (double& s : spectrum_) s /= std::sqrt(norm);
  std::mt19937_64 rng(Mix(options_.seed, 0xC0FFEE));
  std::normal_distribution<double> normal;
  common_.resize(d);
  for (double& x : common_) x = normal(rng);
  Normalise(common_);
}

std::vector<float> SyntheticGallery::Centre(std::size_t identity) const {
  std::mt19937_64 rng(Mix(options_.seed, identity * 2 + 1));
  std::normal_distribution<double> normal;
  std::vector<double> c(spectrum_.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    c[i] = options_.common * common_[i] + spectrum_[i] * normal(rng);
  }
  Normalise(c);
  return std::vector<float>(c.begin(), c.end());
}

void SyntheticGallery::Face(const std::vector<float>& centre, std::uint64_t stream, float* out) const {
  std::mt19937_64 rng(Mix(options_.seed, stream));
  std::normal_distribution<double> normal;
  std::vector<double> x(centre.size());
  const double scale = options_.within;
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = centre[i] + scale * spectrum_[i] * normal(rng);
  Normalise(x);
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(x[i]);
}

std::vector<float> SyntheticGallery::Faces(std::size_t count) { return FacesRange(0, count); }

std::vector<float> SyntheticGallery::FacesRange(std::size_t first, std::size_t count) {
  const auto d = static_cast<std::size_t>(options_.dim);
  std::vector<float> out(count * d);
  const std::size_t per = options_.faces_per_identity;
  std::vector<float> centre;
  for (std::size_t i = first; i < first + count; ++i) {
    if (i == first || i % per == 0) centre = Centre(i / per);
    Face(centre, (std::uint64_t{1} << 62) + i * 2, out.data() + (i - first) * d);
  }
  return out;
}

std::vector<float> SyntheticGallery::Probe(std::size_t identity) {
  std::vector<float> out(static_cast<std::size_t>(options_.dim));
  Face(Centre(identity), (std::uint64_t{1} << 63) + 2 * probe_counter_++ + 1, out.data());
  return out;
}

SyntheticGallery::Stats SyntheticGallery::Measure(std::size_t pairs) {
  const auto d = static_cast<std::size_t>(options_.dim);
  auto dot = [d](const float* a, const float* b) {
    double s = 0;
    for (std::size_t i = 0; i < d; ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
  };
  Stats s;
  double sum = 0, sum2 = 0, gen = 0;
  for (std::size_t p = 0; p < pairs; ++p) {
    const std::size_t a = (std::size_t{1} << 40) + 2 * p, b = a + 1;
    auto fa = Probe(a), fb = Probe(b), fa2 = Probe(a);
    const double c = dot(fa.data(), fb.data());
    sum += c;
    sum2 += c * c;
    gen += dot(fa.data(), fa2.data());
  }
  const double n = static_cast<double>(pairs);
  s.impostor_mean = sum / n;
  s.impostor_std = std::sqrt(std::max(0.0, sum2 / n - s.impostor_mean * s.impostor_mean));
  s.genuine_mean = gen / n;
  return s;
}

}  // namespace facekit::eval
