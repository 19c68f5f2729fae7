// pipeline/contract.h - what a node type declares about its ports.
//
// WHAT THIS REPRESENTS
//   A Contract lists a node type's named input and output ports and the
//   packet type each carries (the registered type name, see packet.h). The
//   graph validator checks every connection of a graph against the contracts
//   of its nodes before anything runs; the runner checks each emitted packet
//   against its output port's type.
//
//   Two special forms keep generic nodes generic:
//     - an input of type kAnyType ("Any") accepts every packet type;
//     - an output declared SameAs("in") carries whatever type is connected
//       to input "in" (resolved per graph by the validator).
//
//   The input policy says how queued inputs become Process() calls:
//     - kAny: one packet per call, the input whose head has the smallest
//       timestamp first (ties: the first declared port). Required for nodes
//       that receive back-edges (a FlowLimiter).
//     - kSynchronized: one call per timestamp; the call sees every input's
//       packet at the smallest head timestamp and waits until each open
//       input has a packet (or is closed). Inputs without a packet at that
//       timestamp (dropped upstream) are empty in that call.
//   A node type without inputs is a source.
//
// THREAD SAFETY
//   Built once when a node type registers; read-only afterwards.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/packet.h"

namespace facekit::pipeline {

inline constexpr std::string_view kAnyType = "Any";

enum class InputPolicy { kAny, kSynchronized };

struct PortSpec {
  std::string name;
  std::string type;       ///< registered type name, or kAnyType
  bool optional = false;  ///< inputs only: may stay unconnected
  std::string same_as;    ///< outputs only: take the type of this input
};

class Contract {
 public:
  /// Adds an input of type T (its registered name).
  template <typename T>
  Contract& Input(std::string name) {
    return AddInput(std::move(name), std::string(PacketTypeTraits<T>::kName), false);
  }
  template <typename T>
  Contract& OptionalInput(std::string name) {
    return AddInput(std::move(name), std::string(PacketTypeTraits<T>::kName), true);
  }
  /// Adds an output of type T.
  template <typename T>
  Contract& Output(std::string name) {
    return AddOutput(std::move(name), std::string(PacketTypeTraits<T>::kName), "");
  }

  /// Forms that name the type as a string (kAnyType for inputs that accept anything).
  Contract& AddInput(std::string name, std::string type, bool optional = false);
  Contract& AddOutput(std::string name, std::string type, std::string same_as = "");
  /// An output whose type is that of input `input`.
  Contract& OutputSameAs(std::string name, std::string input) {
    return AddOutput(std::move(name), "", std::move(input));
  }
  Contract& SetInputPolicy(InputPolicy policy) {
    policy_ = policy;
    return *this;
  }

  const std::vector<PortSpec>& inputs() const { return inputs_; }
  const std::vector<PortSpec>& outputs() const { return outputs_; }
  InputPolicy input_policy() const { return policy_; }
  bool is_source() const { return inputs_.empty(); }

  /// Port index, or -1.
  int FindInput(std::string_view name) const;
  int FindOutput(std::string_view name) const;
  /// "in, finished" - for error messages.
  std::string InputNames() const;
  std::string OutputNames() const;

 private:
  std::vector<PortSpec> inputs_;
  std::vector<PortSpec> outputs_;
  InputPolicy policy_ = InputPolicy::kAny;
};

}  // namespace facekit::pipeline
