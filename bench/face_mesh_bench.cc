// facekit_bench_face_mesh - cost of the dense landmarks per face.
//
// For each photo the largest face is detected once; FaceMesh::Run (crop and
// face mesh network; in the second configuration also the iris network on both eyes) is
// then timed over --repeat runs after --warmup runs, on one inference thread by
// default. Prints the median and p90 wall time and the calling thread's CPU
// time (cv::dnn runs in the caller with one thread; on a shared machine the
// CPU time leaves out the time other processes held the core), for the mesh
// alone and for the mesh with eye refinement; --json prints one object per
// configuration. For scale it also times MTCNN detection of the same photos
// resized to 640x480 (engine threads: 1).
//
//   build/release/bench/facekit_bench_face_mesh [--repeat 50] [--threads 1 2] [--json]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "facekit/engine.h"
#include "facekit/face_mesh.h"
#include "facekit/image.h"
#include "image/image_internal.h"

int main(int argc, char** argv) {
  using namespace facekit;
  using namespace facekit::bench;
  const std::string data = std::string(FACEKIT_SOURCE_DIR) + "/../shared/data/faces";
  std::vector<std::string> images = {data + "/photos/obama.jpg", data + "/photos/biden.jpg",
                                     data + "/photos/obama-720p.jpg",
                                     data + "/lfw-original-250/Tony_Blair/Tony_Blair_0001.jpg"};
  std::vector<int> threads = {1};
  int repeat = 50, warmup = 5;
  bool json = false;
  std::string models = std::string(FACEKIT_SOURCE_DIR) + "/models";
  CLI::App app{"Cost of FaceMesh per face"};
  app.add_option("--images", images, "Photos (the largest face of each is used)");
  app.add_option("--threads", threads, "Inference thread counts");
  app.add_option("--repeat", repeat, "Timed runs per face")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 1000));
  app.add_option("--models", models, "Models folder");
  app.add_flag("--json", json, "One JSON object per configuration");
  CLI11_PARSE(app, argc, argv);

  EngineOptions eo;
  eo.models_dir = models;
  auto engine = FaceEngine::Create(eo);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
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
    faces.emplace_back(std::move(*img), (*found)[0]);
  }
  // For scale: MTCNN detection of the same photos resized to a 640x480 frame.
  std::vector<double> detect_ms, detect_cpu_ms;
  for (int run = 0; run < warmup + repeat; ++run) {
    for (const auto& [image, face] : faces) {
      cv::Mat frame;
      cv::resize(AsMat(image), frame, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
      const Image vga = ImageFromMat(frame);
      const double t0 = NowMs(), c0 = ThreadCpuMs();
      auto found = (*engine)->Detect(vga);
      const double t1 = NowMs(), c1 = ThreadCpuMs();
      if (!found.ok()) return 1;
      if (run >= warmup) {
        detect_ms.push_back(t1 - t0);
        detect_cpu_ms.push_back(c1 - c0);
      }
    }
  }
  const std::string cpu = CpuDescription();
  if (!json)
    std::printf("%s\n%-8s %-6s %10s %10s %12s\n", cpu.c_str(), "threads", "iris", "p50 ms", "p90 ms", "cpu p50 ms");
  for (int t : threads) {
    for (bool iris : {false, true}) {
      FaceMeshOptions o;
      o.models_dir = models;
      o.num_threads = t;
      o.refine_eyes = iris;
      auto mesh = FaceMesh::Create(o);
      if (!mesh.ok()) {
        std::fprintf(stderr, "%s\n", mesh.status().ToString().c_str());
        return 1;
      }
      Timings timed;
      if (!TimeOverFaces(
              faces, warmup, repeat, [&](const Image& i, const FaceBox& f) { return (*mesh)->Run(i, f).status(); },
              &timed)) {
        return 1;
      }
      const std::vector<double>& ms = timed.ms;
      const std::vector<double>& cpu_ms = timed.cpu_ms;
      if (json) {
        std::printf("%s\n", nlohmann::json{{"cpu", cpu},
                                           {"threads", t},
                                           {"iris", iris},
                                           {"runs", ms.size()},
                                           {"mesh_ms_p50", Quantile(ms, 0.5)},
                                           {"mesh_ms_p90", Quantile(ms, 0.9)},
                                           {"mesh_cpu_ms_p50", t == 1 ? Quantile(cpu_ms, 0.5) : -1.0}}
                                .dump()
                                .c_str());
      } else {
        std::printf("%-8d %-6s %10.2f %10.2f %12.2f\n", t, iris ? "yes" : "no", Quantile(ms, 0.5), Quantile(ms, 0.9),
                    t == 1 ? Quantile(cpu_ms, 0.5) : -1.0);
      }
    }
  }
  if (json) {
    std::printf("%s\n", nlohmann::json{{"cpu", cpu},
                                       {"detect_640x480_ms_p50", Quantile(detect_ms, 0.5)},
                                       {"detect_640x480_ms_p90", Quantile(detect_ms, 0.9)},
                                       {"detect_640x480_cpu_ms_p50", Quantile(detect_cpu_ms, 0.5)}}
                            .dump()
                            .c_str());
  } else {
    std::printf("detect 640x480 (1 thread): p50 %.2f ms, p90 %.2f ms, cpu p50 %.2f ms\n", Quantile(detect_ms, 0.5),
                Quantile(detect_ms, 0.9), Quantile(detect_cpu_ms, 0.5));
  }
  return 0;
}
