// detection_eval.h - face detection quality against annotated boxes.
//
// WHAT THIS REPRESENTS
//   ParseImglabXml reads dlib imglab XML (<image file='...'> with
//   <box top left width height [ignore='1']>, and the box's
//   <part name x y/> landmarks when it has them). EvaluateDetections matches
//   detections to annotations the PASCAL VOC way: detections in descending
//   score order, each matched to the unmatched annotation of highest IoU if
//   that IoU >= the threshold (true positive); a detection that instead
//   overlaps an ignore='1' box that much is neither true nor false; the
//   rest are false positives; unmatched annotations are misses. Average
//   precision is the area under the all-point interpolated precision/recall
//   curve over all images.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::eval {

/// A named landmark of an annotated box (<part name='NN' x='..' y='..'/>);
/// `index` is the name read as a number (the 68-point scheme's 0-67).
struct BoxPart {
  int index = 0;
  float x = 0, y = 0;
};

struct Box {
  float x = 0, y = 0, width = 0, height = 0;
  bool ignore = false;
  float score = 0;  ///< detections only
};

float IoU(const Box& a, const Box& b);

struct AnnotatedImage {
  std::string file;  ///< as written in the XML (relative to it)
  std::vector<Box> boxes;
  std::vector<std::vector<BoxPart>> box_parts;  ///< per box, its landmarks (often none)
};

Result<std::vector<AnnotatedImage>> ParseImglabXml(const std::string& xml);

enum class MatchKind { kTruePositive, kFalsePositive, kIgnored };

struct ImageResult {
  std::string file;
  int annotated = 0;   ///< non-ignored annotations
  int detected = 0;
  int true_positives = 0, false_positives = 0, misses = 0, ignored = 0;
  std::vector<MatchKind> detection_kind;  ///< per detection, in the given order
  std::vector<bool> annotation_found;     ///< per annotation
};

struct DetectionReport {
  std::vector<ImageResult> images;
  int true_positives = 0, false_positives = 0, misses = 0, annotated = 0;
  double precision = 0, recall = 0, average_precision = 0;
};

/// `detections[i]` belongs to `annotations[i]`.
DetectionReport EvaluateDetections(const std::vector<AnnotatedImage>& annotations,
                                   const std::vector<std::vector<Box>>& detections, float iou_threshold);

}  // namespace facekit::eval
