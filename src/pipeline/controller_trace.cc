#include "pipeline/controller_trace.h"

#include <cstdio>
#include <fstream>

namespace facekit::pipeline {

std::string TraceCsv(const std::vector<TraceRow>& rows) {
  std::string out = "time_s,cpu_host,cpu_process,interval_ms,level\n";
  char line[160];
  for (const TraceRow& r : rows) {
    std::snprintf(line, sizeof line, "%.6f,%.4f,%.4f,%.3f,%d\n", static_cast<double>(r.time_us) / 1e6, r.cpu_host,
                  r.cpu_process, static_cast<double>(r.interval_us) / 1e3, r.level);
    out += line;
  }
  return out;
}

Status WriteTraceCsv(const std::string& path, const std::vector<TraceRow>& rows) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status(StatusCode::kIoError, "cannot write " + path);
  out << TraceCsv(rows);
  out.flush();
  if (!out) return Status(StatusCode::kIoError, "writing " + path + " failed");
  return Status::Ok();
}

}  // namespace facekit::pipeline
