#include "facekit/liveness_decision.h"

#include <cmath>
#include <cstdio>

namespace facekit {
namespace {

std::string Reason(const SpoofCue& c, const MediumEvidence& e) {
  char buf[160];
  if (c.name == kCueObject && e.medium) {
    std::snprintf(buf, sizeof buf, "face inside a %s box (score %.2f, %.0f %% of the face)", e.medium->label.c_str(),
                  static_cast<double>(c.value), 100.0 * static_cast<double>(e.containment));
  } else if (c.name == kCueBezel) {
    std::snprintf(buf, sizeof buf, "straight edges frame the face (%.2f of 4 sides, threshold %.2f)",
                  static_cast<double>(c.value), static_cast<double>(c.threshold));
  } else {
    std::snprintf(buf, sizeof buf, "%s %.3f at or above %.3f", c.name.c_str(), static_cast<double>(c.value),
                  static_cast<double>(c.threshold));
  }
  return buf;
}

}  // namespace

std::string_view PassiveWeightName(PassiveWeight weight) { return weight == PassiveWeight::kVeto ? "veto" : "ignored"; }

Result<PassiveWeight> ParsePassiveWeight(std::string_view name) {
  if (name == "ignored") return PassiveWeight::kIgnored;
  if (name == "veto") return PassiveWeight::kVeto;
  return Status(StatusCode::kInvalidArgument,
                "passive weight must be 'ignored' or 'veto', not '" + std::string(name) + "'");
}

LivenessDecision DecideLiveness(MediumEvidence medium, std::optional<LivenessResult> passive,
                                const LivenessRule& rule) {
  LivenessDecision d;
  d.medium = std::move(medium);
  d.passive = std::move(passive);
  std::string reasons;
  for (const SpoofCue& c : d.medium.cues) {
    if (!c.decisive || !c.fired()) continue;
    reasons += (reasons.empty() ? "" : "; ") + Reason(c, d.medium);
  }
  if (rule.passive == PassiveWeight::kVeto && d.passive && d.passive->spoof_score >= rule.passive_veto_spoof) {
    d.passive_vetoed = true;
    char buf[96];
    std::snprintf(buf, sizeof buf, "passive model spoof score %.3f at or above %.3f",
                  static_cast<double>(d.passive->spoof_score), static_cast<double>(rule.passive_veto_spoof));
    reasons += (reasons.empty() ? "" : "; ") + std::string(buf);
  }
  d.live = reasons.empty();
  d.reason = d.live ? "no replay medium found" : reasons;
  return d;
}

}  // namespace facekit
