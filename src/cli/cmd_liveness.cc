// facekit liveness: the liveness decision for the one face of a photo.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "antispoof/decision_json.h"
#include "cli/commands.h"
#include "cli/liveness_flags.h"

namespace facekit::cli {

Result<FaceBox> OnlyFace(const FaceEngine& engine, const Image& image, bool whole_image) {
  if (whole_image) {
    FaceBox f;
    f.width = static_cast<float>(image.original_width());
    f.height = static_cast<float>(image.original_height());
    return f;
  }
  FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, engine.Detect(image));
  if (faces.empty()) return Status(StatusCode::kNoFace, "no face found in the image");
  if (faces.size() > 1) {
    return Status(StatusCode::kTooManyFaces, "liveness needs exactly one face; found " + std::to_string(faces.size()));
  }
  return faces[0];
}

void RegisterLiveness(CLI::App& app, CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string image;
    bool json = false, whole = false;
    LivenessFlags flags;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand(
      "liveness", "Liveness decision (replay medium evidence + passive model) for the one face in a photo");
  c->add_option("IMAGE", o->image, "Photo with exactly one face")->required();
  c->add_flag("--json", o->json, "Print JSON {is_live, reason, cues, medium, bezel_sides, passive} (docs/liveness.md)");
  c->add_flag("--whole-image", o->whole,
              "The image is already a face crop: judge it whole (no detection; object and bezel cues unmeasured)");
  AddLivenessFlags(c, &o->flags);
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto options = LivenessOptionsOf(g, o->flags, o->whole);
      if (!options.ok()) return Fail(options.status());
      auto judge = LivenessJudge::Create(engine->get(), *options);
      if (!judge.ok()) return Fail(judge.status());
      auto image = LoadImageFile(o->image, ImageLimitsOf(g));
      if (!image.ok()) return Fail(image.status());
      auto face = OnlyFace(**engine, *image, o->whole);
      if (!face.ok()) return Fail(face.status());
      auto d = (*judge)->Judge(*image, *face);
      if (!d.ok()) return Fail(d.status());
      if (o->json) {
        nlohmann::json j = antispoof::DecisionJson(*d);
        j["face"] = {{"x", face->x}, {"y", face->y}, {"width", face->width}, {"height", face->height}};
        j["passive_weight"] = PassiveWeightName((*options).rule.passive);
        std::cout << j.dump() << "\n";
        return 0;
      }
      std::printf("%s: %s (%s)\n", o->image.c_str(), d->live ? "live" : "not live", d->reason.c_str());
      for (const SpoofCue& cue : d->medium.cues) {
        std::printf("  %-12s %s %9.3f  threshold %9.3g%s%s\n", cue.name.c_str(), cue.measured ? "" : "-",
                    static_cast<double>(cue.value), static_cast<double>(cue.threshold),
                    cue.decisive ? "  decisive" : "", cue.fired() ? "  FIRED" : "");
      }
      if (d->passive) {
        std::printf("  passive model (%s): score %.1f, spoof score %.3f, leaf %d%s\n",
                    std::string(PassiveWeightName((*options).rule.passive)).c_str(),
                    static_cast<double>(d->passive->score), static_cast<double>(d->passive->spoof_score),
                    d->passive->leaf, d->passive->too_blurry ? ", too blurry" : "");
      }
      return 0;
    };
  });
  RegisterEvalLiveness(eval_app, g, run);
}

}  // namespace facekit::cli
