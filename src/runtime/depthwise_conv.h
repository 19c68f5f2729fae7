// depthwise_conv.h - a fast depthwise convolution for cv::dnn.
//
// WHAT THIS REPRESENTS
//   OpenCV 4.6 runs depthwise convolutions (group == channels) through its
//   generic grouped path, which is about 20x slower than the arithmetic needs
//   (a 14x14x256 3x3 layer took ~1 ms; MobileFaceNet spent 10 of its 24 ms in
//   its 17 depthwise layers). DepthwiseConv2D is a direct NCHW kernel whose
//   inner loop runs along output rows (contiguous for stride 1, so the
//   compiler vectorises it). MakeDepthwiseLayer wraps it as a cv::dnn layer
//   (see conv_layers.h); fused activations (ReLU, PReLU...) that cv::dnn
//   offers to the layer are applied per channel.
//
//   Tested against a plain loop in tests/runtime/depthwise_conv_test.cc and,
//   through MobileFaceNet, against the TFLite reference interpreter.
//
// THREAD SAFETY
//   DepthwiseConv2D is reentrant.
#pragma once

#include <cstddef>

#include <opencv2/dnn.hpp>

#include "runtime/conv_layers.h"

namespace facekit::runtime {

struct DepthwiseParams {
  int channels = 0;
  int in_h = 0, in_w = 0;
  int kernel_h = 3, kernel_w = 3;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  int out_h() const { return (in_h + pad_top + pad_bottom - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  int out_w() const { return (in_w + pad_left + pad_right - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
};

/// One image: `in` is [C, in_h, in_w], `weights` [C, kh, kw], `bias` [C] or
/// null, `out` [C, out_h, out_w]. Channels [c0, c1) only.
void DepthwiseConv2D(const DepthwiseParams& p, const float* in, const float* weights, const float* bias, float* out,
                     int c0, int c1);

/// A cv::dnn layer running DepthwiseConv2D for a depthwise "Convolution"
/// (group == num_output, one input channel per group), or null when the
/// layer is not depthwise. Used by RegisterFastConvolutions (conv_layers.h).
cv::Ptr<cv::dnn::Layer> MakeDepthwiseLayer(const cv::dnn::LayerParams& params, const ConvAttrs& attrs);

}  // namespace facekit::runtime
