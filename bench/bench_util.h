// bench_util.h - shared by the benchmark programs.
#pragma once

#include <algorithm>
#include <fstream>
#include <string>

namespace facekit::bench {

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
    if (line.rfind("model name", 0) == 0) name = value(line);
    else if (line.rfind("cpu family", 0) == 0) family = value(line);
    else if (line.rfind("model\t", 0) == 0) model = value(line);
    else if (line.rfind("flags", 0) == 0) flags = " " + value(line) + " ";
  }
  const char* simd = flags.find(" avx512f ") != std::string::npos ? "AVX-512"
                     : flags.find(" avx2 ") != std::string::npos  ? "AVX2"
                                                                  : "SSE";
  return name + " (family " + family + " model " + model + ", " + std::to_string(cpus) + " cpus, " + simd + ")";
}

}  // namespace facekit::bench
