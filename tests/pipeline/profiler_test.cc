#include "pipeline/profiler.h"

#include <gtest/gtest.h>

#include "pipeline/collector_node.h"
#include "pipeline/pipeline_test_util.h"

namespace facekit::pipeline {
namespace {

TEST(PipelineProfiler, PercentilesAreNearestRank) {
  Profiler p;
  const int n = p.AddNode("work", "Cost");
  for (int i = 1; i <= 100; ++i) p.RecordCall(n, i * 1000, 1, 1);
  const auto& s = p.nodes()[0];
  EXPECT_EQ(s.calls, 100u);
  EXPECT_EQ(s.LatencyPercentile(0.5), 50000);
  EXPECT_EQ(s.LatencyPercentile(0.99), 99000);
  EXPECT_EQ(s.LatencyPercentile(1.0), 100000);
  EXPECT_EQ(s.max_latency_us, 100000);
  EXPECT_EQ(Profiler::NodeStats{}.LatencyPercentile(0.5), 0);
}

TEST(PipelineProfiler, ReportAndMetricsOfARun) {
  testing::SimulatedRun sim;
  auto runner = sim.Create(R"({"nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 30, "interval_us": 1000}},
    {"name": "work", "type": "Cost", "options": {"cost_us": 4000},
     "inputs": {"in": {"from": "src.out", "capacity": 2, "policy": "drop_oldest"}}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "work.out"}}]})");
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  Profiler p = (*runner)->Snapshot();
  const std::int64_t received = testing::Find<CollectorNode>(**runner, "sink").count();

  const auto* work = &testing::Stats(p, "work");
  const auto* q = &testing::Queue(p, "src.out -> work.in");
  EXPECT_EQ(static_cast<std::int64_t>(work->calls), received);
  EXPECT_EQ(work->packets_in, work->calls);
  EXPECT_EQ(work->packets_out, work->calls);
  EXPECT_EQ(work->LatencyPercentile(0.99), 4000);
  EXPECT_EQ(q->capacity, 2u);
  EXPECT_EQ(q->high_water, 2u);
  EXPECT_EQ(q->pushed, 30u);
  EXPECT_EQ(static_cast<std::int64_t>(q->dropped) + received, 30);
  EXPECT_EQ(testing::Stats(p, "src").packets_out, 30u);

  const std::string report = p.Report();
  EXPECT_NE(report.find("work"), std::string::npos);
  EXPECT_NE(report.find("src.out -> work.in"), std::string::npos);
  EXPECT_NE(report.find("drop_oldest"), std::string::npos);
  EXPECT_NE(report.find("4.000"), std::string::npos);  // p50 of work in ms

  bool found_drops = false;
  bool found_latency = false;
  for (const MetricSample& m : p.Metrics()) {
    if (m.name == "facekit_pipeline_queue_dropped_total" && m.labels.at(0).second == "src.out -> work.in") {
      found_drops = true;
      EXPECT_EQ(m.value, static_cast<double>(q->dropped));
      EXPECT_TRUE(m.counter);
    }
    if (m.name == "facekit_pipeline_node_latency_seconds" && m.labels.at(0).second == "work" &&
        m.labels.at(1).second == "0.5") {
      found_latency = true;
      EXPECT_DOUBLE_EQ(m.value, 0.004);
    }
  }
  EXPECT_TRUE(found_drops);
  EXPECT_TRUE(found_latency);
}

}  // namespace
}  // namespace facekit::pipeline

namespace facekit::pipeline {
namespace {

TEST(PipelineProfiler, PrometheusTextGroupsFamiliesAndEscapesLabels) {
  Profiler p;
  const int a = p.AddNode("a\"b", "Cost");
  const int b = p.AddNode("second", "Cost");
  p.RecordCall(a, 1000, 1, 1);
  p.RecordCall(b, 2000, 1, 1);
  p.RecordCall(b, 2000, 1, 1);
  const std::string text = p.PrometheusText();
  // One TYPE line per family, its samples right after it.
  const auto type = text.find("# TYPE facekit_pipeline_node_calls_total counter\n");
  ASSERT_NE(type, std::string::npos) << text;
  EXPECT_EQ(text.find("# TYPE facekit_pipeline_node_calls_total", type + 1), std::string::npos);
  EXPECT_NE(text.find("facekit_pipeline_node_calls_total{node=\"a\\\"b\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("facekit_pipeline_node_calls_total{node=\"second\"} 2\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace facekit::pipeline
