// antispoof/decision_json.h - a LivenessDecision as JSON, the one shape the
// CLI (`facekit liveness --json`), the evaluation's score dump and the
// attendance graph's liveness events share:
//   {"is_live", "reason",
//    "cues": [{"name", "value", "threshold", "measured", "decisive", "fired"}],
//    "medium": {"label", "score", "x", "y", "width", "height", "containment"} | null,
//    "bezel_sides": [left, top, right, bottom],
//    "passive": {"score", "is_live", "spoof_score", "leaf", "sharp_pixels",
//                "too_blurry", "vetoed"} | null}
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "facekit/liveness_decision.h"

namespace facekit::antispoof {

nlohmann::json DecisionJson(const LivenessDecision& d);

/// The passive model's result alone (the "passive" member above, without "vetoed").
nlohmann::json PassiveJson(const LivenessResult& r);

}  // namespace facekit::antispoof
