#include "cluster/latency_tracker.h"

#include <algorithm>
#include <vector>

namespace facekit::cluster {

std::chrono::steady_clock::time_point LatencyTracker::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

void LatencyTracker::Add(const std::string& node, std::int64_t us, bool failed) {
  const auto now = Now();
  std::lock_guard lock(mu_);
  auto& q = samples_[node];
  q.push_back({now, us, failed});
  while (q.size() > window_ || (!q.empty() && now - q.front().at > max_age_)) q.pop_front();
}

void LatencyTracker::Record(const std::string& node, std::int64_t latency_us) { Add(node, latency_us, false); }

void LatencyTracker::RecordFailure(const std::string& node, std::int64_t took_us, std::int64_t deadline_us) {
  Add(node, std::max(took_us, deadline_us), true);
}

std::int64_t LatencyTracker::P95Us(const std::string& node) const { return Percentile95(node, false); }

std::int64_t LatencyTracker::RankUs(const std::string& node) const { return Percentile95(node, true); }

std::int64_t LatencyTracker::Percentile95(const std::string& node, bool with_failures) const {
  const auto now = Now();
  std::vector<std::int64_t> v;
  {
    std::lock_guard lock(mu_);
    auto it = samples_.find(node);
    if (it == samples_.end()) return -1;
    for (const Sample& s : it->second) {
      if (now - s.at <= max_age_ && (with_failures || !s.failed)) v.push_back(s.us);
    }
    if (v.empty()) return -1;
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
