// onnx_builder.h - writes ONNX models (protobuf wire format) without libprotobuf.
//
// WHAT THIS REPRESENTS
//   A builder for one ONNX GraphProto and its ModelProto envelope: nodes with
//   attributes, float/int64 initializers, graph inputs/outputs with static or
//   symbolic dimensions, and metadata. Serialize() returns the bytes of a
//   standard .onnx file (IR version 7, default-domain opset 13) that any ONNX
//   reader accepts. Only the fields the TFLite importer needs are supported.
//
// THREAD SAFETY
//   Not thread-safe; build on one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace facekit::runtime {

/// One ONNX node attribute value.
using OnnxAttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;
using OnnxAttr = std::pair<std::string, OnnxAttrValue>;

/// A dimension: a fixed size (>= 0) or a symbolic name.
struct OnnxDim {
  int64_t value = -1;
  std::string param;
  static OnnxDim Fixed(int64_t v) { return {v, {}}; }
  static OnnxDim Symbolic(std::string name) { return {-1, std::move(name)}; }
};

class OnnxBuilder {
 public:
  static constexpr int64_t kIrVersion = 7;
  static constexpr int64_t kOpsetVersion = 13;

  void AddNode(std::string op_type, std::vector<std::string> inputs, std::vector<std::string> outputs,
               std::vector<OnnxAttr> attrs = {}, std::string name = {});
  void AddFloatInitializer(const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<float>& data);
  void AddInt64Initializer(const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int64_t>& data);
  void AddInput(const std::string& name, const std::vector<OnnxDim>& dims);
  void AddOutput(const std::string& name, const std::vector<OnnxDim>& dims);
  void AddMetadata(std::string key, std::string value);

  /// Serialised ModelProto.
  std::string Serialize(std::string_view graph_name, std::string_view producer,
                        std::string_view producer_version) const;

  size_t node_count() const { return node_count_; }

 private:
  std::string nodes_;         // concatenated GraphProto.node fields
  std::string initializers_;  // GraphProto.initializer fields
  std::string inputs_;
  std::string outputs_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  size_t node_count_ = 0;
};

/// Low-level protobuf encoder used by the builder (exposed for tests).
class ProtoWriter {
 public:
  void Varint(int field, uint64_t v);
  void Fixed32(int field, uint32_t v);
  void Bytes(int field, std::string_view bytes);
  void PackedVarints(int field, const std::vector<int64_t>& values);
  void PackedFloats(int field, const std::vector<float>& values);
  const std::string& str() const { return buf_; }

 private:
  void Tag(int field, int wire_type);
  void RawVarint(uint64_t v);
  std::string buf_;
};

}  // namespace facekit::runtime
