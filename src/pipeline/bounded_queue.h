// pipeline/bounded_queue.h - a FIFO that never holds more than its capacity.
//
// WHAT THIS REPRESENTS
//   A bounded FIFO with a declared policy for when it is full (QueuePolicy):
//   block the producer, drop the oldest item, or drop the new one. It counts
//   what it dropped and remembers its high-water mark (the largest size it
//   ever had), so the profiler can report both. size() <= capacity() always.
//
//   Close() ends the stream: pushes after it are refused (kClosed), pops drain
//   what is left and then report the end (Pop returns nullopt).
//
//   The graph runner uses the non-blocking TryPush/TryPop under its own lock
//   (a kBlock queue that is full makes the producing node wait, see
//   graph_runner.h); Push/Pop block and are for plain producer/consumer use.
//
// THREAD SAFETY
//   Every member may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "pipeline/queue_policy.h"

namespace facekit::pipeline {

enum class PushResult {
  kPushed,         ///< queued
  kPushedDropped,  ///< queued, and the oldest item was discarded (kDropOldest)
  kDropped,        ///< not queued: full and the policy is kDropNewest
  kFull,           ///< not queued: full and the policy is kBlock (TryPush only)
  kClosed,         ///< not queued: the queue is closed
};

template <typename T>
class BoundedQueue {
 public:
  /// `capacity` >= 1 (0 is treated as 1).
  BoundedQueue(std::size_t capacity, QueuePolicy policy) : capacity_(capacity == 0 ? 1 : capacity), policy_(policy) {}
  explicit BoundedQueue(QueueSpec spec) : capacity_(spec.capacity == 0 ? 1 : spec.capacity), policy_(spec.policy) {}

  /// Never waits.
  PushResult TryPush(T item) {
    std::lock_guard<std::mutex> lock(mu_);
    return PushLocked(std::move(item));
  }

  /// As TryPush, but a kBlock queue waits for room (or for Close()).
  PushResult Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    if (policy_ == QueuePolicy::kBlock) {
      not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    }
    return PushLocked(std::move(item));
  }

  /// The head item, if any; never waits.
  std::optional<T> TryPop() {
    std::lock_guard<std::mutex> lock(mu_);
    return PopLocked();
  }

  /// Waits for an item; nullopt once the queue is closed and empty.
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    return PopLocked();
  }

  /// A copy of the head item, if any.
  std::optional<T> Front() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (items_.empty()) return std::nullopt;
    return items_.front();
  }

  /// Refuses further pushes and wakes every waiter. Queued items stay poppable.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  std::size_t capacity() const { return capacity_; }
  QueuePolicy policy() const { return policy_; }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }
  bool empty() const { return size() == 0; }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  /// Closed and nothing left to pop.
  bool drained() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_ && items_.empty();
  }
  /// The largest size() ever observed.
  std::size_t high_water() const {
    std::lock_guard<std::mutex> lock(mu_);
    return high_water_;
  }
  /// Items discarded by a drop policy.
  std::uint64_t dropped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return dropped_;
  }
  /// Items accepted by a push.
  std::uint64_t pushed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pushed_;
  }

 private:
  PushResult PushLocked(T item) {
    if (closed_) return PushResult::kClosed;
    PushResult result = PushResult::kPushed;
    if (items_.size() >= capacity_) {
      switch (policy_) {
        case QueuePolicy::kBlock:
          return PushResult::kFull;
        case QueuePolicy::kDropNewest:
          ++dropped_;
          return PushResult::kDropped;
        case QueuePolicy::kDropOldest:
          items_.pop_front();
          ++dropped_;
          result = PushResult::kPushedDropped;
          break;
      }
    }
    items_.push_back(std::move(item));
    ++pushed_;
    if (items_.size() > high_water_) high_water_ = items_.size();
    not_empty_.notify_one();
    return result;
  }

  std::optional<T> PopLocked() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> out(std::move(items_.front()));
    items_.pop_front();
    not_full_.notify_one();
    return out;
  }

  const std::size_t capacity_;
  const QueuePolicy policy_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;  // guarded by mu_
  bool closed_ = false;
  std::size_t high_water_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t pushed_ = 0;
};

}  // namespace facekit::pipeline
