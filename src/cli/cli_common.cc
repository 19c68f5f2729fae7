#include "cli/cli_common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace facekit::cli {

std::string ResolveModelsDir(const GlobalOptions& g) {
  if (!g.models_dir.empty()) return g.models_dir;
  if (const char* env = std::getenv("FACEKIT_MODELS"); env != nullptr && *env != '\0') return env;
  return FACEKIT_DEFAULT_MODELS_DIR;
}

ImageLimits ImageLimitsOf(const GlobalOptions& g) {
  ImageLimits limits;
  limits.max_pixels = g.max_image_pixels;
  limits.working_long_side = g.working_size;
  return limits;
}

Result<std::unique_ptr<FaceEngine>> MakeEngine(const GlobalOptions& g) {
  EngineOptions o;
  o.models_dir = ResolveModelsDir(g);
  o.num_threads = g.threads;
  return FaceEngine::Create(o);
}

int Fail(const Status& status) {
  std::cerr << "facekit: error " << StatusCodeName(status.code()) << ": " << status.message() << "\n";
  return 1;
}

std::vector<std::string> SortedFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

double NowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

ProgressBar::ProgressBar(std::string label, std::size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(isatty(2) != 0) {}

void ProgressBar::Update(std::size_t done) {
  if (!tty_ || total_ == 0) return;
  const int width = 30;
  const int filled = static_cast<int>(std::min(done, total_) * width / total_);
  std::fprintf(stderr, "\r%-5s [%s%s] %zu/%zu %s", label_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), '.').c_str(), done, total_, unit_.c_str());
  if (done >= total_) std::fprintf(stderr, "\n");
}

}  // namespace facekit::cli
