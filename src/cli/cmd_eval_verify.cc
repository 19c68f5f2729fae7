// facekit eval verify - LFW-protocol verification accuracy of one embedder
// (mobilefacenet, resnet128) or of both fused (docs/embedders.md).
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/pair_scoring.h"
#include "eval/face_picker.h"
#include "eval/lfw_pairs.h"
#include "eval/roc_plot.h"
#include "eval/score_fusion.h"
#include "eval/verification_metrics.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

std::string FarKey(double far) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", far);
  return buf;
}

json TarJson(const eval::VerificationReport& r) {
  json tar = json::object();
  for (const auto& [far, v] : r.tar_at_far) tar[FarKey(far)] = v;
  return tar;
}

void PrintReport(const eval::VerificationReport& r) {
  std::printf("ROC AUC %.5f  EER %.2f%%", r.auc, 100 * r.eer);
  for (const auto& [far, v] : r.tar_at_far) std::printf("  TAR@FAR=%g %.2f%%", far, 100 * v);
  std::printf("\nconfusion tp %ld fp %ld tn %ld fn %ld  precision %.4f recall %.4f F1 %.4f\n", r.confusion.tp,
              r.confusion.fp, r.confusion.tn, r.confusion.fn, r.confusion.precision(), r.confusion.recall(),
              r.confusion.f1());
}

json FusionJson(const eval::ScoreFusion& f) {
  return {{"kind", eval::FusionKindName(f.kind)},
          {"mobilefacenet_impostor_mean", f.mean_a}, {"mobilefacenet_impostor_std", f.std_a},
          {"resnet128_impostor_mean", f.mean_b}, {"resnet128_impostor_std", f.std_b},
          {"w_mobilefacenet", f.w_a}, {"w_resnet128", f.w_b}, {"bias", f.bias}};
}

}  // namespace

void RegisterEvalVerify(CLI::App* ev, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string pairs, train_pairs, images, roc, embedder = "mobilefacenet", fusion = "zscore";
    ChipAlignmentFlags alignment;
    bool json = false, flip = false;
    float threshold = -2.f;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = ev->add_subcommand("verify", "LFW pair protocol: accuracy, ROC AUC, EER, TAR at FAR, confusion matrix");
  c->add_option("--pairs", o->pairs, "Pairs file to report on (LFW format; its header gives the folds)")->required()->check(CLI::ExistingFile);
  c->add_option("--train-pairs", o->train_pairs, "With a one-fold pairs file: choose the threshold (and fit the fusion) on these pairs (default: on the test pairs themselves, which flatters the result)")->check(CLI::ExistingFile);
  c->add_option("--images", o->images, "Image folder: DIR/Name/Name_0001.jpg")->required()->check(CLI::ExistingDirectory);
  c->add_option("--threshold", o->threshold, "Use this threshold (cosine; fused: fused score) instead of choosing one");
  c->add_option("--embedder", o->embedder, "mobilefacenet, resnet128, or fused (both, score fusion fitted on --train-pairs)")
      ->check(CLI::IsMember({"mobilefacenet", "resnet128", "fused"}));
  c->add_option("--fusion", o->fusion, "With --embedder fused: zscore (sum of impostor z-scores) or logistic (regression on them)")
      ->check(CLI::IsMember({"zscore", "logistic"}));
  o->alignment.Register(c);
  c->add_option("--roc", o->roc, "Write the ROC curve (log-scale FAR) as a PNG");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->add_flag("--flip", o->flip, "Average embeddings with their mirror images'");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      const bool fused = o->embedder == "fused";
      std::vector<EmbedderKind> kinds;
      if (fused) {
        kinds = {EmbedderKind::kMobileFaceNet, EmbedderKind::kResNet128};
      } else {
        auto k = ParseEmbedderKind(o->embedder);
        if (!k.ok()) return Fail(k.status());
        kinds = {*k};
      }
      auto fusion_kind = eval::ParseFusionKind(o->fusion);
      if (!fusion_kind.ok()) return Fail(fusion_kind.status());
      auto engine = MakeEngine(g, kinds, o->alignment.Overrides());
      if (!engine.ok()) return Fail(engine.status());
      auto test = eval::LoadLfwPairs(o->pairs);
      if (!test.ok()) return Fail(test.status());
      if (fused && (o->train_pairs.empty() || test->folds != 1)) {
        return Fail(Status(StatusCode::kInvalidArgument,
                           "--embedder fused fits its fusion on --train-pairs: give a one-fold --pairs file and --train-pairs"));
      }
      EmbeddingCache cache(**engine, o->images, o->flip, ImageLimitsOf(g), kinds);
      std::map<EmbedderKind, std::vector<eval::ScoredPair>> train_by_kind;
      size_t train_skipped = 0, skipped = 0;
      if (!o->train_pairs.empty() && test->folds == 1 && (o->threshold < -1.f || fused)) {
        auto tp = eval::LoadLfwPairs(o->train_pairs);
        if (!tp.ok()) return Fail(tp.status());
        auto scored = ScorePairs(*tp, cache, kinds, "train", &train_skipped);
        if (!scored.ok()) return Fail(scored.status());
        train_by_kind = std::move(*scored);
      }
      auto test_by_kind = ScorePairs(*test, cache, kinds, "test", &skipped);
      if (!test_by_kind.ok()) return Fail(test_by_kind.status());

      std::vector<eval::ScoredPair> scored, train;
      eval::ScoreFusion fusion;
      if (fused) {
        const auto& tm = train_by_kind[EmbedderKind::kMobileFaceNet];
        const auto& tr = train_by_kind[EmbedderKind::kResNet128];
        auto f = eval::FitScoreFusion(*fusion_kind, tm, tr);
        if (!f.ok()) return Fail(f.status());
        fusion = *f;
        train = eval::FuseScores(fusion, tm, tr);
        scored = eval::FuseScores(fusion, (*test_by_kind)[EmbedderKind::kMobileFaceNet],
                                  (*test_by_kind)[EmbedderKind::kResNet128]);
      } else {
        scored = (*test_by_kind)[kinds[0]];
        if (o->threshold < -1.f) train = train_by_kind[kinds[0]];
      }
      const std::vector<double> fars = {1e-2, 1e-3};
      eval::VerificationReport r = eval::EvaluateFolds(scored, train, o->threshold, fars);
      // With fusion, each model alone on the same pairs, its threshold from the same training pairs.
      std::map<EmbedderKind, eval::VerificationReport> parts;
      if (fused) {
        for (EmbedderKind k : kinds) {
          parts[k] = eval::EvaluateFolds((*test_by_kind)[k], train_by_kind[k], -2.f, fars);
        }
      }
      std::string threshold_source = o->threshold >= -1.f ? "--threshold"
                                     : test->folds > 1    ? "the other folds"
                                     : train.empty()      ? "the test pairs themselves"
                                                          : o->train_pairs;
      double ms_per_image = cache.images() ? cache.total_ms() / static_cast<double>(cache.images()) : 0;
      if (!o->roc.empty()) {
        // Operating point: the chosen threshold on all test pairs.
        eval::Confusion at = eval::ConfusionAt(scored, r.threshold);
        double far = at.fp + at.tn ? static_cast<double>(at.fp) / static_cast<double>(at.fp + at.tn) : 0;
        char title[160];
        std::snprintf(title, sizeof(title), "ROC, %zu pairs, AUC %.4f, EER %.2f%%%s, %s", scored.size(), r.auc,
                      100 * r.eer, o->flip ? ", flip" : "", o->embedder.c_str());
        Status st = eval::DrawRocPng(eval::RocCurve(scored), title, far, at.recall(), o->roc);
        if (!st.ok()) return Fail(st);
      }
      if (o->json) {
        json per_pair = json::array();
        for (const auto& p : scored) per_pair.push_back({p.score, p.same ? 1 : 0, p.fold});
        json embed_ms = json::object();
        for (EmbedderKind k : kinds) embed_ms[EmbedderName(k)] = cache.embed_ms_per_face(k);
        json out{{"embedder", o->embedder}, {"accuracy_mean", r.accuracy_mean}, {"accuracy_std", r.accuracy_std},
                 {"fold_accuracy", r.fold_accuracy}, {"fold_threshold", r.fold_threshold},
                 {"auc", r.auc}, {"eer", r.eer}, {"tar_at_far", TarJson(r)}, {"threshold", r.threshold},
                 {"threshold_source", threshold_source},
                 {"confusion", {{"tp", r.confusion.tp}, {"fp", r.confusion.fp}, {"tn", r.confusion.tn}, {"fn", r.confusion.fn}}},
                 {"precision", r.confusion.precision()}, {"recall", r.confusion.recall()}, {"f1", r.confusion.f1()},
                 {"no_face", cache.no_face()}, {"no_face_policy", "embedded a centred square of 0.45 x the short side"},
                 {"pairs", scored.size()}, {"folds", test->folds}, {"skipped_pairs_missing_image", skipped},
                 {"images", cache.images()}, {"ms_per_image", ms_per_image}, {"embed_ms_per_face", embed_ms},
                 {"threads", g.threads}, {"flip", o->flip}, {"mobilefacenet_alignment", o->alignment.mobilefacenet},
                 {"resnet128_alignment", o->alignment.resnet128},
                 {"scores", per_pair}};
        if (!train.empty()) {
          out["train_pairs"] = train.size();
          out["train_accuracy"] = eval::ConfusionAt(train, r.threshold).accuracy();
        }
        if (fused) {
          out["fusion"] = FusionJson(fusion);
          json comp = json::object();
          for (const auto& [k, pr] : parts) {
            comp[EmbedderName(k)] = {{"accuracy", pr.accuracy_mean}, {"threshold", pr.threshold}, {"auc", pr.auc},
                                     {"eer", pr.eer}, {"tar_at_far", TarJson(pr)}};
          }
          out["components"] = comp;
        }
        std::cout << out.dump() << "\n";
      } else {
        std::printf("embedder %s", o->embedder.c_str());
        if (fused) {
          std::printf(" (%s fusion: %.4f z(mobilefacenet) + %.4f z(resnet128) + %.4f, fitted on %s)",
                      eval::FusionKindName(fusion.kind).c_str(), fusion.w_a, fusion.w_b, fusion.bias,
                      o->train_pairs.c_str());
        }
        std::printf("\npairs %zu in %d fold(s)", scored.size(), test->folds);
        if (skipped) std::printf(" (%zu skipped: image file missing)", skipped);
        std::printf("\naccuracy %.2f%% +- %.2f%%  threshold %.4f (chosen on %s)\n", 100 * r.accuracy_mean,
                    100 * r.accuracy_std, static_cast<double>(r.threshold), threshold_source.c_str());
        PrintReport(r);
        for (const auto& [k, pr] : parts) {
          std::printf("  %s alone: accuracy %.2f%% (threshold %.4f) AUC %.5f", EmbedderName(k).c_str(),
                      100 * pr.accuracy_mean, static_cast<double>(pr.threshold), pr.auc);
          for (const auto& [far, v] : pr.tar_at_far) std::printf("  TAR@FAR=%g %.2f%%", far, 100 * v);
          std::printf("\n");
        }
        std::printf("images %zu, no face detected in %d (embedded a centred square instead), %.1f ms per image",
                    cache.images(), cache.no_face(), ms_per_image);
        for (EmbedderKind k : kinds) {
          std::printf("; %s align+embed %.2f ms per face", EmbedderName(k).c_str(), cache.embed_ms_per_face(k));
        }
        std::printf(" (%d thread%s)\n", g.threads, g.threads == 1 ? "" : "s");
      }
      return 0;
    };
  });
}

}  // namespace facekit::cli
