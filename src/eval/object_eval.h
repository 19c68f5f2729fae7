// object_eval.h - multi-class object detection metrics (VOC / COCO style).
//
// WHAT THIS REPRESENTS
//   EvaluateObjects scores detections of several classes against ground
//   truth boxes, image by image:
//   - per class and IoU threshold t, detections in descending score order
//     are matched greedily to the unmatched ground-truth box of their class
//     and image with the highest IoU >= t (true positive), else they are
//     false positives; AP is the area under the all-point interpolated
//     precision/recall curve (PASCAL VOC 2010+). mAP@0.5 averages AP at
//     t = 0.5, mAP@0.5:0.95 averages over t = 0.50, 0.55, ..., 0.95 (COCO),
//     both over the classes that have ground truth;
//   - precision and recall per class at t = 0.5 counting only detections
//     scoring >= `score_threshold` (an operating point);
//   - a confusion matrix at that operating point: boxes matched across
//     classes one to one by IoU >= 0.5 (highest IoU first); row = true class,
//     column = detected class, the last row/column is "background" (a
//     missed object, or a detection of nothing).
//   ParseYoloLabels / ParseYoloNames read the YOLO text formats.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::eval {

struct ObjectBox {
  int class_id = 0;
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 1.f;  ///< detections only
};

float ObjectIoU(const ObjectBox& a, const ObjectBox& b);

struct ImageObjects {
  std::vector<ObjectBox> truth;
  std::vector<ObjectBox> detections;
};

struct ClassMetrics {
  int class_id = 0;
  int truths = 0;      ///< ground-truth boxes
  int detections = 0;  ///< all detections of the class (any score)
  double ap50 = 0, ap50_95 = 0;
  /// At IoU 0.5 among detections scoring >= score_threshold.
  int true_positives = 0, false_positives = 0;
  double precision = 0, recall = 0;
};

struct ObjectEvalOptions {
  int num_classes = 80;
  float score_threshold = 0.25f;  ///< operating point of P/R and the confusion matrix
  float confusion_iou = 0.5f;
};

struct ObjectEvalReport {
  std::vector<ClassMetrics> classes;  ///< classes with ground truth or detections, by id
  double map50 = 0, map50_95 = 0;     ///< over classes with ground truth
  int truths = 0, detections = 0;
  /// (num_classes + 1)^2, row-major [truth][detected]; index num_classes = background.
  std::vector<std::vector<int>> confusion;
};

ObjectEvalReport EvaluateObjects(const std::vector<ImageObjects>& images, const ObjectEvalOptions& options);

/// All-point interpolated AP of detections already sorted by score with
/// their true/false flags, for `truths` ground-truth boxes.
double AveragePrecision(const std::vector<bool>& is_true_positive, int truths);

/// YOLO label text: one "class cx cy w h" line per object (normalised to
/// 0-1) -> boxes in pixels of a width x height image. `name` is for messages.
Result<std::vector<ObjectBox>> ParseYoloLabels(const std::string& text, int width, int height, const std::string& name);

/// Class names from a YOLO data config (`names:` as "N: name" lines or a
/// "- name" list), indexed by class id.
Result<std::vector<std::string>> ParseYoloNames(const std::string& yaml);

}  // namespace facekit::eval
