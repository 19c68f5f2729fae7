// conv_layers.h - FaceKit's convolution layers inside cv::dnn.
//
// WHAT THIS REPRESENTS
//   RegisterFastConvolutions() installs one creator for cv::dnn's
//   "Convolution" layer type (cv::dnn::LayerFactory, OpenCV's extension
//   point). Depthwise convolutions (group == channels) with explicit padding
//   get FaceKit's DepthwiseConv2D (depthwise_conv.h); every other
//   convolution gets OpenCV's own layer, so any ONNX model still runs.
//   (An im2col + OpenBLAS sgemm layer for ordinary convolutions was measured
//   too: within 10% of OpenCV's on these models, so it was not kept.)
//
// THREAD SAFETY
//   Registration is process-wide and idempotent.
#pragma once

#include <opencv2/dnn.hpp>

namespace facekit::runtime {

/// 2-D convolution attributes as the ONNX importer passes them.
struct ConvAttrs {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  int out_h(int in_h) const { return (in_h + pad_top + pad_bottom - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  int out_w(int in_w) const { return (in_w + pad_left + pad_right - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
};

/// Reads kernel/stride/dilation/pad; false for forms we leave to OpenCV.
bool ParseConvAttrs(const cv::dnn::LayerParams& params, ConvAttrs* attrs);

/// See the file comment.
void RegisterFastConvolutions();

}  // namespace facekit::runtime
