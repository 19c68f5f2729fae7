// pipeline/cpu_meter.h - how busy this process and the host are.
//
// WHAT THIS REPRESENTS
//   A CpuMeter returns cumulative counters (CpuTimes); the utilisation over a
//   window is the difference of two readings (UtilisationBetween), as a
//   fraction of the whole machine (1.0 = every core busy):
//     process = d(process CPU time) / (d(wall time) * cores)
//     host    = d(busy time of all cores) / d(total time of all cores)
//   The host figure includes this process; host - process is the load from
//   other processes.
//
//   ProcessCpuMeter reads the real machine: clock_gettime(CLOCK_PROCESS_
//   CPUTIME_ID) for the process, /proc/stat's "cpu" line for the host (busy =
//   everything but idle and iowait), the monotonic clock for wall time.
//   SimulatedCpuMeter (simulated_cpu_meter.h) is its deterministic twin.
//
// THREAD SAFETY
//   Read() may be called from any thread, one call at a time.
#pragma once

#include <cstdint>
#include <string>

#include "facekit/status.h"

namespace facekit::pipeline {

struct CpuTimes {
  double wall_us = 0;         ///< monotonic time of the reading
  double process_cpu_us = 0;  ///< CPU time used by this process (all threads)
  double host_busy_us = 0;    ///< busy time summed over all cores
  double host_total_us = 0;   ///< total time summed over all cores
  int cores = 1;
};

struct CpuUtilisation {
  double host = 0;     ///< fraction of the machine busy (all processes)
  double process = 0;  ///< fraction of the machine used by this process
};

/// Utilisation between two readings (`later` after `earlier`); 0 for an empty window.
CpuUtilisation UtilisationBetween(const CpuTimes& earlier, const CpuTimes& later);

class CpuMeter {
 public:
  virtual ~CpuMeter() = default;
  virtual Result<CpuTimes> Read() = 0;
};

/// The real process and host.
class ProcessCpuMeter final : public CpuMeter {
 public:
  /// `proc_stat` is the file to read host counters from (tests pass a copy).
  explicit ProcessCpuMeter(std::string proc_stat = "/proc/stat");
  Result<CpuTimes> Read() override;

 private:
  std::string proc_stat_;
};

/// Parses the aggregate "cpu" line of a /proc/stat text into busy and total
/// microseconds (jiffies / ticks_per_second).
Result<CpuTimes> ParseProcStat(const std::string& text, long ticks_per_second);

}  // namespace facekit::pipeline
