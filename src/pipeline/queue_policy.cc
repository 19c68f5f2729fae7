#include "pipeline/queue_policy.h"

namespace facekit::pipeline {

std::string_view QueuePolicyName(QueuePolicy policy) {
  switch (policy) {
    case QueuePolicy::kBlock:
      return "block";
    case QueuePolicy::kDropOldest:
      return "drop_oldest";
    case QueuePolicy::kDropNewest:
      return "drop_newest";
  }
  return "?";
}

Result<QueuePolicy> ParseQueuePolicy(std::string_view name) {
  for (QueuePolicy p : {QueuePolicy::kBlock, QueuePolicy::kDropOldest, QueuePolicy::kDropNewest}) {
    if (QueuePolicyName(p) == name) return p;
  }
  return Status(StatusCode::kInvalidArgument,
                "unknown queue policy \"" + std::string(name) + "\" (expected block, drop_oldest or drop_newest)");
}

}  // namespace facekit::pipeline
