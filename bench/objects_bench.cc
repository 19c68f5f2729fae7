// facekit_bench_objects - latency of the object detector on 640x480 frames.
//
// Each image is resized to --width x --height (default 640x480, a VGA
// camera frame) in memory; ObjectDetector::Detect (resize, CenterNet on
// cv::dnn, grid decode, NMS) is timed over --repeat runs after --warmup
// runs, per thread count; prints median and p90 wall time as a table, or
// one JSON object per configuration with --json. With one thread the
// calling thread's CPU time is reported too: on a shared machine it leaves
// out the time other processes held the core.
//
//   build/release/bench/facekit_bench_objects                   # 1 thread, 512 input
//   build/release/bench/facekit_bench_objects --threads 1 2 --input-size 512 416 --json
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "facekit/image.h"
#include "facekit/objects.h"
#include "image/image_internal.h"

int main(int argc, char** argv) {
  using namespace facekit;
  using namespace facekit::bench;
  const std::string data = std::string(FACEKIT_SOURCE_DIR) + "/../shared/data";
  std::vector<std::string> images = {data + "/detection/coco128-train/images/train2017/000000000036.jpg",
                                     data + "/detection/coco128-train/images/train2017/000000000133.jpg",
                                     data + "/faces/photos/obama_and_biden.jpg"};
  std::vector<int> threads = {1};
  std::vector<int> sizes = {512};
  int repeat = 20, warmup = 3, width = 640, height = 480;
  bool stretch = false, json = false;
  std::string models = std::string(FACEKIT_SOURCE_DIR) + "/models";
  CLI::App app{"Latency of the FaceKit object detector"};
  app.add_option("--images", images, "Photos to time (each resized to --width x --height)");
  app.add_option("--threads", threads, "Thread counts to run with");
  app.add_option("--input-size", sizes, "Network input sizes (longer side) to run with");
  app.add_option("--width", width, "Frame width")->check(CLI::Range(32, 8192));
  app.add_option("--height", height, "Frame height")->check(CLI::Range(32, 8192));
  app.add_option("--repeat", repeat, "Timed runs per configuration")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 1000));
  app.add_flag("--stretch", stretch, "Stretch frames to a square input");
  app.add_option("--models", models, "Models folder");
  app.add_flag("--json", json, "One JSON object per configuration");
  CLI11_PARSE(app, argc, argv);

  std::vector<Image> frames;
  for (const std::string& path : images) {
    auto img = LoadImageFile(path);
    if (!img.ok()) {
      std::fprintf(stderr, "%s\n", img.status().ToString().c_str());
      return 1;
    }
    cv::Mat resized;
    cv::resize(AsMat(*img), resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    frames.push_back(ImageFromMat(resized));
  }
  const std::string cpu = CpuDescription();
  if (!json) {
    std::printf("%s\n%-8s %-6s %-7s %10s %10s %12s %8s\n", cpu.c_str(), "threads", "input", "frame", "p50 ms", "p90 ms",
                "cpu p50 ms", "objects");
  }
  for (int t : threads) {
    for (int size : sizes) {
      ObjectDetectorOptions o;
      o.models_dir = models;
      o.num_threads = t;
      o.input_size = size;
      o.stretch = stretch;
      auto det = ObjectDetector::Create(o);
      if (!det.ok()) {
        std::fprintf(stderr, "%s\n", det.status().ToString().c_str());
        return 1;
      }
      std::vector<double> ms, cpu_ms;
      size_t objects = 0;
      for (int run = 0; run < warmup + repeat; ++run) {
        for (const Image& f : frames) {
          double t0 = NowMs(), c0 = ThreadCpuMs();
          auto r = (*det)->Detect(f);
          double t1 = NowMs(), c1 = ThreadCpuMs();
          if (!r.ok()) {
            std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
            return 1;
          }
          if (run >= warmup) {
            ms.push_back(t1 - t0);
            cpu_ms.push_back(c1 - c0);
            objects += r->size();
          }
        }
      }
      const double per_frame_objects = static_cast<double>(objects) / static_cast<double>(ms.size());
      const std::string frame = std::to_string(width) + "x" + std::to_string(height);
      if (json) {
        std::printf("%s\n", nlohmann::json{{"cpu", cpu},
                                           {"threads", t},
                                           {"input_size", size},
                                           {"stretch", stretch},
                                           {"frame", frame},
                                           {"runs", ms.size()},
                                           {"detect_ms_p50", Quantile(ms, 0.5)},
                                           {"detect_ms_p90", Quantile(ms, 0.9)},
                                           {"detect_cpu_ms_p50", t == 1 ? Quantile(cpu_ms, 0.5) : -1.0},
                                           {"objects_per_frame", per_frame_objects}}
                                .dump()
                                .c_str());
      } else {
        std::printf("%-8d %-6d %-7s %10.1f %10.1f %12.1f %8.1f\n", t, size, frame.c_str(), Quantile(ms, 0.5),
                    Quantile(ms, 0.9), t == 1 ? Quantile(cpu_ms, 0.5) : -1.0, per_frame_objects);
      }
    }
  }
  return 0;
}
