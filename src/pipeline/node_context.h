// pipeline/node_context.h - what a node sees while it runs.
//
// WHAT THIS REPRESENTS
//   One NodeContext per node instance, handed to Open, Process and Close. It
//   gives the node its name and options (the free JSON object of the graph
//   file), the packets of the current Process call (one per input port, empty
//   when that port has nothing at this call), a place to emit packets, the
//   clock, and the run-wide control state (degradation level).
//
//   Outputs are staged: Output() checks the port and the packet type and
//   keeps the packet; the runner delivers the staged packets to the
//   downstream queues when the call returns, in emission order.
//
//   ConsumeCpu(us) states the CPU cost of the work just done: on a simulated
//   executor it is charged to the simulated clock (the call "takes" that
//   long); on a real one it spins the calling thread for that much CPU time.
//   Only test/benchmark nodes (the "Cost" node) use it.
//
// THREAD SAFETY
//   Used by one thread at a time: the node's own calls never overlap.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "facekit/status.h"
#include "pipeline/clock.h"
#include "pipeline/contract.h"
#include "pipeline/packet.h"

namespace facekit::pipeline {

/// Run-wide state the adaptive controller writes and nodes read.
struct ControlState {
  std::atomic<int> degradation_level{0};
  /// Names of the configured degradation steps, in engagement order
  /// (level k means steps [0, k) are engaged). Fixed before the run starts.
  std::vector<std::string> degradation_steps;
};

class NodeContext {
 public:
  NodeContext(std::string name, std::string type, nlohmann::json options, const Contract* contract,
              std::vector<std::string> output_types, Clock* clock, bool simulated,
              std::shared_ptr<ControlState> control);

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  /// The node's "options" object from the graph file ({} when absent).
  const nlohmann::json& options() const { return options_; }

  // ---- inputs of the current Process call ----
  /// The packet on `port` at this call; an empty Packet when none.
  const Packet& Input(std::string_view port) const;
  bool HasInput(std::string_view port) const { return !Input(port).empty(); }
  /// The timestamp of this call's inputs (the smallest among them).
  Timestamp InputTimestamp() const { return input_timestamp_; }

  // ---- outputs ----
  /// Stages `packet` on output `port`. kInvalidArgument for an unknown port
  /// or a packet whose type differs from the port's type in this graph.
  Status Output(std::string_view port, Packet packet);

  // ---- sources ----
  /// Ends this source's stream after the current call's outputs.
  void EndOfStream() { end_of_stream_ = true; }

  // ---- environment ----
  const Clock& clock() const { return *clock_; }
  std::int64_t NowMicros() const { return clock_->NowMicros(); }
  bool simulated() const { return simulated_; }
  /// Declares `micros` of CPU work (see above).
  void ConsumeCpu(std::int64_t micros);
  /// Counts packets this node discarded on purpose (a flow limiter's drops).
  void CountDrop(std::uint64_t n = 1) { drops_ += n; }
  int degradation_level() const;
  /// True when the named degradation step is engaged at this moment.
  bool Degraded(std::string_view step) const;

  // ---- runner side (not for nodes) ----
  struct Staged {
    int port = 0;
    Packet packet;
  };
  void BeginCall(std::vector<Packet> inputs);
  std::vector<Staged> TakeOutputs() { return std::exchange(staged_, {}); }
  std::int64_t TakeCpuCharge() { return std::exchange(cpu_charge_us_, 0); }
  bool end_of_stream() const { return end_of_stream_; }
  std::uint64_t drops() const { return drops_; }

 private:
  std::string name_;
  std::string type_;
  nlohmann::json options_;
  const Contract* contract_;
  std::vector<std::string> output_types_;  // resolved per graph; kAnyType = unchecked
  Clock* clock_;
  bool simulated_;
  std::shared_ptr<ControlState> control_;

  std::vector<Packet> inputs_;  // one per input port
  Timestamp input_timestamp_ = 0;
  std::vector<Staged> staged_;
  std::int64_t cpu_charge_us_ = 0;
  bool end_of_stream_ = false;
  std::uint64_t drops_ = 0;
};

}  // namespace facekit::pipeline
