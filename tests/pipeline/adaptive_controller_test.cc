#include "pipeline/adaptive_controller.h"

#include <gtest/gtest.h>

namespace facekit::pipeline {
namespace {

ControllerConfig Config() {
  ControllerConfig c;
  c.target = 0.45;
  c.min_interval_us = 33333;
  c.max_interval_us = 250000;
  c.gain = 0.7;
  c.deadband = 0.02;
  c.max_step_ratio = 2.0;
  return c;
}

// A plant without lag: the process costs `per_frame` machine-share x us per frame.
CpuUtilisation Plant(std::int64_t interval_us, double per_frame, double external) {
  const double process = per_frame / static_cast<double>(interval_us);
  return {process + external, process};
}

TEST(PipelineAdaptiveController, StartsAtMinimumAndHoldsInsideTheDeadband) {
  AdaptiveController c(Config());
  EXPECT_EQ(c.interval_us(), 33333);
  EXPECT_EQ(c.Update({0.46, 0.46}).interval_us, 33333);  // |e| = 0.01 <= 0.02
  EXPECT_EQ(c.Update({0.44, 0.30}).interval_us, 33333);
  EXPECT_EQ(c.level(), 0);
}

TEST(PipelineAdaptiveController, BacksOffUnderExternalLoadAndConvergesGeometrically) {
  AdaptiveController c(Config());
  const double per_frame = 0.30 * 33333;  // 30 % at the minimum interval
  double error = 0;
  for (int i = 0; i < 10; ++i) {
    const CpuUtilisation u = Plant(c.interval_us(), per_frame, 0.30);
    error = u.host - 0.45;
    c.Update(u);
  }
  EXPECT_LE(std::abs(error), 0.02 + 1e-9);
  // Our share is ~15 %: twice the minimum interval.
  EXPECT_NEAR(static_cast<double>(c.interval_us()), 2 * 33333, 0.1 * 66666);
}

TEST(PipelineAdaptiveController, FirstStepIsTheGainScheduledIntegralStep) {
  AdaptiveController c(Config());
  // e = 0.45 - 0.60 = -0.15, p = 0.30: want p* = 0.30 - 0.7 * 0.15 = 0.195; I' = I * 0.30 / 0.195.
  const ControllerDecision d = c.Update({0.60, 0.30});
  EXPECT_NEAR(static_cast<double>(d.interval_us), 33333 * 0.30 / 0.195, 1.0);
}

TEST(PipelineAdaptiveController, StepIsLimitedAndIntervalClamped) {
  ControllerConfig cfg = Config();
  AdaptiveController c(cfg);
  // Far above target: at most max_step_ratio per update, never above max.
  std::int64_t previous = c.interval_us();
  for (int i = 0; i < 10; ++i) {
    const std::int64_t next = c.Update({0.99, 0.50}).interval_us;
    EXPECT_LE(next, std::llround(previous * cfg.max_step_ratio));
    EXPECT_LE(next, cfg.max_interval_us);
    EXPECT_GE(next, cfg.min_interval_us);
    previous = next;
  }
  EXPECT_EQ(c.interval_us(), cfg.max_interval_us);
  // Far below: back to min, never below it.
  for (int i = 0; i < 10; ++i) {
    const std::int64_t next = c.Update({0.01, 0.01}).interval_us;
    EXPECT_GE(next, cfg.min_interval_us);
  }
  EXPECT_EQ(c.interval_us(), cfg.min_interval_us);
}

TEST(PipelineAdaptiveController, WithoutMeasuredWorkStepsByTheRatio) {
  AdaptiveController c(Config());
  EXPECT_EQ(c.Update({0.90, 0.0}).interval_us, 66666);
  EXPECT_EQ(c.Update({0.01, 0.0}).interval_us, 33333);
}

TEST(PipelineAdaptiveController, ProcessSignalIgnoresOtherProcesses) {
  ControllerConfig cfg = Config();
  cfg.signal = ControlSignal::kProcess;
  AdaptiveController c(cfg);
  EXPECT_EQ(c.Update({0.95, 0.44}).interval_us, 33333);  // process within the deadband
}

TEST(PipelineAdaptiveController, DegradationEngagesAtMaxIntervalAndReleasesWithHysteresis) {
  ControllerConfig cfg = Config();
  cfg.degradation_steps = {"small_input", "skip_liveness"};
  cfg.engage_after = 2;
  cfg.release_after = 3;
  cfg.release_margin = 0.05;
  AdaptiveController c(cfg);
  EXPECT_EQ(c.max_level(), 2);
  // Over target but not yet at max interval: no degradation.
  c.Update({0.80, 0.30});
  EXPECT_EQ(c.level(), 0);
  while (c.interval_us() < cfg.max_interval_us) c.Update({0.80, 0.30});
  EXPECT_EQ(c.level(), 0);
  c.Update({0.50, 0.04});  // 1st over-target update at max
  EXPECT_EQ(c.level(), 0);
  c.Update({0.50, 0.04});  // 2nd: engage level 1
  EXPECT_EQ(c.level(), 1);
  c.Update({0.48, 0.02});
  EXPECT_EQ(c.level(), 1);
  c.Update({0.48, 0.02});
  EXPECT_EQ(c.level(), 2);
  EXPECT_EQ(c.interval_us(), cfg.max_interval_us);  // pinned while degraded
  // Inside the deadband: stays.
  for (int i = 0; i < 5; ++i) c.Update({0.46, 0.01});
  EXPECT_EQ(c.level(), 2);
  // Load gone, but undoing level 2 is predicted to cost 0.46 - 0.01 + 0.02 = 0.47: stays.
  // Load gone for real (host 0.01): predicted 0.01 - 0.01 + 0.02 = 0.02 < 0.40, three times -> level 1.
  c.Update({0.01, 0.01});
  c.Update({0.01, 0.01});
  EXPECT_EQ(c.level(), 2);
  c.Update({0.01, 0.01});
  EXPECT_EQ(c.level(), 1);
  EXPECT_EQ(c.interval_us(), cfg.max_interval_us);
  for (int i = 0; i < 3; ++i) c.Update({0.02, 0.02});
  EXPECT_EQ(c.level(), 0);
  // Then the rate law brings the interval back to its minimum.
  for (int i = 0; i < 10; ++i) c.Update({0.04, 0.04});
  EXPECT_EQ(c.interval_us(), cfg.min_interval_us);
}

TEST(PipelineAdaptiveController, ReleaseWaitsWhileUndoingWouldOvershoot) {
  ControllerConfig cfg = Config();
  cfg.degradation_steps = {"small_input"};
  cfg.engage_after = 1;
  AdaptiveController c(cfg);
  while (c.interval_us() < cfg.max_interval_us) c.Update({0.90, 0.30});
  c.Update({0.60, 0.10});  // engage; remembers 10 % of process use before
  ASSERT_EQ(c.level(), 1);
  // Host 0.38 with process 0.05: undoing predicts 0.38 - 0.05 + 0.10 = 0.43 > 0.40: no release.
  for (int i = 0; i < 10; ++i) c.Update({0.38, 0.05});
  EXPECT_EQ(c.level(), 1);
}

TEST(PipelineAdaptiveController, ConfigFromJsonAndValidation) {
  auto c = ControllerConfig::FromJson(nlohmann::json::parse(R"({
      "target": 0.5, "signal": "process", "min_interval_us": 10000, "max_interval_us": 100000,
      "update_period_us": 500000, "gain": 0.5, "deadband": 0.01, "max_step_ratio": 1.5,
      "degradation": {"steps": ["a", "b"], "engage_after": 3, "release_after": 4, "release_margin": 0.1}})"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->signal, ControlSignal::kProcess);
  EXPECT_EQ(c->update_period_us, 500000);
  EXPECT_EQ(c->engage_after, 3);
  EXPECT_EQ(c->degradation_steps.size(), 2u);
  auto error = [](const char* json) {
    return ControllerConfig::FromJson(nlohmann::json::parse(json)).status().message();
  };
  EXPECT_EQ(error(R"({"gain": 0})"), "controller \"gain\": must be in (0, 1]");
  EXPECT_EQ(error(R"({"signal": "gpu"})"), "controller \"signal\": expected \"host\" or \"process\", got \"gpu\"");
  EXPECT_EQ(error(R"({"max_step_ratio": 1})"), "controller \"max_step_ratio\": must be > 1");
  EXPECT_EQ(error(R"({"min_interval_us": 0.5})"), "controller \"min_interval_us\": expected an integer, got 0.5");
  EXPECT_EQ(error(R"({"degradation": {"steps": [1]}})"),
            "controller \"degradation.steps\": expected a list of step names, got [1]");
}

}  // namespace
}  // namespace facekit::pipeline
