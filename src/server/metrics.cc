#include "server/metrics.h"

#include <cstdio>

namespace facekit::server {

namespace {

// Label values escaped as the exposition format requires.
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

template <typename H>
void RenderHistogram(std::string* out, const std::string& name, const std::string& labels, const H& h,
                     const auto& buckets) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += h.buckets[i];
    *out += name + "_bucket{" + labels + ",le=\"" + Num(buckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  *out += name + "_sum{" + labels + "} " + Num(h.sum) + "\n";
  *out += name + "_count{" + labels + "} " + std::to_string(h.count) + "\n";
}

}  // namespace

void Metrics::Histogram::Add(double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += seconds;
}

void Metrics::Observe(std::string_view surface, std::string_view action, std::string_view code, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(surface), std::string(action), std::string(code)}];
  latency_[{std::string(surface), std::string(action)}].Add(seconds);
}

void Metrics::ObserveModel(std::string_view stage, double seconds) {
  std::lock_guard lock(mu_);
  model_[std::string(stage)].Add(seconds);
}

void Metrics::AddGaugeSource(std::function<std::vector<Gauge>()> source) {
  std::lock_guard lock(mu_);
  gauges_.push_back(std::move(source));
}

std::string Metrics::Render() const {
  std::vector<std::function<std::vector<Gauge>()>> sources;
  std::string out;
  {
    std::lock_guard lock(mu_);
    sources = gauges_;
    out += "# HELP facekit_requests_total Requests answered, by surface, action and result code.\n";
    out += "# TYPE facekit_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      const auto& [surface, action, code] = key;
      out += "facekit_requests_total{surface=\"" + Escape(surface) + "\",action=\"" + Escape(action) +
             "\",code=\"" + Escape(code) + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP facekit_request_duration_seconds Time from a request's arrival to its answer.\n";
    out += "# TYPE facekit_request_duration_seconds histogram\n";
    for (const auto& [key, h] : latency_) {
      RenderHistogram(&out, "facekit_request_duration_seconds",
                      "surface=\"" + Escape(key.first) + "\",action=\"" + Escape(key.second) + "\"", h, kBuckets);
    }
    out += "# HELP facekit_model_duration_seconds Time spent in each model stage.\n";
    out += "# TYPE facekit_model_duration_seconds histogram\n";
    for (const auto& [stage, h] : model_) {
      RenderHistogram(&out, "facekit_model_duration_seconds", "stage=\"" + Escape(stage) + "\"", h, kBuckets);
    }
  }
  for (const auto& source : sources) {
    for (const Gauge& g : source()) {
      out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
      for (const auto& [labels, v] : g.samples) {
        out += g.name + (labels.empty() ? "" : "{" + labels + "}") + " " + Num(v) + "\n";
      }
    }
  }
  return out;
}

}  // namespace facekit::server
