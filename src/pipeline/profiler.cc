#include "pipeline/profiler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace facekit::pipeline {
namespace {

constexpr std::size_t kMaxSamples = 65536;

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Pad(const std::string& s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s + " ";
  const std::string fill(width - s.size(), ' ');
  return (right ? fill + s : s + fill) + " ";
}

}  // namespace

std::int64_t Profiler::NodeStats::LatencyPercentile(double q) const {
  if (latency_us.empty()) return 0;
  std::vector<std::int64_t> sorted = latency_us;
  std::sort(sorted.begin(), sorted.end());
  const double rank = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

int Profiler::AddNode(std::string name, std::string type) {
  NodeStats s;
  s.name = std::move(name);
  s.type = std::move(type);
  nodes_.push_back(std::move(s));
  return static_cast<int>(nodes_.size()) - 1;
}

int Profiler::AddQueue(std::string edge, std::size_t capacity, QueuePolicy policy) {
  QueueStats q;
  q.edge = std::move(edge);
  q.capacity = capacity;
  q.policy = policy;
  queues_.push_back(std::move(q));
  return static_cast<int>(queues_.size()) - 1;
}

void Profiler::RecordCall(int node, std::int64_t latency_us, std::size_t packets_in, std::size_t packets_out) {
  NodeStats& s = nodes_[static_cast<std::size_t>(node)];
  ++s.calls;
  s.packets_in += packets_in;
  s.packets_out += packets_out;
  s.max_latency_us = std::max(s.max_latency_us, latency_us);
  if (s.latency_us.size() < kMaxSamples) {
    s.latency_us.push_back(latency_us);
    return;
  }
  rng_ = rng_ * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG step
  const std::uint64_t slot = (rng_ >> 11) % s.calls;
  if (slot < kMaxSamples) s.latency_us[slot] = latency_us;
}

void Profiler::SetQueue(int queue, std::size_t high_water, std::uint64_t pushed, std::uint64_t dropped) {
  QueueStats& q = queues_[static_cast<std::size_t>(queue)];
  q.high_water = high_water;
  q.pushed = pushed;
  q.dropped = dropped;
}

const Profiler::NodeStats* Profiler::FindNode(const std::string& name) const {
  for (const NodeStats& s : nodes_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const Profiler::QueueStats* Profiler::FindQueue(const std::string& edge) const {
  for (const QueueStats& q : queues_) {
    if (q.edge == edge) return &q;
  }
  return nullptr;
}

std::string Profiler::Report() const {
  std::string out = Pad("node", 16) + Pad("type", 16) + Pad("calls", 9, true) + Pad("in", 9, true) +
                    Pad("out", 9, true) + Pad("drops", 8, true) + Pad("p50 ms", 9, true) + Pad("p99 ms", 9, true) +
                    Pad("max ms", 9, true) + "\n";
  for (const NodeStats& s : nodes_) {
    out += Pad(s.name, 16) + Pad(s.type, 16) + Pad(std::to_string(s.calls), 9, true) +
           Pad(std::to_string(s.packets_in), 9, true) + Pad(std::to_string(s.packets_out), 9, true) +
           Pad(std::to_string(s.drops), 8, true) + Pad(Fixed(s.LatencyPercentile(0.5) / 1e3, 3), 9, true) +
           Pad(Fixed(s.LatencyPercentile(0.99) / 1e3, 3), 9, true) + Pad(Fixed(s.max_latency_us / 1e3, 3), 9, true) +
           "\n";
  }
  out += "\n" + Pad("queue", 34) + Pad("policy", 12) + Pad("capacity", 9, true) + Pad("max depth", 10, true) +
         Pad("pushed", 9, true) + Pad("dropped", 9, true) + "\n";
  for (const QueueStats& q : queues_) {
    out += Pad(q.edge, 34) + Pad(std::string(QueuePolicyName(q.policy)), 12) +
           Pad(std::to_string(q.capacity), 9, true) + Pad(std::to_string(q.high_water), 10, true) +
           Pad(std::to_string(q.pushed), 9, true) + Pad(std::to_string(q.dropped), 9, true) + "\n";
  }
  if (controller_.enabled) {
    out += "\ncontroller: interval " + Fixed(controller_.interval_us / 1e3, 1) + " ms, degradation level " +
           std::to_string(controller_.level) + ", last cpu host " + Fixed(controller_.cpu_host * 100, 1) +
           " %, process " + Fixed(controller_.cpu_process * 100, 1) + " %\n";
  }
  return out;
}

std::vector<MetricSample> Profiler::Metrics() const {
  std::vector<MetricSample> m;
  auto add = [&m](std::string name, std::vector<std::pair<std::string, std::string>> labels, double v, bool counter) {
    m.push_back({std::move(name), std::move(labels), v, counter});
  };
  for (const NodeStats& s : nodes_) {
    add("facekit_pipeline_node_calls_total", {{"node", s.name}}, static_cast<double>(s.calls), true);
    add("facekit_pipeline_node_packets_in_total", {{"node", s.name}}, static_cast<double>(s.packets_in), true);
    add("facekit_pipeline_node_packets_out_total", {{"node", s.name}}, static_cast<double>(s.packets_out), true);
    add("facekit_pipeline_node_drops_total", {{"node", s.name}}, static_cast<double>(s.drops), true);
    for (const auto& [label, q] : {std::pair<const char*, double>{"0.5", 0.5}, {"0.99", 0.99}}) {
      add("facekit_pipeline_node_latency_seconds", {{"node", s.name}, {"quantile", label}},
          static_cast<double>(s.LatencyPercentile(q)) / 1e6, false);
    }
    add("facekit_pipeline_node_latency_seconds", {{"node", s.name}, {"quantile", "1"}},
        static_cast<double>(s.max_latency_us) / 1e6, false);
  }
  for (const QueueStats& q : queues_) {
    add("facekit_pipeline_queue_capacity", {{"edge", q.edge}}, static_cast<double>(q.capacity), false);
    add("facekit_pipeline_queue_depth_max", {{"edge", q.edge}}, static_cast<double>(q.high_water), false);
    add("facekit_pipeline_queue_pushed_total", {{"edge", q.edge}}, static_cast<double>(q.pushed), true);
    add("facekit_pipeline_queue_dropped_total", {{"edge", q.edge}}, static_cast<double>(q.dropped), true);
  }
  if (controller_.enabled) {
    add("facekit_pipeline_controller_interval_seconds", {}, static_cast<double>(controller_.interval_us) / 1e6, false);
    add("facekit_pipeline_controller_level", {}, controller_.level, false);
    add("facekit_pipeline_controller_cpu_host", {}, controller_.cpu_host, false);
    add("facekit_pipeline_controller_cpu_process", {}, controller_.cpu_process, false);
  }
  return m;
}

std::string Profiler::PrometheusText() const {
  std::string out;
  std::string last_name;
  std::vector<MetricSample> samples = Metrics();
  // A metric family's samples must be contiguous.
  std::stable_sort(samples.begin(), samples.end(),
                   [](const MetricSample& a, const MetricSample& b) { return a.name < b.name; });
  for (const MetricSample& m : samples) {
    if (m.name != last_name) {
      out += "# TYPE " + m.name + (m.counter ? " counter\n" : " gauge\n");
      last_name = m.name;
    }
    out += m.name;
    if (!m.labels.empty()) {
      out += "{";
      for (std::size_t i = 0; i < m.labels.size(); ++i) {
        if (i) out += ",";
        out += m.labels[i].first + "=\"";
        for (char ch : m.labels[i].second) {
          if (ch == '\n') {
            out += "\\n";
            continue;
          }
          if (ch == '\\' || ch == '"') out += '\\';
          out += ch;
        }
        out += "\"";
      }
      out += "}";
    }
    char value[40];
    std::snprintf(value, sizeof(value), " %.9g\n", m.value);
    out += value;
  }
  return out;
}

}  // namespace facekit::pipeline
