// mtcnn_detector.h - the three-stage MTCNN face detector.
//
// WHAT THIS REPRESENTS
//   Image pyramid -> P-Net proposals (per-scale NMS) -> cross-scale NMS and
//   box regression -> R-Net refinement -> O-Net scoring, box regression and
//   5 landmarks -> "Min" NMS. Candidate crops that extend past the image are
//   zero-padded rather than shifted inside it. Large images are downscaled to
//   DetectorConfig::max_detect_side for detection and results mapped back.
//   Thresholds and NMS overlaps come from the manifest's detector section.
//
// THREAD SAFETY
//   Detect() is const; the networks serialise their own runs.
#pragma once

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/engine.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit::face {

/// A candidate box with inclusive corner coordinates, as MTCNN defines them.
struct Candidate {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 0;
  std::array<float, 4> reg{};
  std::array<Point2f, 5> landmarks{};
  float width() const { return x2 - x1 + 1; }
  float height() const { return y2 - y1 + 1; }
  float area() const { return width() * height(); }
};

enum class NmsMode { kUnion, kMin };

/// Greedy non-maximum suppression; returns kept candidates by descending score.
std::vector<Candidate> Nms(std::vector<Candidate> boxes, float threshold, NmsMode mode);

/// Intersection over the union (kUnion) or over the smaller area (kMin) of
/// two inclusive boxes; 0 when they do not intersect.
float Overlap(const Candidate& a, const Candidate& b, NmsMode mode);

/// The boxes of which no box in `by` covers `fraction` or more of the
/// smaller of the two areas (order kept).
std::vector<Candidate> Uncovered(std::vector<Candidate> boxes, const std::vector<Candidate>& by, float fraction);

class MtcnnDetector {
 public:
  static Result<std::unique_ptr<MtcnnDetector>> Create(const runtime::ModelManifest& manifest);

  /// `rgb` is CV_8UC3 in RGB order.
  Result<std::vector<FaceBox>> Detect(const cv::Mat& rgb, const DetectOptions& options,
                                      DetectStats* stats = nullptr) const;

 private:
  struct Net {
    std::unique_ptr<runtime::DnnModel> model;
    runtime::ManifestModel info;
  };
  MtcnnDetector() = default;

  Result<std::vector<Candidate>> RunPnet(const cv::Mat& rgb, int min_face, int* levels) const;
  // R-Net (output_stage false) or O-Net. For R-Net, `unsure` (if given)
  // receives the candidates scoring in [rnet_isolated_threshold,
  // rnet_threshold), suppressed, regressed and squared like the kept ones
  // (none when the two thresholds are equal).
  Result<std::vector<Candidate>> RunRefine(const cv::Mat& rgb, std::vector<Candidate> boxes, bool output_stage,
                                           std::vector<Candidate>* unsure = nullptr) const;

  Net pnet_, rnet_, onet_;
  runtime::DetectorConfig config_;
};

}  // namespace facekit::face
