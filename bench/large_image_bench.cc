// facekit_bench_large_image - decode and detect time and peak memory for
// phone-sized JPEGs, decoded at the working resolution and in full.
//
// Builds a 12 MP (4000x3000) and a 50 MP (8160x6120) JPEG at run time from a
// shared photo: scaled up to cover, centre-cropped, with deterministic noise
// (8 grey levels) so that the files weigh what a phone's do (about 3.4 and
// 14 MB), written to a temporary folder and removed afterwards.
//
// Each (image, working size) is measured in its own process (this program
// re-executed), so its peak RSS (ru_maxrss from wait4) is that case's alone:
// the engine is loaded, the file read, then decode runs --repeat times and
// detect --repeat times on the result; medians are reported, with the peak
// RSS after the decodes and after everything. A "baseline" process does
// everything but decode and detect (the engine's and the file's memory).
// Working size 2560 is the default ImageLimits; 0 decodes in full. The JPEGs
// are made by child processes too: Linux carries a process's peak RSS across
// exec into the spawned child's ru_maxrss, so the parent must stay small.
//
//   build/release/bench/facekit_bench_large_image [--repeat 5] [--json]
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "facekit/engine.h"
#include "facekit/image.h"

extern char** environ;

namespace {

using nlohmann::json;

using facekit::bench::NowMs;

// `photo` scaled up to cover width x height, centre-cropped, with Gaussian
// noise of `noise` grey levels (fixed seed), as a quality-92 JPEG file.
bool WritePhonePhoto(const std::string& photo, int width, int height, double noise, const std::string& path) {
  cv::Mat src = cv::imread(photo, cv::IMREAD_COLOR);
  if (src.empty()) return false;
  const double s = std::max(static_cast<double>(width) / src.cols, static_cast<double>(height) / src.rows);
  cv::Mat big;
  cv::resize(src, big,
             cv::Size(std::max(width, static_cast<int>(src.cols * s + 0.5)),
                      std::max(height, static_cast<int>(src.rows * s + 0.5))),
             0, 0, cv::INTER_CUBIC);
  cv::Mat out = big(cv::Rect((big.cols - width) / 2, (big.rows - height) / 2, width, height)).clone();
  if (noise > 0) {
    cv::Mat n(out.size(), CV_16SC3);
    cv::RNG rng(12345);
    rng.fill(n, cv::RNG::NORMAL, 0, noise);
    cv::Mat wide;
    out.convertTo(wide, CV_16SC3);
    wide += n;
    wide.convertTo(out, CV_8UC3);
  }
  return cv::imwrite(path, out, {cv::IMWRITE_JPEG_QUALITY, 92});
}

// The measuring process: prints one JSON object on stdout.
int Measure(const std::string& models, const std::string& file, const std::string& mode, int repeat) {
  using namespace facekit;
  EngineOptions eo;
  eo.models_dir = models;
  auto engine = FaceEngine::Create(eo);
  if (!engine.ok()) {
    std::cerr << engine.status().ToString() << "\n";
    return 1;
  }
  auto bytes = ReadFileBytes(file);
  if (!bytes.ok()) {
    std::cerr << bytes.status().ToString() << "\n";
    return 1;
  }
  json out = {{"mode", mode}};
  if (mode == "baseline") {
    std::cout << out.dump() << "\n";
    return 0;
  }
  ImageLimits limits;
  limits.working_long_side = std::stoi(mode);  // 0 = full size
  std::vector<double> decode_ms, detect_ms;
  Image image;
  for (int i = 0; i < repeat; ++i) {
    image = Image{};  // one decoded image at a time
    const double t0 = NowMs();
    auto decoded = DecodeImage(*bytes, limits);
    decode_ms.push_back(NowMs() - t0);
    if (!decoded.ok()) {
      std::cerr << decoded.status().ToString() << "\n";
      return 1;
    }
    image = std::move(*decoded);
  }
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  out["decode_peak_rss_mib"] = static_cast<double>(self.ru_maxrss) / 1024.0;
  std::vector<FaceBox> faces;
  for (int i = 0; i < repeat; ++i) {
    const double t0 = NowMs();
    auto found = (*engine)->Detect(image);
    detect_ms.push_back(NowMs() - t0);
    if (!found.ok()) {
      std::cerr << found.status().ToString() << "\n";
      return 1;
    }
    faces = std::move(*found);
  }
  out["decode_ms"] = facekit::bench::Quantile(decode_ms, 0.5);
  out["detect_ms"] = facekit::bench::Quantile(detect_ms, 0.5);
  out["raster"] = std::to_string(image.width) + "x" + std::to_string(image.height);
  out["faces"] = faces.size();
  if (!faces.empty()) {
    const FaceBox& f = faces[static_cast<size_t>(LargestFace(faces))];
    out["largest_face"] = {f.x, f.y, f.width, f.height};  // original pixels
  }
  std::cout << out.dump() << "\n";
  return 0;
}

// Runs this program with `args`; its JSON line and its peak RSS in MiB.
json RunChild(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {{"error", "pipe"}};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> all = {"/proc/self/exe"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    return {{"error", "spawn"}};
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  json j = json::parse(text, nullptr, false);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || j.is_discarded()) return {{"error", "child failed"}};
  j["peak_rss_mib"] = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string source = FACEKIT_SOURCE_DIR;
  std::string photo = source + "/../shared/data/faces/photos/obama-1080p.jpg";
  std::string models = source + "/models";
  std::string measure, mode = "baseline";
  std::vector<std::string> working_sizes = {"2560", "1280", "0"};
  int repeat = 5;
  double noise = 8;
  bool json_out = false;
  CLI::App app{"Decode and detect time and peak RSS for 12 MP and 50 MP JPEGs, reduced decode vs full"};
  app.add_option("--photo", photo, "Shared photo the large JPEGs are made from");
  app.add_option("--models", models, "Models folder");
  app.add_option("--repeat", repeat, "Timed decode+detect runs per case (medians)")->check(CLI::Range(1, 1000));
  app.add_option("--noise", noise, "Gaussian noise (grey levels) added to the upscaled photo");
  app.add_flag("--json", json_out, "One JSON object per case");
  app.add_option("--measure", measure, "(internal) measure this file in this process");
  std::string make;
  int width = 0, height = 0;
  app.add_option("--make", make, "(internal) write the phone-sized JPEG to this file");
  app.add_option("--width", width, "(internal) with --make");
  app.add_option("--height", height, "(internal) with --make");
  app.add_option("--working-sizes", working_sizes, "Working sizes to compare (0 = full decode)");
  app.add_option("--mode", mode, "(internal) baseline or a working size");
  CLI11_PARSE(app, argc, argv);
  if (!measure.empty()) return Measure(models, measure, mode, repeat);
  if (!make.empty()) {
    if (!WritePhonePhoto(photo, width, height, noise, make)) return 1;
    std::cout << json{{"made", make}}.dump() << "\n";
    return 0;
  }

  char tmpl[] = "/tmp/facekit-large-image-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::filesystem::path dir = tmpl;
  struct Size {
    const char* name;
    int width, height;
  };
  const std::string cpu = facekit::bench::CpuDescription();
  if (!json_out) {
    std::printf("%s\n%-6s %-8s %-10s %5s %10s %10s %12s %10s  %s\n", cpu.c_str(), "image", "working", "raster", "MB",
                "decode_ms", "detect_ms", "decode_MiB", "peak_MiB", "largest face (x y w h)");
  }
  int rc = 0;
  for (const Size& size : {Size{"12MP", 4000, 3000}, Size{"50MP", 8160, 6120}}) {
    const std::string file = (dir / (std::string(size.name) + ".jpg")).string();
    const json made = RunChild({"--photo", photo, "--noise", std::to_string(noise), "--make", file, "--width",
                                std::to_string(size.width), "--height", std::to_string(size.height)});
    if (made.contains("error")) {
      std::fprintf(stderr, "cannot make %s from %s\n", file.c_str(), photo.c_str());
      rc = 1;
      break;
    }
    const double mb = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
    std::vector<std::string> modes = {"baseline"};
    modes.insert(modes.end(), working_sizes.begin(), working_sizes.end());
    for (const std::string& m : modes) {
      json r = RunChild({"--models", models, "--measure", file, "--mode", m, "--repeat", std::to_string(repeat)});
      r["image"] = std::string(size.name) + " " + std::to_string(size.width) + "x" + std::to_string(size.height);
      r["file_mb"] = mb;
      r["cpu"] = cpu;
      if (json_out) {
        std::cout << r.dump() << "\n";
      } else if (r.contains("error")) {
        std::printf("%-6s %-8s %s\n", size.name, m.c_str(), r["error"].get<std::string>().c_str());
      } else {
        std::string face = "-";
        if (r.contains("largest_face")) {
          const auto& f = r["largest_face"];
          char buf[64];
          std::snprintf(buf, sizeof(buf), "%.0f %.0f %.0f %.0f", f[0].get<double>(), f[1].get<double>(),
                        f[2].get<double>(), f[3].get<double>());
          face = buf;
        }
        std::printf("%-6s %-8s %-10s %5.1f %10.1f %10.1f %12.1f %10.1f  %s\n", size.name, m.c_str(),
                    r.value("raster", std::string("-")).c_str(), mb, r.value("decode_ms", 0.0),
                    r.value("detect_ms", 0.0), r.value("decode_peak_rss_mib", 0.0), r.value("peak_rss_mib", 0.0),
                    face.c_str());
      }
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
