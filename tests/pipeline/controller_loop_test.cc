// The adaptive controller in closed loop with a graph on simulated time: a
// source, a flow limiter, 20 ms of CPU per frame, a sink; a 2-core machine;
// another process loads the host from T1 = 20.5 s to T2 = 60.5 s.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "pipeline/collector_node.h"
#include "pipeline/controller_trace.h"
#include "pipeline/flow_limiter.h"
#include "pipeline/pipeline_test_util.h"

namespace facekit::pipeline {
namespace {

constexpr std::int64_t kSecond = 1000000;
constexpr std::int64_t kT1 = 20 * kSecond + kSecond / 2;
constexpr std::int64_t kT2 = 60 * kSecond + kSecond / 2;
constexpr std::int64_t kEnd = 100 * kSecond;
constexpr double kTarget = 0.45;
constexpr double kBand = 0.10 * kTarget;  // +-10 % of the target
constexpr std::int64_t kMin = 33333;
constexpr std::int64_t kMax = 250000;

const char* kGraph = R"({
  "nodes": [
    {"name": "src", "type": "CounterSource",
     "options": {"count": -1, "stop_at_us": 100000000, "timestamps": "clock"}},
    {"name": "limit", "type": "FlowLimiter", "options": {"max_in_flight": 1},
     "inputs": {"in": "src.out", "finished": "sink.done"}},
    {"name": "work", "type": "Cost", "options": {"cost_us": 20000, "level_cost_us": [10000, 5000]},
     "inputs": {"in": "limit.out"}},
    {"name": "sink", "type": "Collector", "options": {"keep": false}, "inputs": {"in": "work.out"}}
  ],
  "back_edges": ["limit.finished"],
  "controller": {"target": 0.45, "min_interval_us": 33333, "max_interval_us": 250000,
                 "update_period_us": 1000000, "gain": 0.7, "deadband": 0.02,
                 "degradation": {"steps": ["small_input", "skip_liveness"],
                                 "engage_after": 2, "release_after": 3, "release_margin": 0.05}}
})";

struct LoopResult {
  std::vector<TraceRow> trace;
  Profiler profile;
  std::int64_t sink_count = 0;
  std::int64_t passed = 0;
  std::int64_t dropped = 0;
};

LoopResult RunLoop(double external_cores) {
  testing::SimulatedRun sim(/*workers=*/2, /*host_cores=*/2);
  sim.meter.external().Step(kT1, external_cores).Step(kT2, 0.0);
  auto runner = sim.Create(kGraph);
  EXPECT_TRUE(runner.ok()) << runner.status().message();
  LoopResult r;
  if (!runner.ok()) return r;
  Status s = (*runner)->Run();
  EXPECT_TRUE(s.ok()) << s.message();
  r.trace = (*runner)->controller_trace();
  r.profile = (*runner)->Snapshot();
  r.sink_count = testing::Find<CollectorNode>(**runner, "sink").count();
  r.passed = testing::Find<FlowLimiter>(**runner, "limit").passed();
  r.dropped = testing::Find<FlowLimiter>(**runner, "limit").dropped();
  return r;
}

// First trace time from which every row up to `until` is within the band; -1 if none.
std::int64_t SettledFrom(const std::vector<TraceRow>& trace, std::int64_t from, std::int64_t until) {
  std::int64_t settled = -1;
  for (const TraceRow& row : trace) {
    if (row.time_us <= from || row.time_us > until) continue;
    const bool inside = std::abs(row.cpu_host - kTarget) <= kBand;
    if (!inside) {
      settled = -1;
    } else if (settled < 0) {
      settled = row.time_us;
    }
  }
  return settled;
}

// First trace time after `from` from which the interval stays at its minimum; -1 if none.
std::int64_t BackToMinFrom(const std::vector<TraceRow>& trace, std::int64_t from) {
  std::int64_t since = -1;
  for (const TraceRow& row : trace) {
    if (row.time_us <= from) continue;
    if (row.interval_us != kMin || row.level != 0) {
      since = -1;
    } else if (since < 0) {
      since = row.time_us;
    }
  }
  return since;
}

void ExpectIntervalAlwaysWithinBounds(const std::vector<TraceRow>& trace) {
  for (const TraceRow& row : trace) {
    EXPECT_GE(row.interval_us, kMin) << "at " << row.time_us;
    EXPECT_LE(row.interval_us, kMax) << "at " << row.time_us;
  }
}

TEST(PipelineControllerLoop, StepLoadIsAbsorbedAndTheIntervalReturnsToMinimum) {
  const LoopResult r = RunLoop(/*external_cores=*/0.6);  // 30 % of the 2-core host
  ASSERT_GE(r.trace.size(), 95u);
  ExpectIntervalAlwaysWithinBounds(r.trace);

  // Before the load: 20 ms per 33.3 ms frame = 0.6 core = 30 %, below target, so the minimum interval.
  for (const TraceRow& row : r.trace) {
    if (row.time_us >= 2 * kSecond && row.time_us <= kT1) {
      EXPECT_EQ(row.interval_us, kMin);
      EXPECT_NEAR(row.cpu_host, 0.30, 0.01);
    }
  }
  // Under the load the host goes to 60 %, then back within +-10 % of 45 %.
  const std::int64_t settled = SettledFrom(r.trace, kT1, kT2);
  ASSERT_GT(settled, 0) << TraceCsv(r.trace);
  const double settle_s = static_cast<double>(settled - kT1) / 1e6;
  std::cout << "[ controller ] step load 30 %: host CPU within +-10 % of target " << settle_s << " s after the step\n";
  ::testing::Test::RecordProperty("settle_seconds", std::to_string(settle_s));
  EXPECT_LE(settled - kT1, 5 * kSecond) << TraceCsv(r.trace);
  // No degradation needed for this load.
  for (const TraceRow& row : r.trace) EXPECT_EQ(row.level, 0);
  // After the load: back to the minimum interval within a bounded time, and it stays there.
  const std::int64_t back = BackToMinFrom(r.trace, kT2);
  ASSERT_GT(back, 0) << TraceCsv(r.trace);
  std::cout << "[ controller ] load gone: interval back at its minimum " << static_cast<double>(back - kT2) / 1e6
            << " s later\n";
  EXPECT_LE(back - kT2, 5 * kSecond);

  // The trace as CSV, for plotting.
  const std::string path = ::testing::TempDir() + "/pipeline_controller_step_load.csv";
  ASSERT_TRUE(WriteTraceCsv(path, r.trace).ok());
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "time_s,cpu_host,cpu_process,interval_ms,level");
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, r.trace.size());
  std::cout << "[ controller ] trace written to " << path << "\n";
}

TEST(PipelineControllerLoop, DegradationEngagesWhenTheLongestIntervalIsNotEnoughAndDisengagesAfter) {
  const LoopResult r = RunLoop(/*external_cores=*/0.9);  // 45 % from others: even 4 fps is too much
  ExpectIntervalAlwaysWithinBounds(r.trace);
  int max_level = 0;
  for (const TraceRow& row : r.trace) {
    max_level = std::max(max_level, row.level);
    if (row.level > 0) {
      EXPECT_EQ(row.interval_us, kMax) << "degraded only at the longest interval";
    }
    if (row.time_us <= kT1) {
      EXPECT_EQ(row.level, 0);
    }
  }
  EXPECT_GE(max_level, 1);
  const std::int64_t settled = SettledFrom(r.trace, kT1, kT2);
  ASSERT_GT(settled, 0) << TraceCsv(r.trace);
  std::cout << "[ controller ] step load 45 %: within +-10 % of target " << static_cast<double>(settled - kT1) / 1e6
            << " s after the step, degradation level up to " << max_level << "\n";
  EXPECT_LE(settled - kT1, 10 * kSecond) << TraceCsv(r.trace);
  const std::int64_t back = BackToMinFrom(r.trace, kT2);
  ASSERT_GT(back, 0) << TraceCsv(r.trace);
  std::cout << "[ controller ] load gone: level 0 and minimum interval " << static_cast<double>(back - kT2) / 1e6
            << " s later\n";
  EXPECT_LE(back - kT2, 15 * kSecond);
  EXPECT_EQ(r.trace.back().level, 0);
}

TEST(PipelineControllerLoop, ProfilerCountsMatchThePacketsProcessed) {
  const LoopResult r = RunLoop(0.6);
  const auto* src = &testing::Stats(r.profile, "src");
  const auto* work = &testing::Stats(r.profile, "work");
  const auto* sink = &testing::Stats(r.profile, "sink");
  const auto* limit = &testing::Stats(r.profile, "limit");
  EXPECT_EQ(static_cast<std::int64_t>(src->packets_out), r.passed + r.dropped);
  EXPECT_EQ(static_cast<std::int64_t>(limit->drops), r.dropped);
  EXPECT_EQ(static_cast<std::int64_t>(work->calls), r.passed);
  EXPECT_EQ(static_cast<std::int64_t>(sink->calls), r.sink_count);
  EXPECT_EQ(sink->packets_in, sink->calls);
  EXPECT_EQ(r.sink_count, r.passed);
  EXPECT_EQ(work->LatencyPercentile(0.5), 20000);  // level 0 throughout: 20 ms of simulated CPU
  EXPECT_EQ(work->max_latency_us, 20000);
  for (const auto& q : r.profile.queues()) EXPECT_LE(q.high_water, q.capacity) << q.edge;
  EXPECT_TRUE(r.profile.controller().enabled);
}

TEST(PipelineControllerLoop, SimulatedRunsAreDeterministic) {
  const LoopResult a = RunLoop(0.6);
  const LoopResult b = RunLoop(0.6);
  EXPECT_EQ(TraceCsv(a.trace), TraceCsv(b.trace));
  EXPECT_EQ(a.sink_count, b.sink_count);
}

}  // namespace
}  // namespace facekit::pipeline
