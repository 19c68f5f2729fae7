#include "pipeline/cpu_meter.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace facekit::pipeline {

CpuUtilisation UtilisationBetween(const CpuTimes& earlier, const CpuTimes& later) {
  CpuUtilisation u;
  const double wall = later.wall_us - earlier.wall_us;
  const double total = later.host_total_us - earlier.host_total_us;
  const int cores = std::max(1, later.cores);
  if (wall > 0) u.process = (later.process_cpu_us - earlier.process_cpu_us) / (wall * cores);
  if (total > 0) u.host = (later.host_busy_us - earlier.host_busy_us) / total;
  u.process = std::clamp(u.process, 0.0, 1.0);
  u.host = std::clamp(u.host, u.process, 1.0);  // the host includes this process
  return u;
}

Result<CpuTimes> ParseProcStat(const std::string& text, long ticks_per_second) {
  std::istringstream in(text);
  std::string label;
  in >> label;
  if (label != "cpu") return Status(StatusCode::kDataCorrupt, "/proc/stat does not start with the \"cpu\" line");
  // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
  std::vector<double> f;
  double v = 0;
  for (int i = 0; i < 8 && in >> v; ++i) f.push_back(v);
  if (f.size() < 4) return Status(StatusCode::kDataCorrupt, "/proc/stat \"cpu\" line has fewer than 4 fields");
  double total = 0;
  for (double x : f) total += x;
  const double idle = f[3] + (f.size() > 4 ? f[4] : 0.0);
  const double scale = 1e6 / static_cast<double>(ticks_per_second > 0 ? ticks_per_second : 100);
  CpuTimes t;
  t.host_total_us = total * scale;
  t.host_busy_us = (total - idle) * scale;
  return t;
}

ProcessCpuMeter::ProcessCpuMeter(std::string proc_stat) : proc_stat_(std::move(proc_stat)) {}

Result<CpuTimes> ProcessCpuMeter::Read() {
  std::ifstream in(proc_stat_);
  if (!in) return Status(StatusCode::kIoError, "cannot read " + proc_stat_);
  std::string line;
  std::getline(in, line);
  FACEKIT_ASSIGN_OR_RETURN(CpuTimes t, ParseProcStat(line, sysconf(_SC_CLK_TCK)));
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  t.process_cpu_us = static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
  t.wall_us = static_cast<double>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
  t.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return t;
}

}  // namespace facekit::pipeline
