#include "runtime/tfjs_weights.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "runtime/half_float.h"

namespace facekit::runtime {
namespace {

using nlohmann::json;

// TF's JSON spells int64 values as strings ("3") and sometimes as numbers.
int64_t Int(const json& v) {
  if (v.is_string()) return std::stoll(v.get<std::string>());
  return v.get<int64_t>();
}

Status Bad(const std::string& model, const std::string& what) {
  return {StatusCode::kModelInvalid, model + ": " + what};
}

// Bytes per stored element, or 0 for an unknown dtype.
size_t StoredBytes(const TfjsWeightSpec& w) {
  if (w.quant_dtype == "uint8") return 1;
  if (w.quant_dtype == "uint16" || w.quant_dtype == "float16") return 2;
  if (!w.quant_dtype.empty()) return 0;
  if (w.dtype == "float32" || w.dtype == "int32") return 4;
  if (w.dtype == "bool") return 1;
  return 0;
}

template <typename T>
T Read(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Element `i` of `w` stored at `p`, widened to double.
double Element(const TfjsWeightSpec& w, const char* p, size_t i) {
  if (w.quant_dtype == "uint8") return w.quant_min + w.quant_scale * static_cast<uint8_t>(p[i]);
  if (w.quant_dtype == "uint16") return w.quant_min + w.quant_scale * Read<uint16_t>(p + 2 * i);
  if (w.quant_dtype == "float16") return HalfToFloat(Read<uint16_t>(p + 2 * i));
  if (w.dtype == "float32") return Read<float>(p + 4 * i);
  if (w.dtype == "int32") return Read<int32_t>(p + 4 * i);
  return p[i] != 0 ? 1.0 : 0.0;  // bool
}

}  // namespace

TfjsWeightGroup ParseWeightGroup(const json& g) {
  TfjsWeightGroup group;
  for (const json& p : g.at("paths")) group.paths.push_back(p.get<std::string>());
  for (const json& w : g.at("weights")) {
    TfjsWeightSpec spec;
    spec.name = w.at("name").get<std::string>();
    for (const json& d : w.at("shape")) spec.shape.push_back(Int(d));
    spec.dtype = w.at("dtype").get<std::string>();
    if (w.contains("quantization") && !w["quantization"].is_null()) {
      const json& q = w["quantization"];
      spec.quant_dtype = q.at("dtype").get<std::string>();
      if (q.contains("min")) spec.quant_min = q["min"].get<float>();
      if (q.contains("scale")) spec.quant_scale = q["scale"].get<float>();
      if ((spec.quant_dtype == "uint8" || spec.quant_dtype == "uint16") &&
          (!q.contains("min") || !q.contains("scale"))) {
        throw std::invalid_argument("weight '" + spec.name + "' is quantised without min/scale");
      }
    }
    group.weights.push_back(std::move(spec));
  }
  return group;
}

Status DecodeWeightGroup(const TfjsWeightGroup& group, const std::string& model,
                         const TfjsModel::ShardReader& read_shard, std::map<std::string, TfjsTensor>* out) {
  std::string buffer;
  for (const std::string& path : group.paths) {
    Result<std::string> shard = read_shard(path);
    if (!shard.ok()) return shard.status();
    buffer += *shard;
  }
  std::string shard_names;
  for (const std::string& path : group.paths) shard_names += (shard_names.empty() ? "" : ", ") + path;
  size_t offset = 0;
  for (const TfjsWeightSpec& w : group.weights) {
    const size_t elem = StoredBytes(w);
    if (elem == 0) {
      return Bad(model, "weight '" + w.name + "' has unknown dtype '" + w.dtype +
                            (w.quant_dtype.empty() ? "" : "' quantised as '" + w.quant_dtype) + "'");
    }
    if (!w.quant_dtype.empty() && w.dtype != "float32" && w.dtype != "int32") {
      return Bad(model, "weight '" + w.name + "': quantised dtype '" + w.dtype + "' is not supported");
    }
    uint64_t count = 1;
    for (int64_t d : w.shape) {
      if (d < 0 || (d > 0 && count > std::numeric_limits<uint32_t>::max() / static_cast<uint64_t>(d))) {
        return Bad(model, "weight '" + w.name + "' has an invalid shape");
      }
      count *= static_cast<uint64_t>(d);
    }
    const uint64_t bytes = count * elem;
    if (offset + bytes > buffer.size()) {
      return Bad(model, "weight shards " + shard_names + " hold " + std::to_string(buffer.size()) +
                            " bytes but the manifest's weights need more (weight '" + w.name + "' ends at byte " +
                            std::to_string(offset + bytes) + "): truncated shard");
    }
    TfjsTensor t;
    t.shape = w.shape;
    const char* p = buffer.data() + offset;
    if (w.dtype == "float32") {
      t.dtype = TfjsDtype::kFloat32;
      t.floats.resize(count);
      for (size_t i = 0; i < count; ++i) t.floats[i] = static_cast<float>(Element(w, p, i));
    } else {
      t.dtype = w.dtype == "bool" ? TfjsDtype::kBool : TfjsDtype::kInt32;
      t.ints.resize(count);
      for (size_t i = 0; i < count; ++i) t.ints[i] = static_cast<int64_t>(std::llround(Element(w, p, i)));
    }
    offset += bytes;
    (*out)[w.name] = std::move(t);
  }
  if (offset != buffer.size()) {
    return Bad(model, "weight shards " + shard_names + " hold " + std::to_string(buffer.size()) +
                          " bytes but the manifest's weights use " + std::to_string(offset) + ": wrong shard size");
  }
  return Status::Ok();
}

Result<std::map<std::string, TfjsTensor>> ParseTfjsWeightsManifest(std::string_view json_text, const std::string& name,
                                                                   const TfjsModel::ShardReader& read_shard) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(name, "not valid JSON (truncated?)");
  if (!j.is_array() || j.empty()) return Bad(name, "a weights manifest is a non-empty JSON array of weight groups");
  std::vector<TfjsWeightGroup> groups;
  try {
    for (const json& g : j) groups.push_back(ParseWeightGroup(g));
  } catch (const std::exception& e) {
    return Bad(name, std::string("malformed weights manifest: ") + e.what());
  }
  std::map<std::string, TfjsTensor> weights;
  for (const TfjsWeightGroup& g : groups) FACEKIT_RETURN_IF_ERROR(DecodeWeightGroup(g, name, read_shard, &weights));
  return weights;
}

}  // namespace facekit::runtime
