// upsample_layer.h - a fast 2x bilinear upsampling layer for cv::dnn.
//
// WHAT THIS REPRESENTS
//   OpenCV 4.6 runs ONNX Resize (bilinear) through a general per-pixel loop:
//   CenterNet's three x2 upsamplings took 12 % of its time. Upsample2x
//   computes TensorFlow's legacy ResizeBilinear at factor 2 (ONNX
//   coordinate_transformation_mode "asymmetric": source = destination / 2,
//   the last row and column repeated): even outputs copy an input, odd ones
//   average two neighbours. RegisterFastResize() installs a creator for
//   cv::dnn's "Resize" layer type that uses it for exactly that case and
//   OpenCV's own layer for every other resize.
//
//   Tested against a plain loop in tests/runtime/upsample_layer_test.cc and,
//   through CenterNet, against the TF.js reference interpreter.
//
// THREAD SAFETY
//   Upsample2x is reentrant; registration is process-wide and idempotent.
#pragma once

namespace facekit::runtime {

/// One plane: `in` is h x w, `out` is 2h x 2w.
void Upsample2x(const float* in, int h, int w, float* out);

/// See the file comment.
void RegisterFastResize();

}  // namespace facekit::runtime
