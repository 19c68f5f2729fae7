// pipeline/controller_trace.h - the adaptive controller's history.
//
// One row per controller update: when, the utilisation it measured over the
// period that just ended, and the interval and degradation level it chose.
// WriteTraceCsv writes it for plotting (the CLI's --trace OUT.csv):
//   time_s,cpu_host,cpu_process,interval_ms,level
//   1.000000,0.3000,0.3000,33.333,0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::pipeline {

struct TraceRow {
  std::int64_t time_us = 0;
  double cpu_host = 0;
  double cpu_process = 0;
  std::int64_t interval_us = 0;
  int level = 0;
};

/// The CSV text, header included.
std::string TraceCsv(const std::vector<TraceRow>& rows);
/// Writes TraceCsv(rows) to `path`; kIoError when it cannot.
Status WriteTraceCsv(const std::string& path, const std::vector<TraceRow>& rows);
/// Parses TraceCsv's text back (kInvalidArgument naming the line on anything else).
Result<std::vector<TraceRow>> ParseTraceCsv(const std::string& text);

}  // namespace facekit::pipeline
