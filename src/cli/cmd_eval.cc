// facekit eval verify - LFW-protocol verification accuracy.
#include <cstdio>
#include <iostream>
#include <map>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/face_picker.h"
#include "eval/detection_eval.h"
#include "eval/lfw_pairs.h"
#include "eval/roc_plot.h"
#include "eval/verification_metrics.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct EmbeddedImage {
  Embedding embedding;
  bool detected = false;
  Status error;
};

class EmbeddingCache {
 public:
  EmbeddingCache(const FaceEngine& engine, std::string dir, bool flip, ImageLimits limits)
      : engine_(engine), dir_(std::move(dir)), flip_(flip), limits_(limits) {}

  const EmbeddedImage& Get(const std::string& name, int n) {
    std::string path = eval::LfwImagePath(dir_, name, n);
    auto it = cache_.find(path);
    if (it != cache_.end()) return it->second;
    EmbeddedImage& e = cache_[path];
    double t0 = NowMs();
    auto image = LoadImageFile(path, limits_);
    if (!image.ok()) {
      e.error = image.status();
      return e;
    }
    EmbedOptions eo;
    eo.flip_augment = flip_;
    auto emb = eval::EmbedCentralFace(engine_, *image, eo, &e.detected);
    if (!emb.ok()) {
      e.error = emb.status();
      return e;
    }
    if (!e.detected) ++no_face_;
    e.embedding = std::move(*emb);
    total_ms_ += NowMs() - t0;
    return e;
  }

  int no_face() const { return no_face_; }
  size_t images() const { return cache_.size(); }
  double total_ms() const { return total_ms_; }

 private:
  const FaceEngine& engine_;
  std::string dir_;
  bool flip_;
  ImageLimits limits_;
  std::map<std::string, EmbeddedImage> cache_;
  int no_face_ = 0;
  double total_ms_ = 0;
};

// Scores every pair. Pairs with a missing image file are skipped and
// counted in *skipped; any other unreadable image fails the run.
Result<std::vector<eval::ScoredPair>> ScorePairs(const eval::LfwPairs& pairs, EmbeddingCache& cache, const char* label,
                                                 size_t* skipped) {
  std::vector<eval::ScoredPair> scored;
  ProgressBar progress(label, pairs.pairs.size(), "pairs");
  for (size_t i = 0; i < pairs.pairs.size(); ++i) {
    const eval::LfwPair& p = pairs.pairs[i];
    const EmbeddedImage& a = cache.Get(p.name1, p.n1);
    const EmbeddedImage& b = cache.Get(p.name2, p.n2);
    bool missing = false;
    for (const EmbeddedImage* e : {&a, &b}) {
      if (e->error.code() == StatusCode::kNotFound) {
        missing = true;
      } else if (!e->error.ok()) {
        return e->error;
      }
    }
    if (i % 10 == 0 || i + 1 == pairs.pairs.size()) progress.Update(i + 1);
    if (missing) {
      ++*skipped;
      continue;
    }
    scored.push_back({FaceEngine::Similarity(a.embedding, b.embedding), p.same, p.fold});
  }
  return scored;
}

std::string FarKey(double far) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", far);
  return buf;
}

}  // namespace

// Draws true positives green, false positives red, misses (unmatched
// annotations) blue and ignored annotations grey.
Status DrawDetectionResult(const Image& image, const eval::AnnotatedImage& gt, const std::vector<eval::Box>& det,
                           const eval::ImageResult& r, const std::string& path) {
  Image canvas = image;
  cv::Mat m = AsMat(canvas);
  // Boxes are in original pixels; the raster may be a reduced decode.
  const auto sx = static_cast<float>(image.scale_x()), sy = static_cast<float>(image.scale_y());
  auto rect = [&](const eval::Box& b) { return cv::Rect2f(b.x / sx, b.y / sy, b.width / sx, b.height / sy); };
  for (size_t i = 0; i < gt.boxes.size(); ++i) {
    if (gt.boxes[i].ignore) {
      cv::rectangle(m, rect(gt.boxes[i]), cv::Scalar(160, 160, 160), 1);
    } else if (!r.annotation_found[i]) {
      cv::rectangle(m, rect(gt.boxes[i]), cv::Scalar(255, 0, 0), 2);
    }
  }
  for (size_t i = 0; i < det.size(); ++i) {
    cv::Scalar colour = r.detection_kind[i] == eval::MatchKind::kTruePositive ? cv::Scalar(0, 200, 0)
                        : r.detection_kind[i] == eval::MatchKind::kIgnored    ? cv::Scalar(160, 160, 160)
                                                                              : cv::Scalar(0, 0, 255);
    cv::rectangle(m, rect(det[i]), colour, 2);
  }
  return SaveImageFile(canvas, path);
}

void RegisterEvalDetect(CLI::App* ev, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string annotations, draw;
    bool json = false;
    int min_face = 0;
    float iou = 0.5f;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = ev->add_subcommand("detect", "Detection precision, recall and average precision against dlib imglab XML");
  c->add_option("--annotations", o->annotations, "imglab XML; image paths are relative to it")->required()->check(CLI::ExistingFile);
  c->add_option("--min-face", o->min_face, "Smallest face side in pixels (default from the manifest)")->check(CLI::NonNegativeNumber);
  c->add_option("--iou", o->iou, "IoU needed for a match")->check(CLI::Range(0.05f, 1.0f));
  c->add_option("--draw", o->draw, "Write each image with true positives (green), false positives (red), misses (blue) to this folder");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      std::ifstream in(o->annotations);
      std::stringstream ss;
      ss << in.rdbuf();
      auto gt = eval::ParseImglabXml(ss.str());
      if (!gt.ok()) return Fail(Status(gt.status().code(), o->annotations + ": " + gt.status().message()));
      std::filesystem::path base = std::filesystem::path(o->annotations).parent_path();
      if (!o->draw.empty()) std::filesystem::create_directories(o->draw);
      DetectOptions dopt;
      dopt.min_face_size = o->min_face;
      std::vector<std::vector<eval::Box>> detections;
      std::vector<Image> images;
      for (const eval::AnnotatedImage& a : *gt) {
        auto image = LoadImageFile((base / a.file).string(), ImageLimitsOf(g));
        if (!image.ok()) return Fail(image.status());
        auto faces = (*engine)->Detect(*image, dopt);
        if (!faces.ok()) return Fail(faces.status());
        std::vector<eval::Box> boxes;
        for (const FaceBox& f : *faces) boxes.push_back({f.x, f.y, f.width, f.height, false, f.score});
        detections.push_back(std::move(boxes));
        if (!o->draw.empty()) images.push_back(std::move(*image));
      }
      eval::DetectionReport r = eval::EvaluateDetections(*gt, detections, o->iou);
      if (!o->draw.empty()) {
        for (size_t i = 0; i < gt->size(); ++i) {
          std::string out = (std::filesystem::path(o->draw) /
                             (std::filesystem::path((*gt)[i].file).stem().string() + ".png")).string();
          Status st = DrawDetectionResult(images[i], (*gt)[i], detections[i], r.images[i], out);
          if (!st.ok()) return Fail(st);
        }
      }
      if (o->json) {
        json per_image = json::array();
        for (const auto& ir : r.images) {
          per_image.push_back({{"file", ir.file}, {"annotated", ir.annotated}, {"detected", ir.detected},
                               {"true_positives", ir.true_positives}, {"false_positives", ir.false_positives},
                               {"misses", ir.misses}, {"ignored", ir.ignored}});
        }
        std::cout << json{{"precision", r.precision}, {"recall", r.recall}, {"average_precision", r.average_precision},
                          {"true_positives", r.true_positives}, {"false_positives", r.false_positives},
                          {"misses", r.misses}, {"annotated", r.annotated}, {"iou", o->iou}, {"images", per_image}}
                         .dump()
                  << "\n";
      } else {
        for (const auto& ir : r.images) {
          std::printf("%-24s annotated %2d detected %2d  TP %2d FP %2d missed %2d ignored %d\n", ir.file.c_str(),
                      ir.annotated, ir.detected, ir.true_positives, ir.false_positives, ir.misses, ir.ignored);
        }
        std::printf("precision %.4f  recall %.4f  AP@IoU%.2f %.4f  (TP %d, FP %d, missed %d of %d faces)\n", r.precision,
                    r.recall, static_cast<double>(o->iou), r.average_precision, r.true_positives, r.false_positives,
                    r.misses, r.annotated);
      }
      return 0;
    };
  });
}

CLI::App* RegisterEval(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* ev = app.add_subcommand("eval", "Measure accuracy");
  ev->require_subcommand(1);
  RegisterEvalDetect(ev, g, run);
  struct Opts {
    std::string pairs, train_pairs, images, roc;
    bool json = false, flip = false;
    float threshold = -2.f;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = ev->add_subcommand("verify", "LFW pair protocol: accuracy, ROC AUC, EER, TAR at FAR, confusion matrix");
  c->add_option("--pairs", o->pairs, "Pairs file to report on (LFW format; its header gives the folds)")->required()->check(CLI::ExistingFile);
  c->add_option("--train-pairs", o->train_pairs, "With a one-fold pairs file: choose the threshold on these pairs (default: on the test pairs themselves, which flatters the result)")->check(CLI::ExistingFile);
  c->add_option("--images", o->images, "Image folder: DIR/Name/Name_0001.jpg")->required()->check(CLI::ExistingDirectory);
  c->add_option("--threshold", o->threshold, "Use this cosine threshold instead of choosing one");
  c->add_option("--roc", o->roc, "Write the ROC curve (log-scale FAR) as a PNG");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->add_flag("--flip", o->flip, "Average embeddings with their mirror images'");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto test = eval::LoadLfwPairs(o->pairs);
      if (!test.ok()) return Fail(test.status());
      EmbeddingCache cache(**engine, o->images, o->flip, ImageLimitsOf(g));
      std::vector<eval::ScoredPair> train;
      size_t train_skipped = 0, skipped = 0;
      if (!o->train_pairs.empty() && test->folds == 1 && o->threshold < -1.f) {
        auto tp = eval::LoadLfwPairs(o->train_pairs);
        if (!tp.ok()) return Fail(tp.status());
        auto scored = ScorePairs(*tp, cache, "train", &train_skipped);
        if (!scored.ok()) return Fail(scored.status());
        train = std::move(*scored);
      }
      auto scored = ScorePairs(*test, cache, "test", &skipped);
      if (!scored.ok()) return Fail(scored.status());
      const std::vector<double> fars = {1e-2, 1e-3};
      eval::VerificationReport r = eval::EvaluateFolds(*scored, train, o->threshold, fars);
      std::string threshold_source = o->threshold >= -1.f ? "--threshold"
                                     : test->folds > 1    ? "the other folds"
                                     : train.empty()      ? "the test pairs themselves"
                                                          : o->train_pairs;
      double ms_per_image = cache.images() ? cache.total_ms() / static_cast<double>(cache.images()) : 0;
      if (!o->roc.empty()) {
        // Operating point: the chosen threshold on all test pairs.
        eval::Confusion at = eval::ConfusionAt(*scored, r.threshold);
        double far = at.fp + at.tn ? static_cast<double>(at.fp) / static_cast<double>(at.fp + at.tn) : 0;
        char title[160];
        std::snprintf(title, sizeof(title), "ROC, %zu pairs, AUC %.4f, EER %.2f%%%s", scored->size(), r.auc,
                      100 * r.eer, o->flip ? ", flip" : "");
        Status st = eval::DrawRocPng(eval::RocCurve(*scored), title, far, at.recall(), o->roc);
        if (!st.ok()) return Fail(st);
      }
      if (o->json) {
        json tar = json::object();
        for (const auto& [far, v] : r.tar_at_far) tar[FarKey(far)] = v;
        json per_pair = json::array();
        for (const auto& p : *scored) per_pair.push_back({p.score, p.same ? 1 : 0, p.fold});
        json out{{"accuracy_mean", r.accuracy_mean}, {"accuracy_std", r.accuracy_std}, {"fold_accuracy", r.fold_accuracy},
                 {"fold_threshold", r.fold_threshold},
                 {"auc", r.auc}, {"eer", r.eer}, {"tar_at_far", tar}, {"threshold", r.threshold},
                 {"threshold_source", threshold_source},
                 {"confusion", {{"tp", r.confusion.tp}, {"fp", r.confusion.fp}, {"tn", r.confusion.tn}, {"fn", r.confusion.fn}}},
                 {"precision", r.confusion.precision()}, {"recall", r.confusion.recall()}, {"f1", r.confusion.f1()},
                 {"no_face", cache.no_face()}, {"no_face_policy", "embedded a centred square of 0.45 x the short side"},
                 {"pairs", scored->size()}, {"folds", test->folds}, {"skipped_pairs_missing_image", skipped},
                 {"images", cache.images()}, {"ms_per_image", ms_per_image}, {"flip", o->flip}, {"scores", per_pair}};
        if (!train.empty()) {
          out["train_pairs"] = train.size();
          out["train_accuracy"] = eval::ConfusionAt(train, r.threshold).accuracy();
        }
        std::cout << out.dump() << "\n";
      } else {
        std::printf("pairs %zu in %d fold(s)", scored->size(), test->folds);
        if (skipped) std::printf(" (%zu skipped: image file missing)", skipped);
        std::printf("\naccuracy %.2f%% +- %.2f%%  threshold %.4f (chosen on %s)\n", 100 * r.accuracy_mean,
                    100 * r.accuracy_std, static_cast<double>(r.threshold), threshold_source.c_str());
        std::printf("ROC AUC %.5f  EER %.2f%%", r.auc, 100 * r.eer);
        for (const auto& [far, v] : r.tar_at_far) std::printf("  TAR@FAR=%g %.2f%%", far, 100 * v);
        std::printf("\nconfusion tp %ld fp %ld tn %ld fn %ld  precision %.4f recall %.4f F1 %.4f\n", r.confusion.tp,
                    r.confusion.fp, r.confusion.tn, r.confusion.fn, r.confusion.precision(), r.confusion.recall(),
                    r.confusion.f1());
        std::printf("images %zu, no face detected in %d (embedded a centred square instead), %.1f ms per image\n",
                    cache.images(), cache.no_face(), ms_per_image);
      }
      return 0;
    };
  });
  return ev;
}

}  // namespace facekit::cli
