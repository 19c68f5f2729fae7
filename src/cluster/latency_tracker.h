// latency_tracker.h - recent answer times per node, for the hedge delay of a
// sharded search (docs/scale-out.md, "Search", hedging).
//
// WHAT THIS REPRESENTS
//   The last `window` latencies of each node. HedgeAfterUs() is the 95th
//   percentile of a node's recent latencies, at least `min_us` and at most
//   half the time left; a node with no samples yet gets `unknown_us` (same
//   bounds).
//
// THREAD SAFETY
//   Every method from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace facekit::cluster {

class LatencyTracker {
 public:
  explicit LatencyTracker(std::size_t window = 100) : window_(window == 0 ? 1 : window) {}

  void Record(const std::string& node, std::int64_t latency_us);
  /// The 95th percentile of the node's recent latencies (nearest rank); -1 without samples.
  std::int64_t P95Us(const std::string& node) const;
  /// max(min_us, p95 or unknown_us), then at most remaining_us / 2.
  std::int64_t HedgeAfterUs(const std::string& node, std::int64_t remaining_us, std::int64_t min_us = 5'000,
                            std::int64_t unknown_us = 50'000) const;

 private:
  std::size_t window_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<std::int64_t>> samples_;  // guarded by mu_
};

}  // namespace facekit::cluster
