#include "eval/calibration.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace facekit::eval {
namespace {

// Most similar first.
bool MoreSimilar(const ScoredPair& x, const ScoredPair& y) { return x.similarity > y.similarity; }

// Keeps the `k` most similar pairs pushed (a min-heap on similarity).
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Push(const ScoredPair& p) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.push_back(p);
      std::push_heap(heap_.begin(), heap_.end(), MoreSimilar);
    } else if (p.similarity > heap_.front().similarity) {
      std::pop_heap(heap_.begin(), heap_.end(), MoreSimilar);
      heap_.back() = p;
      std::push_heap(heap_.begin(), heap_.end(), MoreSimilar);
    }
  }
  std::vector<ScoredPair> Sorted() && {
    std::sort(heap_.begin(), heap_.end(), MoreSimilar);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<ScoredPair> heap_;
};

bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

Result<ExclusionList> ExclusionList::Parse(const std::string& text) {
  ExclusionList list;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream l(line);
    Exclusion e;
    e.line = number;
    l >> e.kind >> e.a >> e.b;
    std::getline(l, e.reason);
    const size_t r0 = e.reason.find_first_not_of(" \t");
    const size_t r1 = e.reason.find_last_not_of(" \t\r");
    e.reason = r0 == std::string::npos ? "" : e.reason.substr(r0, r1 - r0 + 1);
    const std::string where = "exclusion list line " + std::to_string(number) + ": ";
    if (e.kind != "same-person" && e.kind != "same-photo") {
      return Status(StatusCode::kInvalidArgument, where + "kind must be same-person or same-photo, not '" + e.kind + "'");
    }
    if (e.a.empty() || e.b.empty() || e.reason.empty()) {
      return Status(StatusCode::kInvalidArgument, where + "expected KIND A B REASON");
    }
    if (e.a == e.b) return Status(StatusCode::kInvalidArgument, where + "both sides are " + e.a);
    list.entries.push_back(std::move(e));
  }
  return list;
}

Result<ExclusionList> ExclusionList::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, "cannot open exclusion list " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str());
}

void LabelledSet::Add(Embedding e, int person, std::string file, bool face_detected, int face_count,
                      bool covers_centre) {
  embeddings.push_back(std::move(e));
  identity.push_back(person);
  files.push_back(std::move(file));
  detected.push_back(face_detected);
  faces.push_back(face_count);
  central.push_back(covers_centre);
}

PairExcluder::PairExcluder(const ExclusionList& list, const LabelledSet& x, const LabelledSet& y) {
  auto mark = [&list](const LabelledSet& set, std::vector<Marks>* marks) {
    marks->assign(set.files.size(), {});
    for (size_t i = 0; i < set.files.size(); ++i) {
      const std::string& person = set.names[static_cast<size_t>(set.identity[i])];
      for (size_t e = 0; e < list.entries.size(); ++e) {
        const Exclusion& ex = list.entries[e];
        if (ex.a == person || ex.a == set.files[i]) (*marks)[i].a.push_back(static_cast<int>(e));
        if (ex.b == person || ex.b == set.files[i]) (*marks)[i].b.push_back(static_cast<int>(e));
      }
    }
  };
  mark(x, &x_marks_);
  mark(y, &y_marks_);
}

int PairExcluder::Match(size_t i, size_t j) const {
  if (i >= x_marks_.size() || j >= y_marks_.size()) return -1;
  const Marks& mi = x_marks_[i];
  const Marks& mj = y_marks_[j];
  if ((mi.a.empty() && mi.b.empty()) || (mj.a.empty() && mj.b.empty())) return -1;
  int best = -1;
  for (int e : mi.a) {
    if (Contains(mj.b, e) && (best < 0 || e < best)) best = e;
  }
  for (int e : mi.b) {
    if (Contains(mj.a, e) && (best < 0 || e < best)) best = e;
  }
  return best;
}

SimilarityDistribution SimilarityDistribution::Build(const std::vector<Embedding>& embeddings,
                                                     const std::vector<int>& identity, const PairExcluder* excluder,
                                                     size_t keep_top) {
  SimilarityDistribution d;
  d.images = embeddings.size();
  std::vector<int> ids = identity;
  std::sort(ids.begin(), ids.end());
  d.people = static_cast<size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  const size_t n = embeddings.size();
  d.impostor.reserve(n * (n - 1) / 2);
  TopK top(keep_top);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      float s = FaceEngine::Similarity(embeddings[i], embeddings[j]);
      const bool genuine = identity[i] == identity[j];
      const int ex = excluder != nullptr ? excluder->Match(i, j) : -1;
      if (ex >= 0) {
        d.excluded.push_back({i, j, s, ex, genuine});
        continue;
      }
      (genuine ? d.genuine : d.impostor).push_back(s);
      if (!genuine) top.Push({i, j, s, -1, false});
    }
  }
  std::sort(d.impostor.begin(), d.impostor.end());
  std::sort(d.genuine.begin(), d.genuine.end());
  std::sort(d.excluded.begin(), d.excluded.end(), MoreSimilar);
  d.top_impostors = std::move(top).Sorted();
  return d;
}

OpenSetSearch OpenSetSearch::Run(const std::vector<Embedding>& probes, const std::vector<Embedding>& gallery,
                                 const PairExcluder* excluder) {
  OpenSetSearch r;
  r.gallery = gallery.size();
  if (gallery.empty()) return r;
  for (size_t i = 0; i < probes.size(); ++i) {
    ScoredPair best{i, 0, -2.f, -1, false};
    for (size_t j = 0; j < gallery.size(); ++j) {
      const float s = FaceEngine::Similarity(probes[i], gallery[j]);
      const int ex = excluder != nullptr ? excluder->Match(i, j) : -1;
      if (ex >= 0) {
        r.excluded.push_back({i, j, s, ex, false});
        continue;
      }
      if (s > best.similarity) {
        best.j = j;
        best.similarity = s;
      }
    }
    if (best.similarity > -2.f) r.best.push_back(best);
  }
  std::sort(r.best.begin(), r.best.end(), MoreSimilar);
  std::sort(r.excluded.begin(), r.excluded.end(), MoreSimilar);
  for (const ScoredPair& p : r.best) r.best_sorted.push_back(p.similarity);
  std::sort(r.best_sorted.begin(), r.best_sorted.end());
  return r;
}

double OpenSetSearch::FalseAlarmAt(float threshold) const { return FarAt(best_sorted, threshold); }

namespace {

// P(X <= k) for X ~ Poisson(mean).
double PoissonCdf(size_t k, double mean) {
  double term = std::exp(-mean), sum = term;
  for (size_t i = 1; i <= k; ++i) {
    term *= mean / static_cast<double>(i);
    sum += term;
  }
  return sum;
}

// The mean at which f(mean) (monotone decreasing in mean) crosses `target`.
template <typename F>
double SolveDecreasing(F f, double target, double hi) {
  double lo = 0;
  while (f(hi) > target) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

std::array<double, 2> PoissonInterval(size_t k, double confidence) {
  const double tail = 0.5 * (1.0 - confidence);
  const double kd = static_cast<double>(k);
  // Upper: P(X <= k | upper) = tail. Lower: P(X >= k | lower) = tail, i.e. P(X <= k-1 | lower) = 1 - tail.
  const double upper = SolveDecreasing([k](double m) { return PoissonCdf(k, m); }, tail, kd + 10);
  const double lower = k == 0 ? 0.0 : SolveDecreasing([k](double m) { return PoissonCdf(k - 1, m); }, 1.0 - tail, kd + 10);
  return {lower, upper};
}

double ExtrapolateFalseAlarm(double rate, double measured_gallery, double target_gallery) {
  if (measured_gallery <= 0) return 0.0;
  return 1.0 - std::pow(1.0 - rate, target_gallery / measured_gallery);
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

std::vector<std::array<float, 2>> SearchScorePoints(float t_1e3, float t_1e4, float t_1e5, float t_70, float t_80,
                                                    float t_90) {
  std::vector<std::array<float, 2>> p = {{-1.f, 0.f},  {t_1e3, 40.f}, {t_1e4, 50.f}, {t_1e5, 60.f},
                                         {t_70, 70.f}, {t_80, 80.f},  {t_90, 90.f},  {1.f, 100.f}};
  for (size_t i = 2; i + 1 < p.size(); ++i) p[i][0] = std::max(p[i][0], std::nextafter(p[i - 1][0], 2.f));
  // The top thresholds may reach 1 when the tail model runs out of range.
  for (size_t i = p.size() - 2; i >= 1 && p[i][0] >= p[i + 1][0]; --i) p[i][0] = std::nextafter(p[i + 1][0], -2.f);
  return p;
}

std::vector<std::array<float, 2>> ScorePoints(float t_1e3, float t_1e4, float t_1e5) {
  // Thresholds below the impostor set's resolution coincide; keep the map
  // strictly increasing so it stays a valid manifest entry.
  t_1e4 = std::max(t_1e4, std::nextafter(t_1e3, 2.f));
  t_1e5 = std::max(t_1e5, std::nextafter(t_1e4, 2.f));
  return {{-1.f, 0.f}, {t_1e3, 40.f}, {t_1e4, 50.f}, {t_1e5, 60.f}, {1.f, 100.f}};
}

}  // namespace facekit::eval
