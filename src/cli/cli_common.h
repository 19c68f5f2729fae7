// cli_common.h - shared plumbing of the facekit command-line tool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "facekit/engine.h"
#include "facekit/image.h"
#include "facekit/status.h"

namespace facekit::cli {

/// Options every subcommand understands (before or after its name).
struct GlobalOptions {
  std::string models_dir;
  int threads = 1;
  std::int64_t max_image_pixels = kDefaultMaxImagePixels;  ///< the pixel budget of every image read
  int working_size = kDefaultWorkingLongSide;              ///< long side images are decoded at (0 = full size)
};

/// The image limits --max-image-pixels and --working-size describe.
ImageLimits ImageLimitsOf(const GlobalOptions& g);

/// The models folder: --models, else $FACEKIT_MODELS, else the build's source tree.
std::string ResolveModelsDir(const GlobalOptions& g);

/// Creates the engine or returns its error.
Result<std::unique_ptr<FaceEngine>> MakeEngine(const GlobalOptions& g);

/// Prints "facekit: error <Code>: <message>" to stderr and returns exit status 1.
int Fail(const Status& status);

/// The regular files directly inside `dir`, sorted by path (empty when `dir`
/// cannot be read).
std::vector<std::string> SortedFiles(const std::string& dir);

/// Milliseconds since an arbitrary epoch (steady clock).
double NowMs();

/// "label [#####.....] 12/40 unit" on stderr, redrawn in place; silent when
/// stderr is not a terminal.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::size_t total, std::string unit);
  void Update(std::size_t done);

 private:
  std::string label_, unit_;
  std::size_t total_;
  bool tty_;
};

}  // namespace facekit::cli
