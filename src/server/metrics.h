// Request metrics in the Prometheus text format (version 0.0.4): counts by
// surface, action and result code, latency histograms by surface and action,
// and gauges read at scrape time.
//
// THREAD SAFETY
//   Observe() and Render() may be called concurrently.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace facekit::server {

class Metrics {
 public:
  struct Gauge {
    std::string name, help;
    std::vector<std::pair<std::string, double>> samples;  // label text (e.g. `kind="faces"`) -> value
  };

  // One finished request. `code` is "OK" or the error code returned.
  void Observe(std::string_view surface, std::string_view action, std::string_view code, double seconds);
  // Time spent in one model stage (detect, embed, liveness...).
  void ObserveModel(std::string_view stage, double seconds);
  // Adds gauges computed at each scrape.
  void AddGaugeSource(std::function<std::vector<Gauge>()> source);
  std::string Render() const;

  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
    void Add(double seconds);
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
  std::map<std::string, Histogram> model_;
  std::vector<std::function<std::vector<Gauge>()>> gauges_;
};

}  // namespace facekit::server
