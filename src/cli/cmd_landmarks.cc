// facekit eval landmarks: the cloud face contours (AnalyzeFace's FaceShape,
// from the face mesh) against 68-point annotations (docs/face-shape.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/face_shape_output.h"
#include "eval/landmark_eval.h"
#include "facekit/face_mesh.h"
#include "facekit/face_shape.h"
#include "facekit/image.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct Opts {
  std::vector<std::string> annotations;
  std::string draw;
  bool json = false;
  float iou = 0.3f;
  int min_face = 20;
};

int Run(const GlobalOptions& g, const Opts& o) {
  auto engine = MakeEngine(g);
  if (!engine.ok()) return Fail(engine.status());
  FaceMeshOptions mo;
  mo.models_dir = ResolveModelsDir(g);
  mo.num_threads = g.threads;
  auto mesh = FaceMesh::Create(mo);
  if (!mesh.ok()) return Fail(mesh.status());
  if (!o.draw.empty()) std::filesystem::create_directories(o.draw);
  std::vector<eval::FaceLandmarkError> faces;
  int annotated = 0;
  DetectOptions dopt;
  dopt.min_face_size = o.min_face;
  for (const std::string& xml_path : o.annotations) {
    std::ifstream in(xml_path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto gt = eval::ParseImglabXml(ss.str());
    if (!gt.ok()) return Fail(Status(gt.status().code(), xml_path + ": " + gt.status().message()));
    const std::filesystem::path base = std::filesystem::path(xml_path).parent_path();
    for (const eval::AnnotatedImage& a : *gt) {
      auto image = LoadImageFile((base / a.file).string(), ImageLimitsOf(g));
      if (!image.ok()) return Fail(image.status());
      auto found = (*engine)->Detect(*image, dopt);
      if (!found.ok()) return Fail(found.status());
      std::vector<FaceBox> drawn;
      std::vector<std::vector<ShapeGroup>> shapes;
      for (std::size_t bi = 0; bi < a.boxes.size(); ++bi) {
        const eval::Box& box = a.boxes[bi];
        const std::vector<eval::BoxPart>& parts = a.box_parts[bi];
        if (box.ignore || parts.size() < 68) continue;
        ++annotated;
        // The detection that overlaps the annotated box most.
        int best = -1;
        float best_iou = o.iou;
        for (std::size_t i = 0; i < found->size(); ++i) {
          const FaceBox& f = (*found)[i];
          const float iou = eval::IoU(box, {f.x, f.y, f.width, f.height, false, f.score});
          if (iou >= best_iou) {
            best_iou = iou;
            best = static_cast<int>(i);
          }
        }
        if (best < 0) continue;
        const FaceBox& face = (*found)[static_cast<std::size_t>(best)];
        auto m = (*mesh)->Run(*image, face);
        if (!m.ok()) return Fail(m.status());
        auto shape = MapFaceShape(*m);
        if (!shape.ok()) return Fail(shape.status());
        auto err = eval::FaceShapeError(parts, *shape);
        if (!err.ok()) return Fail(Status(err.status().code(), a.file + ": " + err.status().message()));
        err->file = a.file;
        faces.push_back(std::move(*err));
        drawn.push_back(face);
        shapes.push_back(std::move(*shape));
      }
      if (!o.draw.empty()) {
        const std::string out =
            (std::filesystem::path(o.draw) / (std::filesystem::path(a.file).stem().string() + ".png")).string();
        if (Status st = DrawShapes(*image, drawn, shapes, out); !st.ok()) return Fail(st);
      }
    }
  }
  const eval::LandmarkReport r = eval::SummariseLandmarks(std::move(faces), annotated);
  if (o.json) {
    json per_face = json::array();
    for (const auto& f : r.faces) {
      per_face.push_back({{"file", f.file}, {"inter_ocular", f.inter_ocular}, {"nme", f.nme}, {"groups", f.group_nme}});
    }
    json groups = json::object();
    for (const auto& [name, e] : r.group_nme) groups[name] = {{"nme", e}, {"points", r.group_points.at(name)}};
    std::cout << json{{"annotated", r.annotated}, {"found", r.found},         {"nme", r.nme},
                      {"max_nme", r.max_nme},     {"over_10_percent", r.over_10_percent},
                      {"groups", groups},         {"normalisation", "inter-ocular (outer eye corners, points 36-45)"},
                      {"point_nme", r.point_nme},
                      {"faces", per_face}}
                     .dump()
              << "\n";
  } else {
    std::printf("faces: %d annotated, %d found (detection IoU >= %.2f)\n", r.annotated, r.found,
                static_cast<double>(o.iou));
    for (const auto& [name, e] : r.group_nme) {
      std::printf("  %-13s %2d points  NME %.4f\n", name.c_str(), r.group_points.at(name), e);
    }
    std::printf("  all           68 points  NME %.4f (worst face %.4f, %d over 0.10)\n", r.nme, r.max_nme,
                r.over_10_percent);
  }
  return 0;
}

}  // namespace

void RegisterEvalLandmarks(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<Opts>();
  CLI::App* c = eval_app->add_subcommand(
      "landmarks", "AnalyzeFace's contours (from the face mesh) against 68-point annotations: NME per group");
  c->add_option("--annotations", o->annotations, "imglab XML with 68 <part>s per box; image paths relative to it")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--iou", o->iou, "IoU of a detection with the annotated box to count as that face")
      ->check(CLI::Range(0.05f, 1.0f));
  c->add_option("--min-face", o->min_face, "Smallest face side in pixels for the detector")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--draw", o->draw, "Write each image with the contours drawn to this folder");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->callback([&g, o, run] { *run = [&g, o] { return Run(g, *o); }; });
}

}  // namespace facekit::cli
