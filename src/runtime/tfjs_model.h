// tfjs_model.h - a parsed TensorFlow.js graph model (model.json + weight shards).
//
// WHAT THIS REPRESENTS
//   The graph of a TF.js "graph-model" file: nodes (name, op, inputs, the
//   attributes as TF's AttrValue JSON spells them) and the constants, whose
//   values come from the weights manifest and its binary shards. Weights are
//   decoded to float32 on load (float16 and uint8/uint16-quantised weights
//   are widened: value = min + q * scale) or kept as integers (int32, bool),
//   so consumers see two element types. Nothing is executed here.
//
//   Every malformed input is refused with a Status naming the file and what
//   is wrong: kIoError / kNotFound for unreadable files, kModelInvalid for
//   JSON that does not parse (a truncated file), fields of the wrong type,
//   unknown dtypes, shards whose size differs from what the manifest's
//   weights need, and node inputs that no node defines.
//
// THREAD SAFETY
//   Immutable after Parse; safe to share between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "facekit/status.h"

namespace facekit::runtime {

enum class TfjsDtype { kFloat32, kInt32, kBool };

/// A constant: float values (float32/float16/quantised) or integers.
struct TfjsTensor {
  std::vector<int64_t> shape;
  TfjsDtype dtype = TfjsDtype::kFloat32;
  std::vector<float> floats;  ///< kFloat32
  std::vector<int64_t> ints;  ///< kInt32, kBool
  size_t size() const { return dtype == TfjsDtype::kFloat32 ? floats.size() : ints.size(); }
};

/// One attribute value; only the members its JSON form sets are meaningful.
struct TfjsAttr {
  int64_t i = 0;
  float f = 0.f;
  bool b = false;
  std::string s;     ///< bytes (base64-decoded)
  std::string type;  ///< "DT_FLOAT", ...
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;  ///< list of bytes (e.g. fused_ops)
  std::vector<int64_t> shape;        ///< -1 = unknown dimension
};

struct TfjsNode {
  std::string name;
  std::string op;
  /// Data inputs: "node" (output 0) or "node:k"; control inputs ("^node") are dropped.
  std::vector<std::string> inputs;
  std::map<std::string, TfjsAttr> attrs;
  const TfjsAttr* Attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? nullptr : &it->second;
  }
};

struct TfjsModel {
  std::string name;  ///< the model JSON's file name, for messages
  std::string generated_by, converted_by;
  std::vector<TfjsNode> nodes;                ///< in file order, Const nodes included
  std::map<std::string, TfjsTensor> weights;  ///< constant node name -> value
  std::vector<std::string> inputs;            ///< Placeholder node names
  std::vector<std::string> outputs;           ///< the signature's outputs, if it names any

  /// The node called `name` (a tensor reference's "node" part), or nullptr.
  const TfjsNode* FindNode(const std::string& name) const;

  /// Reads `json_path` and the shards its manifest names (relative to it).
  static Result<TfjsModel> Load(const std::string& json_path);

  /// Returns a shard's bytes by the path the manifest gives.
  using ShardReader = std::function<Result<std::string>(const std::string& shard_path)>;
  /// Parses model JSON text; `name` is used in messages.
  static Result<TfjsModel> Parse(std::string_view json_text, const std::string& name, const ShardReader& read_shard);

 private:
  std::unordered_map<std::string, size_t> index_;
};

/// Reads the shards named by the manifest at `json_path` from its folder;
/// refuses absolute paths and "..".
TfjsModel::ShardReader FileShardReader(const std::string& json_path);

/// Splits a tensor reference "node:k" into ("node", k); "node" is output 0.
std::pair<std::string, int> SplitTensorRef(const std::string& ref);

}  // namespace facekit::runtime
