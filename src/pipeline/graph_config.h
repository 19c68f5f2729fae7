// pipeline/graph_config.h - a graph described as data.
//
// WHAT THIS REPRESENTS
//   GraphConfig is the parsed form of a graph file (JSON): the nodes with
//   their types, free-form options and input connections, the queue of each
//   edge, the declared back-edges, and the optional adaptive controller. It
//   says nothing about whether the graph makes sense; GraphValidator checks
//   that against the registered node contracts. The format (docs/pipeline.md):
//
//   {
//     "default_queue": {"capacity": 16, "policy": "block"},
//     "nodes": [
//       {"name": "src", "type": "CounterSource", "options": {"count": 100, "interval_us": 33333}},
//       {"name": "limit", "type": "FlowLimiter", "options": {"max_in_flight": 1},
//        "inputs": {"in": "src.out",
//                   "finished": {"from": "sink.done", "back_edge": true}}},
//       {"name": "work", "type": "Cost", "options": {"cost_us": 20000},
//        "inputs": {"in": {"from": "limit.out", "capacity": 2, "policy": "drop_oldest"}}},
//       {"name": "sink", "type": "Collector", "inputs": {"in": "work.out"}}
//     ],
//     "back_edges": ["limit.finished"],
//     "controller": {"target": 0.45, "min_interval_us": 33333, "max_interval_us": 250000}
//   }
//
//   An input is "node.port" or an object {"from", "capacity", "policy",
//   "back_edge"}; "back_edges" lists consuming inputs as "node.port" (either
//   way of declaring a back-edge is enough).
//
//   Strings may hold ${key} or ${key:-default} placeholders, replaced before
//   parsing from a key=value map (the CLI's --set). A string that is exactly
//   one placeholder whose value reads as a JSON number or boolean becomes
//   that number or boolean ("count": "${frames}" with frames=100 -> 100).
//
// THREAD SAFETY
//   Plain values.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "facekit/status.h"
#include "pipeline/adaptive_controller.h"
#include "pipeline/queue_policy.h"

namespace facekit::pipeline {

struct InputConfig {
  std::string port;                ///< this node's input port
  std::string from_node;           ///< producing node
  std::string from_port;           ///< producing node's output port
  std::optional<QueueSpec> queue;  ///< absent: the graph's default_queue
  bool back_edge = false;
};

struct NodeConfig {
  std::string name;
  std::string type;
  nlohmann::json options = nlohmann::json::object();
  std::vector<InputConfig> inputs;
};

struct GraphConfig {
  std::vector<NodeConfig> nodes;
  QueueSpec default_queue;
  std::optional<ControllerConfig> controller;

  /// The node named `name`, or nullptr.
  const NodeConfig* FindNode(std::string_view name) const;
};

using Substitutions = std::map<std::string, std::string, std::less<>>;

/// Parses graph JSON text after replacing placeholders from `vars`.
Result<GraphConfig> ParseGraphConfig(std::string_view text, const Substitutions& vars = {});
/// Reads and parses a graph file.
Result<GraphConfig> LoadGraphConfig(const std::string& path, const Substitutions& vars = {});
/// Builds a GraphConfig from an already parsed (and substituted) document.
Result<GraphConfig> GraphConfigFromJson(const nlohmann::json& doc);

/// Replaces ${key} / ${key:-default} in every string of `doc`.
/// kInvalidArgument naming the placeholder when a key has no value.
Status SubstitutePlaceholders(nlohmann::json& doc, const Substitutions& vars);
/// "key=value" -> {key, value}; kInvalidArgument when there is no '=' or the key is empty.
Result<std::pair<std::string, std::string>> ParseSetArgument(std::string_view arg);

}  // namespace facekit::pipeline
