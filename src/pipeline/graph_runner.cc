#include "pipeline/graph_runner.h"

#include <algorithm>
#include <thread>

#include "pipeline/builtin_nodes.h"
#include "pipeline/graph_runner_impl.h"

namespace facekit::pipeline {
namespace {

const char* StateName(const NodeRuntime& n) {
  if (n.state == NodeRuntime::State::kRunning) return "running";
  if (!n.pending.empty()) return "blocked on a full queue";
  return "waiting for input";
}

}  // namespace

GraphRunner::GraphRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GraphRunner::~GraphRunner() = default;

Result<std::unique_ptr<GraphRunner>> GraphRunner::Create(const GraphConfig& config, RunnerOptions options) {
  NodeRegistry& registry = options.registry != nullptr ? *options.registry : NodeRegistry::Global();
  RegisterBuiltinNodes(registry);
  FACEKIT_ASSIGN_OR_RETURN(ValidatedGraph graph, ValidateGraph(config, registry));

  auto impl = std::make_unique<Impl>();
  impl->graph = std::move(graph);
  if (options.executor != nullptr) {
    impl->executor = options.executor;
  } else {
    const int threads =
        options.threads > 0 ? options.threads : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    impl->owned_executor = std::make_unique<ThreadPoolExecutor>(threads);
    impl->executor = impl->owned_executor.get();
  }
  if (impl->graph.controller) {
    impl->controller.emplace(*impl->graph.controller);
    impl->control->degradation_steps = impl->graph.controller->degradation_steps;
    if (options.cpu_meter != nullptr) {
      impl->meter = options.cpu_meter;
    } else {
      impl->owned_meter = std::make_unique<ProcessCpuMeter>();
      impl->meter = impl->owned_meter.get();
    }
  }

  for (const EdgeInfo& e : impl->graph.edges) {
    EdgeRuntime edge;
    edge.info = e;
    edge.queue = std::make_unique<BoundedQueue<Packet>>(e.queue);
    impl->profiler.AddQueue(e.label, e.queue.capacity, e.queue.policy);
    impl->edges.push_back(std::move(edge));
  }
  for (std::size_t i = 0; i < impl->graph.nodes.size(); ++i) {
    const ValidatedNode& v = impl->graph.nodes[i];
    auto n = std::make_unique<NodeRuntime>();
    n->index = static_cast<int>(i);
    n->name = v.config.name;
    n->node = v.type->factory();
    if (n->node == nullptr) {
      return Status(StatusCode::kInternal, "node \"" + n->name + "\": the factory of " + v.config.type + " failed");
    }
    n->source = dynamic_cast<SourceNode*>(n->node.get());
    n->is_source = v.type->contract.is_source();
    n->policy = v.type->contract.input_policy();
    n->input_edge = v.input_edge;
    n->output_edges = v.output_edges;
    n->ctx =
        std::make_unique<NodeContext>(v.config.name, v.config.type, v.config.options, &v.type->contract, v.output_types,
                                      &impl->executor->clock(), impl->executor->simulated(), impl->control);
    impl->profiler.AddNode(v.config.name, v.config.type);
    impl->nodes.push_back(std::move(n));
  }
  return std::unique_ptr<GraphRunner>(new GraphRunner(std::move(impl)));
}

Status GraphRunner::Run() {
  Impl& m = *impl_;
  if (m.ran) return Status(StatusCode::kFailedPrecondition, "a GraphRunner runs once");
  m.ran = true;

  // 1. Open, producers first.
  for (int i : m.graph.topo_order) {
    NodeRuntime& n = *m.nodes[static_cast<std::size_t>(i)];
    Status s = n.node->Open(*n.ctx);
    if (!s.ok()) {  // a node whose Open failed is not closed
      m.error = NameStatus(n.name, s);
      break;
    }
    n.opened = true;
  }

  if (m.error.ok()) {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.controller) {
      for (auto& n : m.nodes) {
        if (n->source != nullptr) n->source->SetFrameInterval(m.controller->interval_us());
      }
      auto reading = m.meter->Read();
      if (!reading.ok()) {
        m.error = Status(reading.status().code(), "controller: " + reading.status().message());
      } else {
        m.last_cpu = *reading;
        m.executor->ScheduleAt(m.executor->clock().NowMicros() + m.controller->config().update_period_us, [&m] {
          std::lock_guard<std::mutex> inner(m.mu);
          m.ControllerUpdate();
        });
      }
    }
    for (auto& n : m.nodes) {
      if (n->is_source) {
        ++m.sources_open;
        n->tick_due = true;
      }
    }
    if (m.error.ok()) {
      for (auto& n : m.nodes) m.TrySchedule(*n);
    }
  }

  // 2. Execute until every node is closed, an error stops the graph, or nothing can move.
  if (m.error.ok()) m.executor->Run();

  // 3. Close what is still open and report.
  std::lock_guard<std::mutex> lock(m.mu);
  if (m.error.ok() && m.closed_count < static_cast<int>(m.nodes.size())) {
    std::string waiting;
    for (auto& n : m.nodes) {
      if (n->state == NodeRuntime::State::kClosed) continue;
      waiting += (waiting.empty() ? "" : ", ") + n->name + " (" + StateName(*n) + ")";
    }
    m.error = Status(StatusCode::kInternal, "graph stalled before its end: " + waiting +
                                                " (a cycle of full block queues? give back-edges room)");
  }
  for (auto it = m.graph.topo_order.rbegin(); it != m.graph.topo_order.rend(); ++it) {
    NodeRuntime& n = *m.nodes[static_cast<std::size_t>(*it)];
    if (!n.opened || n.close_done) continue;
    n.close_done = true;
    n.ctx->BeginCall({});
    Status s = n.node->Close(*n.ctx);
    if (!s.ok() && m.error.ok()) m.error = NameStatus(n.name, s);
  }
  m.SyncProfiler();
  return m.error;
}

Node* GraphRunner::FindNode(std::string_view name) const {
  for (const auto& n : impl_->nodes) {
    if (n->name == name) return n->node.get();
  }
  return nullptr;
}

Profiler GraphRunner::Snapshot() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->SyncProfiler();
  return impl_->profiler;
}

const std::vector<TraceRow>& GraphRunner::controller_trace() const { return impl_->trace; }
const std::vector<Status>& GraphRunner::source_errors() const { return impl_->source_errors; }

}  // namespace facekit::pipeline
