#include "pipeline/graph_validator.h"

#include <map>

namespace facekit::pipeline {
namespace {

Status Invalid(const std::string& message) { return Status(StatusCode::kInvalidArgument, message); }

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Status ResolveNodes(const GraphConfig& config, const NodeRegistry& registry, ValidatedGraph& g) {
  for (const NodeConfig& n : config.nodes) {
    ValidatedNode v;
    v.config = n;
    v.type = registry.Find(n.type);
    if (v.type == nullptr) {
      return Invalid("node \"" + n.name + "\": unknown node type \"" + n.type +
                     "\" (registered: " + JoinNames(registry.Names()) + ")");
    }
    const Contract& c = v.type->contract;
    v.input_edge.assign(c.inputs().size(), -1);
    v.output_edges.resize(c.outputs().size());
    v.output_types.assign(c.outputs().size(), std::string(kAnyType));
    g.nodes.push_back(std::move(v));
  }
  return Status::Ok();
}

Status ResolveEdges(const GraphConfig& config, ValidatedGraph& g) {
  for (std::size_t to = 0; to < g.nodes.size(); ++to) {
    ValidatedNode& node = g.nodes[to];
    const Contract& c = node.type->contract;
    for (const InputConfig& in : node.config.inputs) {
      const int port = c.FindInput(in.port);
      const std::string where = "node \"" + node.config.name + "\" input \"" + in.port + "\"";
      if (port < 0) {
        return Invalid("node \"" + node.config.name + "\": unknown input port \"" + in.port + "\" (" +
                       node.config.type + " has inputs: " + c.InputNames() + ")");
      }
      const int from = g.FindNode(in.from_node);
      if (from < 0) return Invalid(where + ": no node named \"" + in.from_node + "\"");
      const ValidatedNode& producer = g.nodes[static_cast<std::size_t>(from)];
      const int from_port = producer.type->contract.FindOutput(in.from_port);
      if (from_port < 0) {
        return Invalid(where + ": node \"" + in.from_node + "\" (" + producer.config.type + ") has no output port \"" +
                       in.from_port + "\" (outputs: " + producer.type->contract.OutputNames() + ")");
      }
      if (in.back_edge && c.input_policy() == InputPolicy::kSynchronized) {
        return Invalid(where + ": a back-edge cannot feed a node with the synchronized input policy");
      }
      EdgeInfo e;
      e.from_node = from;
      e.from_port = from_port;
      e.to_node = static_cast<int>(to);
      e.to_port = port;
      e.queue = in.queue.value_or(config.default_queue);
      e.back_edge = in.back_edge;
      e.label = in.from_node + "." + in.from_port + " -> " + node.config.name + "." + in.port;
      const int index = static_cast<int>(g.edges.size());
      node.input_edge[static_cast<std::size_t>(port)] = index;
      g.nodes[static_cast<std::size_t>(from)].output_edges[static_cast<std::size_t>(from_port)].push_back(index);
      g.edges.push_back(std::move(e));
    }
    for (std::size_t p = 0; p < c.inputs().size(); ++p) {
      if (node.input_edge[p] < 0 && !c.inputs()[p].optional) {
        return Invalid("node \"" + node.config.name + "\": required input \"" + c.inputs()[p].name +
                       "\" is not connected");
      }
    }
  }
  return Status::Ok();
}

// Depth-first search over forward edges; reports the first cycle found.
Status FindCycle(const ValidatedGraph& g, int node, std::vector<int>& colour, std::vector<int>& stack,
                 std::vector<int>& order) {
  colour[static_cast<std::size_t>(node)] = 1;
  stack.push_back(node);
  for (const auto& edges : g.nodes[static_cast<std::size_t>(node)].output_edges) {
    for (int e : edges) {
      const EdgeInfo& edge = g.edges[static_cast<std::size_t>(e)];
      if (edge.back_edge) continue;
      const int next = edge.to_node;
      if (colour[static_cast<std::size_t>(next)] == 1) {
        std::string path;
        bool in_cycle = false;
        for (int s : stack) {
          if (s == next) in_cycle = true;
          if (in_cycle) path += g.nodes[static_cast<std::size_t>(s)].config.name + " -> ";
        }
        path += g.nodes[static_cast<std::size_t>(next)].config.name;
        return Invalid("graph has a cycle not declared as a back-edge: " + path +
                       " (declare one of its inputs in \"back_edges\")");
      }
      if (colour[static_cast<std::size_t>(next)] == 0)
        FACEKIT_RETURN_IF_ERROR(FindCycle(g, next, colour, stack, order));
    }
  }
  stack.pop_back();
  colour[static_cast<std::size_t>(node)] = 2;
  order.push_back(node);
  return Status::Ok();
}

Status TopologicalOrder(ValidatedGraph& g) {
  std::vector<int> colour(g.nodes.size(), 0);
  std::vector<int> stack;
  std::vector<int> post;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (colour[n] == 0) FACEKIT_RETURN_IF_ERROR(FindCycle(g, static_cast<int>(n), colour, stack, post));
  }
  g.topo_order.assign(post.rbegin(), post.rend());
  return Status::Ok();
}

Status ResolveTypes(ValidatedGraph& g) {
  for (int n : g.topo_order) {
    ValidatedNode& node = g.nodes[static_cast<std::size_t>(n)];
    const Contract& c = node.type->contract;
    for (std::size_t p = 0; p < c.outputs().size(); ++p) {
      const PortSpec& spec = c.outputs()[p];
      if (spec.same_as.empty()) {
        node.output_types[p] = spec.type.empty() ? std::string(kAnyType) : spec.type;
        continue;
      }
      const int in = c.FindInput(spec.same_as);
      const int edge = in < 0 ? -1 : node.input_edge[static_cast<std::size_t>(in)];
      if (edge >= 0) {
        const EdgeInfo& e = g.edges[static_cast<std::size_t>(edge)];
        node.output_types[p] =
            g.nodes[static_cast<std::size_t>(e.from_node)].output_types[static_cast<std::size_t>(e.from_port)];
      }
    }
  }
  for (EdgeInfo& e : g.edges) {
    const ValidatedNode& from = g.nodes[static_cast<std::size_t>(e.from_node)];
    const ValidatedNode& to = g.nodes[static_cast<std::size_t>(e.to_node)];
    e.type = from.output_types[static_cast<std::size_t>(e.from_port)];
    const PortSpec& want = to.type->contract.inputs()[static_cast<std::size_t>(e.to_port)];
    if (want.type == kAnyType || e.type == kAnyType || want.type == e.type) continue;
    return Invalid("node \"" + to.config.name + "\" input \"" + want.name + "\": expects " + want.type + " but \"" +
                   from.config.name + "." + from.type->contract.outputs()[static_cast<std::size_t>(e.from_port)].name +
                   "\" produces " + e.type);
  }
  return Status::Ok();
}

}  // namespace

int ValidatedGraph::FindNode(const std::string& name) const {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].config.name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<ValidatedGraph> ValidateGraph(const GraphConfig& config, const NodeRegistry& registry) {
  ValidatedGraph g;
  g.controller = config.controller;
  FACEKIT_RETURN_IF_ERROR(ResolveNodes(config, registry, g));
  FACEKIT_RETURN_IF_ERROR(ResolveEdges(config, g));
  FACEKIT_RETURN_IF_ERROR(TopologicalOrder(g));
  FACEKIT_RETURN_IF_ERROR(ResolveTypes(g));
  return g;
}

}  // namespace facekit::pipeline
