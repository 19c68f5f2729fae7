// centernet_decoder.h - turns CenterNet's output grid into boxes.
//
// WHAT THIS REPRESENTS
//   The post-processing of a CenterNet-style grid detector, done in C++
//   instead of by graph ops: for every class and cell of the heat map
//   ([classes, rows, cols], probabilities) a peak is a cell whose value is
//   the maximum of its 3x3 neighbourhood (what a 3x3 max pool followed by
//   equality computes) and at least `score_threshold`; the `top_k` highest
//   peaks over all classes are kept; a peak at (row, col) with side
//   distances (l, t, r, b) from box_sides ([4, rows, cols]) gives the box
//   (stride*col - l, stride*row - t, stride*col + r, stride*row + b) in
//   network-input pixels; then non-maximum suppression per class drops a box
//   overlapping a higher-scoring box of its class by more than `nms_iou`.
//
// THREAD SAFETY
//   Pure function.
#pragma once

#include <vector>

namespace facekit::objects {

struct GridBox {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 0;
  int class_id = 0;
};

struct CenterNetDecodeOptions {
  int stride = 4;
  float score_threshold = 0.2f;
  int top_k = 100;
  float nms_iou = 0.5f;
};

/// `heatmap` holds classes*rows*cols floats, `box_sides` 4*rows*cols (NCHW
/// planes of one image). Returns boxes in descending score order.
std::vector<GridBox> DecodeCenterNet(const float* heatmap, const float* box_sides, int classes, int rows, int cols,
                                     const CenterNetDecodeOptions& options);

/// Intersection over union of two boxes (0 when either is empty).
float BoxIoU(const GridBox& a, const GridBox& b);

/// Keeps, class by class, each box not overlapping a kept higher-scoring box
/// of its class by more than `iou`. Input in any order; output by score.
std::vector<GridBox> ClassWiseNms(std::vector<GridBox> boxes, float iou);

}  // namespace facekit::objects
