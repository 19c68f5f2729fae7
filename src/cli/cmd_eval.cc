// facekit eval detect - detection precision and recall; the eval subcommand.
#include <cstdio>
#include <iostream>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/detection_eval.h"

namespace facekit::cli {

using nlohmann::json;

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
  RegisterEvalVerify(ev, g, run);
  return ev;
}

}  // namespace facekit::cli
