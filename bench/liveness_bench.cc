// facekit_bench_liveness - what the liveness decision costs per 640x480
// frame, by step: the screen cues (bezel lines, spectrum, colour: Analyze
// with the object detections given), the object detector (DetectMedia,
// CenterNet on the whole frame), the passive model, and face detection for
// comparison. The frames are the first pairs of the synthetic replay set's
// tuning half (built in memory); each step is timed over --repeat rounds
// after --warmup rounds, one inference thread. Prints median and p90 wall
// time and, for the calling thread, its CPU time (cv::dnn runs in the
// caller with one thread), which leaves out time other processes held the
// core on a shared machine.
//
//   build/release/bench/facekit_bench_liveness [--pairs 5] [--repeat 10] [--json]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "eval/replay_set.h"
#include "facekit/engine.h"
#include "facekit/spoof_medium_detector.h"
#include "image/image_internal.h"

int main(int argc, char** argv) {
  using namespace facekit;
  using namespace facekit::bench;
  int pairs = 5, repeat = 10, warmup = 2;
  bool json = false;
  std::string models = std::string(FACEKIT_SOURCE_DIR) + "/models";
  std::string data = std::string(FACEKIT_SOURCE_DIR) + "/../shared/data";
  CLI::App app{"Cost of the liveness decision's steps per frame"};
  app.add_option("--pairs", pairs, "Replay-set pairs to time (two frames each)")->check(CLI::Range(1, 1000));
  app.add_option("--repeat", repeat, "Timed rounds")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Untimed rounds first")->check(CLI::Range(0, 1000));
  app.add_option("--models", models, "Models folder");
  app.add_option("--data", data, "Shared data folder (LFW, COCO)");
  app.add_flag("--json", json, "One JSON object per step");
  CLI11_PARSE(app, argc, argv);

  auto fail = [](const Status& s) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  };
  eval::ReplaySetOptions ro;
  ro.data_dir = data;
  ro.pairs = pairs;
  auto set = eval::ReplaySet::Create(ro, eval::ReplayHalf::kTuning);
  if (!set.ok()) return fail(set.status());
  EngineOptions eo;
  eo.models_dir = models;
  auto engine = FaceEngine::Create(eo);
  if (!engine.ok()) return fail(engine.status());
  SpoofMediumOptions so;
  so.models_dir = models;
  auto medium = SpoofMediumDetector::Create(so);
  if (!medium.ok()) return fail(medium.status());
  struct Frame {
    Image image;
    FaceBox face;
  };
  std::vector<Frame> frames;
  for (int i = 0; i < set->size(); ++i) {
    auto f = set->Frame(i);
    if (!f.ok()) return fail(f.status());
    Frame frame{ImageFromMat(f->bgr), {}};
    auto faces = (*engine)->Detect(frame.image);
    if (!faces.ok()) return fail(faces.status());
    if (faces->empty()) continue;  // a replay whose face the detector misses
    frame.face = faces->front();
    frames.push_back(std::move(frame));
  }
  const std::vector<DetectedObject> no_objects;
  struct Step {
    const char* name;
    std::function<Status(const Frame&)> run;
  };
  const std::vector<Step> steps = {
      {"screen cues (Analyze, detections given)",
       [&](const Frame& f) { return (*medium)->Analyze(f.image, f.face, &no_objects).status(); }},
      {"object detection (DetectMedia)", [&](const Frame& f) { return (*medium)->DetectMedia(f.image).status(); }},
      {"passive model (FaceEngine::Liveness)",
       [&](const Frame& f) { return (*engine)->Liveness(f.image, f.face).status(); }},
      {"face detection (FaceEngine::Detect)", [&](const Frame& f) { return (*engine)->Detect(f.image).status(); }},
  };
  const std::string cpu = CpuDescription();
  if (!json)
    std::printf("%s, %zu frames of 640x480, 1 thread\n%-42s %9s %9s %12s\n", cpu.c_str(), frames.size(), "step",
                "p50 ms", "p90 ms", "cpu p50 ms");
  for (const Step& step : steps) {
    std::vector<double> ms, cpu_ms;
    for (int round = 0; round < warmup + repeat; ++round) {
      for (const Frame& f : frames) {
        const double t0 = NowMs(), c0 = ThreadCpuMs();
        const Status s = step.run(f);
        const double t1 = NowMs(), c1 = ThreadCpuMs();
        if (!s.ok()) return fail(s);
        if (round >= warmup) {
          ms.push_back(t1 - t0);
          cpu_ms.push_back(c1 - c0);
        }
      }
    }
    if (json) {
      std::printf("%s\n", nlohmann::json{{"cpu", cpu},
                                         {"step", step.name},
                                         {"frames", frames.size()},
                                         {"runs", ms.size()},
                                         {"ms_p50", Quantile(ms, 0.5)},
                                         {"ms_p90", Quantile(ms, 0.9)},
                                         {"cpu_ms_p50", Quantile(cpu_ms, 0.5)}}
                              .dump()
                              .c_str());
    } else {
      std::printf("%-42s %9.1f %9.1f %12.1f\n", step.name, Quantile(ms, 0.5), Quantile(ms, 0.9), Quantile(cpu_ms, 0.5));
    }
  }
  return 0;
}
