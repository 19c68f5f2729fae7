#include "pipeline/registry.h"

#include <utility>

namespace facekit::pipeline {

NodeRegistry& NodeRegistry::Global() {
  static NodeRegistry* registry = new NodeRegistry();  // never destroyed: usable during static teardown
  return *registry;
}

Status NodeRegistry::Register(std::string name, Contract contract, NodeFactory factory) {
  if (name.empty()) return Status(StatusCode::kInvalidArgument, "node type name is empty");
  if (!factory) return Status(StatusCode::kInvalidArgument, "node type \"" + name + "\": no factory");
  std::lock_guard<std::mutex> lock(mu_);
  if (types_.count(name) != 0) {
    return Status(StatusCode::kAlreadyExists, "node type \"" + name + "\" is already registered");
  }
  auto info = std::make_unique<NodeTypeInfo>();
  info->name = name;
  info->contract = std::move(contract);
  info->factory = std::move(factory);
  types_.emplace(std::move(name), std::move(info));
  return Status::Ok();
}

const NodeTypeInfo* NodeRegistry::Find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second.get();
}

std::vector<std::string> NodeRegistry::Names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& entry : types_) out.push_back(entry.first);
  return out;
}

}  // namespace facekit::pipeline
