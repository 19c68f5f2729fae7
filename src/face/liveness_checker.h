// liveness_checker.h - single-photo anti-spoofing with the deep tree network.
//
// WHAT THIS REPRESENTS
//   The manifest's "liveness" model as the package uses it: the face box is
//   made square (and shifted inside the image where possible), cropped,
//   resized to 256x256, scaled to [0,1]; a blur pre-check counts pixels with
//   a 4-neighbour Laplacian response above a limit; the network gives 7
//   routing values and 8 leaf scores; the tree (breadth first, value >= the
//   route threshold goes to the first child) picks one leaf, whose absolute
//   score is the spoof score (live below the manifest's spoof_threshold).
//
// THREAD SAFETY
//   Check() is const; the network serialises its runs.
#pragma once

#include <memory>

#include <opencv2/core.hpp>

#include "facekit/engine.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit::face {

class LivenessChecker {
 public:
  /// nullptr (and ok) when the manifest has no liveness model.
  static Result<std::unique_ptr<LivenessChecker>> Create(const runtime::ModelManifest& manifest);

  /// `rgb` is the whole image (CV_8UC3, RGB).
  Result<LivenessResult> Check(const cv::Mat& rgb, const FaceBox& face) const;

  /// The 0-100 score for a spoof score: 100 * exp(-k * spoof), with k such
  /// that the spoof threshold maps to 87 (the cloud API's live threshold).
  float ScoreOf(float spoof) const;

 private:
  LivenessChecker() = default;
  std::unique_ptr<runtime::DnnModel> model_;
  runtime::ManifestModel info_;
  std::vector<std::string> routes_, leaves_;
  double route_threshold_ = 0, spoof_threshold_ = 0.2;
  int blur_response_ = 50, blur_min_pixels_ = 50;
};

}  // namespace facekit::face
