#include "pipeline/contract.h"

#include <utility>

namespace facekit::pipeline {
namespace {

int FindPort(const std::vector<PortSpec>& ports, std::string_view name) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string JoinNames(const std::vector<PortSpec>& ports) {
  if (ports.empty()) return "none";
  std::string out;
  for (const PortSpec& p : ports) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace

Contract& Contract::AddInput(std::string name, std::string type, bool optional) {
  PortSpec p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.optional = optional;
  inputs_.push_back(std::move(p));
  return *this;
}

Contract& Contract::AddOutput(std::string name, std::string type, std::string same_as) {
  PortSpec p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.same_as = std::move(same_as);
  outputs_.push_back(std::move(p));
  return *this;
}

int Contract::FindInput(std::string_view name) const { return FindPort(inputs_, name); }
int Contract::FindOutput(std::string_view name) const { return FindPort(outputs_, name); }
std::string Contract::InputNames() const { return JoinNames(inputs_); }
std::string Contract::OutputNames() const { return JoinNames(outputs_); }

}  // namespace facekit::pipeline
