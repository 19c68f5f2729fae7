// latency_tracker.h - recent answer times per node, for the hedge delay of a
// sharded search (docs/scale-out.md, "Search", hedging).
//
// WHAT THIS REPRESENTS
//   The last `window` latencies of each node that are at most `max_age` old.
//   HedgeAfterUs() is the 95th percentile of a node's recent answers, at
//   least `min_us` and at most half the time left; a node with no recent
//   answers gets `unknown_us` (same bounds). A failed call (refused
//   connection, deadline, RESOURCE_EXHAUSTED) is recorded with
//   RecordFailure(): it does not move the hedge delay (a failure goes to the
//   next replica at once), but RankUs(), which orders a shard's replicas,
//   counts it as a call that took its deadline, so a node that fails or hangs
//   goes down the replica order after a few calls instead of keeping the
//   rank its last answers gave it. The age limit lets a node that recovered
//   come back once its failures are old.
//
// THREAD SAFETY
//   Every method from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace facekit::cluster {

class LatencyTracker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  /// `clock` (tests): the steady clock when null.
  explicit LatencyTracker(std::size_t window = 100, std::chrono::milliseconds max_age = std::chrono::seconds(30),
                          Clock clock = nullptr)
      : window_(window == 0 ? 1 : window), max_age_(max_age), clock_(std::move(clock)) {}

  void Record(const std::string& node, std::int64_t latency_us);
  /// A call that failed after `took_us` with a deadline of `deadline_us`:
  /// recorded as max(took_us, deadline_us).
  void RecordFailure(const std::string& node, std::int64_t took_us, std::int64_t deadline_us);
  /// The 95th percentile of the node's recent answers' latencies (nearest rank); -1 without any.
  std::int64_t P95Us(const std::string& node) const;
  /// The same over answers and failures, a failure counting as max(took,
  /// deadline): the replica order (lower first); -1 without samples.
  std::int64_t RankUs(const std::string& node) const;
  /// max(min_us, p95 or unknown_us), then at most remaining_us / 2.
  std::int64_t HedgeAfterUs(const std::string& node, std::int64_t remaining_us, std::int64_t min_us = 5'000,
                            std::int64_t unknown_us = 50'000) const;

 private:
  std::chrono::steady_clock::time_point Now() const;
  void Add(const std::string& node, std::int64_t us, bool failed);
  std::int64_t Percentile95(const std::string& node, bool with_failures) const;

  std::size_t window_;
  std::chrono::milliseconds max_age_;
  Clock clock_;
  mutable std::mutex mu_;
  struct Sample {
    std::chrono::steady_clock::time_point at;
    std::int64_t us = 0;
    bool failed = false;
  };
  std::map<std::string, std::deque<Sample>> samples_;  // oldest first; guarded by mu_
};

}  // namespace facekit::cluster
