// face_embedder.h - aligned face chips to L2-normalised embeddings.
//
// WHAT THIS REPRESENTS
//   Runs one of the manifest's embedder models (by role: "embedder" is
//   MobileFaceNet, "embedder.resnet128" face-api's ResNet) on batches of chips of its input
//   size (BGR in, converted to the model's colour order and normalisation),
//   and L2-normalises each output. Any number of chips is accepted; they are
//   run in batches of up to kMaxBatch.
//
// THREAD SAFETY
//   Embed() is const; the network serialises its runs.
#pragma once

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "face/mesh_alignment.h"
#include "facekit/engine.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit::face {

class FaceEmbedder {
 public:
  static constexpr size_t kMaxBatch = 16;

  static Result<std::unique_ptr<FaceEmbedder>> Create(const runtime::ModelManifest& manifest,
                                                      const std::string& role = "embedder");

  /// `chips` are CV_8UC3 BGR images of input_size() x input_size().
  Result<std::vector<Embedding>> Embed(const std::vector<cv::Mat>& chips, bool flip_augment) const;

  int input_size() const { return info_.input_width; }
  int dim() const { return info_.embedding_dim; }
  const runtime::ManifestModel& info() const { return info_; }
  /// The manifest's "alignment" (detector5 unless it says otherwise).
  ChipAlignment alignment() const { return alignment_; }
  void set_alignment(ChipAlignment a) { alignment_ = a; }

 private:
  FaceEmbedder() = default;
  Result<std::vector<Embedding>> RunBatch(const std::vector<cv::Mat>& chips) const;

  std::unique_ptr<runtime::DnnModel> model_;
  runtime::ManifestModel info_;
  ChipAlignment alignment_ = ChipAlignment::kDetector5;
};

/// Scales `v` to unit length (left as is when its norm is 0).
void L2Normalize(std::vector<float>& v);

}  // namespace facekit::face
