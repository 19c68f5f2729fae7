#include "eval/calibration.h"

#include <algorithm>
#include <cmath>

namespace facekit::eval {

SimilarityDistribution SimilarityDistribution::Build(const std::vector<Embedding>& embeddings,
                                                     const std::vector<int>& identity) {
  SimilarityDistribution d;
  d.images = embeddings.size();
  std::vector<int> ids = identity;
  std::sort(ids.begin(), ids.end());
  d.people = static_cast<size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  const size_t n = embeddings.size();
  d.impostor.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      float s = FaceEngine::Similarity(embeddings[i], embeddings[j]);
      (identity[i] == identity[j] ? d.genuine : d.impostor).push_back(s);
    }
  }
  std::sort(d.impostor.begin(), d.impostor.end());
  std::sort(d.genuine.begin(), d.genuine.end());
  return d;
}

float ThresholdAtFar(const std::vector<float>& impostor_sorted, double far) {
  if (impostor_sorted.empty()) return 1.f;
  const size_t n = impostor_sorted.size();
  const size_t allowed = static_cast<size_t>(std::floor(far * static_cast<double>(n) + 1e-9));
  if (allowed >= n) return impostor_sorted.front();
  // Just above the (allowed+1)-th largest impostor similarity.
  return std::nextafter(impostor_sorted[n - 1 - allowed], 2.f);
}

double FarAt(const std::vector<float>& impostor_sorted, float threshold) {
  if (impostor_sorted.empty()) return 0.0;
  auto it = std::lower_bound(impostor_sorted.begin(), impostor_sorted.end(), threshold);
  return static_cast<double>(impostor_sorted.end() - it) / static_cast<double>(impostor_sorted.size());
}

double TarAt(const std::vector<float>& genuine_sorted, float threshold) { return FarAt(genuine_sorted, threshold); }

double TailModel::FarAt(float t) const { return std::pow(10.0, slope * t + intercept); }

float TailModel::ThresholdAt(double far) const {
  return slope < 0 ? static_cast<float>((std::log10(far) - intercept) / slope) : 1.f;
}

TailModel FitTail(const std::vector<float>& impostor_sorted, const std::vector<double>& fit_fars) {
  std::vector<double> xs, ys;
  for (double f : fit_fars) {
    float t = ThresholdAtFar(impostor_sorted, f);
    double measured = FarAt(impostor_sorted, t);
    if (measured <= 0) continue;
    xs.push_back(t);
    ys.push_back(std::log10(measured));
  }
  TailModel m;
  const double n = static_cast<double>(xs.size());
  if (n < 2) return m;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    sx += xs[i];
    sy += ys[i];
    sxx += xs[i] * xs[i];
    sxy += xs[i] * ys[i];
  }
  const double den = n * sxx - sx * sx;
  if (std::fabs(den) < 1e-18) return m;
  m.slope = (n * sxy - sx * sy) / den;
  m.intercept = (sy - m.slope * sx) / n;
  return m;
}

double PerPairFar(double rate_1n, double gallery) {
  return 1.0 - std::pow(1.0 - rate_1n, 1.0 / gallery);
}

std::vector<std::array<float, 2>> SearchScorePoints(float t_70, float t_80, float t_90) {
  t_80 = std::max(t_80, std::nextafter(t_70, 2.f));
  t_90 = std::max(t_90, std::nextafter(t_80, 2.f));
  return {{-1.f, 0.f}, {t_70, 70.f}, {t_80, 80.f}, {t_90, 90.f}, {1.f, 100.f}};
}

std::vector<std::array<float, 2>> ScorePoints(float t_1e3, float t_1e4, float t_1e5) {
  // Thresholds below the impostor set's resolution coincide; keep the map
  // strictly increasing so it stays a valid manifest entry.
  t_1e4 = std::max(t_1e4, std::nextafter(t_1e3, 2.f));
  t_1e5 = std::max(t_1e5, std::nextafter(t_1e4, 2.f));
  return {{-1.f, 0.f}, {t_1e3, 40.f}, {t_1e4, 50.f}, {t_1e5, 60.f}, {1.f, 100.f}};
}

}  // namespace facekit::eval
