// pipeline/executor.h - where node calls run and how time passes.
//
// WHAT THIS REPRESENTS
//   The runner hands the executor two kinds of work: node calls (Submit: run
//   `work` on a worker, then `done`) and timed callbacks (ScheduleAt: source
//   ticks, controller updates). Executors are pluggable:
//     ThreadPoolExecutor   a fixed pool of threads on a RealClock;
//     SimulatedExecutor    one thread, a SimulatedClock and N simulated
//                          workers; deterministic (tests, benchmarks of the
//                          control law). See simulated_executor.h.
//   `work` returns the simulated CPU microseconds it declared
//   (NodeContext::ConsumeCpu); a simulated executor runs `done` that much
//   simulated time later and keeps the worker busy meanwhile; a real one
//   ignores the value (the time really passed) and runs `done` right away.
//
// THREAD SAFETY
//   Submit, ScheduleAt and Stop may be called from any thread, including
//   from inside work, done and timer callbacks. Run is called by one thread.
#pragma once

#include <cstdint>
#include <functional>

#include "pipeline/clock.h"

namespace facekit::pipeline {

class Executor {
 public:
  using Work = std::function<std::int64_t()>;
  using Callback = std::function<void()>;

  virtual ~Executor() = default;
  virtual Clock& clock() = 0;
  /// True when time is simulated (NodeContext::ConsumeCpu charges instead of spinning).
  virtual bool simulated() const = 0;
  /// Queues a node call; `done` follows `work` (see above).
  virtual void Submit(Work work, Callback done) = 0;
  /// Runs `fn` once the clock reaches `time_us` (at once if already past).
  virtual void ScheduleAt(std::int64_t time_us, Callback fn) = 0;
  /// Executes work and timers until Stop() is called or nothing is left to
  /// do (no queued or running work, no timers). Returns only when no work is
  /// running; what was queued but not started is discarded.
  virtual void Run() = 0;
  /// Makes Run() return as soon as the running work has finished.
  virtual void Stop() = 0;
};

}  // namespace facekit::pipeline
