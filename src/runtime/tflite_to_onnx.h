// tflite_to_onnx.h - imports a TFLite float model as an ONNX graph.
//
// WHAT THIS REPRESENTS
//   A converter from a parsed TfliteModel (NHWC) to a standard ONNX model
//   (NCHW, opset 13). Weights are re-laid out (OHWI -> OIHW, depthwise, fully
//   connected columns reordered for NCHW flattening), and multi-op idioms that
//   TFLite exporters emit are recognised and replaced by the single ONNX op
//   they compute:
//     relu(x) + a * -relu(-x)        -> PRelu(x, a)        (MTCNN)
//     relu(x) + c * (x - |x|)        -> PRelu(x, 2c)       (MobileFaceNet)
//     exp(x - max(x)) / sum(exp(..)) -> Softmax(x)         (last axis)
//   Graph inputs/outputs keep their TFLite names; 4-D ones become NCHW.
//
// THREAD SAFETY
//   Pure function.
#pragma once

#include <string>

#include "facekit/status.h"
#include "runtime/tflite_model.h"

namespace facekit::runtime {

struct TfliteToOnnxOptions {
  /// Make the batch dimension symbolic ("N") so any batch size can be run.
  bool dynamic_batch = true;
  /// Make H and W symbolic (fully convolutional models such as P-Net).
  bool dynamic_spatial = false;
  /// Stored as ONNX metadata (e.g. source package, SHA-256).
  std::vector<std::pair<std::string, std::string>> metadata;
  /// When not empty: the graph outputs are these tensors (by name) instead
  /// of the model's, and only the operators they need are imported. This
  /// lets a model whose tail cv::dnn cannot run (comparisons, casts) export
  /// the values that tail reads, to be finished in code.
  std::vector<std::string> outputs;
};

struct TfliteToOnnxReport {
  int tflite_ops = 0;
  int onnx_nodes = 0;
  int fused_prelu = 0;
  int fused_softmax = 0;
};

/// Converts `model` to the bytes of an .onnx file. DEQUANTIZE of a constant
/// (float16 weights) is folded into the constant. Fails with kModelInvalid
/// naming the first operator it cannot express, or an unknown output name.
Result<std::string> ConvertTfliteToOnnx(const TfliteModel& model, const TfliteToOnnxOptions& options,
                                        TfliteToOnnxReport* report = nullptr);

}  // namespace facekit::runtime
