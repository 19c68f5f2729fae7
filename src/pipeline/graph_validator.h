// pipeline/graph_validator.h - checks a GraphConfig against the node
// contracts before anything runs.
//
// WHAT THIS REPRESENTS
//   ValidateGraph resolves every connection of a GraphConfig into edges and
//   fails with the first problem, in a message that names the node and port:
//     node "detect": unknown node type "Detektor" (registered: ...)
//     node "sink": unknown input port "inp" (Collector has inputs: in)
//     node "sink" input "in": no node named "wrk"
//     node "sink" input "in": node "work" (Cost) has no output port "outt" (outputs: out)
//     node "sink": required input "in" is not connected
//     graph has a cycle not declared as a back-edge: a -> b -> c -> a (...)
//     node "limit" input "finished": a back-edge cannot feed a node with the synchronized input policy
//     node "detect" input "image": expects Image but "src.frames" produces Audio
//   Output types declared SameAs(input) are resolved along the graph; an
//   output whose type stays unknown ("Any") is checked at run time instead.
//
// THREAD SAFETY
//   Plain function and values.
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"
#include "pipeline/graph_config.h"
#include "pipeline/queue_policy.h"
#include "pipeline/registry.h"

namespace facekit::pipeline {

struct EdgeInfo {
  int from_node = 0;
  int from_port = 0;
  int to_node = 0;
  int to_port = 0;
  QueueSpec queue;
  bool back_edge = false;
  std::string type;   ///< resolved packet type name (kAnyType if unknown)
  std::string label;  ///< "src.out -> work.in"
};

struct ValidatedNode {
  NodeConfig config;
  const NodeTypeInfo* type = nullptr;
  std::vector<std::string> output_types;       ///< per output port, resolved
  std::vector<int> input_edge;                 ///< per input port: edge index or -1
  std::vector<std::vector<int>> output_edges;  ///< per output port: edge indices (fan-out)
};

struct ValidatedGraph {
  std::vector<ValidatedNode> nodes;
  std::vector<EdgeInfo> edges;
  std::vector<int> topo_order;  ///< node indices, producers first (back-edges ignored)
  std::optional<ControllerConfig> controller;
  /// Node index by name, or -1.
  int FindNode(const std::string& name) const;
};

Result<ValidatedGraph> ValidateGraph(const GraphConfig& config, const NodeRegistry& registry);

}  // namespace facekit::pipeline
