// facekit/spoof_medium_detector.h - evidence that a face is shown on a
// phone, tablet or screen (a replay), from the frame around the face.
//
// WHAT THIS REPRESENTS
//   SpoofMediumDetector measures, for one face box in a frame, a fixed list
//   of cues (SpoofCue), each a number where higher means more like a replay,
//   with the threshold at or above which it fires:
//
//     object       a COCO object detector (ObjectDetector, CenterNet) box of
//                  a medium class (cell phone, tv, laptop; COCO has no
//                  "monitor": tv is its screen class) in which the face lies:
//                  at least `min_containment` of the face box's area inside
//                  the object's box, and the object's box at least
//                  `min_medium_area` times the face box's area. The value is
//                  the best such object's score (0 when none).
//     bezel        straight edges framing the face (antispoof/bezel_cue.h):
//                  0-4, the covered share of each of the four sides.
//     moire        the strongest isolated spectral peak in the face box, in
//                  log units above its ring's median (antispoof/texture_cues.h).
//     glare, blue_red, black_level, low_saturation, low_contrast
//                  glare and colour statistics of the face box (same file).
//
//   Every cue is measured and kept in the evidence; only the cues listed in
//   `decisive` can flag the face (the others are reported because they were
//   measured and found too weak: docs/liveness.md gives the figures). The
//   thresholds and the decisive list were chosen on the tuning half of the
//   synthetic replay set (`facekit eval liveness --replay-set tuning
//   --choose-thresholds`) and measured on its held-out half and on real
//   crops; see docs/liveness.md.
//
//   Object detection is the expensive step (CenterNet, ~50-100 ms a frame
//   on one core); DetectMedia runs it alone so that a caller can run it at
//   a lower rate than the other cues and hand its result to Analyze.
//
// THREAD SAFETY
//   Const methods may be called from several threads (object detection is
//   serialised inside ObjectDetector).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/engine.h"
#include "facekit/image.h"
#include "facekit/objects.h"
#include "facekit/status.h"

namespace facekit {

/// One measured piece of evidence; higher values are more replay-like.
struct SpoofCue {
  std::string name;
  float value = 0;
  float threshold = 0;    ///< fires at or above
  bool measured = false;  ///< false: could not be measured (no object detection; face too small)
  bool decisive = false;  ///< counts in the decision
  bool fired() const { return measured && value >= threshold; }
};

/// Cue names, in the order MediumEvidence::cues lists them.
inline constexpr std::string_view kCueObject = "object";
inline constexpr std::string_view kCueBezel = "bezel";
inline constexpr std::string_view kCueMoire = "moire";
inline constexpr std::string_view kCueGlare = "glare";
inline constexpr std::string_view kCueBlueRed = "blue_red";
inline constexpr std::string_view kCueBlackLevel = "black_level";
inline constexpr std::string_view kCueLowSaturation = "low_saturation";
inline constexpr std::string_view kCueLowContrast = "low_contrast";

struct MediumEvidence {
  std::vector<SpoofCue> cues;
  /// The medium object the face lies in (the object cue's), if any.
  std::optional<DetectedObject> medium;
  float containment = 0;               ///< share of the face box inside `medium`
  std::array<float, 4> bezel_sides{};  ///< left, top, right, bottom coverage
  /// A decisive cue fired.
  bool flagged = false;

  const SpoofCue* Find(std::string_view name) const;
};

struct SpoofMediumOptions {
  /// Models folder (manifest.json + files/); needed for object detection.
  std::string models_dir = "models";
  int num_threads = 1;
  /// Load the object detector. Without it the object cue is never measured
  /// (Analyze without detections), and Create needs no models.
  bool detect_objects = true;
  /// Object detector input (longer side, multiple of 32); 0 = manifest default (448).
  int object_input_size = 0;
  /// Classes that count as a medium.
  std::vector<std::string> medium_classes = {"cell phone", "tv", "laptop"};
  /// Geometry of the object cue (see above).
  float min_containment = 0.7f;
  float min_medium_area = 1.2f;
  /// Thresholds (fire at or above): for each cue the smallest value at
  /// which at most 1 % of each bona fide tuning population fires (synthetic
  /// tuning half, LFW photos, the even half of the webcam crops), rounded
  /// up; docs/liveness.md gives the commands and figures.
  float object_threshold = 0.12f;
  float bezel_threshold = 3.54f;
  float moire_threshold = 2.23f;
  float glare_threshold = 0.077f;
  float blue_red_threshold = 0.88f;
  float black_level_threshold = 0.69f;
  float low_saturation_threshold = 0.87f;
  float low_contrast_threshold = 0.88f;
  /// The cues that can flag a face (the others are reported only).
  std::vector<std::string> decisive = {"object", "bezel", "moire", "blue_red"};
};

class SpoofMediumDetector {
 public:
  static Result<std::unique_ptr<SpoofMediumDetector>> Create(const SpoofMediumOptions& options);
  ~SpoofMediumDetector();
  SpoofMediumDetector(const SpoofMediumDetector&) = delete;
  SpoofMediumDetector& operator=(const SpoofMediumDetector&) = delete;

  /// Objects of the medium classes in `image` (kFailedPrecondition when
  /// the detector was created without object detection).
  Result<std::vector<DetectedObject>> DetectMedia(const Image& image) const;

  /// The evidence for `face` (original image pixels, as FaceEngine gives
  /// them). `media`: DetectMedia's result for this image (or a recent frame
  /// of the same camera); nullptr = run DetectMedia now when object
  /// detection is loaded, else leave the object cue unmeasured.
  Result<MediumEvidence> Analyze(const Image& image, const FaceBox& face,
                                 const std::vector<DetectedObject>* media = nullptr) const;

  const SpoofMediumOptions& options() const;

 private:
  struct Impl;
  explicit SpoofMediumDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Sets cue `cue`'s threshold in `options` (kInvalidArgument for an unknown cue).
Status SetSpoofCueThreshold(SpoofMediumOptions* options, std::string_view cue, float threshold);

/// Share of `face`'s area inside `object` (0-1).
float FaceContainment(const FaceBox& face, const DetectedObject& object);

}  // namespace facekit
