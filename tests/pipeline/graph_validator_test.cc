#include "pipeline/graph_validator.h"

#include <gtest/gtest.h>

#include "pipeline/builtin_nodes.h"
#include "pipeline/pipeline_test_util.h"

namespace validator_test {
struct Image {};
struct Audio {};
}  // namespace validator_test
FACEKIT_PIPELINE_PACKET_TYPE(validator_test::Image, "Image");
FACEKIT_PIPELINE_PACKET_TYPE(validator_test::Audio, "Audio");

namespace facekit::pipeline {
namespace {

using validator_test::Audio;
using validator_test::Image;

// Node types that exist only in this test: the framework needs no change for them.
class ImageSource : public SourceNode {
 public:
  static Contract GetContract() { return Contract().Output<Image>("frames"); }
  Status Process(NodeContext& ctx) override {
    ctx.EndOfStream();
    return Status::Ok();
  }
};
class AudioSource : public SourceNode {
 public:
  static Contract GetContract() { return Contract().Output<Audio>("frames"); }
  Status Process(NodeContext& ctx) override {
    ctx.EndOfStream();
    return Status::Ok();
  }
};
class Detector : public Node {
 public:
  static Contract GetContract() {
    return Contract().Input<Image>("image").OptionalInput<std::int64_t>("hint").Output<std::int64_t>("faces");
  }
  Status Process(NodeContext&) override { return Status::Ok(); }
};
class Join : public Node {
 public:
  static Contract GetContract() {
    return Contract()
        .AddInput("a", std::string(kAnyType))
        .AddInput("b", std::string(kAnyType))
        .Output<std::int64_t>("out")
        .SetInputPolicy(InputPolicy::kSynchronized);
  }
  Status Process(NodeContext&) override { return Status::Ok(); }
};

class PipelineValidator : public ::testing::Test {
 protected:
  PipelineValidator() {
    RegisterBuiltinNodes(registry_);
    EXPECT_TRUE(registry_.Register<ImageSource>("ImageSource").ok());
    EXPECT_TRUE(registry_.Register<AudioSource>("AudioSource").ok());
    EXPECT_TRUE(registry_.Register<Detector>("Detector").ok());
    EXPECT_TRUE(registry_.Register<Join>("Join").ok());
  }
  Result<ValidatedGraph> Validate(const std::string& nodes_json, const std::string& extra = "") {
    auto config = ParseGraphConfig("{\"nodes\": [" + nodes_json + "]" + extra + "}");
    if (!config.ok()) return config.status();
    return ValidateGraph(*config, registry_);
  }
  std::string ErrorOf(const std::string& nodes_json, const std::string& extra = "") {
    auto g = Validate(nodes_json, extra);
    return g.ok() ? "ok" : g.status().message();
  }
  NodeRegistry registry_;
};

TEST_F(PipelineValidator, AcceptsAWellTypedGraphAndResolvesEdges) {
  auto g = Validate(R"({"name": "src", "type": "ImageSource"},
                       {"name": "detect", "type": "Detector", "inputs": {"image": "src.frames"}},
                       {"name": "sink", "type": "Collector", "inputs": {"in": "detect.faces"}})");
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->edges.size(), 2u);
  EXPECT_EQ(g->edges[0].label, "src.frames -> detect.image");
  EXPECT_EQ(g->edges[0].type, "Image");
  EXPECT_EQ(g->edges[1].type, "Int64");
  EXPECT_EQ(g->topo_order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(g->nodes[1].input_edge[1], -1);  // optional "hint" unconnected
}

TEST_F(PipelineValidator, UnknownNodeType) {
  EXPECT_EQ(ErrorOf(R"({"name": "detect", "type": "Detektor"})"),
            "node \"detect\": unknown node type \"Detektor\" (registered: AudioSource, Collector, Cost, "
            "CounterSource, Detector, FlowLimiter, ImageSource, Join, PassThrough)");
}

TEST_F(PipelineValidator, TypeMismatchNamesNodePortAndBothTypes) {
  EXPECT_EQ(ErrorOf(R"({"name": "src", "type": "AudioSource"},
                       {"name": "detect", "type": "Detector", "inputs": {"image": "src.frames"}})"),
            "node \"detect\" input \"image\": expects Image but \"src.frames\" produces Audio");
}

TEST_F(PipelineValidator, TypesFlowThroughGenericNodes) {
  // PassThrough's "out" has the type of its "in": Audio reaches the detector.
  EXPECT_EQ(ErrorOf(R"({"name": "src", "type": "AudioSource"},
                       {"name": "pass", "type": "PassThrough", "inputs": {"in": "src.frames"}},
                       {"name": "work", "type": "Cost", "inputs": {"in": "pass.out"}},
                       {"name": "detect", "type": "Detector", "inputs": {"image": "work.out"}})"),
            "node \"detect\" input \"image\": expects Image but \"work.out\" produces Audio");
  EXPECT_EQ(ErrorOf(R"({"name": "src", "type": "ImageSource"},
                       {"name": "pass", "type": "PassThrough", "inputs": {"in": "src.frames"}},
                       {"name": "detect", "type": "Detector", "inputs": {"image": "pass.out"}})"),
            "ok");
}

TEST_F(PipelineValidator, MissingRequiredInput) {
  EXPECT_EQ(ErrorOf(R"({"name": "detect", "type": "Detector"})"),
            "node \"detect\": required input \"image\" is not connected");
}

TEST_F(PipelineValidator, UnknownInputPort) {
  EXPECT_EQ(ErrorOf(R"({"name": "src", "type": "ImageSource"},
                       {"name": "detect", "type": "Detector", "inputs": {"img": "src.frames"}})"),
            "node \"detect\": unknown input port \"img\" (Detector has inputs: image, hint)");
}

TEST_F(PipelineValidator, UnknownProducerNodeOrOutputPort) {
  EXPECT_EQ(ErrorOf(R"({"name": "detect", "type": "Detector", "inputs": {"image": "camera.frames"}})"),
            "node \"detect\" input \"image\": no node named \"camera\"");
  EXPECT_EQ(ErrorOf(R"({"name": "src", "type": "ImageSource"},
                       {"name": "detect", "type": "Detector", "inputs": {"image": "src.frame"}})"),
            "node \"detect\" input \"image\": node \"src\" (ImageSource) has no output port \"frame\" "
            "(outputs: frames)");
}

TEST_F(PipelineValidator, UndeclaredCycleNamesItsNodes) {
  const std::string nodes = R"({"name": "src", "type": "CounterSource"},
      {"name": "a", "type": "FlowLimiter", "inputs": {"in": "src.out", "finished": "c.done"}},
      {"name": "b", "type": "PassThrough", "inputs": {"in": "a.out"}},
      {"name": "c", "type": "Collector", "inputs": {"in": "b.out"}})";
  EXPECT_EQ(ErrorOf(nodes),
            "graph has a cycle not declared as a back-edge: a -> b -> c -> a "
            "(declare one of its inputs in \"back_edges\")");
  // The same graph with the edge declared is accepted, and the order ignores the back-edge.
  auto g = Validate(nodes, R"(, "back_edges": ["a.finished"])");
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->topo_order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(g->edges[static_cast<std::size_t>(g->nodes[1].input_edge[1])].back_edge);
}

TEST_F(PipelineValidator, BackEdgeIntoSynchronizedNodeIsRefused) {
  EXPECT_EQ(ErrorOf(R"({"name": "src", "type": "CounterSource"},
                       {"name": "join", "type": "Join", "inputs": {"a": "src.out", "b": "sink.done"}},
                       {"name": "sink", "type": "Collector", "inputs": {"in": "join.out"}})",
                    R"(, "back_edges": ["join.b"])"),
            "node \"join\" input \"b\": a back-edge cannot feed a node with the synchronized input policy");
}

TEST_F(PipelineValidator, DefaultAndPerEdgeQueues) {
  auto g = Validate(R"({"name": "src", "type": "CounterSource"},
                       {"name": "a", "type": "PassThrough", "inputs": {"in": {"from": "src.out", "capacity": 3,
                                                                               "policy": "drop_newest"}}},
                       {"name": "b", "type": "PassThrough", "inputs": {"in": "a.out"}})",
                    R"(, "default_queue": {"capacity": 7})");
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->edges[0].queue.capacity, 3u);
  EXPECT_EQ(g->edges[0].queue.policy, QueuePolicy::kDropNewest);
  EXPECT_EQ(g->edges[1].queue.capacity, 7u);
  EXPECT_EQ(g->edges[1].queue.policy, QueuePolicy::kBlock);
}

TEST_F(PipelineValidator, MalformedGraphFailsAtStartThroughTheRunner) {
  testing::SimulatedRun run;
  auto runner = run.Create(R"({"nodes": [{"name": "src", "type": "CounterSource"},
                                         {"name": "x", "type": "Nope", "inputs": {"in": "src.out"}}]})");
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runner.status().message().rfind("node \"x\": unknown node type \"Nope\"", 0), 0u)
      << runner.status().message();
}

}  // namespace
}  // namespace facekit::pipeline
