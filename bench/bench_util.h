// bench_util.h - clock, quantiles, a timing loop over faces and the processor's name for the
// benchmark programs.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
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

// Wall and thread-CPU milliseconds of each timed call.
struct Timings {
  std::vector<double> ms, cpu_ms;
};

// Calls `step(image, face)` for every pair of `faces`, `warmup` untimed
// rounds then `repeat` timed ones. `step` returns a status (ok(), ToString());
// the first failure is printed and ends the timing (false).
template <typename Faces, typename Step>
bool TimeOverFaces(const Faces& faces, int warmup, int repeat, Step step, Timings* out) {
  for (int run = 0; run < warmup + repeat; ++run) {
    for (const auto& [image, face] : faces) {
      const double t0 = NowMs(), c0 = ThreadCpuMs();
      const auto status = step(image, face);
      const double t1 = NowMs(), c1 = ThreadCpuMs();
      if (!status.ok()) {
        std::fprintf(stderr, "%s\n", status.ToString().c_str());
        return false;
      }
      if (run >= warmup) {
        out->ms.push_back(t1 - t0);
        out->cpu_ms.push_back(c1 - c0);
      }
    }
  }
  return true;
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
