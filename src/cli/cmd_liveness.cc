// facekit liveness / facekit eval liveness.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/verification_metrics.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

// The face to check: the whole image for pre-cropped faces, else exactly
// one detected face.
Result<FaceBox> TheFace(const FaceEngine& engine, const Image& image, bool whole_image) {
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

json LivenessJson(const LivenessResult& r) {
  return {{"score", r.score}, {"is_live", r.is_live}, {"spoof_score", r.spoof_score}, {"leaf", r.leaf},
          {"sharp_pixels", r.sharp_pixels}, {"too_blurry", r.too_blurry}};
}

}  // namespace

void RegisterLiveness(CLI::App& app, CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string image;
    bool json = false, whole = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand("liveness", "Anti-spoofing check of the one face in a photo");
  c->add_option("IMAGE", o->image, "Photo with exactly one face")->required();
  c->add_flag("--json", o->json, "Print JSON {score 0-100, is_live, spoof_score, leaf, sharp_pixels, too_blurry}");
  c->add_flag("--whole-image", o->whole, "The image is already a face crop: check it whole instead of detecting");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto image = LoadImageFile(o->image, ImageLimitsOf(g));
      if (!image.ok()) return Fail(image.status());
      auto face = TheFace(**engine, *image, o->whole);
      if (!face.ok()) return Fail(face.status());
      auto r = (*engine)->Liveness(*image, *face);
      if (!r.ok()) return Fail(r.status());
      if (o->json) {
        std::cout << LivenessJson(*r).dump() << "\n";
      } else {
        std::printf("%s: %s, score %.1f (spoof score %.3f, leaf %d, %d sharp pixels%s)\n", o->image.c_str(),
                    r->is_live ? "live" : "not live", static_cast<double>(r->score), static_cast<double>(r->spoof_score),
                    r->leaf, r->sharp_pixels, r->too_blurry ? ", too blurry" : "");
      }
      return 0;
    };
  });

  struct EvalOpts {
    std::string live, spoof;
    bool json = false, whole = false;
  };
  auto e = std::make_shared<EvalOpts>();
  CLI::App* ev = eval_app->add_subcommand("liveness", "APCER, BPCER and ROC AUC of the liveness check on two folders");
  ev->add_option("--live", e->live, "Folder of live face photos")->required()->check(CLI::ExistingDirectory);
  ev->add_option("--spoof", e->spoof, "Folder of spoof (replay, print) photos")->required()->check(CLI::ExistingDirectory);
  ev->add_flag("--whole-image", e->whole, "Photos are face crops: check them whole instead of detecting");
  ev->add_flag("--json", e->json, "Print one JSON object");
  ev->callback([&g, e, run] {
    *run = [&g, e] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      std::vector<eval::ScoredPair> scored;  // same = live
      long live_n = 0, spoof_n = 0, live_rejected = 0, spoof_accepted = 0, blurry = 0, skipped = 0;
      long model_live_rejected = 0, model_spoof_accepted = 0;  // the network alone, without the blur pre-check
      std::map<std::string, int> skip_reasons;
      for (const auto& [dir, live] : {std::pair{e->live, true}, std::pair{e->spoof, false}}) {
        for (const std::string& p : SortedFiles(dir)) {
          auto image = LoadImageFile(p, ImageLimitsOf(g));
          auto face = image.ok() ? TheFace(**engine, *image, e->whole) : Result<FaceBox>(image.status());
          if (!face.ok()) {
            ++skipped;
            ++skip_reasons[std::string(StatusCodeName(face.status().code()))];
            continue;
          }
          auto r = (*engine)->Liveness(*image, *face);
          if (!r.ok()) return Fail(r.status());
          scored.push_back({r->score, live, 0});
          blurry += r->too_blurry ? 1 : 0;
          const bool model_live = r->score >= 87.f;
          if (live) {
            ++live_n;
            live_rejected += r->is_live ? 0 : 1;
            model_live_rejected += model_live ? 0 : 1;
          } else {
            ++spoof_n;
            spoof_accepted += r->is_live ? 1 : 0;
            model_spoof_accepted += model_live ? 1 : 0;
          }
        }
      }
      const double apcer = spoof_n ? static_cast<double>(spoof_accepted) / static_cast<double>(spoof_n) : 0;
      const double bpcer = live_n ? static_cast<double>(live_rejected) / static_cast<double>(live_n) : 0;
      const double auc = eval::RocAuc(scored);
      const double model_apcer = spoof_n ? static_cast<double>(model_spoof_accepted) / static_cast<double>(spoof_n) : 0;
      const double model_bpcer = live_n ? static_cast<double>(model_live_rejected) / static_cast<double>(live_n) : 0;
      if (e->json) {
        std::cout << json{{"live", live_n}, {"spoof", spoof_n}, {"apcer", apcer}, {"bpcer", bpcer},
                          {"acer", (apcer + bpcer) / 2}, {"auc", auc}, {"too_blurry", blurry},
                          {"model_apcer", model_apcer}, {"model_bpcer", model_bpcer}, {"skipped", skipped},
                          {"skip_reasons", skip_reasons}}
                         .dump()
                  << "\n";
      } else {
        std::printf("live %ld, spoof %ld (skipped %ld)\n", live_n, spoof_n, skipped);
        for (const auto& [reason, n] : skip_reasons) std::printf("  skipped %s: %d\n", reason.c_str(), n);
        std::printf("APCER %.2f%% (%ld spoofs accepted)  BPCER %.2f%% (%ld live rejected)  ACER %.2f%%  AUC %.4f  too blurry %ld\n",
                    100 * apcer, spoof_accepted, 100 * bpcer, live_rejected, 50 * (apcer + bpcer), auc, blurry);
        std::printf("network alone (no blur pre-check): APCER %.2f%%  BPCER %.2f%%\n", 100 * model_apcer, 100 * model_bpcer);
      }
      return 0;
    };
  });
}

}  // namespace facekit::cli
