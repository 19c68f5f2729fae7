// tfjs_weights.h - decodes the binary weight shards of a TF.js model.
//
// WHAT THIS REPRESENTS
//   One group of a TF.js weights manifest: the shard files (concatenated in
//   order form one buffer) and the weights stored in it back to back, each
//   with its shape, dtype and optional quantisation. DecodeWeightGroup reads
//   the buffer into TfjsTensors. The bytes the weights need must equal the
//   bytes the shards hold, so a truncated or padded shard is refused, as is
//   an unknown dtype or quantisation.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "facekit/status.h"
#include "runtime/tfjs_model.h"

namespace facekit::runtime {

struct TfjsWeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;        ///< "float32", "int32" or "bool"
  std::string quant_dtype;  ///< "" (none), "uint8", "uint16" or "float16"
  float quant_min = 0.f, quant_scale = 1.f;
};

struct TfjsWeightGroup {
  std::vector<std::string> paths;
  std::vector<TfjsWeightSpec> weights;
};

/// One group of a "weightsManifest" array ({"paths": [...], "weights": [...]}).
/// Throws (nlohmann::json::exception, std::invalid_argument) on a malformed
/// group; callers turn that into kModelInvalid.
TfjsWeightGroup ParseWeightGroup(const nlohmann::json& group);

/// Decodes `group` into `out` (name -> tensor). `model` names the model in messages.
Status DecodeWeightGroup(const TfjsWeightGroup& group, const std::string& model,
                         const TfjsModel::ShardReader& read_shard, std::map<std::string, TfjsTensor>* out);

/// A standalone weights manifest (a JSON array of groups, as face-api ships
/// NAME-weights_manifest.json beside its shards) decoded to name -> tensor.
/// kModelInvalid for malformed JSON, unknown dtypes and shards whose size
/// differs from what the weights need; the reader's error for missing shards.
Result<std::map<std::string, TfjsTensor>> ParseTfjsWeightsManifest(std::string_view json_text, const std::string& name,
                                                                   const TfjsModel::ShardReader& read_shard);

/// Reads `manifest_path` and the shards it names (relative to it).
Result<std::map<std::string, TfjsTensor>> LoadTfjsWeightsManifest(const std::string& manifest_path);

}  // namespace facekit::runtime
