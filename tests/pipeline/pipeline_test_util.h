// pipeline_test_util.h - building and running graphs in the pipeline tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/builtin_nodes.h"
#include "pipeline/graph_config.h"
#include "pipeline/graph_runner.h"
#include "pipeline/simulated_cpu_meter.h"
#include "pipeline/simulated_executor.h"

namespace facekit::pipeline::testing {

inline GraphConfig MustParse(const std::string& json, const Substitutions& vars = {}) {
  auto g = ParseGraphConfig(json, vars);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? std::move(*g) : GraphConfig{};
}

/// The Int64 payload of `p`, or INT64_MIN when it holds something else.
inline std::int64_t Int(const Packet& p) {
  const std::int64_t* v = p.Get<std::int64_t>();
  return v != nullptr ? *v : INT64_MIN;
}

/// The node `name` of type T; fails the test and aborts when there is none.
template <typename T>
const T& Find(const GraphRunner& runner, std::string_view name) {
  const T* node = runner.FindNode<T>(name);
  if (node == nullptr) {
    ADD_FAILURE() << "no node " << name;
    std::abort();
  }
  return *node;
}

/// The profile of node `name`; fails the test and aborts when there is none.
inline const Profiler::NodeStats& Stats(const Profiler& p, const std::string& name) {
  const Profiler::NodeStats* s = p.FindNode(name);
  if (s == nullptr) {
    ADD_FAILURE() << "no profile of node " << name;
    std::abort();
  }
  return *s;
}

inline const Profiler::QueueStats& Queue(const Profiler& p, const std::string& edge) {
  const Profiler::QueueStats* q = p.FindQueue(edge);
  if (q == nullptr) {
    ADD_FAILURE() << "no queue " << edge;
    std::abort();
  }
  return *q;
}

/// A deterministic run: simulated clock, `workers` simulated cores, a
/// private registry with the builtin nodes (plus whatever the test adds).
struct SimulatedRun {
  explicit SimulatedRun(int workers = 2, int host_cores = 0)
      : executor(workers, &clock), meter(&executor, host_cores > 0 ? host_cores : workers) {
    RegisterBuiltinNodes(registry);
  }

  Result<std::unique_ptr<GraphRunner>> Create(const std::string& json) {
    auto config = ParseGraphConfig(json);
    if (!config.ok()) return config.status();
    RunnerOptions o;
    o.registry = &registry;
    o.executor = &executor;
    o.cpu_meter = &meter;
    return GraphRunner::Create(*config, o);
  }

  SimulatedClock clock;
  SimulatedExecutor executor;
  SimulatedCpuMeter meter;
  NodeRegistry registry;
};

}  // namespace facekit::pipeline::testing
