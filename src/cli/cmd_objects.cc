// facekit objects IMAGE / facekit eval objects.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "eval/confusion_plot.h"
#include "eval/object_eval.h"
#include "facekit/objects.h"
#include "objects/object_drawing.h"

namespace facekit::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Options shared by both commands.
struct DetectorFlags {
  int input_size = 0;
  bool stretch = false;
  float score = -1.f, nms = -1.f;
  int top_k = 0;
  std::vector<std::string> classes;
};

void AddDetectorFlags(CLI::App* c, DetectorFlags* f, const char* score_help) {
  c->add_option("--input-size", f->input_size,
                "Longer side of the network input (multiple of 32; default from the manifest, 448)");
  c->add_flag("--stretch", f->stretch,
              "Stretch the image to a square input (as @vladmandic/human) instead of keeping its aspect ratio");
  c->add_option("--score", f->score, score_help);
  c->add_option("--nms", f->nms, "Class-wise NMS IoU (default from the manifest)");
  c->add_option("--top-k", f->top_k, "Peaks decoded before NMS (default from the manifest)");
}

Result<std::unique_ptr<ObjectDetector>> MakeDetector(const GlobalOptions& g, const DetectorFlags& f) {
  ObjectDetectorOptions o;
  o.models_dir = ResolveModelsDir(g);
  o.num_threads = g.threads;
  o.input_size = f.input_size;
  o.stretch = f.stretch;
  o.score_threshold = f.score;
  o.nms_iou = f.nms;
  o.top_k = f.top_k;
  o.classes = f.classes;
  return ObjectDetector::Create(o);
}

json ObjectJson(const DetectedObject& o) {
  return {{"label", o.label}, {"class", o.class_id}, {"score", o.score},  {"x", o.x},
          {"y", o.y},         {"width", o.width},    {"height", o.height}};
}

std::string ReadText(const std::string& path, bool* found) {
  std::ifstream in(path);
  *found = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct EvalOpts {
  std::string images, labels, names, draw, confusion;
  bool json = false;
  float operating_score = 0.25f;
  DetectorFlags flags;
};

int RunEvalObjects(const GlobalOptions& g, const EvalOpts& o) {
  bool found = false;
  std::string yaml = ReadText(o.names, &found);
  if (!found) return Fail({StatusCode::kNotFound, "cannot read " + o.names});
  auto names = eval::ParseYoloNames(yaml);
  if (!names.ok()) return Fail(names.status());
  auto detector = MakeDetector(g, o.flags);
  if (!detector.ok()) return Fail(detector.status());
  // Model class id -> dataset class id, by name.
  std::vector<int> to_dataset;
  for (const std::string& label : (*detector)->labels()) {
    auto it = std::find(names->begin(), names->end(), label);
    to_dataset.push_back(it == names->end() ? -1 : static_cast<int>(it - names->begin()));
  }
  std::vector<std::string> files;
  for (const std::string& f : SortedFiles(o.images)) {
    if (HasImageFileExtension(f)) files.push_back(f);
  }
  if (files.empty()) return Fail({StatusCode::kNotFound, "no images in " + o.images});
  if (!o.draw.empty()) fs::create_directories(o.draw);
  std::vector<eval::ImageObjects> images;
  std::vector<double> latency;
  json per_image = json::array();
  ProgressBar bar("objects", files.size(), "images");
  for (size_t i = 0; i < files.size(); ++i) {
    auto image = LoadImageFile(files[i], ImageLimitsOf(g));
    if (!image.ok()) return Fail(image.status());
    const std::string stem = fs::path(files[i]).stem().string();
    std::string label_path = (fs::path(o.labels) / (stem + ".txt")).string();
    std::string text = ReadText(label_path, &found);  // no label file: no objects
    auto truth = eval::ParseYoloLabels(text, image->original_width(), image->original_height(), label_path);
    if (!truth.ok()) return Fail(truth.status());
    double t0 = NowMs();
    auto objects = (*detector)->Detect(*image);
    latency.push_back(NowMs() - t0);
    if (!objects.ok()) return Fail(objects.status());
    eval::ImageObjects io;
    io.truth = *truth;
    for (const DetectedObject& d : *objects) {
      int c = to_dataset[static_cast<size_t>(d.class_id)];
      if (c >= 0) io.detections.push_back({c, d.x, d.y, d.x + d.width, d.y + d.height, d.score});
    }
    if (!o.draw.empty()) {
      std::vector<DetectedObject> shown, reference;
      for (const DetectedObject& d : *objects) {
        if (d.score >= o.operating_score) shown.push_back(d);
      }
      for (const eval::ObjectBox& t : io.truth)
        reference.push_back({t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1, 1.f, t.class_id, ""});
      Status st = objects::DrawObjects(*image, shown, reference, (fs::path(o.draw) / (stem + ".jpg")).string());
      if (!st.ok()) return Fail(st);
    }
    per_image.push_back({{"file", fs::path(files[i]).filename().string()},
                         {"width", image->width},
                         {"height", image->height},
                         {"truths", io.truth.size()},
                         {"detections", io.detections.size()},
                         {"ms", latency.back()}});
    images.push_back(std::move(io));
    bar.Update(i + 1);
  }
  eval::ObjectEvalOptions eo;
  eo.num_classes = static_cast<int>(names->size());
  eo.score_threshold = o.operating_score;
  eval::ObjectEvalReport r = eval::EvaluateObjects(images, eo);
  std::vector<std::string> axis = *names;
  axis.push_back("background");
  std::vector<int> shown;  // classes present in the matrix
  for (size_t c = 0; c < axis.size(); ++c) {
    int row = 0, col = 0;
    for (size_t k = 0; k < axis.size(); ++k) {
      row += r.confusion[c][k];
      col += r.confusion[k][c];
    }
    if (row + col > 0) shown.push_back(static_cast<int>(c));
  }
  if (!o.confusion.empty()) {
    char title[160];
    std::snprintf(title, sizeof(title), "confusion at score >= %.2f, IoU >= 0.5 (%zu images)",
                  static_cast<double>(o.operating_score), images.size());
    Status st = eval::DrawConfusionPng(r.confusion, axis, shown, title, o.confusion);
    if (!st.ok()) return Fail(st);
  }
  auto classes_json = json::array();
  for (const eval::ClassMetrics& m : r.classes) {
    classes_json.push_back({{"class", m.class_id},
                            {"name", (*names)[static_cast<size_t>(m.class_id)]},
                            {"truths", m.truths},
                            {"detections", m.detections},
                            {"ap50", m.ap50},
                            {"ap50_95", m.ap50_95},
                            {"precision", m.precision},
                            {"recall", m.recall}});
  }
  const double median = Percentile(latency, 0.5);
  if (o.json) {
    json conf = json::array();
    for (int c : shown) {
      json row = json::array();
      for (int k : shown) row.push_back(r.confusion[static_cast<size_t>(c)][static_cast<size_t>(k)]);
      conf.push_back(row);
    }
    json labels = json::array();
    for (int c : shown) labels.push_back(axis[static_cast<size_t>(c)]);
    std::cout << json{{"images", images.size()},
                      {"truths", r.truths},
                      {"map50", r.map50},
                      {"map50_95", r.map50_95},
                      {"operating_score", o.operating_score},
                      {"classes", classes_json},
                      {"confusion", {{"labels", labels}, {"matrix", conf}}},
                      {"latency_ms", {{"median", median}, {"p90", Percentile(latency, 0.9)}}},
                      {"per_image", per_image}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf("%-16s %6s %6s %7s %9s %6s %6s\n", "class", "truths", "dets", "AP50", "AP50:95", "P", "R");
  for (const eval::ClassMetrics& m : r.classes) {
    std::printf("%-16s %6d %6d %7.3f %9.3f %6.3f %6.3f\n",
                (*names)[static_cast<size_t>(m.class_id)].substr(0, 16).c_str(), m.truths, m.detections, m.ap50,
                m.ap50_95, m.precision, m.recall);
  }
  std::printf(
      "\nconfusion at score >= %.2f, IoU >= 0.5 (rows: true class, columns: detected; classes by id, bg = "
      "background)\n",
      static_cast<double>(o.operating_score));
  std::printf("%5s", "");
  auto id = [&](int k) { return k == eo.num_classes ? std::string("bg") : std::to_string(k); };
  for (int k : shown) std::printf("%5s", id(k).c_str());
  std::printf("\n");
  for (int c : shown) {
    std::printf("%5s", id(c).c_str());
    for (int k : shown) std::printf("%5d", r.confusion[static_cast<size_t>(c)][static_cast<size_t>(k)]);
    std::printf("\n");
  }
  std::printf(
      "\n%zu images, %d objects: mAP@0.5 %.3f, mAP@0.5:0.95 %.3f; latency per image median %.1f ms, p90 %.1f ms\n",
      images.size(), r.truths, r.map50, r.map50_95, median, Percentile(latency, 0.9));
  return 0;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

void RegisterObjects(CLI::App& app, CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string image, draw, classes;
    bool json = false;
    DetectorFlags flags;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand("objects", "Detect objects of the 80 COCO classes (CenterNet)");
  c->add_option("IMAGE", o->image, "Image file (JPEG, PNG, BMP, WebP)")->required();
  c->add_option("--classes", o->classes,
                "Comma-separated class names to report, e.g. 'person,cell phone' (default all)");
  c->add_flag("--json", o->json, "Print JSON");
  c->add_option("--draw", o->draw, "Write the image with labelled boxes drawn (format from the extension)");
  AddDetectorFlags(c, &o->flags, "Minimum score (default from the manifest)");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      o->flags.classes = SplitCommas(o->classes);
      auto detector = MakeDetector(g, o->flags);
      if (!detector.ok()) return Fail(detector.status());
      auto image = LoadImageFile(o->image, ImageLimitsOf(g));
      if (!image.ok()) return Fail(image.status());
      auto objects = (*detector)->Detect(*image);
      if (!objects.ok()) return Fail(objects.status());
      if (!o->draw.empty()) {
        Status st = objects::DrawObjects(*image, *objects, {}, o->draw);
        if (!st.ok()) return Fail(st);
      }
      if (o->json) {
        json list = json::array();
        for (const DetectedObject& d : *objects) list.push_back(ObjectJson(d));
        std::cout << json{{"width", image->original_width()}, {"height", image->original_height()}, {"objects", list}}
                         .dump()
                  << "\n";
        return 0;
      }
      for (const DetectedObject& d : *objects) {
        std::printf("%-16s %.2f  x %.0f y %.0f w %.0f h %.0f\n", d.label.c_str(), static_cast<double>(d.score),
                    static_cast<double>(d.x), static_cast<double>(d.y), static_cast<double>(d.width),
                    static_cast<double>(d.height));
      }
      std::printf("%zu objects\n", objects->size());
      return 0;
    };
  });

  auto e = std::make_shared<EvalOpts>();
  e->flags.score = 0.01f;
  CLI::App* ev = eval_app->add_subcommand(
      "objects", "Object detection mAP@0.5, mAP@0.5:0.95, per-class AP, P/R, confusion matrix, latency");
  ev->add_option("--images", e->images, "Folder of images")->required();
  ev->add_option("--labels", e->labels, "Folder of YOLO label files (<image stem>.txt: class cx cy w h, normalised)")
      ->required();
  ev->add_option("--names", e->names, "YOLO data config with the class names (names: N: name)")->required();
  ev->add_flag("--json", e->json, "Print JSON");
  ev->add_option("--draw", e->draw,
                 "Folder to write each image with its detections (coloured) and ground truth (white)");
  ev->add_option("--confusion", e->confusion, "Write the confusion matrix as a PNG");
  ev->add_option("--operating-score", e->operating_score,
                 "Score threshold of P/R, the confusion matrix and --draw (default 0.25)");
  AddDetectorFlags(ev, &e->flags, "Minimum detection score for the AP curves (default 0.01)");
  ev->callback([&g, e, run] { *run = [&g, e] { return RunEvalObjects(g, *e); }; });
}

}  // namespace facekit::cli
