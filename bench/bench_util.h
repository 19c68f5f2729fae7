// bench_util.h - clock, quantiles and the processor's name for the benchmark programs.
#pragma once

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace facekit::bench {

inline double NowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// CPU time of the calling thread in milliseconds: with one inference thread
// (cv::dnn runs in the caller), the work itself, less the time other
// processes on a shared machine held the core.
inline double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

inline double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// "model name (family F model M, N cpus, AVX-512|AVX2|SSE)" from
// /proc/cpuinfo, so that every figure says which processor produced it
// (the same workplace has handed out machines 3x apart in speed).
inline std::string CpuDescription() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name = "unknown cpu", family = "?", model = "?", flags;
  int cpus = 0;
  auto value = [](const std::string& l) {
    size_t colon = l.find(':');
    return colon == std::string::npos ? std::string() : l.substr(std::min(l.size(), colon + 2));
  };
  while (std::getline(in, line)) {
    if (line.rfind("processor", 0) == 0) ++cpus;
    if (cpus > 1) continue;  // the first processor's fields describe them all
    if (line.rfind("model name", 0) == 0)
      name = value(line);
    else if (line.rfind("cpu family", 0) == 0)
      family = value(line);
    else if (line.rfind("model\t", 0) == 0)
      model = value(line);
    else if (line.rfind("flags", 0) == 0)
      flags = " " + value(line) + " ";
  }
  const char* simd = flags.find(" avx512f ") != std::string::npos ? "AVX-512"
                     : flags.find(" avx2 ") != std::string::npos  ? "AVX2"
                                                                  : "SSE";
  return name + " (family " + family + " model " + model + ", " + std::to_string(cpus) + " cpus, " + simd + ")";
}

}  // namespace facekit::bench
