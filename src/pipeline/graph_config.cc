#include "pipeline/graph_config.h"

#include <fstream>
#include <set>
#include <sstream>

namespace facekit::pipeline {
namespace {

Status Invalid(const std::string& message) { return Status(StatusCode::kInvalidArgument, message); }

bool ValidName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "node.port" -> {node, port}.
Result<std::pair<std::string, std::string>> SplitEndpoint(const std::string& s, const std::string& where) {
  const std::size_t dot = s.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == s.size() || s.find('.', dot + 1) != std::string::npos) {
    return Invalid(where + ": expected \"node.port\", got \"" + s + "\"");
  }
  return std::make_pair(s.substr(0, dot), s.substr(dot + 1));
}

Result<QueueSpec> ParseQueue(const nlohmann::json& j, QueueSpec base, const std::string& where) {
  if (auto it = j.find("capacity"); it != j.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 1000000) {
      return Invalid(where + ": queue capacity must be an integer in [1, 1000000], got " + it->dump());
    }
    base.capacity = it->get<std::size_t>();
  }
  if (auto it = j.find("policy"); it != j.end()) {
    if (!it->is_string()) return Invalid(where + ": queue policy must be a string, got " + it->dump());
    auto policy = ParseQueuePolicy(it->get<std::string>());
    if (!policy.ok()) return Invalid(where + ": " + policy.status().message());
    base.policy = *policy;
  }
  return base;
}

Result<InputConfig> ParseInput(const std::string& node, const std::string& port, const nlohmann::json& j) {
  const std::string where = "node \"" + node + "\" input \"" + port + "\"";
  InputConfig in;
  in.port = port;
  const nlohmann::json* from = &j;
  if (j.is_object()) {
    for (const auto& item : j.items()) {
      if (item.key() != "from" && item.key() != "capacity" && item.key() != "policy" && item.key() != "back_edge") {
        return Invalid(where + ": unknown key \"" + item.key() + "\" (expected from, capacity, policy, back_edge)");
      }
    }
    auto it = j.find("from");
    if (it == j.end()) return Invalid(where + ": missing \"from\"");
    from = &*it;
    if (j.contains("capacity") || j.contains("policy")) {
      FACEKIT_ASSIGN_OR_RETURN(in.queue, ParseQueue(j, QueueSpec{}, where));
    }
    if (auto b = j.find("back_edge"); b != j.end()) {
      if (!b->is_boolean()) return Invalid(where + ": back_edge must be true or false");
      in.back_edge = b->get<bool>();
    }
  }
  if (!from->is_string()) return Invalid(where + ": expected \"node.port\" or an object with \"from\"");
  FACEKIT_ASSIGN_OR_RETURN(auto endpoint, SplitEndpoint(from->get<std::string>(), where));
  in.from_node = endpoint.first;
  in.from_port = endpoint.second;
  return in;
}

Result<NodeConfig> ParseNode(const nlohmann::json& j, std::size_t index) {
  const std::string at = "nodes[" + std::to_string(index) + "]";
  if (!j.is_object()) return Invalid(at + ": expected an object");
  for (const auto& item : j.items()) {
    if (item.key() != "name" && item.key() != "type" && item.key() != "options" && item.key() != "inputs") {
      return Invalid(at + ": unknown key \"" + item.key() + "\" (expected name, type, options, inputs)");
    }
  }
  NodeConfig n;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return Invalid(at + ": missing \"name\"");
  n.name = name->get<std::string>();
  if (!ValidName(n.name)) {
    return Invalid(at + ": node name \"" + n.name + "\" may contain only letters, digits, '_' and '-'");
  }
  const std::string where = "node \"" + n.name + "\"";
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || type->get<std::string>().empty()) {
    return Invalid(where + ": missing \"type\"");
  }
  n.type = type->get<std::string>();
  if (auto options = j.find("options"); options != j.end()) {
    if (!options->is_object()) return Invalid(where + ": \"options\" must be an object");
    n.options = *options;
  }
  if (auto inputs = j.find("inputs"); inputs != j.end()) {
    if (!inputs->is_object()) return Invalid(where + ": \"inputs\" must be an object {port: \"node.port\"}");
    for (const auto& item : inputs->items()) {
      FACEKIT_ASSIGN_OR_RETURN(InputConfig in, ParseInput(n.name, item.key(), item.value()));
      n.inputs.push_back(std::move(in));
    }
  }
  return n;
}

}  // namespace

const NodeConfig* GraphConfig::FindNode(std::string_view name) const {
  for (const NodeConfig& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

Result<GraphConfig> GraphConfigFromJson(const nlohmann::json& doc) {
  if (!doc.is_object()) return Invalid("graph: expected a JSON object");
  for (const auto& item : doc.items()) {
    const std::string& k = item.key();
    if (k != "nodes" && k != "default_queue" && k != "back_edges" && k != "controller" && k != "description") {
      return Invalid("graph: unknown key \"" + k +
                     "\" (expected nodes, default_queue, back_edges, controller, description)");
    }
  }
  GraphConfig g;
  if (auto q = doc.find("default_queue"); q != doc.end()) {
    if (!q->is_object()) return Invalid("graph: \"default_queue\" must be an object");
    FACEKIT_ASSIGN_OR_RETURN(g.default_queue, ParseQueue(*q, g.default_queue, "default_queue"));
  }
  auto nodes = doc.find("nodes");
  if (nodes == doc.end() || !nodes->is_array() || nodes->empty()) {
    return Invalid("graph: \"nodes\" must be a non-empty list");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < nodes->size(); ++i) {
    FACEKIT_ASSIGN_OR_RETURN(NodeConfig n, ParseNode((*nodes)[i], i));
    if (!names.insert(n.name).second) return Invalid("node \"" + n.name + "\": duplicate node name");
    g.nodes.push_back(std::move(n));
  }
  if (auto back = doc.find("back_edges"); back != doc.end()) {
    if (!back->is_array()) return Invalid("graph: \"back_edges\" must be a list of \"node.input\"");
    for (const auto& b : *back) {
      if (!b.is_string()) return Invalid("back_edges: expected \"node.input\", got " + b.dump());
      FACEKIT_ASSIGN_OR_RETURN(auto endpoint, SplitEndpoint(b.get<std::string>(), "back_edges"));
      bool found = false;
      for (NodeConfig& n : g.nodes) {
        if (n.name != endpoint.first) continue;
        for (InputConfig& in : n.inputs) {
          if (in.port == endpoint.second) {
            in.back_edge = true;
            found = true;
          }
        }
      }
      if (!found) {
        return Invalid("back_edges: \"" + b.get<std::string>() + "\" is not a connected input of any node");
      }
    }
  }
  if (auto c = doc.find("controller"); c != doc.end()) {
    FACEKIT_ASSIGN_OR_RETURN(g.controller, ControllerConfig::FromJson(*c));
  }
  return g;
}

Result<GraphConfig> ParseGraphConfig(std::string_view text, const Substitutions& vars) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e999: a Status
    return Invalid(std::string("graph: JSON parse error: ") + e.what());
  }
  FACEKIT_RETURN_IF_ERROR(SubstitutePlaceholders(doc, vars));
  return GraphConfigFromJson(doc);
}

Result<GraphConfig> LoadGraphConfig(const std::string& path, const Substitutions& vars) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "graph file " + path + " cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  auto g = ParseGraphConfig(text.str(), vars);
  if (!g.ok()) return Status(g.status().code(), path + ": " + g.status().message());
  return g;
}

}  // namespace facekit::pipeline
