// pipeline/simulated_cpu_meter.h - CPU readings of a simulated machine.
//
// WHAT THIS REPRESENTS
//   The CpuMeter of a run on a SimulatedExecutor: the process's CPU time is
//   the executor's busy integral (the simulated CPU that node calls declared);
//   the host has `host_cores` cores and carries, besides this process, an
//   external load given by a LoadProfile: a step function of simulated time
//   in cores busy (0.6 = six tenths of one core), e.g. another program that
//   starts at t = 20 s and stops at t = 60 s. Readings are exact integrals,
//   so a simulated run of the controller is deterministic.
//
//   The model has no contention: the external load does not slow the
//   process's work (each simulated worker is a core of its own). What the
//   controller reacts to is the host's total use, as on a real machine where
//   the target is the share of the machine the product may keep busy.
//
// THREAD SAFETY
//   As SimulatedExecutor: the thread running the simulation.
#pragma once

#include <cstdint>
#include <map>

#include "pipeline/cpu_meter.h"
#include "pipeline/simulated_executor.h"

namespace facekit::pipeline {

class LoadProfile {
 public:
  /// From `time_us` on (until the next step), `cores` cores are busy.
  LoadProfile& Step(std::int64_t time_us, double cores);
  double CoresAt(std::int64_t time_us) const;
  /// Core-microseconds busy over [0, time_us].
  double IntegralUntil(std::int64_t time_us) const;

 private:
  std::map<std::int64_t, double> steps_;  // start time -> cores; 0 before the first
};

class SimulatedCpuMeter final : public CpuMeter {
 public:
  /// `executor` is not owned; `host_cores` >= the executor's workers.
  SimulatedCpuMeter(const SimulatedExecutor* executor, int host_cores, LoadProfile external = {});
  Result<CpuTimes> Read() override;
  LoadProfile& external() { return external_; }

 private:
  const SimulatedExecutor* executor_;
  int host_cores_;
  LoadProfile external_;
};

}  // namespace facekit::pipeline
