// facekit_bench_attributes - cost of face attributes per face.
//
// For each photo the largest face is detected once; then each attribute step
// is timed over --repeat runs after --warmup runs on one inference thread by
// default: the age/gender network, the expression network, eye openness as
// the server measures it (the iris model on two eye crops placed from the
// detector's landmarks, "eye_openness"), the face mesh with eye refinement
// ("eyes_mesh_iris", the earlier path), the face mesh alone (eye openness
// from the mesh's own eyelids, "eyes_mesh_only"), and age/gender +
// expression + eye_openness together ("all": what DetectFace with
// NeedFaceAttributes adds per face). Prints the median and
// p90 wall time and the calling thread's CPU time (cv::dnn runs in the
// caller with one thread; on a shared machine CPU time leaves out the time
// other processes held the core); --json prints one object per step.
//
// --age-gender-model / --expression-model pick a manifest model other than
// the roles' defaults (faceres or faceapi-age-gender, emotion or
// faceapi-expression) to compare their cost.
//
//   build/release/bench/facekit_bench_attributes [--repeat 50] [--threads 1] [--json]
//       [--age-gender-model NAME] [--expression-model NAME]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "facekit/engine.h"
#include "facekit/face_attributes.h"
#include "facekit/face_mesh.h"
#include "facekit/image.h"

int main(int argc, char** argv) {
  using namespace facekit;
  using namespace facekit::bench;
  const std::string data = std::string(FACEKIT_SOURCE_DIR) + "/../shared/data/faces";
  std::vector<std::string> images = {data + "/photos/obama.jpg", data + "/photos/biden.jpg",
                                     data + "/photos/obama-720p.jpg",
                                     data + "/lfw-original-250/Tony_Blair/Tony_Blair_0001.jpg"};
  int threads = 1, repeat = 50, warmup = 5;
  bool json = false;
  std::string models = std::string(FACEKIT_SOURCE_DIR) + "/models";
  std::string age_gender_model, expression_model;
  CLI::App app{"Cost of face attributes per face"};
  app.add_option("--images", images, "Photos (the largest face of each is used)");
  app.add_option("--threads", threads, "Inference threads")->check(CLI::Range(0, 64));
  app.add_option("--repeat", repeat, "Timed runs per face")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 1000));
  app.add_option("--models", models, "Models folder");
  app.add_option("--age-gender-model", age_gender_model, "Manifest model for age/gender (default: the role's)");
  app.add_option("--expression-model", expression_model, "Manifest model for expression (default: the role's)");
  app.add_flag("--json", json, "One JSON object per step");
  CLI11_PARSE(app, argc, argv);

  EngineOptions eo;
  eo.models_dir = models;
  eo.num_threads = threads;
  auto engine = FaceEngine::Create(eo);
  FaceAttributeOptions ao;
  ao.models_dir = models;
  ao.num_threads = threads;
  ao.age_gender_model = age_gender_model;
  ao.expression_model = expression_model;
  auto attributes = FaceAttributeModels::Create(ao);
  FaceMeshOptions mo;
  mo.models_dir = models;
  mo.num_threads = threads;
  auto mesh = FaceMesh::Create(mo);
  mo.refine_eyes = false;
  auto mesh_alone = FaceMesh::Create(mo);
  EyeLandmarksOptions lo;
  lo.models_dir = models;
  lo.num_threads = threads;
  auto eyes = EyeLandmarks::Create(lo);
  for (const Status& s : {engine.status(), attributes.status(), mesh.status(), mesh_alone.status(), eyes.status()}) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::vector<std::pair<Image, FaceBox>> faces;
  for (const std::string& path : images) {
    auto img = LoadImageFile(path);
    if (!img.ok()) {
      std::fprintf(stderr, "%s\n", img.status().ToString().c_str());
      return 1;
    }
    auto found = (*engine)->Detect(*img);
    if (!found.ok() || found->empty()) {
      std::fprintf(stderr, "%s: no face\n", path.c_str());
      return 1;
    }
    faces.emplace_back(std::move(*img), (*found)[static_cast<size_t>(LargestFace(*found))]);
  }
  AttributeRequest age_gender{true, false}, expression{false, true};
  const std::vector<std::pair<std::string, std::function<Status(const Image&, const FaceBox&)>>> steps = {
      {"age_gender", [&](const Image& i, const FaceBox& f) { return (*attributes)->Run(i, f, age_gender).status(); }},
      {"expression", [&](const Image& i, const FaceBox& f) { return (*attributes)->Run(i, f, expression).status(); }},
      {"eye_openness", [&](const Image& i, const FaceBox& f) { return (*eyes)->Run(i, f).status(); }},
      {"eyes_mesh_iris",
       [&](const Image& i, const FaceBox& f) {
         auto m = (*mesh)->Run(i, f);
         if (!m.ok()) return m.status();
         return MeshEyeOpenness(m->points).status();
       }},
      {"eyes_mesh_only",
       [&](const Image& i, const FaceBox& f) {
         auto m = (*mesh_alone)->Run(i, f);
         if (!m.ok()) return m.status();
         return MeshEyeOpenness(m->points).status();
       }},
      {"all",
       [&](const Image& i, const FaceBox& f) {
         FACEKIT_RETURN_IF_ERROR((*attributes)->Run(i, f).status());
         return (*eyes)->Run(i, f).status();
       }},
  };
  const std::string cpu = CpuDescription();
  std::string used;
  for (const std::string& d : (*attributes)->model_descriptions()) used += (used.empty() ? "" : ", ") + d;
  if (!json)
    std::printf("%s, %d thread(s); models: %s\n%-14s %10s %10s %12s\n", cpu.c_str(), threads, used.c_str(), "step",
                "p50 ms", "p90 ms", "cpu p50 ms");
  for (const auto& [name, step] : steps) {
    Timings timed;
    if (!TimeOverFaces(faces, warmup, repeat, step, &timed)) return 1;
    const std::vector<double>& ms = timed.ms;
    const std::vector<double>& cpu_ms = timed.cpu_ms;
    if (json) {
      std::printf("%s\n", nlohmann::json{{"cpu", cpu},
                                         {"threads", threads},
                                         {"models", used},
                                         {"step", name},
                                         {"runs", ms.size()},
                                         {"ms_p50", Quantile(ms, 0.5)},
                                         {"ms_p90", Quantile(ms, 0.9)},
                                         {"cpu_ms_p50", Quantile(cpu_ms, 0.5)}}
                              .dump()
                              .c_str());
    } else {
      std::printf("%-14s %10.2f %10.2f %12.2f\n", name.c_str(), Quantile(ms, 0.5), Quantile(ms, 0.9),
                  Quantile(cpu_ms, 0.5));
    }
  }
  return 0;
}
