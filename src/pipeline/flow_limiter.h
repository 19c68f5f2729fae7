// pipeline/flow_limiter.h - "FlowLimiter": back-pressure as a node.
//
// WHAT THIS REPRESENTS
//   Passes a packet from "in" to "out" only while fewer than max_in_flight
//   packets it passed are still being processed downstream; otherwise the
//   new packet is dropped (and counted: NodeContext::CountDrop, shown by the
//   profiler). Downstream marks a packet finished by sending anything to
//   "finished" - a back-edge, typically from the last node (Collector's
//   "done"). Declare it in "back_edges". So a slow pipeline works on the
//   newest frames instead of queueing old ones, as in MediaPipe's
//   FlowLimiterCalculator.
//     inputs  "in" (Any), "finished" (Any, optional, back-edge)
//     output  "out" (same type as "in")
//   Options:
//     max_in_flight   default 1, >= 1
//   Without "finished" connected, only the first max_in_flight packets pass.
//
// THREAD SAFETY
//   passed()/dropped()/in_flight() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "pipeline/node.h"

namespace facekit::pipeline {

class FlowLimiter final : public Node {
 public:
  static Contract GetContract();
  Status Open(NodeContext& ctx) override;
  Status Process(NodeContext& ctx) override;

  std::int64_t passed() const { return passed_.load(); }
  std::int64_t dropped() const { return dropped_.load(); }
  std::int64_t in_flight() const { return in_flight_.load(); }
  /// The largest in_flight() ever reached (never above max_in_flight).
  std::int64_t max_observed_in_flight() const { return max_observed_.load(); }

 private:
  std::int64_t max_in_flight_ = 1;
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::int64_t> max_observed_{0};
  std::atomic<std::int64_t> passed_{0};
  std::atomic<std::int64_t> dropped_{0};
};

}  // namespace facekit::pipeline
