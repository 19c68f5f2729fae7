#include "antispoof/decision_json.h"

namespace facekit::antispoof {

using nlohmann::json;

json PassiveJson(const LivenessResult& r) {
  return {{"score", r.score}, {"is_live", r.is_live},           {"spoof_score", r.spoof_score},
          {"leaf", r.leaf},   {"sharp_pixels", r.sharp_pixels}, {"too_blurry", r.too_blurry}};
}

json DecisionJson(const LivenessDecision& d) {
  json cues = json::array();
  for (const SpoofCue& c : d.medium.cues) {
    cues.push_back({{"name", c.name},
                    {"value", c.value},
                    {"threshold", c.threshold},
                    {"measured", c.measured},
                    {"decisive", c.decisive},
                    {"fired", c.fired()}});
  }
  json medium = nullptr;
  if (d.medium.medium) {
    const DetectedObject& m = *d.medium.medium;
    medium = {{"label", m.label},
              {"score", m.score},
              {"x", m.x},
              {"y", m.y},
              {"width", m.width},
              {"height", m.height},
              {"containment", d.medium.containment}};
  }
  json passive = nullptr;
  if (d.passive) {
    passive = PassiveJson(*d.passive);
    passive["vetoed"] = d.passive_vetoed;
  }
  return {{"is_live", d.live},
          {"reason", d.reason},
          {"cues", cues},
          {"medium", medium},
          {"bezel_sides", d.medium.bezel_sides},
          {"passive", passive}};
}

}  // namespace facekit::antispoof
