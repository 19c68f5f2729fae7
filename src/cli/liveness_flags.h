// liveness_flags.h - the command-line options of the liveness decision,
// shared by `facekit liveness` and `facekit eval liveness`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "facekit/liveness_judge.h"

namespace facekit::cli {

struct LivenessFlags {
  bool no_objects = false;
  int object_input_size = 0;
  std::string passive = "ignored";
  float passive_veto_spoof = LivenessRule{}.passive_veto_spoof;
  std::vector<std::string> thresholds;  ///< CUE=VALUE
  std::vector<std::string> decisive;    ///< empty = the default list
};

void AddLivenessFlags(CLI::App* c, LivenessFlags* f);

/// The face to judge: the whole image (a crop), else exactly one detected
/// face (kNoFace, kTooManyFaces).
Result<FaceBox> OnlyFace(const FaceEngine& engine, const Image& image, bool whole_image);

/// The judge's options from the flags; `whole_image` = crops, no object detection.
Result<LivenessJudgeOptions> LivenessOptionsOf(const GlobalOptions& g, const LivenessFlags& f, bool whole_image);

}  // namespace facekit::cli
