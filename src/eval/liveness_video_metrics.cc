#include "eval/liveness_video_metrics.h"

#include <algorithm>
#include <cmath>

namespace facekit::eval {

std::optional<double> NearestRank(std::vector<double> v, double q) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(q * static_cast<double>(v.size()));
  const std::size_t i = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[i];
}

LivenessVideoMetrics SummariseLivenessVideos(const std::vector<VideoOutcome>& outcomes) {
  LivenessVideoMetrics m;
  std::vector<double> reject_ms;
  for (const VideoOutcome& o : outcomes) {
    if (o.attack) {
      ++m.attacks;
      SpeciesErrors& s = m.species[o.species];
      ++s.attacks;
      if (o.accepted) ++s.accepted, ++m.attacks_accepted;
    } else {
      ++m.bona_fide;
      if (!o.accepted) ++m.bona_fide_rejected;
    }
    if (o.decision_ms.has_value() && !o.accepted) reject_ms.push_back(static_cast<double>(*o.decision_ms));
  }
  for (auto& [name, s] : m.species) {
    s.apcer = s.attacks ? static_cast<double>(s.accepted) / s.attacks : 0;
    m.apcer_max = std::max(m.apcer_max, s.apcer);
  }
  m.apcer_pooled = m.attacks ? static_cast<double>(m.attacks_accepted) / m.attacks : 0;
  m.bpcer = m.bona_fide ? static_cast<double>(m.bona_fide_rejected) / m.bona_fide : 0;
  std::vector<double> bona_fide_accept;
  for (const VideoOutcome& o : outcomes) {
    if (!o.attack && o.accepted && o.decision_ms.has_value())
      bona_fide_accept.push_back(static_cast<double>(*o.decision_ms));
  }
  m.accept_ms_median = NearestRank(bona_fide_accept, 0.5);
  m.accept_ms_p90 = NearestRank(bona_fide_accept, 0.9);
  m.reject_ms_median = NearestRank(reject_ms, 0.5);
  m.reject_ms_p90 = NearestRank(reject_ms, 0.9);
  return m;
}

}  // namespace facekit::eval
