#include "eval/liveness_eval.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace facekit::eval {
namespace {

const SpoofCue* FindCue(const LivenessSample& s, const std::string& name) {
  for (const SpoofCue& c : s.cues) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

double Ratio(long a, long b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

}  // namespace

PadRates PadRatesOf(const std::vector<LivenessSample>& samples,
                    const std::function<bool(const LivenessSample&)>& judged_attack) {
  PadRates r;
  for (const LivenessSample& s : samples) {
    const bool attack = judged_attack(s);
    if (s.attack) {
      ++r.attacks;
      auto& [accepted, total] = r.species[s.species];
      ++total;
      if (!attack) {
        ++accepted;
        ++r.attacks_accepted;
      }
    } else {
      ++r.bona_fide;
      if (attack) ++r.bona_fide_rejected;
    }
  }
  for (const auto& [name, counts] : r.species) r.apcer = std::max(r.apcer, Ratio(counts.first, counts.second));
  r.apcer_pooled = Ratio(r.attacks_accepted, r.attacks);
  r.bpcer = Ratio(r.bona_fide_rejected, r.bona_fide);
  r.acer = (r.apcer + r.bpcer) / 2;
  return r;
}

std::vector<CueReport> ReportCues(const std::vector<LivenessSample>& samples) {
  std::vector<CueReport> reports;
  for (const LivenessSample& s : samples) {
    for (const SpoofCue& c : s.cues) {
      if (std::none_of(reports.begin(), reports.end(), [&](const CueReport& r) { return r.name == c.name; })) {
        CueReport r;
        r.name = c.name;
        r.threshold = c.threshold;
        r.decisive = c.decisive;
        reports.push_back(r);
      }
    }
  }
  for (CueReport& r : reports) {
    std::vector<ScoredPair> scored;
    for (const LivenessSample& s : samples) {
      const SpoofCue* c = FindCue(s, r.name);
      if (c == nullptr || !c->measured) continue;
      scored.push_back({c->value, s.attack, 0});
    }
    r.measured = static_cast<long>(scored.size());
    r.auc = AttackAuc(scored);
    r.rates = PadRatesOf(samples, [&](const LivenessSample& s) {
      const SpoofCue* c = FindCue(s, r.name);
      return c != nullptr && c->fired();
    });
  }
  return reports;
}

std::optional<double> AttackAuc(const std::vector<ScoredPair>& scored) {
  const bool attacks = std::any_of(scored.begin(), scored.end(), [](const ScoredPair& p) { return p.same; });
  const bool bona_fide = std::any_of(scored.begin(), scored.end(), [](const ScoredPair& p) { return !p.same; });
  if (!attacks || !bona_fide) return std::nullopt;
  return RocAuc(scored);
}

float ThresholdAtBpcer(const std::vector<LivenessSample>& samples, const std::string& cue, double bpcer) {
  std::vector<float> live;
  for (const LivenessSample& s : samples) {
    const SpoofCue* c = FindCue(s, cue);
    if (!s.attack && c != nullptr && c->measured) live.push_back(c->value);
  }
  if (live.empty()) return std::numeric_limits<float>::infinity();
  std::sort(live.begin(), live.end(), std::greater<>());
  const auto allowed = static_cast<std::size_t>(std::floor(bpcer * static_cast<double>(live.size()) + 1e-9));
  if (allowed >= live.size()) return std::numeric_limits<float>::lowest();
  // Just above the (allowed+1)-th largest live value: that one and all below stay quiet.
  return std::nextafter(live[allowed], std::numeric_limits<float>::infinity());
}

}  // namespace facekit::eval
