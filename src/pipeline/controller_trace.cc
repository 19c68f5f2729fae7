#include "pipeline/controller_trace.h"

#include <cmath>
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

Result<std::vector<TraceRow>> ParseTraceCsv(const std::string& text) {
  std::vector<TraceRow> rows;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line_no == 1) {
      if (line.rfind("time_s,cpu_host,cpu_process,interval_ms,level", 0) != 0) {
        return Status(StatusCode::kInvalidArgument, "line 1: not a controller trace header");
      }
      continue;
    }
    if (line.empty()) continue;
    double t = 0, host = 0, process = 0, interval_ms = 0;
    int level = 0;
    char tail = 0;
    if (std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%d%c", &t, &host, &process, &interval_ms, &level, &tail) != 5) {
      return Status(StatusCode::kInvalidArgument, "line " + std::to_string(line_no) + ": expected 5 numbers");
    }
    rows.push_back({static_cast<std::int64_t>(std::llround(t * 1e6)), host, process,
                     static_cast<std::int64_t>(std::llround(interval_ms * 1e3)), level});
  }
  return rows;
}

}  // namespace facekit::pipeline
