#include "cli/cli_common.h"

#include <algorithm>
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
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

double NowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace facekit::cli
