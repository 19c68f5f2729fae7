#include "pipeline/graph_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "pipeline/pipeline_test_util.h"

namespace facekit::pipeline {
namespace {

constexpr const char* kExample = R"({
  "description": "the example of docs/pipeline.md",
  "default_queue": {"capacity": 4, "policy": "block"},
  "nodes": [
    {"name": "src", "type": "CounterSource", "options": {"count": 100, "interval_us": 33333}},
    {"name": "limit", "type": "FlowLimiter", "options": {"max_in_flight": 1},
     "inputs": {"in": "src.out", "finished": {"from": "sink.done", "back_edge": true}}},
    {"name": "work", "type": "Cost", "options": {"cost_us": 20000},
     "inputs": {"in": {"from": "limit.out", "capacity": 2, "policy": "drop_oldest"}}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "work.out"}}
  ],
  "back_edges": ["limit.finished"],
  "controller": {"target": 0.45, "min_interval_us": 33333, "max_interval_us": 250000,
                 "degradation": {"steps": ["small_input", "skip_liveness"]}}
})";

std::string ErrorOf(const std::string& json, const Substitutions& vars = {}) {
  auto g = ParseGraphConfig(json, vars);
  return g.ok() ? "ok" : g.status().message();
}

TEST(PipelineConfig, ParsesNodesInputsQueuesBackEdgesAndController) {
  GraphConfig g = testing::MustParse(kExample);
  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.default_queue.capacity, 4u);
  EXPECT_EQ(g.default_queue.policy, QueuePolicy::kBlock);

  const NodeConfig* src = g.FindNode("src");
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->type, "CounterSource");
  EXPECT_EQ(src->options["count"], 100);
  EXPECT_TRUE(src->inputs.empty());

  const NodeConfig* limit = g.FindNode("limit");
  ASSERT_NE(limit, nullptr);
  ASSERT_EQ(limit->inputs.size(), 2u);
  for (const InputConfig& in : limit->inputs) {
    if (in.port == "in") {
      EXPECT_EQ(in.from_node, "src");
      EXPECT_EQ(in.from_port, "out");
      EXPECT_FALSE(in.back_edge);
      EXPECT_FALSE(in.queue.has_value());
    } else {
      EXPECT_EQ(in.port, "finished");
      EXPECT_EQ(in.from_node, "sink");
      EXPECT_EQ(in.from_port, "done");
      EXPECT_TRUE(in.back_edge);
    }
  }
  const InputConfig& work_in = g.FindNode("work")->inputs.at(0);
  ASSERT_TRUE(work_in.queue.has_value());
  EXPECT_EQ(work_in.queue->capacity, 2u);
  EXPECT_EQ(work_in.queue->policy, QueuePolicy::kDropOldest);

  ASSERT_TRUE(g.controller.has_value());
  EXPECT_DOUBLE_EQ(g.controller->target, 0.45);
  EXPECT_EQ(g.controller->max_interval_us, 250000);
  EXPECT_EQ(g.controller->degradation_steps, (std::vector<std::string>{"small_input", "skip_liveness"}));
}

TEST(PipelineConfig, BackEdgesListMarksTheInput) {
  GraphConfig g = testing::MustParse(R"({"nodes": [
    {"name": "a", "type": "PassThrough", "inputs": {"in": "b.out"}},
    {"name": "b", "type": "PassThrough", "inputs": {"in": "a.out"}}],
    "back_edges": ["a.in"]})");
  EXPECT_TRUE(g.FindNode("a")->inputs[0].back_edge);
  EXPECT_FALSE(g.FindNode("b")->inputs[0].back_edge);
}

TEST(PipelineConfig, MalformedFilesFailWithMessagesNamingTheProblem) {
  EXPECT_NE(ErrorOf("{\"nodes\": [").find("graph: JSON parse error"), std::string::npos);
  EXPECT_EQ(ErrorOf("{}"), "graph: \"nodes\" must be a non-empty list");
  EXPECT_EQ(ErrorOf(R"({"nodes": [], "extra": 1})"),
            "graph: unknown key \"extra\" (expected nodes, default_queue, back_edges, controller, description)");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"type": "Cost"}]})"), "nodes[0]: missing \"name\"");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a.b", "type": "Cost"}]})"),
            "nodes[0]: node name \"a.b\" may contain only letters, digits, '_' and '-'");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a"}]})"), "node \"a\": missing \"type\"");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X"}, {"name": "a", "type": "Y"}]})"),
            "node \"a\": duplicate node name");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X", "inputs": {"in": "src"}}]})"),
            "node \"a\" input \"in\": expected \"node.port\", got \"src\"");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X", "inputs": {"in": {"from": "s.o", "policy": "fifo"}}}]})"),
            "node \"a\" input \"in\": unknown queue policy \"fifo\" (expected block, drop_oldest or drop_newest)");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X", "inputs": {"in": {"from": "s.o", "capacity": 0}}}]})"),
            "node \"a\" input \"in\": queue capacity must be an integer in [1, 1000000], got 0");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X"}], "back_edges": ["a.in"]})"),
            "back_edges: \"a.in\" is not a connected input of any node");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X"}], "controller": {"target": 1.5}})"),
            "controller \"target\": must be in (0, 1)");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X"}], "controller": {"targt": 0.5}})"),
            "controller \"targt\": unknown key");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "X"}],
                        "controller": {"min_interval_us": 1000, "max_interval_us": 10}})"),
            "controller \"max_interval_us\": must be >= min_interval_us");
}

// graph_fuzz finding (docs/fuzzing.md): a number too large for a double made
// nlohmann::json throw out_of_range, which ParseGraphConfig let escape.
TEST(PipelineConfig, ANumberOutOfRangeIsAParseErrorNotAnException) {
  EXPECT_NE(ErrorOf("1e479{u\n e").find("graph: JSON parse error"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"nodes": [{"name": "a", "type": "X", "options": {"n": -1e999}}]})").find("number overflow"),
            std::string::npos);
}

TEST(PipelineConfig, PlaceholdersAreSubstitutedTypedAndWithDefaults) {
  const char* json = R"({"nodes": [{"name": "src", "type": "CounterSource",
      "options": {"count": "${frames}", "label": "cam-${camera}", "fps": "${fps:-30}", "live": "${live:-true}"}}]})";
  GraphConfig g = testing::MustParse(json, {{"frames", "100"}, {"camera", "front"}});
  const nlohmann::json& o = g.nodes[0].options;
  EXPECT_EQ(o["count"], 100);  // a whole-string placeholder becomes a number
  EXPECT_TRUE(o["count"].is_number_integer());
  EXPECT_EQ(o["label"], "cam-front");
  EXPECT_EQ(o["fps"], 30);
  EXPECT_EQ(o["live"], true);

  EXPECT_EQ(ErrorOf(json, {{"camera", "x"}}), "placeholder ${frames} has no value (set it with --set frames=VALUE)");
  EXPECT_EQ(ErrorOf(R"({"nodes": [{"name": "a", "type": "${t"}]})"), "unterminated placeholder in \"${t\"");
}

TEST(PipelineConfig, ParseSetArgument) {
  auto kv = ParseSetArgument("frames=100");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "frames");
  EXPECT_EQ(kv->second, "100");
  auto with_eq = ParseSetArgument("path=a=b");
  ASSERT_TRUE(with_eq.ok());
  EXPECT_EQ(with_eq->second, "a=b");
  EXPECT_EQ(ParseSetArgument("novalue").status().message(), "expected key=value, got \"novalue\"");
  EXPECT_FALSE(ParseSetArgument("=1").ok());
}

TEST(PipelineConfig, LoadGraphConfigReadsAFileAndNamesItInErrors) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/pipeline_graph_test.json";
  {
    std::ofstream out(path);
    out << kExample;
  }
  auto g = LoadGraphConfig(path);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->nodes.size(), 4u);
  {
    std::ofstream out(path);
    out << "{}";
  }
  EXPECT_EQ(LoadGraphConfig(path).status().message(), path + ": graph: \"nodes\" must be a non-empty list");
  std::remove(path.c_str());
  EXPECT_EQ(LoadGraphConfig(path).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace facekit::pipeline
