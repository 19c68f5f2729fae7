#include "runtime/onnx_builder.h"

#include <cstring>

namespace facekit::runtime {
namespace {

// Field numbers from onnx.proto.
namespace model_f { constexpr int kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kGraph = 7, kOpset = 8, kMetadata = 14; }
namespace opset_f { constexpr int kDomain = 1, kVersion = 2; }
namespace graph_f { constexpr int kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12; }
namespace node_f { constexpr int kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5; }
namespace attr_f { constexpr int kName = 1, kF = 2, kI = 3, kS = 4, kFloats = 7, kInts = 8, kType = 20; }
namespace attr_type { constexpr int kFloat = 1, kInt = 2, kString = 3, kFloats = 6, kInts = 7; }
namespace tensor_f { constexpr int kDims = 1, kDataType = 2, kName = 8, kRawData = 9; }
namespace dtype { constexpr int kFloat = 1, kInt64 = 7; }
namespace value_info_f { constexpr int kName = 1, kType = 2; }
namespace type_f { constexpr int kTensorType = 1; }
namespace tensor_type_f { constexpr int kElemType = 1, kShape = 2; }
namespace shape_f { constexpr int kDim = 1; }
namespace dim_f { constexpr int kValue = 1, kParam = 2; }
namespace entry_f { constexpr int kKey = 1, kValue = 2; }

std::string Tensor(const std::string& name, const std::vector<int64_t>& dims, int type,
                   const void* data, size_t bytes) {
  ProtoWriter t;
  t.PackedVarints(tensor_f::kDims, dims);
  t.Varint(tensor_f::kDataType, static_cast<uint64_t>(type));
  t.Bytes(tensor_f::kName, name);
  t.Bytes(tensor_f::kRawData, std::string_view(static_cast<const char*>(data), bytes));
  return t.str();
}

std::string ValueInfo(const std::string& name, const std::vector<OnnxDim>& dims) {
  ProtoWriter shape;
  for (const OnnxDim& d : dims) {
    ProtoWriter dim;
    if (d.value >= 0) {
      dim.Varint(dim_f::kValue, static_cast<uint64_t>(d.value));
    } else {
      dim.Bytes(dim_f::kParam, d.param);
    }
    shape.Bytes(shape_f::kDim, dim.str());
  }
  ProtoWriter tensor_type;
  tensor_type.Varint(tensor_type_f::kElemType, dtype::kFloat);
  tensor_type.Bytes(tensor_type_f::kShape, shape.str());
  ProtoWriter type;
  type.Bytes(type_f::kTensorType, tensor_type.str());
  ProtoWriter vi;
  vi.Bytes(value_info_f::kName, name);
  vi.Bytes(value_info_f::kType, type.str());
  return vi.str();
}

}  // namespace

void ProtoWriter::Tag(int field, int wire_type) {
  RawVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

void ProtoWriter::RawVarint(uint64_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<char>(v));
}

void ProtoWriter::Varint(int field, uint64_t v) {
  Tag(field, 0);
  RawVarint(v);
}

void ProtoWriter::Fixed32(int field, uint32_t v) {
  Tag(field, 5);
  char b[4];
  std::memcpy(b, &v, 4);
  buf_.append(b, 4);
}

void ProtoWriter::Bytes(int field, std::string_view bytes) {
  Tag(field, 2);
  RawVarint(bytes.size());
  buf_.append(bytes);
}

void ProtoWriter::PackedVarints(int field, const std::vector<int64_t>& values) {
  ProtoWriter inner;
  for (int64_t v : values) inner.RawVarint(static_cast<uint64_t>(v));
  Bytes(field, inner.str());
}

void ProtoWriter::PackedFloats(int field, const std::vector<float>& values) {
  Bytes(field, std::string_view(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

void OnnxBuilder::AddNode(std::string op_type, std::vector<std::string> inputs,
                          std::vector<std::string> outputs, std::vector<OnnxAttr> attrs,
                          std::string name) {
  ProtoWriter n;
  for (const auto& i : inputs) n.Bytes(node_f::kInput, i);
  for (const auto& o : outputs) n.Bytes(node_f::kOutput, o);
  n.Bytes(node_f::kName, name.empty() ? outputs.front() : name);
  n.Bytes(node_f::kOpType, op_type);
  for (const auto& [attr_name, value] : attrs) {
    ProtoWriter a;
    a.Bytes(attr_f::kName, attr_name);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      a.Varint(attr_f::kI, static_cast<uint64_t>(*i));
      a.Varint(attr_f::kType, attr_type::kInt);
    } else if (const auto* f = std::get_if<float>(&value)) {
      uint32_t bits;
      std::memcpy(&bits, f, 4);
      a.Fixed32(attr_f::kF, bits);
      a.Varint(attr_f::kType, attr_type::kFloat);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      a.Bytes(attr_f::kS, *s);
      a.Varint(attr_f::kType, attr_type::kString);
    } else if (const auto* is = std::get_if<std::vector<int64_t>>(&value)) {
      a.PackedVarints(attr_f::kInts, *is);
      a.Varint(attr_f::kType, attr_type::kInts);
    } else if (const auto* fs = std::get_if<std::vector<float>>(&value)) {
      a.PackedFloats(attr_f::kFloats, *fs);
      a.Varint(attr_f::kType, attr_type::kFloats);
    }
    n.Bytes(node_f::kAttribute, a.str());
  }
  ProtoWriter g;
  g.Bytes(graph_f::kNode, n.str());
  nodes_ += g.str();
  ++node_count_;
}

void OnnxBuilder::AddFloatInitializer(const std::string& name, const std::vector<int64_t>& dims,
                                      const std::vector<float>& data) {
  ProtoWriter g;
  g.Bytes(graph_f::kInitializer, Tensor(name, dims, dtype::kFloat, data.data(), data.size() * 4));
  initializers_ += g.str();
}

void OnnxBuilder::AddInt64Initializer(const std::string& name, const std::vector<int64_t>& dims,
                                      const std::vector<int64_t>& data) {
  ProtoWriter g;
  g.Bytes(graph_f::kInitializer, Tensor(name, dims, dtype::kInt64, data.data(), data.size() * 8));
  initializers_ += g.str();
}

void OnnxBuilder::AddInput(const std::string& name, const std::vector<OnnxDim>& dims) {
  ProtoWriter g;
  g.Bytes(graph_f::kInput, ValueInfo(name, dims));
  inputs_ += g.str();
}

void OnnxBuilder::AddOutput(const std::string& name, const std::vector<OnnxDim>& dims) {
  ProtoWriter g;
  g.Bytes(graph_f::kOutput, ValueInfo(name, dims));
  outputs_ += g.str();
}

void OnnxBuilder::AddMetadata(std::string key, std::string value) {
  metadata_.emplace_back(std::move(key), std::move(value));
}

std::string OnnxBuilder::Serialize(std::string_view graph_name, std::string_view producer,
                                   std::string_view producer_version) const {
  ProtoWriter name;
  name.Bytes(graph_f::kName, graph_name);
  std::string graph = nodes_ + name.str() + initializers_ + inputs_ + outputs_;

  ProtoWriter opset;
  opset.Bytes(opset_f::kDomain, "");
  opset.Varint(opset_f::kVersion, kOpsetVersion);

  ProtoWriter m;
  m.Varint(model_f::kIrVersion, kIrVersion);
  m.Bytes(model_f::kProducerName, producer);
  m.Bytes(model_f::kProducerVersion, producer_version);
  m.Bytes(model_f::kGraph, graph);
  m.Bytes(model_f::kOpset, opset.str());
  for (const auto& [k, v] : metadata_) {
    ProtoWriter e;
    e.Bytes(entry_f::kKey, k);
    e.Bytes(entry_f::kValue, v);
    m.Bytes(model_f::kMetadata, e.str());
  }
  return m.str();
}

}  // namespace facekit::runtime
