#include "pipeline/graph_runner.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "pipeline/collector_node.h"
#include "pipeline/node_options.h"
#include "pipeline/pipeline_test_util.h"

namespace facekit::pipeline {
namespace {

// ---- node types defined by this test only (no framework change needed) ----

// Records Open/Close of every instance, to check the lifecycle.
struct Lifecycle {
  static std::mutex mu;
  static std::vector<std::string> events;
  static void Add(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  }
  static std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu);
    return std::exchange(events, {});
  }
};
std::mutex Lifecycle::mu;
std::vector<std::string> Lifecycle::events;

class Doubler : public Node {
 public:
  static Contract GetContract() { return Contract().Input<std::int64_t>("in").Output<std::int64_t>("out"); }
  Status Process(NodeContext& ctx) override {
    FACEKIT_ASSIGN_OR_RETURN(const std::int64_t* v, ctx.Input("in").GetOr<std::int64_t>());
    return ctx.Output("out", Packet::Make<std::int64_t>(*v * 2, ctx.InputTimestamp()));
  }
};

// Synchronized join: a + b of the same timestamp.
class Sum : public Node {
 public:
  static Contract GetContract() {
    return Contract().Input<std::int64_t>("a").Input<std::int64_t>("b").Output<std::int64_t>("out").SetInputPolicy(
        InputPolicy::kSynchronized);
  }
  Status Process(NodeContext& ctx) override {
    if (!ctx.HasInput("a") || !ctx.HasInput("b")) {
      return Status(StatusCode::kInternal, "unsynchronised inputs at " + std::to_string(ctx.InputTimestamp()));
    }
    FACEKIT_ASSIGN_OR_RETURN(const std::int64_t* a, ctx.Input("a").GetOr<std::int64_t>());
    FACEKIT_ASSIGN_OR_RETURN(const std::int64_t* b, ctx.Input("b").GetOr<std::int64_t>());
    const std::int64_t sum = *a + *b;
    return ctx.Output("out", Packet::Make<std::int64_t>(sum, ctx.InputTimestamp()));
  }
};

// Fails on the packet whose value is option "fail_at".
class FailAt : public Node {
 public:
  static Contract GetContract() { return Contract().Input<std::int64_t>("in").Output<std::int64_t>("out"); }
  Status Open(NodeContext& ctx) override {
    Lifecycle::Add("open " + ctx.name());
    FACEKIT_ASSIGN_OR_RETURN(fail_at_, OptionInt(ctx, "fail_at", -1));
    return Status::Ok();
  }
  Status Process(NodeContext& ctx) override {
    FACEKIT_ASSIGN_OR_RETURN(const std::int64_t* in, ctx.Input("in").GetOr<std::int64_t>());
    const std::int64_t v = *in;
    if (v == fail_at_) return Status(StatusCode::kInternal, "boom at " + std::to_string(v));
    return ctx.Output("out", ctx.Input("in"));
  }
  Status Close(NodeContext& ctx) override {
    Lifecycle::Add("close " + ctx.name());
    return Status::Ok();
  }

 private:
  std::int64_t fail_at_ = -1;
};

// Emits a String on an Int64 port: a bug the runner must catch.
class BadEmitter : public Node {
 public:
  static Contract GetContract() { return Contract().Input<std::int64_t>("in").Output<std::int64_t>("out"); }
  Status Process(NodeContext& ctx) override { return ctx.Output("out", Packet::Make(std::string("x"), 0)); }
};

class PipelineRunner : public ::testing::Test {
 protected:
  static void RegisterTestNodes(NodeRegistry& r) {
    ASSERT_TRUE(r.Register<Doubler>("Doubler").ok());
    ASSERT_TRUE(r.Register<Sum>("Sum").ok());
    ASSERT_TRUE(r.Register<FailAt>("FailAt").ok());
    ASSERT_TRUE(r.Register<BadEmitter>("BadEmitter").ok());
  }
  void SetUp() override {
    RegisterTestNodes(sim_.registry);
    Lifecycle::Take();
  }
  std::unique_ptr<GraphRunner> MustCreate(const std::string& json) {
    auto r = sim_.Create(json);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }
  static std::vector<std::int64_t> Values(const CollectorNode& c) {
    std::vector<std::int64_t> out;
    for (const Packet& p : c.packets()) out.push_back(testing::Int(p));
    return out;
  }
  testing::SimulatedRun sim_;
};

constexpr const char* kDiamond = R"({"nodes": [
  {"name": "src", "type": "CounterSource", "options": {"count": 50, "interval_us": 5000}},
  {"name": "a", "type": "Doubler", "inputs": {"in": "src.out"}},
  {"name": "b", "type": "Cost", "options": {"cost_us": 3000}, "inputs": {"in": "src.out"}},
  {"name": "join", "type": "Sum", "inputs": {"a": "a.out", "b": "b.out"}},
  {"name": "sink", "type": "Collector", "inputs": {"in": "join.out"}}],
  "default_queue": {"capacity": 4, "policy": "block"}})";

void ExpectDiamondResult(const GraphRunner& runner) {
  const auto* sink = &testing::Find<CollectorNode>(runner, "sink");
  EXPECT_TRUE(sink->closed());  // end of stream reached the sink through both branches
  std::vector<Packet> got = sink->packets();
  ASSERT_EQ(got.size(), 50u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].timestamp(), static_cast<Timestamp>(i));
    EXPECT_EQ(testing::Int(got[i]), 3 * static_cast<std::int64_t>(i));  // 2i + i
  }
  Profiler p = runner.Snapshot();
  for (const auto& q : p.queues()) EXPECT_LE(q.high_water, 4u) << q.edge;
}

TEST_F(PipelineRunner, DiamondPropagatesEndOfStreamOnSimulatedClock) {
  auto runner = MustCreate(kDiamond);
  ASSERT_NE(runner, nullptr);
  ASSERT_TRUE(runner->Run().ok());
  ExpectDiamondResult(*runner);
  EXPECT_TRUE(runner->source_errors().empty());
  // 50 ticks 5 ms apart; the last packet's 3 ms of work ends at 245 + 3 ms.
  EXPECT_EQ(sim_.clock.NowMicros(), 248000);
}

TEST_F(PipelineRunner, DiamondOnThreadPool) {
  NodeRegistry registry;
  RegisterTestNodes(registry);
  RunnerOptions o;
  o.registry = &registry;
  o.threads = 3;
  std::string json = kDiamond;
  json.replace(json.find("3000"), 4, "200");  // 0.2 ms of real CPU per packet
  auto runner = GraphRunner::Create(testing::MustParse(json), o);
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  ExpectDiamondResult(**runner);
}

TEST_F(PipelineRunner, ErrorInAMiddleNodeStopsTheRunAndNamesTheNode) {
  auto runner = MustCreate(R"({"nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 100, "interval_us": 1000}},
    {"name": "mid", "type": "FailAt", "options": {"fail_at": 5}, "inputs": {"in": "src.out"}},
    {"name": "after", "type": "FailAt", "inputs": {"in": "mid.out"}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "after.out"}}]})");
  ASSERT_NE(runner, nullptr);
  Status s = runner->Run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "node \"mid\": boom at 5");
  const auto* sink = &testing::Find<CollectorNode>(*runner, "sink");
  EXPECT_EQ(Values(*sink), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(sink->closed());  // every opened node is closed after an error
  EXPECT_EQ(Lifecycle::Take(), (std::vector<std::string>{"open mid", "open after", "close after", "close mid"}));
  EXPECT_LT(sim_.clock.NowMicros(), 10000);  // stopped at once, not after 100 ticks
}

TEST_F(PipelineRunner, SourceThatDiesMidRunEndsTheRunCleanlyWithTheErrorReported) {
  auto runner = MustCreate(R"({"nodes": [
    {"name": "camera", "type": "CounterSource", "options": {"count": -1, "interval_us": 33333, "fail_after": 5}},
    {"name": "pass", "type": "PassThrough", "inputs": {"in": "camera.out"}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "pass.out"}}]})");
  ASSERT_NE(runner, nullptr);
  Status s = runner->Run();
  EXPECT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(runner->source_errors().size(), 1u);
  EXPECT_EQ(runner->source_errors()[0].code(), StatusCode::kIoError);
  EXPECT_EQ(runner->source_errors()[0].message(), "node \"camera\": source lost after 5 packets");
  const auto* sink = &testing::Find<CollectorNode>(*runner, "sink");
  EXPECT_EQ(Values(*sink), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(sink->closed());
}

TEST_F(PipelineRunner, SourceEndOfStreamWithNoDownstreamWork) {
  auto runner = MustCreate(R"({"nodes": [{"name": "src", "type": "CounterSource", "options": {"count": 0}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "src.out"}}]})");
  ASSERT_NE(runner, nullptr);
  ASSERT_TRUE(runner->Run().ok());
  EXPECT_EQ(testing::Find<CollectorNode>(*runner, "sink").count(), 0);
  EXPECT_TRUE(testing::Find<CollectorNode>(*runner, "sink").closed());
}

TEST_F(PipelineRunner, OpenErrorNamesNodeAndOption) {
  auto runner = MustCreate(R"({"nodes": [{"name": "src", "type": "CounterSource", "options": {"count": "many"}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "src.out"}}]})");
  ASSERT_NE(runner, nullptr);
  Status s = runner->Run();
  EXPECT_EQ(s.message(), "node \"src\" option \"count\": expected an integer, got \"many\"");
  EXPECT_FALSE(testing::Find<CollectorNode>(*runner, "sink").closed());  // never opened, never closed
}

TEST_F(PipelineRunner, RunTimeTypeCheckOfEmittedPackets) {
  auto runner = MustCreate(R"({"nodes": [{"name": "src", "type": "CounterSource"},
    {"name": "bad", "type": "BadEmitter", "inputs": {"in": "src.out"}}]})");
  ASSERT_NE(runner, nullptr);
  EXPECT_EQ(runner->Run().message(), "node \"bad\" output \"out\": emits String but the port carries Int64");
}

TEST_F(PipelineRunner, BlockQueueHoldsBackTheProducerAndLosesNothing) {
  auto runner = MustCreate(R"({"nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 40}},
    {"name": "slow", "type": "Cost", "options": {"cost_us": 10000},
     "inputs": {"in": {"from": "src.out", "capacity": 2, "policy": "block"}}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "slow.out"}}]})");
  ASSERT_NE(runner, nullptr);
  ASSERT_TRUE(runner->Run().ok());
  EXPECT_EQ(testing::Find<CollectorNode>(*runner, "sink").count(), 40);
  Profiler p = runner->Snapshot();
  const auto* q = &testing::Queue(p, "src.out -> slow.in");
  EXPECT_EQ(q->high_water, 2u);
  EXPECT_EQ(q->dropped, 0u);
  EXPECT_EQ(sim_.clock.NowMicros(), 400000);  // the slow node is the bottleneck: 40 x 10 ms
}

void ExpectDrops(testing::SimulatedRun& sim, const std::string& policy, std::int64_t first, std::int64_t last) {
  auto runner = sim.Create(R"({"nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 100, "interval_us": 1000}},
    {"name": "slow", "type": "Cost", "options": {"cost_us": 10000},
     "inputs": {"in": {"from": "src.out", "capacity": 3, "policy": ")" +
                           policy + R"("}}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "slow.out"}}]})");
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  const auto* sink = &testing::Find<CollectorNode>(**runner, "sink");
  Profiler p = (*runner)->Snapshot();
  const auto* q = &testing::Queue(p, "src.out -> slow.in");
  EXPECT_LE(q->high_water, 3u);
  EXPECT_GT(q->dropped, 0u);
  EXPECT_EQ(static_cast<std::uint64_t>(sink->count()) + q->dropped, 100u);  // every packet arrived or was counted
  std::vector<Packet> got = sink->packets();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(testing::Int(got.front()), first);
  EXPECT_EQ(testing::Int(got.back()), last);
}

TEST_F(PipelineRunner, DropOldestQueueCountsDropsAndKeepsTheNewest) { ExpectDrops(sim_, "drop_oldest", 0, 99); }

TEST_F(PipelineRunner, DropNewestQueueCountsDropsAndKeepsTheOldest) {
  testing::SimulatedRun sim;
  ExpectDrops(sim, "drop_newest", 0, 90);  // 91..99 find the queue full
}

TEST_F(PipelineRunner, RunsOnce) {
  auto runner = MustCreate(R"({"nodes": [{"name": "src", "type": "CounterSource", "options": {"count": 1}}]})");
  ASSERT_NE(runner, nullptr);
  ASSERT_TRUE(runner->Run().ok());
  EXPECT_EQ(runner->Run().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace facekit::pipeline

namespace facekit::pipeline {
namespace {

class MacroRegistered : public Node {
 public:
  static Contract GetContract() { return Contract().AddInput("in", std::string(kAnyType)); }
  Status Process(NodeContext&) override { return Status::Ok(); }
};
FACEKIT_REGISTER_NODE(MacroRegistered, "PipelineTestMacroRegistered");

TEST(PipelineRegistry, MacroRegistersIntoTheGlobalRegistryAndNamesAreUnique) {
  const NodeTypeInfo* info = NodeRegistry::Global().Find("PipelineTestMacroRegistered");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->contract.InputNames(), "in");
  EXPECT_EQ(NodeRegistry::Global().Register<MacroRegistered>("PipelineTestMacroRegistered").code(),
            StatusCode::kAlreadyExists);
}

// The real clock, thread pool and ProcessCpuMeter with the controller: only
// invariants are asserted (the source's 20 ticks of >= 10 ms guarantee
// several 50 ms controller periods), never timings.
TEST(PipelineRunnerRealTime, ControllerOnTheRealMachineKeepsItsBounds) {
  RunnerOptions o;
  NodeRegistry registry;
  o.registry = &registry;
  o.threads = 2;
  auto runner = GraphRunner::Create(testing::MustParse(R"({"nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 20}},
    {"name": "work", "type": "Cost", "options": {"cost_us": 500}, "inputs": {"in": "src.out"}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "work.out"}}],
    "controller": {"min_interval_us": 10000, "max_interval_us": 20000, "update_period_us": 50000}})"),
                                    o);
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE((*runner)->Run().ok());
  EXPECT_EQ(testing::Find<CollectorNode>(**runner, "sink").count(), 20);
  const auto& trace = (*runner)->controller_trace();
  EXPECT_GE(trace.size(), 2u);
  for (const TraceRow& row : trace) {
    EXPECT_GE(row.interval_us, 10000);
    EXPECT_LE(row.interval_us, 20000);
    EXPECT_GE(row.cpu_process, 0.0);
    EXPECT_LE(row.cpu_process, row.cpu_host);
    EXPECT_LE(row.cpu_host, 1.0);
  }
}

}  // namespace
}  // namespace facekit::pipeline
