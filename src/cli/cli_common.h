// cli_common.h - shared plumbing of the facekit command-line tool.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "facekit/engine.h"
#include "facekit/status.h"

namespace facekit::cli {

/// Options every subcommand understands.
struct GlobalOptions {
  std::string models_dir;
  int threads = 1;
};

/// The models folder: --models, else $FACEKIT_MODELS, else the build's source tree.
std::string ResolveModelsDir(const GlobalOptions& g);

/// Creates the engine or returns its error.
Result<std::unique_ptr<FaceEngine>> MakeEngine(const GlobalOptions& g);

/// Prints "facekit: error <Code>: <message>" to stderr and returns exit status 1.
int Fail(const Status& status);

/// The regular files directly inside `dir`, sorted by path.
std::vector<std::string> SortedFiles(const std::string& dir);

/// Milliseconds since an arbitrary epoch (steady clock).
double NowMs();

}  // namespace facekit::cli
