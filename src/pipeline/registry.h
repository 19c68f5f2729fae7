// pipeline/registry.h - node types by name.
//
// WHAT THIS REPRESENTS
//   NodeRegistry maps a node type name ("FlowLimiter", "Cost", later
//   "VideoFileSource", "FaceDetector") to its Contract and a factory. Graph
//   files name types; the validator and runner look them up here. Adding a
//   node type never changes the framework: write the class, register it.
//
// REGISTRATION AND STATIC LIBRARIES
//   FACEKIT_REGISTER_NODE(Type, "Name") registers into NodeRegistry::Global()
//   during static initialisation. The linker drops an object file of a static
//   library that nothing references, and its registration with it. So:
//     - the framework's own nodes are registered explicitly by
//       RegisterBuiltinNodes(registry) (builtin_nodes.h), idempotent, called
//       by GraphRunner for the registry it uses; no whole-archive needed;
//     - a library that uses the macro must either be linked whole-archive
//       (`$<LINK_LIBRARY:WHOLE_ARCHIVE,lib>`) or expose its own explicit
//       RegisterXxxNodes(NodeRegistry&) the program calls; the latter is the
//       project's choice (it also lets tests use a private registry).
//
// THREAD SAFETY
//   All members are safe to call concurrently; returned pointers stay valid
//   for the registry's lifetime (entries are never removed).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/status.h"
#include "pipeline/contract.h"
#include "pipeline/node.h"

namespace facekit::pipeline {

using NodeFactory = std::function<std::unique_ptr<Node>()>;

struct NodeTypeInfo {
  std::string name;
  Contract contract;
  NodeFactory factory;
};

class NodeRegistry {
 public:
  /// The process-wide registry the macro writes to.
  static NodeRegistry& Global();

  /// kAlreadyExists when `name` is taken.
  Status Register(std::string name, Contract contract, NodeFactory factory);
  /// Registers T (static Contract GetContract(), default constructible).
  template <typename T>
  Status Register(std::string name) {
    return Register(std::move(name), T::GetContract(), [] { return std::unique_ptr<Node>(new T()); });
  }

  /// nullptr when unknown.
  const NodeTypeInfo* Find(std::string_view name) const;
  /// Sorted type names.
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<NodeTypeInfo>, std::less<>> types_;
};

}  // namespace facekit::pipeline

#define FACEKIT_REGISTER_NODE(Type, NAME)                                                  \
  [[maybe_unused]] static const bool FACEKIT_CONCAT_(facekit_node_registered_, __LINE__) = \
      ::facekit::pipeline::NodeRegistry::Global().Register<Type>(NAME).ok()
