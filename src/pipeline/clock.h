// pipeline/clock.h - injectable time.
//
// WHAT THIS REPRESENTS
//   Clock is the only source of time for the pipeline runner, its executors,
//   sources and the adaptive controller. RealClock reads the monotonic clock;
//   SimulatedClock holds a number that only moves when told to (by a test or
//   by the SimulatedExecutor as it runs its events), so timing tests are
//   deterministic and never sleep.
//
// THREAD SAFETY
//   RealClock: any thread. SimulatedClock: reads and writes are atomic, but it
//   is meant to be driven by one thread (the simulated executor's).
#pragma once

#include <atomic>
#include <cstdint>

namespace facekit::pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Microseconds since an arbitrary, fixed origin; never decreases.
  virtual std::int64_t NowMicros() const = 0;
  /// Returns once NowMicros() >= time_us (at once if already past).
  virtual void SleepUntil(std::int64_t time_us) = 0;
};

/// std::chrono::steady_clock, origin at construction.
class RealClock final : public Clock {
 public:
  RealClock();
  std::int64_t NowMicros() const override;
  void SleepUntil(std::int64_t time_us) override;

 private:
  std::int64_t origin_ns_;
};

/// Time that moves only through AdvanceTo/AdvanceBy (and SleepUntil, which
/// advances). Starts at `start_us`.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(std::int64_t start_us = 0) : now_(start_us) {}
  std::int64_t NowMicros() const override { return now_.load(std::memory_order_acquire); }
  void SleepUntil(std::int64_t time_us) override { AdvanceTo(time_us); }
  /// Moves to `time_us` if later than now; never goes back.
  void AdvanceTo(std::int64_t time_us);
  void AdvanceBy(std::int64_t delta_us) { AdvanceTo(NowMicros() + delta_us); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace facekit::pipeline
