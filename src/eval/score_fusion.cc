#include "eval/score_fusion.h"

#include <cmath>

namespace facekit::eval {
namespace {

// Mean and standard deviation of the impostor scores.
void ImpostorStats(const std::vector<ScoredPair>& pairs, double* mean, double* sd) {
  double sum = 0, sq = 0;
  long n = 0;
  for (const ScoredPair& p : pairs) {
    if (p.same) continue;
    sum += p.score;
    ++n;
  }
  *mean = sum / static_cast<double>(n);
  for (const ScoredPair& p : pairs) {
    if (!p.same) sq += (p.score - *mean) * (p.score - *mean);
  }
  *sd = std::sqrt(sq / static_cast<double>(n));
  if (!(*sd > 1e-12)) *sd = 1;
}

}  // namespace

std::string FusionKindName(FusionKind kind) { return kind == FusionKind::kLogistic ? "logistic" : "zscore"; }

Result<FusionKind> ParseFusionKind(const std::string& name) {
  if (name == "zscore") return FusionKind::kZScore;
  if (name == "logistic") return FusionKind::kLogistic;
  return Status(StatusCode::kInvalidArgument, "unknown fusion '" + name + "' (zscore or logistic)");
}

Result<ScoreFusion> FitScoreFusion(FusionKind kind, const std::vector<ScoredPair>& a, const std::vector<ScoredPair>& b,
                                   double ridge) {
  if (a.size() != b.size()) return Status(StatusCode::kInvalidArgument, "fusion: the two score lists differ in length");
  long genuine = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].same != b[i].same) return Status(StatusCode::kInvalidArgument, "fusion: pair labels differ between models");
    genuine += a[i].same ? 1 : 0;
  }
  if (genuine == 0 || genuine == static_cast<long>(a.size())) {
    return Status(StatusCode::kInvalidArgument, "fusion: training needs genuine and impostor pairs");
  }
  ScoreFusion f;
  f.kind = kind;
  ImpostorStats(a, &f.mean_a, &f.std_a);
  ImpostorStats(b, &f.mean_b, &f.std_b);
  if (kind == FusionKind::kZScore) return f;

  // Logistic regression on (z_a, z_b, 1): Newton steps on the penalised
  // log-likelihood (the bias is not penalised).
  double w[3] = {0, 0, 0};
  for (int iter = 0; iter < 100; ++iter) {
    double g[3] = {0, 0, 0}, h[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    for (size_t i = 0; i < a.size(); ++i) {
      const double x[3] = {(a[i].score - f.mean_a) / f.std_a, (b[i].score - f.mean_b) / f.std_b, 1.0};
      const double t = w[0] * x[0] + w[1] * x[1] + w[2];
      const double p = 1.0 / (1.0 + std::exp(-t));
      const double y = a[i].same ? 1.0 : 0.0;
      for (int r = 0; r < 3; ++r) {
        g[r] += (p - y) * x[r];
        for (int c = 0; c < 3; ++c) h[r][c] += p * (1 - p) * x[r] * x[c];
      }
    }
    for (int r = 0; r < 2; ++r) {
      g[r] += ridge * w[r];
      h[r][r] += ridge;
    }
    h[2][2] += 1e-9;
    // Solve h d = g (3x3, Gaussian elimination with partial pivoting).
    double m[3][4];
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) m[r][c] = h[r][c];
      m[r][3] = g[r];
    }
    for (int c = 0; c < 3; ++c) {
      int piv = c;
      for (int r = c + 1; r < 3; ++r) {
        if (std::abs(m[r][c]) > std::abs(m[piv][c])) piv = r;
      }
      for (int k = 0; k < 4; ++k) std::swap(m[c][k], m[piv][k]);
      if (std::abs(m[c][c]) < 1e-300) return Status(StatusCode::kInternal, "fusion: singular Hessian");
      for (int r = 0; r < 3; ++r) {
        if (r == c) continue;
        const double q = m[r][c] / m[c][c];
        for (int k = c; k < 4; ++k) m[r][k] -= q * m[c][k];
      }
    }
    double step = 0;
    for (int r = 0; r < 3; ++r) {
      const double d = m[r][3] / m[r][r];
      w[r] -= d;
      step = std::max(step, std::abs(d));
    }
    if (step < 1e-10) break;
  }
  f.w_a = w[0];
  f.w_b = w[1];
  f.bias = w[2];
  return f;
}

std::vector<ScoredPair> FuseScores(const ScoreFusion& fusion, const std::vector<ScoredPair>& a,
                                   const std::vector<ScoredPair>& b) {
  std::vector<ScoredPair> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    out.push_back({static_cast<float>(fusion.Apply(a[i].score, b[i].score)), a[i].same, a[i].fold});
  }
  return out;
}

}  // namespace facekit::eval
