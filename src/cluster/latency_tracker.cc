#include "cluster/latency_tracker.h"

#include <algorithm>
#include <vector>

namespace facekit::cluster {

void LatencyTracker::Record(const std::string& node, std::int64_t latency_us) {
  std::lock_guard lock(mu_);
  auto& q = samples_[node];
  q.push_back(latency_us);
  while (q.size() > window_) q.pop_front();
}

std::int64_t LatencyTracker::P95Us(const std::string& node) const {
  std::vector<std::int64_t> v;
  {
    std::lock_guard lock(mu_);
    auto it = samples_.find(node);
    if (it == samples_.end() || it->second.empty()) return -1;
    v.assign(it->second.begin(), it->second.end());
  }
  // Nearest rank: the smallest value with at least 95 % of the samples at or below it.
  const std::size_t rank = (95 * v.size() + 99) / 100;  // ceil(0.95 n), >= 1
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}

std::int64_t LatencyTracker::HedgeAfterUs(const std::string& node, std::int64_t remaining_us, std::int64_t min_us,
                                          std::int64_t unknown_us) const {
  const std::int64_t p95 = P95Us(node);
  std::int64_t after = std::max(min_us, p95 < 0 ? unknown_us : p95);
  return std::max<std::int64_t>(0, std::min(after, remaining_us / 2));
}

}  // namespace facekit::cluster
