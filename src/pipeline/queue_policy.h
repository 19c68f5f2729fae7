// pipeline/queue_policy.h - what a full queue does with one more item.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "facekit/status.h"

namespace facekit::pipeline {

enum class QueuePolicy {
  kBlock,       ///< the producer waits (runner: the producing node stalls) until there is room
  kDropOldest,  ///< the oldest queued item is discarded to make room; counted as a drop
  kDropNewest,  ///< the new item is discarded; counted as a drop
};

/// "block", "drop_oldest", "drop_newest".
std::string_view QueuePolicyName(QueuePolicy policy);
/// Parses the names above; kInvalidArgument otherwise.
Result<QueuePolicy> ParseQueuePolicy(std::string_view name);

/// A queue declaration of one edge.
struct QueueSpec {
  std::size_t capacity = 16;
  QueuePolicy policy = QueuePolicy::kBlock;
};

}  // namespace facekit::pipeline
