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
#include <vector>

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

/// Decodes `group` into `out` (name -> tensor). `model` names the model in messages.
Status DecodeWeightGroup(const TfjsWeightGroup& group, const std::string& model,
                         const TfjsModel::ShardReader& read_shard, std::map<std::string, TfjsTensor>* out);

}  // namespace facekit::runtime
