#include "pipeline/builtin_nodes.h"

#include "pipeline/collector_node.h"
#include "pipeline/cost_node.h"
#include "pipeline/counter_source.h"
#include "pipeline/flow_limiter.h"
#include "pipeline/pass_through_node.h"

namespace facekit::pipeline {
namespace {

template <typename T>
void RegisterIfMissing(NodeRegistry& registry, const char* name) {
  if (registry.Find(name) == nullptr) (void)registry.Register<T>(name);
}

}  // namespace

void RegisterBuiltinNodes(NodeRegistry& registry) {
  RegisterIfMissing<CounterSource>(registry, "CounterSource");
  RegisterIfMissing<PassThroughNode>(registry, "PassThrough");
  RegisterIfMissing<CostNode>(registry, "Cost");
  RegisterIfMissing<CollectorNode>(registry, "Collector");
  RegisterIfMissing<FlowLimiter>(registry, "FlowLimiter");
}

}  // namespace facekit::pipeline
