#include "pipeline/simulated_cpu_meter.h"

#include <algorithm>
#include <utility>

namespace facekit::pipeline {

LoadProfile& LoadProfile::Step(std::int64_t time_us, double cores) {
  steps_[time_us] = std::max(0.0, cores);
  return *this;
}

double LoadProfile::CoresAt(std::int64_t time_us) const {
  auto it = steps_.upper_bound(time_us);
  if (it == steps_.begin()) return 0;
  return std::prev(it)->second;
}

double LoadProfile::IntegralUntil(std::int64_t time_us) const {
  double sum = 0;
  for (auto it = steps_.begin(); it != steps_.end() && it->first < time_us; ++it) {
    auto next = std::next(it);
    const std::int64_t end = next == steps_.end() ? time_us : std::min(time_us, next->first);
    sum += it->second * static_cast<double>(end - std::max<std::int64_t>(0, it->first));
  }
  return sum;
}

SimulatedCpuMeter::SimulatedCpuMeter(const SimulatedExecutor* executor, int host_cores, LoadProfile external)
    : executor_(executor), host_cores_(std::max(host_cores, executor->workers())), external_(std::move(external)) {}

Result<CpuTimes> SimulatedCpuMeter::Read() {
  const std::int64_t now = executor_->NowMicros();
  CpuTimes t;
  t.wall_us = static_cast<double>(now);
  t.cores = host_cores_;
  t.process_cpu_us = executor_->busy_micros();
  const double external = std::min(external_.IntegralUntil(now), static_cast<double>(now) * host_cores_);
  t.host_total_us = static_cast<double>(now) * host_cores_;
  t.host_busy_us = std::min(t.process_cpu_us + external, t.host_total_us);
  return t;
}

}  // namespace facekit::pipeline
