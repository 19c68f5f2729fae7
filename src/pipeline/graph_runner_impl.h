// pipeline/graph_runner_impl.h - the runner's state (private to
// graph_runner.cc and runner_scheduling.cc).
//
// Every field below `mu` is guarded by it. A node's NodeContext is touched
// by the executor thread running that node's call (without the lock) and
// otherwise only under the lock while the node is not running.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/adaptive_controller.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/graph_runner.h"
#include "pipeline/graph_validator.h"
#include "pipeline/thread_pool_executor.h"

namespace facekit::pipeline {

struct NodeRuntime {
  enum class State { kIdle, kRunning, kClosed };

  int index = 0;
  std::string name;
  std::unique_ptr<Node> node;
  SourceNode* source = nullptr;  // set when the node is a SourceNode
  bool is_source = false;
  InputPolicy policy = InputPolicy::kAny;
  std::unique_ptr<NodeContext> ctx;
  std::vector<int> input_edge;                 // per input port, -1 = unconnected
  std::vector<std::vector<int>> output_edges;  // per output port

  State state = State::kIdle;
  bool opened = false;
  bool ending = false;                         // no more Process calls; Close is next
  bool close_done = false;                     // Close has returned
  bool flushing = false;                       // inside Flush (guards re-entry)
  std::deque<std::pair<int, Packet>> pending;  // (edge, packet) not yet delivered
  bool tick_due = false;                       // sources: a tick is waiting
  std::int64_t last_tick_us = 0;

  // Outcome of the current call, written by the executing thread.
  Status call_status;
  std::int64_t call_cost_us = 0;
  std::int64_t call_wall_us = 0;
  std::size_t call_inputs = 0;
};

struct EdgeRuntime {
  EdgeInfo info;
  std::unique_ptr<BoundedQueue<Packet>> queue;
};

struct GraphRunner::Impl {
  ValidatedGraph graph;
  std::unique_ptr<ThreadPoolExecutor> owned_executor;
  Executor* executor = nullptr;
  std::unique_ptr<CpuMeter> owned_meter;
  CpuMeter* meter = nullptr;
  std::shared_ptr<ControlState> control = std::make_shared<ControlState>();
  bool ran = false;

  mutable std::mutex mu;
  std::vector<std::unique_ptr<NodeRuntime>> nodes;
  std::vector<EdgeRuntime> edges;
  std::optional<AdaptiveController> controller;
  CpuTimes last_cpu;
  Profiler profiler;
  std::vector<TraceRow> trace;
  std::vector<Status> source_errors;
  Status error;
  bool stopping = false;
  int closed_count = 0;
  int sources_open = 0;

  // runner_scheduling.cc; all with `mu` held.
  void TrySchedule(NodeRuntime& n);
  bool SelectInputs(NodeRuntime& n, std::vector<Packet>* inputs);
  bool ForwardInputsDrained(const NodeRuntime& n) const;
  void Invoke(NodeRuntime& n, bool close, std::vector<Packet> inputs);
  void OnCallDone(NodeRuntime& n, bool close);
  void Flush(NodeRuntime& n);
  void FinishNode(NodeRuntime& n);
  void KickProducer(int edge);
  void ScheduleNextTick(NodeRuntime& n);
  void Fail(Status status);
  void ControllerUpdate();
  void SyncProfiler();
};

/// `status` with `node "name": ` in front (unless it already names the node).
Status NameStatus(const std::string& node, const Status& status);

}  // namespace facekit::pipeline
