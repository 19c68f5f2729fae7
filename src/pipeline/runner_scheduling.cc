// The runner's scheduling core (see graph_runner.h for the behaviour).
// Every function here runs with Impl::mu held.
#include <chrono>
#include <limits>
#include <utility>

#include "pipeline/graph_runner_impl.h"

namespace facekit::pipeline {
namespace {

std::int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status NameStatus(const std::string& node, const Status& status) {
  const std::string prefix = "node \"" + node + "\"";
  if (status.message().rfind(prefix, 0) == 0) return status;
  return Status(status.code(), prefix + ": " + status.message());
}

void GraphRunner::Impl::Fail(Status status) {
  if (error.ok()) error = std::move(status);
  stopping = true;
  executor->Stop();
}

void GraphRunner::Impl::TrySchedule(NodeRuntime& n) {
  if (stopping || n.state != NodeRuntime::State::kIdle || !n.pending.empty()) return;
  if (n.is_source) {
    if (n.ending) {
      Invoke(n, /*close=*/true, {});
    } else if (n.tick_due) {
      n.tick_due = false;
      n.last_tick_us = executor->clock().NowMicros();
      Invoke(n, /*close=*/false, {});
    }
    return;
  }
  std::vector<Packet> inputs;
  if (SelectInputs(n, &inputs)) {
    Invoke(n, /*close=*/false, std::move(inputs));
    for (int e : n.input_edge) {
      if (e >= 0) KickProducer(e);
    }
  } else if (ForwardInputsDrained(n)) {
    n.ending = true;
    Invoke(n, /*close=*/true, {});
  }
}

bool GraphRunner::Impl::SelectInputs(NodeRuntime& n, std::vector<Packet>* inputs) {
  inputs->assign(n.input_edge.size(), Packet());
  if (n.policy == InputPolicy::kAny) {
    int best = -1;
    Timestamp best_ts = 0;
    for (std::size_t p = 0; p < n.input_edge.size(); ++p) {
      const int e = n.input_edge[p];
      if (e < 0) continue;
      auto head = edges[static_cast<std::size_t>(e)].queue->Front();
      if (head && (best < 0 || head->timestamp() < best_ts)) {
        best = static_cast<int>(p);
        best_ts = head->timestamp();
      }
    }
    if (best < 0) return false;
    auto& queue = *edges[static_cast<std::size_t>(n.input_edge[static_cast<std::size_t>(best)])].queue;
    (*inputs)[static_cast<std::size_t>(best)] = *queue.TryPop();
    return true;
  }
  // Synchronized: wait until every open input has a packet; take the smallest timestamp.
  bool any = false;
  Timestamp t = std::numeric_limits<Timestamp>::max();
  for (int e : n.input_edge) {
    if (e < 0) continue;
    auto& queue = *edges[static_cast<std::size_t>(e)].queue;
    auto head = queue.Front();
    if (head) {
      any = true;
      if (head->timestamp() < t) t = head->timestamp();
    } else if (!queue.closed()) {
      return false;
    }
  }
  if (!any) return false;
  for (std::size_t p = 0; p < n.input_edge.size(); ++p) {
    const int e = n.input_edge[p];
    if (e < 0) continue;
    auto& queue = *edges[static_cast<std::size_t>(e)].queue;
    auto head = queue.Front();
    if (head && head->timestamp() == t) (*inputs)[p] = *queue.TryPop();
  }
  return true;
}

bool GraphRunner::Impl::ForwardInputsDrained(const NodeRuntime& n) const {
  for (int e : n.input_edge) {
    if (e < 0) continue;
    const EdgeRuntime& edge = edges[static_cast<std::size_t>(e)];
    if (!edge.info.back_edge && !edge.queue->drained()) return false;
  }
  return true;
}

void GraphRunner::Impl::Invoke(NodeRuntime& n, bool close, std::vector<Packet> inputs) {
  n.state = NodeRuntime::State::kRunning;
  n.call_inputs = 0;
  for (const Packet& p : inputs) n.call_inputs += p.empty() ? 0 : 1;
  n.ctx->BeginCall(std::move(inputs));
  NodeRuntime* node = &n;
  executor->Submit(
      [node, close] {
        const std::int64_t start = SteadyMicros();
        node->call_status = close ? node->node->Close(*node->ctx) : node->node->Process(*node->ctx);
        node->call_wall_us = SteadyMicros() - start;
        node->call_cost_us = node->ctx->TakeCpuCharge();
        return node->call_cost_us;
      },
      [this, node, close] {
        std::lock_guard<std::mutex> lock(mu);
        OnCallDone(*node, close);
      });
}

void GraphRunner::Impl::OnCallDone(NodeRuntime& n, bool close) {
  n.state = NodeRuntime::State::kIdle;
  std::vector<NodeContext::Staged> staged = n.ctx->TakeOutputs();
  if (!close) {
    const std::int64_t latency = executor->simulated() ? n.call_cost_us : n.call_wall_us;
    profiler.RecordCall(n.index, latency, n.call_inputs, staged.size());
    profiler.SetNodeDrops(n.index, n.ctx->drops());
  }
  if (!n.call_status.ok()) {
    if (n.is_source && !close) {
      source_errors.push_back(NameStatus(n.name, n.call_status));
      n.ending = true;
    } else {
      if (close) n.close_done = true;
      Fail(NameStatus(n.name, n.call_status));
      return;
    }
  }
  for (NodeContext::Staged& s : staged) {
    for (int e : n.output_edges[static_cast<std::size_t>(s.port)]) n.pending.emplace_back(e, s.packet);
  }
  if (close) {
    n.close_done = true;
  } else if (n.is_source) {
    if (n.ctx->end_of_stream()) n.ending = true;
    if (!n.ending) ScheduleNextTick(n);
  }
  Flush(n);
}

void GraphRunner::Impl::Flush(NodeRuntime& n) {
  if (n.flushing) return;
  n.flushing = true;
  while (!n.pending.empty() && !stopping) {
    auto& [e, packet] = n.pending.front();
    EdgeRuntime& edge = edges[static_cast<std::size_t>(e)];
    const PushResult r = edge.queue->TryPush(packet);
    if (r == PushResult::kFull) break;
    const int consumer = edge.info.to_node;
    n.pending.pop_front();
    if (r == PushResult::kPushed || r == PushResult::kPushedDropped)
      TrySchedule(*nodes[static_cast<std::size_t>(consumer)]);
  }
  n.flushing = false;
  if (!n.pending.empty() || stopping) return;
  if (n.close_done) {
    FinishNode(n);
  } else {
    TrySchedule(n);
  }
}

void GraphRunner::Impl::FinishNode(NodeRuntime& n) {
  if (n.state == NodeRuntime::State::kClosed) return;
  n.state = NodeRuntime::State::kClosed;
  ++closed_count;
  if (n.is_source) --sources_open;
  // Back-edges into this node: producers may still push; refuse (and discard) from now on.
  for (int e : n.input_edge) {
    if (e < 0) continue;
    edges[static_cast<std::size_t>(e)].queue->Close();
    KickProducer(e);
  }
  for (const auto& port : n.output_edges) {
    for (int e : port) edges[static_cast<std::size_t>(e)].queue->Close();
  }
  for (const auto& port : n.output_edges) {
    for (int e : port) TrySchedule(*nodes[static_cast<std::size_t>(edges[static_cast<std::size_t>(e)].info.to_node)]);
  }
  if (closed_count == static_cast<int>(nodes.size())) executor->Stop();
}

void GraphRunner::Impl::KickProducer(int edge) {
  NodeRuntime& p = *nodes[static_cast<std::size_t>(edges[static_cast<std::size_t>(edge)].info.from_node)];
  if (!p.flushing && p.state == NodeRuntime::State::kIdle && !p.pending.empty()) Flush(p);
}

void GraphRunner::Impl::ScheduleNextTick(NodeRuntime& n) {
  const std::int64_t interval = n.source != nullptr ? n.source->frame_interval() : 0;
  const std::int64_t next = n.last_tick_us + interval;
  if (interval <= 0 || next <= executor->clock().NowMicros()) {
    n.tick_due = true;
    return;
  }
  NodeRuntime* node = &n;
  executor->ScheduleAt(next, [this, node] {
    std::lock_guard<std::mutex> lock(mu);
    if (node->ending || node->state == NodeRuntime::State::kClosed) return;
    node->tick_due = true;
    TrySchedule(*node);
  });
}

void GraphRunner::Impl::ControllerUpdate() {
  if (stopping || sources_open == 0 || !controller) return;
  auto reading = meter->Read();
  if (!reading.ok()) {
    Fail(Status(reading.status().code(), "controller: " + reading.status().message()));
    return;
  }
  const CpuUtilisation u = UtilisationBetween(last_cpu, *reading);
  last_cpu = *reading;
  const ControllerDecision d = controller->Update(u);
  for (auto& n : nodes) {
    if (n->source != nullptr) n->source->SetFrameInterval(d.interval_us);
  }
  control->degradation_level.store(d.level, std::memory_order_relaxed);
  const std::int64_t now = executor->clock().NowMicros();
  trace.push_back({now, u.host, u.process, d.interval_us, d.level});
  profiler.SetController({true, d.interval_us, d.level, u.host, u.process});
  executor->ScheduleAt(now + controller->config().update_period_us, [this] {
    std::lock_guard<std::mutex> lock(mu);
    ControllerUpdate();
  });
}

void GraphRunner::Impl::SyncProfiler() {
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const auto& q = *edges[e].queue;
    profiler.SetQueue(static_cast<int>(e), q.high_water(), q.pushed(), q.dropped());
  }
}

}  // namespace facekit::pipeline
