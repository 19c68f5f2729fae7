// facekit_bench_engine - per-stage latency of the face engine.
//
// For each image and each thread count: decode, detect, align (largest
// face) and embed (largest face), each timed separately over --repeat runs
// after --warmup runs; prints medians and p90 in a table, and one JSON
// object per line with --json.
//
//   build/release/bench/facekit_bench_engine                 # defaults below
//   build/release/bench/facekit_bench_engine --threads 1 --repeat 50 --json
//   build/release/bench/facekit_bench_engine --embedder resnet128   # align + embed with face-api's ResNet-128
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "facekit/engine.h"
#include "facekit/image.h"
#include "bench_util.h"

int main(int argc, char** argv) {
  using namespace facekit;
  using namespace facekit::bench;
  const std::string data = std::string(FACEKIT_SOURCE_DIR) + "/../shared/data";
  std::vector<std::string> images = {data + "/faces/photos/obama-720p.jpg", data + "/liveness/samples/image_T1.jpg"};
  std::vector<int> threads = {1, 2};
  int repeat = 30, warmup = 3, min_face = 0;
  std::string models = std::string(FACEKIT_SOURCE_DIR) + "/models";
  bool json = false;
  CLI::App app{"Per-stage latency of the FaceKit engine"};
  app.add_option("--images", images, "Photos to time (default: obama-720p.jpg and a 640x480 one-face frame)");
  app.add_option("--threads", threads, "Thread counts to run with");
  app.add_option("--repeat", repeat, "Timed runs per configuration")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 1000));
  app.add_option("--min-face", min_face, "Minimum face size (0 = manifest default)");
  app.add_option("--models", models, "Models folder");
  app.add_flag("--json", json, "One JSON object per configuration");
  std::string embedder_name = "mobilefacenet";
  app.add_option("--embedder", embedder_name, "Embedder to align and embed with (mobilefacenet or resnet128)")
      ->check(CLI::IsMember({"mobilefacenet", "resnet128"}));
  CLI11_PARSE(app, argc, argv);
  const EmbedderKind embedder = *ParseEmbedderKind(embedder_name);

  const std::string cpu = CpuDescription();
  if (!json) {
    std::printf("%s; embedder %s\n", cpu.c_str(), embedder_name.c_str());
    std::printf("%-28s %7s %8s %8s %8s %8s %10s %10s\n", "image", "threads", "decode", "detect", "align", "embed",
                "det+al+emb", "p90 total");
  }
  for (int t : threads) {
    EngineOptions eo;
    eo.models_dir = models;
    eo.num_threads = t;
    if (embedder != EmbedderKind::kMobileFaceNet) eo.extra_embedders = {embedder};
    auto engine = FaceEngine::Create(eo);
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
      return 1;
    }
    for (const std::string& path : images) {
      auto bytes = ReadFileBytes(path);
      if (!bytes.ok()) {
        std::fprintf(stderr, "%s\n", bytes.status().ToString().c_str());
        return 1;
      }
      DetectOptions dopt;
      dopt.min_face_size = min_face;
      std::vector<double> dec, det, ali, emb, chain, pnet, rnet, onet;
      DetectStats last_stats;
      int width = 0, height = 0;
      size_t faces_found = 0;
      for (int i = 0; i < warmup + repeat; ++i) {
        double t0 = NowMs();
        auto image = DecodeImage(*bytes);
        double t1 = NowMs();
        if (!image.ok()) {
          std::fprintf(stderr, "%s: %s\n", path.c_str(), image.status().ToString().c_str());
          return 1;
        }
        DetectStats ds;
        auto faces = (*engine)->Detect(*image, dopt, &ds);
        double t2 = NowMs();
        if (!faces.ok() || faces->empty()) {
          std::fprintf(stderr, "%s: no face\n", path.c_str());
          return 1;
        }
        auto chip = (*engine)->Align(*image, (*faces)[static_cast<size_t>(LargestFace(*faces))], embedder);
        double t3 = NowMs();
        if (!chip.ok()) return 1;
        EmbedOptions emo;
        emo.embedder = embedder;
        auto e = (*engine)->Embed(std::span<const Image>(&*chip, 1), emo);
        double t4 = NowMs();
        if (!e.ok()) return 1;
        if (i < warmup) continue;
        dec.push_back(t1 - t0);
        det.push_back(t2 - t1);
        ali.push_back(t3 - t2);
        emb.push_back(t4 - t3);
        chain.push_back(t4 - t1);
        pnet.push_back(ds.pnet_ms);
        rnet.push_back(ds.rnet_ms);
        onet.push_back(ds.onet_ms);
        last_stats = ds;
        width = image->width;
        height = image->height;
        faces_found = faces->size();
      }
      std::string name = path.substr(path.find_last_of('/') + 1);
      if (json) {
        nlohmann::json j{{"image", name}, {"width", width}, {"height", height}, {"faces", faces_found},
                         {"threads", t}, {"embedder", embedder_name}, {"runs", repeat}, {"decode_ms_p50", Quantile(dec, 0.5)},
                         {"detect_ms_p50", Quantile(det, 0.5)}, {"align_ms_p50", Quantile(ali, 0.5)},
                         {"embed_ms_p50", Quantile(emb, 0.5)}, {"detect_align_embed_ms_p50", Quantile(chain, 0.5)},
                         {"detect_align_embed_ms_p90", Quantile(chain, 0.9)}, {"pnet_ms_p50", Quantile(pnet, 0.5)},
                         {"rnet_ms_p50", Quantile(rnet, 0.5)}, {"onet_ms_p50", Quantile(onet, 0.5)},
                         {"pyramid_levels", last_stats.pyramid_levels}, {"proposals", last_stats.proposals},
                         {"refined", last_stats.refined}, {"second_chance", last_stats.second_chance}, {"cpu", cpu}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%-28s %7d %8.2f %8.2f %8.2f %8.2f %10.2f %10.2f\n",
                    (name + " " + std::to_string(width) + "x" + std::to_string(height)).c_str(), t, Quantile(dec, 0.5),
                    Quantile(det, 0.5), Quantile(ali, 0.5), Quantile(emb, 0.5), Quantile(chain, 0.5), Quantile(chain, 0.9));
        std::printf("%-28s %7s   detect = P-Net %.2f (%d levels) + R-Net %.2f (%d boxes) + O-Net %.2f (%d + %d boxes)\n", "", "",
                    Quantile(pnet, 0.5), last_stats.pyramid_levels, Quantile(rnet, 0.5), last_stats.proposals,
                    Quantile(onet, 0.5), last_stats.refined, last_stats.second_chance);
      }
    }
  }
  if (!json) std::printf("(milliseconds; medians of %d runs after %d warm-up runs; det+al+emb is the per-run sum)\n", repeat, warmup);
  return 0;
}
