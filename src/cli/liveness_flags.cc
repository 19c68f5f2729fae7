#include "cli/liveness_flags.h"

#include <cstdlib>

namespace facekit::cli {

void AddLivenessFlags(CLI::App* c, LivenessFlags* f) {
  c->add_flag("--no-objects", f->no_objects, "Do not run the object detector (the object cue stays unmeasured)");
  c->add_option("--object-input-size", f->object_input_size,
                "Object detector input, longer side (multiple of 32; default from the manifest, 448)");
  c->add_option("--passive", f->passive, "Weight of the passive model: ignored (default) or veto")
      ->check(CLI::IsMember({"ignored", "veto"}));
  c->add_option("--passive-veto-spoof", f->passive_veto_spoof,
                "With --passive veto: a spoof score at or above this rejects");
  c->add_option("--threshold", f->thresholds, "CUE=VALUE: override a cue's threshold (repeatable)");
  c->add_option("--decisive", f->decisive, "Cues that can flag a face (default: the built-in list)")->delimiter(',');
}

Result<LivenessJudgeOptions> LivenessOptionsOf(const GlobalOptions& g, const LivenessFlags& f, bool whole_image) {
  LivenessJudgeOptions o;
  o.medium.models_dir = ResolveModelsDir(g);
  o.medium.num_threads = g.threads;
  o.medium.detect_objects = !f.no_objects && !whole_image;
  o.medium.object_input_size = f.object_input_size;
  FACEKIT_ASSIGN_OR_RETURN(o.rule.passive, ParsePassiveWeight(f.passive));
  o.rule.passive_veto_spoof = f.passive_veto_spoof;
  for (const std::string& t : f.thresholds) {
    const std::size_t eq = t.find('=');
    char* end = nullptr;
    const float value = eq == std::string::npos ? 0.f : std::strtof(t.c_str() + eq + 1, &end);
    if (eq == std::string::npos || end == t.c_str() + eq + 1 || *end != '\0') {
      return Status(StatusCode::kInvalidArgument, "--threshold wants CUE=VALUE, not '" + t + "'");
    }
    FACEKIT_RETURN_IF_ERROR(SetSpoofCueThreshold(&o.medium, t.substr(0, eq), value));
  }
  if (!f.decisive.empty()) o.medium.decisive = f.decisive;
  return o;
}

}  // namespace facekit::cli
