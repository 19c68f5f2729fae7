// tfjs_to_onnx.h - imports a TensorFlow.js graph model as an ONNX graph.
//
// WHAT THIS REPRESENTS
//   A converter from a parsed TfjsModel (TF ops, NHWC) to a standard ONNX
//   model (NCHW, opset 13) that cv::dnn runs, written with the same
//   OnnxBuilder as the TFLite importer. Shapes are inferred op by op from the
//   input's static shape, "SAME" padding becomes explicit pads, weights are
//   re-laid out (HWIO -> OIHW, depthwise HWCM -> (C*M)1HW) and TF's fused ops
//   (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul with BiasAdd /
//   Relu / Relu6 / Prelu / LeakyRelu / Elu) become the op plus its
//   activation. Hard-swish (x * relu6(x + 3) / 6, spelt as four TF ops)
//   becomes one HardSwish node, and Maximum/Minimum with a scalar constant
//   (clip_by_value) a Clip.
//
//   Supported ops: Placeholder, Const, Identity, Conv2D, DepthwiseConv2dNative
//   and the fused forms, MatMul, BiasAdd, Add/AddV2/Sub/Mul/RealDiv/Div/
//   Maximum/Minimum, Relu, Relu6, Elu, LeakyRelu, Prelu, Sigmoid, Tanh, Neg,
//   Abs, Exp, Sqrt, Rsqrt, Square, Softmax, MaxPool, AvgPool, Mean, ConcatV2,
//   Pad/PadV2/MirrorPad(REFLECT), Reshape, Squeeze, ResizeBilinear,
//   ResizeNearestNeighbor, FusedBatchNorm(V3). Anything else fails with
//   kModelInvalid naming the node and its op. Only the nodes the requested
//   outputs need are imported, so a model whose tail cv::dnn cannot run (a
//   TopKV2 post-processing, say) exports the tensors that tail reads.
//
// THREAD SAFETY
//   Pure function.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "facekit/status.h"
#include "runtime/model_stats.h"
#include "runtime/tfjs_model.h"

namespace facekit::runtime {

struct TfjsToOnnxOptions {
  /// Make the batch dimension symbolic ("N").
  bool dynamic_batch = true;
  /// Make H and W symbolic. Explicit pads are computed at the file's input
  /// size, so other sizes are exact only when every strided layer sees an
  /// even size at both (inputs that are multiples of the total stride).
  bool dynamic_spatial = false;
  /// [H, W] of the NHWC input where the file leaves them unknown (-1).
  std::vector<int64_t> input_size;
  /// Tensor references ("node" or "node:k") to export; empty = the
  /// signature's outputs, or, when it names none, the nodes nothing reads.
  std::vector<std::string> outputs;
  /// Stored as ONNX metadata.
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct TfjsToOnnxReport {
  int tfjs_nodes = 0;  ///< nodes in the file (Const included)
  int imported_ops = 0;
  int onnx_nodes = 0;
  int fused_hard_swish = 0;
  /// Per imported op (constants excluded): shapes, parameters, MACs.
  std::vector<LayerStats> layers;
};

/// Converts `model` to the bytes of an .onnx file.
Result<std::string> ConvertTfjsToOnnx(const TfjsModel& model, const TfjsToOnnxOptions& options,
                                      TfjsToOnnxReport* report = nullptr);

}  // namespace facekit::runtime
