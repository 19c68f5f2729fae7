// pipeline/profiler.h - what each node and queue did during a run.
//
// WHAT THIS REPRESENTS
//   Per node: Process calls, packets in and out, latency of each call
//   (p50, p99, max; simulated time on a SimulatedExecutor, wall time
//   otherwise) and packets the node dropped on purpose (a flow limiter).
//   Per queue (edge): capacity, policy, high-water depth, packets accepted
//   and dropped by its policy. Plus the adaptive controller's last state.
//   Report() prints it as a table at the end of a run; Metrics() gives the
//   same numbers as name/labels/value samples for a Prometheus exporter:
//     facekit_pipeline_node_calls_total{node}            counter
//     facekit_pipeline_node_packets_in_total{node}       counter
//     facekit_pipeline_node_packets_out_total{node}      counter
//     facekit_pipeline_node_drops_total{node}            counter
//     facekit_pipeline_node_latency_seconds{node,quantile="0.5"|"0.99"|"1"}  gauge
//     facekit_pipeline_queue_capacity{edge}              gauge
//     facekit_pipeline_queue_depth_max{edge}             gauge
//     facekit_pipeline_queue_pushed_total{edge}          counter
//     facekit_pipeline_queue_dropped_total{edge}         counter
//     facekit_pipeline_controller_interval_seconds, _level, _cpu_host, _cpu_process   gauges
//
//   Latencies: the first 65536 calls of a node are all kept; after that a
//   fixed-seed reservoir sample of that size, so percentiles stay exact for
//   short runs and representative (and reproducible) for long ones.
//
// THREAD SAFETY
//   Not synchronised; the runner updates it under its lock and hands out copies.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/queue_policy.h"

namespace facekit::pipeline {

struct MetricSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  bool counter = false;  ///< counter (monotonic) or gauge
};

class Profiler {
 public:
  struct NodeStats {
    std::string name;
    std::string type;
    std::uint64_t calls = 0;
    std::uint64_t packets_in = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t drops = 0;
    std::vector<std::int64_t> latency_us;  ///< kept samples (see above)
    std::int64_t max_latency_us = 0;
    /// Nearest-rank percentile of the kept samples, q in [0, 1]; 0 when none.
    std::int64_t LatencyPercentile(double q) const;
  };
  struct QueueStats {
    std::string edge;  ///< "src.out -> work.in"
    std::size_t capacity = 0;
    QueuePolicy policy = QueuePolicy::kBlock;
    std::size_t high_water = 0;
    std::uint64_t pushed = 0;
    std::uint64_t dropped = 0;
  };
  struct ControllerStats {
    bool enabled = false;
    std::int64_t interval_us = 0;
    int level = 0;
    double cpu_host = 0;
    double cpu_process = 0;
  };

  int AddNode(std::string name, std::string type);
  int AddQueue(std::string edge, std::size_t capacity, QueuePolicy policy);
  void RecordCall(int node, std::int64_t latency_us, std::size_t packets_in, std::size_t packets_out);
  void SetNodeDrops(int node, std::uint64_t drops) { nodes_[static_cast<std::size_t>(node)].drops = drops; }
  void SetQueue(int queue, std::size_t high_water, std::uint64_t pushed, std::uint64_t dropped);
  void SetController(const ControllerStats& c) { controller_ = c; }

  const std::vector<NodeStats>& nodes() const { return nodes_; }
  const std::vector<QueueStats>& queues() const { return queues_; }
  const ControllerStats& controller() const { return controller_; }
  const NodeStats* FindNode(const std::string& name) const;
  const QueueStats* FindQueue(const std::string& edge) const;

  /// The text table printed at the end of a run.
  std::string Report() const;
  std::vector<MetricSample> Metrics() const;
  /// Metrics() in the Prometheus text exposition format (0.0.4), with HELP-less TYPE lines.
  std::string PrometheusText() const;

 private:
  std::vector<NodeStats> nodes_;
  std::vector<QueueStats> queues_;
  ControllerStats controller_;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ULL;  // reservoir sampling, fixed seed
};

}  // namespace facekit::pipeline
