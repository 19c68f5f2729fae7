// pipeline/graph_runner.h - runs a validated graph.
//
// WHAT THIS REPRESENTS
//   GraphRunner::Create validates a GraphConfig against the registry
//   (graph_validator.h) and instantiates its nodes; Run() executes it once:
//     1. Open every node (producers first). An error stops here.
//     2. Sources tick at their frame interval (SourceNode) and emit packets;
//        every other node is called when its inputs are ready (InputPolicy).
//        A node's outputs are delivered to every connected queue when its
//        call returns. A full kBlock queue makes the producing node wait
//        with its undelivered packets (it takes no more input, a source skips
//        ticks) until the consumer pops; queues never exceed their capacity.
//     3. End of stream: a source ends when it calls EndOfStream() or returns
//        an error (file ended, camera lost: the error is kept in
//        source_errors() and the run still ends cleanly). A node is closed
//        once every input that is not a back-edge is closed and drained; its
//        outputs close after Close(). The run ends when every node is closed.
//     4. An error from any other node's Open/Process/Close stops the graph:
//        running calls finish, every opened node is closed, and Run returns
//        the error prefixed with `node "name": `.
//   With a "controller" in the graph, every update period the runner reads
//   the CpuMeter, asks the AdaptiveController for an interval and level,
//   applies the interval to every SourceNode and publishes the level to the
//   nodes (NodeContext::degradation_level), and appends a TraceRow.
//
// THREAD SAFETY
//   Create/Run/accessors from one thread. Snapshot() may be called from
//   another thread while Run() executes (for live metrics).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/status.h"
#include "pipeline/controller_trace.h"
#include "pipeline/cpu_meter.h"
#include "pipeline/executor.h"
#include "pipeline/graph_config.h"
#include "pipeline/profiler.h"
#include "pipeline/registry.h"

namespace facekit::pipeline {

struct RunnerOptions {
  /// Node types; nullptr = NodeRegistry::Global(). The builtin nodes are
  /// registered into it (RegisterBuiltinNodes) if missing.
  NodeRegistry* registry = nullptr;
  /// nullptr = a ThreadPoolExecutor owned by the runner with `threads` threads.
  Executor* executor = nullptr;
  /// Threads of the owned executor; 0 = the number of cores (at least 2).
  int threads = 0;
  /// CPU readings for the controller; nullptr = ProcessCpuMeter (real machine).
  CpuMeter* cpu_meter = nullptr;
};

class GraphRunner {
 public:
  static Result<std::unique_ptr<GraphRunner>> Create(const GraphConfig& config, RunnerOptions options = {});
  ~GraphRunner();
  GraphRunner(const GraphRunner&) = delete;
  GraphRunner& operator=(const GraphRunner&) = delete;

  /// Runs the graph to its end (see above). Once per runner.
  Status Run();

  /// The node instance named `name` (e.g. to read a Collector), or nullptr.
  Node* FindNode(std::string_view name) const;
  template <typename T>
  T* FindNode(std::string_view name) const {
    return dynamic_cast<T*>(FindNode(name));
  }

  /// The profile after Run(), or a copy taken now while it runs.
  Profiler Snapshot() const;
  const std::vector<TraceRow>& controller_trace() const;
  /// Errors of sources that ended with one (each prefixed with the node name).
  const std::vector<Status>& source_errors() const;

  struct Impl;

 private:
  explicit GraphRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facekit::pipeline
