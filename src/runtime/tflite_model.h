// tflite_model.h - a parsed TFLite model (schema v3), independent of TensorFlow.
//
// WHAT THIS REPRESENTS
//   The first subgraph of a .tflite file: tensors (shape, type, constant
//   data), operators (builtin code, inputs, outputs, the options we use) and
//   the graph inputs/outputs. Constant data is converted to float32 on load
//   (FLOAT16 weights are widened), so consumers see one element type.
//
// THREAD SAFETY
//   Immutable after Parse; safe to share between threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::runtime {

/// TFLite BuiltinOperator codes used by the models we import.
enum class TfliteOp : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kPad = 34,
  kMean = 40,
  kSub = 41,
  kDiv = 42,
  kStridedSlice = 45,
  kExp = 47,
  kCast = 53,
  kPrelu = 54,
  kMaximum = 55,
  kMinimum = 57,
  kLess = 58,
  kNeg = 59,
  kGreaterEqual = 62,
  kSum = 74,
  kReduceMax = 82,
  kLeakyRelu = 98,
  kAbs = 101,
};

/// Human-readable name of a builtin code ("CONV_2D"), or "OP_<n>".
std::string TfliteOpName(int32_t code);

enum class TfliteType : int8_t {
  kFloat32 = 0, kFloat16 = 1, kInt32 = 2, kUInt8 = 3, kInt64 = 4, kBool = 6, kInt8 = 9,
};

enum class TflitePadding : int8_t { kSame = 0, kValid = 1 };
enum class TfliteActivation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3, kTanh = 4 };

struct TfliteTensor {
  std::string name;
  std::vector<int32_t> shape;
  TfliteType type = TfliteType::kFloat32;
  /// Constant contents widened to float32 (empty for activations). Int32
  /// constants (shapes, axes) are kept in `ints` instead.
  std::vector<float> data;
  std::vector<int32_t> ints;
  bool is_constant() const { return !data.empty() || !ints.empty(); }
  /// Product of the dimensions; -1 for a negative dimension or overflow.
  int64_t num_elements() const;
};

/// Union of the builtin options the importer understands; only the fields
/// belonging to the operator's own options table are meaningful.
struct TfliteOptions {
  TflitePadding padding = TflitePadding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  int32_t dilation_w = 1, dilation_h = 1;
  int32_t filter_w = 1, filter_h = 1;
  int32_t depth_multiplier = 1;
  TfliteActivation activation = TfliteActivation::kNone;
  bool keep_dims = false;
  int32_t axis = 0;
  float alpha = 0.f;  // LEAKY_RELU
  float beta = 1.f;   // SOFTMAX
  std::vector<int32_t> new_shape;  // RESHAPE
  int32_t begin_mask = 0, end_mask = 0, shrink_axis_mask = 0;  // STRIDED_SLICE
};

struct TfliteOperator {
  int32_t code = 0;  ///< TfliteOp value
  std::vector<int32_t> inputs;   ///< tensor indices; -1 = optional input omitted
  std::vector<int32_t> outputs;
  TfliteOptions options;
  TfliteOp op() const { return static_cast<TfliteOp>(code); }
};

struct TfliteModel {
  uint32_t version = 0;
  std::string description;
  std::vector<TfliteTensor> tensors;
  std::vector<TfliteOperator> operators;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;

  /// Parses a .tflite flatbuffer. Fails with kModelInvalid on anything
  /// malformed (bad offsets, wrong identifier, unsupported tensor types).
  static Result<TfliteModel> Parse(std::span<const uint8_t> bytes);
  /// Reads and parses a file.
  static Result<TfliteModel> Load(const std::string& path);
};

}  // namespace facekit::runtime
