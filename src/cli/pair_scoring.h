// pair_scoring.h - embeddings of LFW images by one or more embedders, each
// image decoded and detected once, and the cosine scores of LFW pairs, for
// `facekit eval verify` and `facekit eval identify --embedder fused`.
//
// THREAD SAFETY
//   EmbeddingCache is single-threaded (it caches as it goes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "eval/lfw_pairs.h"
#include "eval/verification_metrics.h"

namespace facekit::cli {

struct EmbeddedImage {
  std::map<EmbedderKind, Embedding> embeddings;
  bool detected = false;
  bool unreadable = false;  ///< the file could not be read or decoded (`error` says why)
  Status error;
};

// Each image is decoded and detected once (the face covering the centre, or
// the centred square when none is found), then embedded by every kind.
class EmbeddingCache {
 public:
  EmbeddingCache(const FaceEngine& engine, std::string dir, bool flip, ImageLimits limits,
                 std::vector<EmbedderKind> kinds)
      : engine_(engine), dir_(std::move(dir)), flip_(flip), limits_(limits), kinds_(std::move(kinds)) {}

  /// Image `n` of `name` in the LFW layout under the folder.
  const EmbeddedImage& Get(const std::string& name, int n) { return GetFile(eval::LfwImagePath(dir_, name, n)); }
  /// Any image file.
  const EmbeddedImage& GetFile(const std::string& path);

  int no_face() const { return no_face_; }
  size_t images() const { return cache_.size(); }
  double total_ms() const { return total_ms_; }
  /// Align + embed time per face of `kind`.
  double embed_ms_per_face(EmbedderKind kind) const {
    auto it = embed_ms_.find(kind);
    return it == embed_ms_.end() || embedded_ == 0 ? 0 : it->second / embedded_;
  }

 private:
  const FaceEngine& engine_;
  std::string dir_;
  bool flip_;
  ImageLimits limits_;
  std::vector<EmbedderKind> kinds_;
  std::map<std::string, EmbeddedImage> cache_;
  std::map<EmbedderKind, double> embed_ms_;
  int no_face_ = 0, embedded_ = 0;
  double total_ms_ = 0;
};

// The chip alignment overrides (EngineOptions::alignment) of eval verify and
// eval identify (docs/embedders.md): "manifest" (the default) measures the
// chips the product cuts; --mobilefacenet-alignment detector5|mesh5 and
// --resnet128-alignment detector5|mesh68 measure the others.
struct ChipAlignmentFlags {
  std::string mobilefacenet = "manifest";
  std::string resnet128 = "manifest";
  /// Adds both options to `command`.
  void Register(CLI::App* command);
  /// The overrides for EngineOptions::alignment.
  std::map<EmbedderKind, std::string> Overrides() const;
};

// Cosine similarities of every pair, one list per kind (same pair order).
// Pairs with a missing image file are skipped and counted in *skipped; any
// other unreadable image fails the run.
Result<std::map<EmbedderKind, std::vector<eval::ScoredPair>>> ScorePairs(const eval::LfwPairs& pairs,
                                                                         EmbeddingCache& cache,
                                                                         const std::vector<EmbedderKind>& kinds,
                                                                         const char* label, size_t* skipped);

}  // namespace facekit::cli
