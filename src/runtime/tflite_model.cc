#include "runtime/tflite_model.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <unordered_map>
#include <utility>

#include "runtime/flatbuffer_reader.h"
#include "runtime/half_float.h"

namespace facekit::runtime {
namespace {

// Field indices in TFLite schema v3 (schema order; a union takes two slots).
namespace model_f { constexpr int kVersion = 0, kOpCodes = 1, kSubgraphs = 2, kDescription = 3, kBuffers = 4; }
namespace opcode_f { constexpr int kDeprecatedBuiltin = 0, kBuiltin = 3; }
namespace subgraph_f { constexpr int kTensors = 0, kInputs = 1, kOutputs = 2, kOperators = 3; }
namespace tensor_f { constexpr int kShape = 0, kType = 1, kBuffer = 2, kName = 3; }
namespace op_f { constexpr int kOpcodeIndex = 0, kInputs = 1, kOutputs = 2, kOptions = 4; }
namespace buffer_f { constexpr int kData = 0; }

// Strides, dilations, pool windows and the depth multiplier: the converter
// divides by them and sizes pads with them (tflite_fuzz found a stride of 0).
constexpr std::int32_t kMaxWindowOption = 1 << 16;

const char* BadWindowOption(const TfliteOptions& o) {
  const std::pair<const char*, std::int32_t> fields[] = {
      {"stride_w", o.stride_w},     {"stride_h", o.stride_h}, {"dilation_w", o.dilation_w},
      {"dilation_h", o.dilation_h}, {"filter_w", o.filter_w}, {"filter_h", o.filter_h},
      {"depth_multiplier", o.depth_multiplier}};
  for (const auto& [name, v] : fields) {
    if (v < 1 || v > kMaxWindowOption) return name;
  }
  return nullptr;
}

TfliteOptions ParseOptions(TfliteOp op, const FlatTable& t) {
  TfliteOptions o;
  if (!t.present()) return o;
  auto act = [&](int i) { return static_cast<TfliteActivation>(t.Scalar<int8_t>(i, 0)); };
  switch (op) {
    case TfliteOp::kConv2D:
      o.padding = static_cast<TflitePadding>(t.Scalar<int8_t>(0, 0));
      o.stride_w = t.Scalar<int32_t>(1, 1);
      o.stride_h = t.Scalar<int32_t>(2, 1);
      o.activation = act(3);
      o.dilation_w = t.Scalar<int32_t>(4, 1);
      o.dilation_h = t.Scalar<int32_t>(5, 1);
      break;
    case TfliteOp::kDepthwiseConv2D:
      o.padding = static_cast<TflitePadding>(t.Scalar<int8_t>(0, 0));
      o.stride_w = t.Scalar<int32_t>(1, 1);
      o.stride_h = t.Scalar<int32_t>(2, 1);
      o.depth_multiplier = t.Scalar<int32_t>(3, 1);
      o.activation = act(4);
      o.dilation_w = t.Scalar<int32_t>(5, 1);
      o.dilation_h = t.Scalar<int32_t>(6, 1);
      break;
    case TfliteOp::kMaxPool2D:
    case TfliteOp::kAveragePool2D:
      o.padding = static_cast<TflitePadding>(t.Scalar<int8_t>(0, 0));
      o.stride_w = t.Scalar<int32_t>(1, 1);
      o.stride_h = t.Scalar<int32_t>(2, 1);
      o.filter_w = t.Scalar<int32_t>(3, 1);
      o.filter_h = t.Scalar<int32_t>(4, 1);
      o.activation = act(5);
      break;
    case TfliteOp::kFullyConnected:
      o.activation = act(0);
      o.keep_dims = t.Scalar<uint8_t>(2, 0) != 0;
      break;
    case TfliteOp::kAdd:
    case TfliteOp::kMul:
    case TfliteOp::kSub:
    case TfliteOp::kDiv:
      o.activation = act(0);
      break;
    case TfliteOp::kConcatenation:
      o.axis = t.Scalar<int32_t>(0, 0);
      o.activation = act(1);
      break;
    case TfliteOp::kSoftmax:
      o.beta = t.Scalar<float>(0, 1.f);
      break;
    case TfliteOp::kReshape:
      o.new_shape = t.ScalarVector<int32_t>(0);
      break;
    case TfliteOp::kMean:
    case TfliteOp::kSum:
    case TfliteOp::kReduceMax:
      o.keep_dims = t.Scalar<uint8_t>(0, 0) != 0;
      break;
    case TfliteOp::kStridedSlice:
      o.begin_mask = t.Scalar<int32_t>(0, 0);
      o.end_mask = t.Scalar<int32_t>(1, 0);
      o.shrink_axis_mask = t.Scalar<int32_t>(4, 0);
      break;
    case TfliteOp::kLeakyRelu:
      o.alpha = t.Scalar<float>(0, 0.2f);
      break;
    default:
      break;
  }
  return o;
}

Status Invalid(const std::string& what) {
  return {StatusCode::kModelInvalid, "TFLite model: " + what};
}

}  // namespace

int64_t TfliteTensor::num_elements() const {
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, int64_t{d}, &n)) return -1;
  }
  return n;
}

std::string TfliteOpName(int32_t code) {
  static const std::unordered_map<int32_t, const char*> kNames = {
      {0, "ADD"}, {1, "AVERAGE_POOL_2D"}, {2, "CONCATENATION"}, {3, "CONV_2D"},
      {4, "DEPTHWISE_CONV_2D"}, {6, "DEQUANTIZE"}, {9, "FULLY_CONNECTED"}, {14, "LOGISTIC"},
      {17, "MAX_POOL_2D"}, {18, "MUL"}, {19, "RELU"}, {21, "RELU6"}, {22, "RESHAPE"},
      {25, "SOFTMAX"}, {34, "PAD"}, {40, "MEAN"}, {41, "SUB"}, {42, "DIV"},
      {45, "STRIDED_SLICE"}, {47, "EXP"}, {53, "CAST"}, {54, "PRELU"}, {55, "MAXIMUM"},
      {57, "MINIMUM"}, {58, "LESS"}, {59, "NEG"}, {62, "GREATER_EQUAL"}, {74, "SUM"},
      {82, "REDUCE_MAX"}, {98, "LEAKY_RELU"}, {101, "ABS"}};
  auto it = kNames.find(code);
  return it != kNames.end() ? it->second : "OP_" + std::to_string(code);
}

Result<TfliteModel> TfliteModel::Parse(std::span<const uint8_t> bytes) {
  FlatBufferReader reader(bytes);
  if (reader.Identifier() != "TFL3") return Invalid("missing TFL3 file identifier");
  FlatTable root = reader.Root();
  TfliteModel m;
  m.version = root.Scalar<uint32_t>(model_f::kVersion, 0);
  m.description = root.String(model_f::kDescription);
  if (m.version != 3) return Invalid("schema version " + std::to_string(m.version) + ", expected 3");

  std::vector<int32_t> opcodes;
  for (const FlatTable& oc : root.TableVector(model_f::kOpCodes)) {
    int32_t deprecated = oc.Scalar<int8_t>(opcode_f::kDeprecatedBuiltin, 0);
    int32_t builtin = oc.Scalar<int32_t>(opcode_f::kBuiltin, 0);
    opcodes.push_back(std::max(deprecated, builtin));
  }
  std::vector<FlatTable> buffers = root.TableVector(model_f::kBuffers);
  std::vector<FlatTable> subgraphs = root.TableVector(model_f::kSubgraphs);
  if (reader.failed()) return Invalid("corrupt model header");
  if (subgraphs.empty()) return Invalid("no subgraph");
  const FlatTable& sg = subgraphs[0];

  for (const FlatTable& t : sg.TableVector(subgraph_f::kTensors)) {
    TfliteTensor tensor;
    tensor.name = t.String(tensor_f::kName);
    tensor.shape = t.ScalarVector<int32_t>(tensor_f::kShape);
    tensor.type = static_cast<TfliteType>(t.Scalar<int8_t>(tensor_f::kType, 0));
    uint32_t buf = t.Scalar<uint32_t>(tensor_f::kBuffer, 0);
    if (buf >= buffers.size() && buf != 0) return Invalid("tensor " + tensor.name + " names a missing buffer");
    std::span<const uint8_t> data;
    if (buf != 0) data = buffers[buf].ByteVector(buffer_f::kData);
    if (!data.empty()) {
      int64_t n = tensor.num_elements();
      size_t elem = 0;
      switch (tensor.type) {
        case TfliteType::kFloat32: elem = 4; break;
        case TfliteType::kFloat16: elem = 2; break;
        case TfliteType::kInt32: elem = 4; break;
        default: return Invalid("tensor " + tensor.name + " has an unsupported constant type");
      }
      if (n < 0 || static_cast<uint64_t>(n) * elem != data.size()) {
        return Invalid("tensor " + tensor.name + " data size does not match its shape");
      }
      if (tensor.type == TfliteType::kInt32) {
        tensor.ints.resize(static_cast<size_t>(n));
        std::memcpy(tensor.ints.data(), data.data(), data.size());
      } else if (tensor.type == TfliteType::kFloat32) {
        tensor.data.resize(static_cast<size_t>(n));
        std::memcpy(tensor.data.data(), data.data(), data.size());
      } else {
        tensor.data.resize(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
          uint16_t h;
          std::memcpy(&h, data.data() + 2 * i, 2);
          tensor.data[static_cast<size_t>(i)] = HalfToFloat(h);
        }
      }
    }
    m.tensors.push_back(std::move(tensor));
  }
  auto valid_index = [&](int32_t i) { return i >= -1 && i < static_cast<int32_t>(m.tensors.size()); };
  m.inputs = sg.ScalarVector<int32_t>(subgraph_f::kInputs);
  m.outputs = sg.ScalarVector<int32_t>(subgraph_f::kOutputs);
  for (const FlatTable& o : sg.TableVector(subgraph_f::kOperators)) {
    TfliteOperator op;
    uint32_t idx = o.Scalar<uint32_t>(op_f::kOpcodeIndex, 0);
    if (idx >= opcodes.size()) return Invalid("operator uses a missing opcode");
    op.code = opcodes[idx];
    op.inputs = o.ScalarVector<int32_t>(op_f::kInputs);
    op.outputs = o.ScalarVector<int32_t>(op_f::kOutputs);
    for (int32_t i : op.inputs) {
      if (!valid_index(i)) return Invalid("operator input index out of range");
    }
    for (int32_t i : op.outputs) {
      if (!valid_index(i) || i < 0) return Invalid("operator output index out of range");
    }
    op.options = ParseOptions(op.op(), o.Table(op_f::kOptions));
    if (const char* bad = BadWindowOption(op.options)) {
      return Invalid("operator " + std::to_string(m.operators.size()) + " (" + TfliteOpName(op.code) + "): " + bad +
                     " must be in [1, " + std::to_string(kMaxWindowOption) + "]");
    }
    m.operators.push_back(std::move(op));
  }
  for (int32_t i : m.inputs) {
    if (!valid_index(i) || i < 0) return Invalid("graph input index out of range");
  }
  for (int32_t i : m.outputs) {
    if (!valid_index(i) || i < 0) return Invalid("graph output index out of range");
  }
  if (reader.failed()) return Invalid("corrupt flatbuffer (offset out of bounds)");
  return m;
}

Result<TfliteModel> TfliteModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open model file " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Parse(bytes);
}

}  // namespace facekit::runtime
