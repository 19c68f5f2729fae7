// cli_common.h - shared plumbing of the facekit command-line tool.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "facekit/engine.h"
#include "facekit/face_choice.h"
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
Result<std::unique_ptr<FaceEngine>> MakeEngine(const GlobalOptions& g, std::vector<EmbedderKind> extra_embedders = {},
                                               std::map<EmbedderKind, std::string> alignment = {});

/// Prints "facekit: error <Code>: <message>" to stderr and returns exit status 1.
int Fail(const Status& status);

/// The regular files directly inside `dir`, sorted by path (empty when `dir`
/// cannot be read).
std::vector<std::string> SortedFiles(const std::string& dir);

/// Milliseconds since an arbitrary epoch (steady clock).
double NowMs();

/// The p-quantile (0-1) of `v`, nearest rank; 0 when empty.
double Percentile(std::vector<double> v, double p);

/// "label [#####.....] 12/40 unit  3.1/s  ETA 0:09" on stderr, redrawn in
/// place at most 10 times a second; silent when stderr is not a terminal.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::size_t total, std::string unit);
  /// `done` of total; the rate counts only the items that did work
  /// (`worked`, default all), so skipped items do not inflate it.
  void Update(std::size_t done, std::size_t worked = static_cast<std::size_t>(-1));

 private:
  std::string label_, unit_;
  std::size_t total_;
  bool tty_;
  double start_ms_;
  double last_draw_ms_ = -1e9;
};

/// The face a command takes from a photo (--face), and how many it held.
struct PickedFace {
  FaceBox box;
  int index = 0;  ///< in `facekit detect` order (largest first)
  int faces = 0;  ///< faces detected in the photo
};

/// Detects the faces of `image` and chooses one by `choice`; when the photo
/// holds several, says on stderr which one was taken and how to choose
/// another (unless `quiet`). `what` names the photo in messages.
Result<PickedFace> PickFace(const FaceEngine& engine, const Image& image, const FaceChoice& choice,
                            const std::string& what, bool quiet = false);

/// Adds `--face largest|central|INDEX` (or another option name) to a
/// command, parsed into `choice`; `*given` (when not null) records that the
/// user gave it.
CLI::Option* AddFaceOption(CLI::App* cmd, FaceChoice* choice, const std::string& help_default = "largest",
                           const std::string& name = "--face", bool* given = nullptr);

/// "same person when score >= 60 (about 1 false accept in 100,000 comparisons on LFW)":
/// the decision rule in words, for output.
std::string MatchRuleText(float match_score);

/// The search verdict's default: a match at or above this 1:N search score.
/// The search scale is calibrated so that 70 / 80 / 90 are 1:N false alarm
/// rates of 1% / 0.1% / 0.01% against a 10,000-face gallery (models/manifest.json
/// search.score_points, docs/evaluation.md); the attendance graph uses 70 too.
inline constexpr float kSearchMatchScore = 70.f;

/// The search verdict's rule in words, for output.
std::string SearchRuleText(float threshold);

}  // namespace facekit::cli
