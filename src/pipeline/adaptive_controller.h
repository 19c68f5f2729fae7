// pipeline/adaptive_controller.h - holds CPU use near a target by changing
// the sources' frame interval, like a thermostat.
//
// WHAT THIS REPRESENTS
//   Pure logic: every update period the runner gives it the utilisation
//   measured over the last period (CpuUtilisation: host and this process, as
//   fractions of the machine) and it answers with the source frame interval,
//   always within [min_interval_us, max_interval_us], and a degradation level.
//
// CONTROL LAW (docs/pipeline.md has the derivation)
//   u = host (signal "host": keep the machine's total near the target, so the
//   pipeline backs off when other processes load it) or u = process (signal
//   "process"); e = target - u; p = measured process utilisation; I = interval.
//   Frame rate is what CPU use is linear in, so the law works on r = 1/I:
//     |e| <= deadband           -> hold.
//     otherwise                 -> want process use p* = p + gain * e, i.e.
//                                  I' = I * p / p*  (the measured CPU cost per
//                                  frame, p * I, kept; the rate scaled).
//   This is an integral (velocity-form) controller on the rate whose gain is
//   scheduled by the measured cost per frame: gain 1 would cancel the error
//   in one period if the cost were exact; 0 < gain < 1 closes a fraction of
//   it per period, so the error decays as (1 - gain)^n. I' is then limited to
//   [I / max_step_ratio, I * max_step_ratio] (robust to a noisy window) and
//   clamped to [min, max] (the state is I itself, so there is no windup).
//   When p is ~0 (nothing measured yet) it steps by max_step_ratio instead.
//
// DEGRADATION
//   Levels 0..N (N = number of configured steps, e.g. ["detect_small_input",
//   "skip_liveness_verified"]); level k engages steps [0, k).
//   Engage: interval at max and u > target + deadband for `engage_after`
//   consecutive updates -> level + 1 (and the process use just before is
//   remembered for that level). While level > 0 the interval stays at max.
//   Release (hysteresis): the predicted use with the last step undone,
//   u - p + p_before(level), is below target - release_margin for
//   `release_after` consecutive updates -> level - 1. At level 0 the rate law
//   resumes, so after a load goes away the interval returns to its minimum.
//
// THREAD SAFETY
//   Not synchronised; the runner calls it from one place.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "facekit/status.h"
#include "pipeline/cpu_meter.h"

namespace facekit::pipeline {

enum class ControlSignal { kHost, kProcess };

struct ControllerConfig {
  double target = 0.45;  ///< utilisation to hold, fraction of the machine
  ControlSignal signal = ControlSignal::kHost;
  std::int64_t min_interval_us = 33333;     ///< fastest frame interval (30 fps)
  std::int64_t max_interval_us = 1000000;   ///< slowest frame interval (1 fps)
  std::int64_t update_period_us = 1000000;  ///< measurement window = update period
  double gain = 0.7;                        ///< (0, 1]
  double deadband = 0.02;                   ///< no change while |target - u| <= deadband
  double max_step_ratio = 2.0;              ///< > 1: most the interval changes per update
  std::vector<std::string> degradation_steps;
  int engage_after = 2;          ///< consecutive over-target updates at max interval
  int release_after = 3;         ///< consecutive updates with room to undo a step
  double release_margin = 0.05;  ///< predicted use must be below target - margin

  /// Parses the graph file's "controller" object (every key optional, see
  /// docs/pipeline.md); kInvalidArgument naming the key for bad values.
  static Result<ControllerConfig> FromJson(const nlohmann::json& j);
  /// Range checks shared by FromJson and the constructor's callers.
  Status Validate() const;
};

struct ControllerDecision {
  std::int64_t interval_us = 0;
  int level = 0;
};

class AdaptiveController {
 public:
  /// `config` must be valid (Validate()); starts at min interval, level 0.
  explicit AdaptiveController(ControllerConfig config);

  /// One update with the utilisation measured over the last period.
  ControllerDecision Update(const CpuUtilisation& measured);

  std::int64_t interval_us() const { return interval_us_; }
  int level() const { return level_; }
  int max_level() const { return static_cast<int>(config_.degradation_steps.size()); }
  const ControllerConfig& config() const { return config_; }

 private:
  std::int64_t NextInterval(double u, double p) const;
  void UpdateDegradation(double u, double p);

  ControllerConfig config_;
  std::int64_t interval_us_;
  int level_ = 0;
  int over_count_ = 0;
  int release_count_ = 0;
  std::vector<double> process_before_;  // [k]: process use measured just before level k engaged
};

}  // namespace facekit::pipeline
