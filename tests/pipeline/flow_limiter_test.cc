#include "pipeline/flow_limiter.h"

#include <gtest/gtest.h>

#include "pipeline/collector_node.h"
#include "pipeline/pipeline_test_util.h"

namespace facekit::pipeline {
namespace {

std::string LimitedGraph(int max_in_flight, int cost_us) {
  return R"({"nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 100, "interval_us": 10000}},
    {"name": "limit", "type": "FlowLimiter", "options": {"max_in_flight": )" +
         std::to_string(max_in_flight) + R"(},
     "inputs": {"in": "src.out", "finished": "sink.done"}},
    {"name": "work", "type": "Cost", "options": {"cost_us": )" +
         std::to_string(cost_us) + R"(}, "inputs": {"in": "limit.out"}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "work.out"}}],
    "back_edges": ["limit.finished"]})";
}

TEST(PipelineFlowLimiter, DropsWhileAFrameIsInFlightAndCountsDrops) {
  testing::SimulatedRun sim(/*workers=*/2);
  auto runner = sim.Create(LimitedGraph(1, 25000));  // a frame every 10 ms, 25 ms of work each
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  const auto* limit = &testing::Find<FlowLimiter>(**runner, "limit");
  const auto* sink = &testing::Find<CollectorNode>(**runner, "sink");
  // Frame 0 passes at 0 ms and finishes at 25 ms, so 10 and 20 are dropped, 30 passes...
  // every third frame passes: 0, 3, 6, ..., 99.
  EXPECT_EQ(limit->passed(), 34);
  EXPECT_EQ(limit->dropped(), 66);
  EXPECT_EQ(limit->max_observed_in_flight(), 1);
  EXPECT_EQ(sink->count(), 34);
  std::vector<Packet> got = sink->packets();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(testing::Int(got[i]), 3 * static_cast<std::int64_t>(i));
  Profiler p = (*runner)->Snapshot();
  EXPECT_EQ(testing::Stats(p, "limit").drops, 66u);
  EXPECT_EQ(testing::Stats(p, "work").calls, 34u);
  EXPECT_TRUE(sink->closed());
}

TEST(PipelineFlowLimiter, AllowsUpToMaxInFlight) {
  testing::SimulatedRun sim(/*workers=*/2);
  // Two frames may be in flight, but "work" runs one at a time: the second waits in its queue.
  auto runner = sim.Create(LimitedGraph(2, 25000));
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  const auto* limit = &testing::Find<FlowLimiter>(**runner, "limit");
  EXPECT_EQ(limit->max_observed_in_flight(), 2);
  EXPECT_EQ(limit->passed() + limit->dropped(), 100);
  EXPECT_EQ(testing::Find<CollectorNode>(**runner, "sink").count(), limit->passed());
  EXPECT_GT(limit->passed(), 34);  // more than with one in flight ...
  EXPECT_LE(limit->passed(), 41);  // ... but bounded by the work: 1000 ms / 25 ms + 1
}

TEST(PipelineFlowLimiter, NothingDroppedWhenTheWorkKeepsUp) {
  testing::SimulatedRun sim;
  auto runner = sim.Create(LimitedGraph(1, 5000));
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  EXPECT_EQ(testing::Find<FlowLimiter>(**runner, "limit").dropped(), 0);
  EXPECT_EQ(testing::Find<CollectorNode>(**runner, "sink").count(), 100);
}

TEST(PipelineFlowLimiter, OnThreadPoolPassedPlusDroppedIsEverything) {
  RunnerOptions o;
  NodeRegistry registry;
  o.registry = &registry;
  o.threads = 2;
  std::string json = LimitedGraph(1, 2000);
  json.replace(json.find("10000"), 5, "0");  // the source as fast as it can: drops are certain
  auto runner = GraphRunner::Create(testing::MustParse(json), o);
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  const auto* limit = &testing::Find<FlowLimiter>(**runner, "limit");
  EXPECT_EQ(limit->passed() + limit->dropped(), 100);
  EXPECT_EQ(limit->max_observed_in_flight(), 1);
  EXPECT_EQ(testing::Find<CollectorNode>(**runner, "sink").count(), limit->passed());
}

}  // namespace
}  // namespace facekit::pipeline
