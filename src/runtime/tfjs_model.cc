#include "runtime/tfjs_model.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/base64.h"
#include "runtime/tfjs_weights.h"

namespace facekit::runtime {
namespace {

using nlohmann::json;

Status Bad(const std::string& model, const std::string& what) {
  return {StatusCode::kModelInvalid, model + ": " + what};
}

// TF's JSON spells int64 values as strings ("3") and sometimes as numbers.
int64_t Int(const json& v) {
  if (v.is_string()) return std::stoll(v.get<std::string>());
  return v.get<int64_t>();
}

std::string Bytes(const json& v, const std::string& model) {
  auto decoded = Base64Decode(v.get<std::string>());
  if (!decoded) throw std::invalid_argument(model + ": attribute string is not base64");
  return {decoded->begin(), decoded->end()};
}

std::vector<int64_t> Shape(const json& shape) {
  std::vector<int64_t> dims;
  for (const json& d : shape.value("dim", json::array())) dims.push_back(d.contains("size") ? Int(d["size"]) : -1);
  return dims;
}

TfjsAttr ParseAttr(const json& a, const std::string& model) {
  TfjsAttr attr;
  if (a.contains("i")) attr.i = Int(a["i"]);
  if (a.contains("f")) attr.f = a["f"].get<float>();
  if (a.contains("b")) attr.b = a["b"].get<bool>();
  if (a.contains("s")) attr.s = Bytes(a["s"], model);
  if (a.contains("type")) attr.type = a["type"].get<std::string>();
  if (a.contains("shape")) attr.shape = Shape(a["shape"]);
  if (a.contains("list")) {
    const json& l = a["list"];
    for (const json& v : l.value("i", json::array())) attr.ints.push_back(Int(v));
    for (const json& v : l.value("f", json::array())) attr.floats.push_back(v.get<float>());
    for (const json& v : l.value("s", json::array())) attr.strings.push_back(Bytes(v, model));
  }
  return attr;
}

Status CheckGraph(const TfjsModel& m) {
  std::set<std::string> names;
  for (const TfjsNode& n : m.nodes) {
    if (!names.insert(n.name).second) return Bad(m.name, "two nodes are named '" + n.name + "'");
  }
  for (const TfjsNode& n : m.nodes) {
    for (const std::string& in : n.inputs) {
      if (!names.count(SplitTensorRef(in).first)) {
        return Bad(m.name, "node '" + n.name + "' (" + n.op + ") reads '" + in + "', which no node defines");
      }
    }
    if (n.op == "Const" && !m.weights.count(n.name)) {
      return Bad(m.name, "constant '" + n.name + "' has no entry in the weights manifest");
    }
  }
  for (const std::string& out : m.outputs) {
    if (!names.count(SplitTensorRef(out).first)) return Bad(m.name, "signature output '" + out + "' is not a node");
  }
  return Status::Ok();
}

}  // namespace

std::pair<std::string, int> SplitTensorRef(const std::string& ref) {
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || colon + 1 == ref.size()) return {ref, 0};
  for (size_t i = colon + 1; i < ref.size(); ++i) {
    if (ref[i] < '0' || ref[i] > '9') return {ref, 0};
  }
  return {ref.substr(0, colon), std::stoi(ref.substr(colon + 1))};
}

const TfjsNode* TfjsModel::FindNode(const std::string& node_name) const {
  auto it = index_.find(node_name);
  return it == index_.end() ? nullptr : &nodes[it->second];
}

Result<TfjsModel> TfjsModel::Parse(std::string_view json_text, const std::string& name, const ShardReader& read_shard) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number too large for a double.
    return Bad(name, std::string("not valid JSON (truncated?): ") + e.what());
  }
  TfjsModel m;
  m.name = name;
  std::vector<TfjsWeightGroup> groups;
  try {
    if (!j.is_object() || !j.contains("modelTopology")) return Bad(name, "no modelTopology: not a TF.js graph model");
    if (j.contains("format") && j["format"] != "graph-model") {
      return Bad(name, "format '" + j["format"].dump() + "' is not a graph-model");
    }
    m.generated_by = j.value("generatedBy", "");
    m.converted_by = j.value("convertedBy", "");
    for (const json& n : j["modelTopology"].at("node")) {
      TfjsNode node;
      node.name = n.at("name").get<std::string>();
      node.op = n.at("op").get<std::string>();
      for (const json& in : n.value("input", json::array())) {
        std::string ref = in.get<std::string>();
        if (!ref.empty() && ref[0] != '^') node.inputs.push_back(ref);
      }
      const json attrs = n.value("attr", json::object());
      for (const auto& [key, value] : attrs.items()) node.attrs[key] = ParseAttr(value, name);
      if (node.op == "Placeholder") m.inputs.push_back(node.name);
      m.nodes.push_back(std::move(node));
    }
    if (j.contains("signature") && j["signature"].contains("outputs")) {
      for (const auto& [key, value] : j["signature"]["outputs"].items()) m.outputs.push_back(value.value("name", key));
    }
    if (!j.contains("weightsManifest")) return Bad(name, "no weightsManifest");
    for (const json& g : j["weightsManifest"]) groups.push_back(ParseWeightGroup(g));
  } catch (const std::exception& e) {
    return Bad(name, std::string("malformed model JSON: ") + e.what());
  }
  for (size_t i = 0; i < m.nodes.size(); ++i) m.index_[m.nodes[i].name] = i;
  for (const TfjsWeightGroup& g : groups) FACEKIT_RETURN_IF_ERROR(DecodeWeightGroup(g, name, read_shard, &m.weights));
  FACEKIT_RETURN_IF_ERROR(CheckGraph(m));
  return m;
}

namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status(StatusCode::kIoError, "cannot read " + path);
  return ss.str();
}

}  // namespace

TfjsModel::ShardReader FileShardReader(const std::string& json_path) {
  const std::filesystem::path dir = std::filesystem::path(json_path).parent_path();
  return [json_path, dir](const std::string& shard) -> Result<std::string> {
    if (shard.empty() || std::filesystem::path(shard).is_absolute() || shard.find("..") != std::string::npos) {
      return Status(StatusCode::kModelInvalid,
                    json_path + ": weight shard path '" + shard + "' is not a plain relative path");
    }
    return ReadWholeFile((dir / shard).string());
  };
}

Result<TfjsModel> TfjsModel::Load(const std::string& json_path) {
  FACEKIT_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(json_path));
  return Parse(text, json_path, FileShardReader(json_path));
}

Result<std::map<std::string, TfjsTensor>> LoadTfjsWeightsManifest(const std::string& manifest_path) {
  FACEKIT_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(manifest_path));
  return ParseTfjsWeightsManifest(text, manifest_path, FileShardReader(manifest_path));
}

}  // namespace facekit::runtime
