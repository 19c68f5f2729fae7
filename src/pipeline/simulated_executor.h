// pipeline/simulated_executor.h - deterministic execution on simulated time.
//
// WHAT THIS REPRESENTS
//   A discrete-event simulator of a machine with `workers` cores. Everything
//   runs on the thread that calls Run(), in an order fixed by (time, order of
//   scheduling), so a run is exactly reproducible. A node call starts when a
//   simulated worker is free; its code runs at once, and the CPU it declared
//   (NodeContext::ConsumeCpu) keeps that worker busy for as long in
//   simulated time; its outputs are delivered (`done`) at the end. Timers
//   fire when the clock reaches them. The clock jumps from event to event;
//   nothing sleeps.
//
//   busy_micros() is the integral of busy workers over simulated time: the
//   simulated process's CPU time, read by SimulatedCpuMeter.
//
// THREAD SAFETY
//   Single-threaded: every member is called from the thread running Run()
//   (or before it).
#pragma once

#include <cstdint>
#include <deque>
#include <queue>
#include <vector>

#include "pipeline/executor.h"

namespace facekit::pipeline {

class SimulatedExecutor final : public Executor {
 public:
  /// `clock` is not owned and must outlive the executor; `workers` >= 1.
  SimulatedExecutor(int workers, SimulatedClock* clock);

  Clock& clock() override { return *clock_; }
  bool simulated() const override { return true; }
  void Submit(Work work, Callback done) override;
  void ScheduleAt(std::int64_t time_us, Callback fn) override;
  void Run() override;
  void Stop() override { stop_ = true; }

  int workers() const { return workers_; }
  std::int64_t NowMicros() const { return clock_->NowMicros(); }
  /// Worker-microseconds spent busy since construction.
  double busy_micros() const { return busy_integral_us_; }

 private:
  struct Event {
    std::int64_t time_us;
    std::uint64_t seq;
    Callback fn;
    bool operator>(const Event& o) const { return time_us != o.time_us ? time_us > o.time_us : seq > o.seq; }
  };
  struct Task {
    Work work;
    Callback done;
  };
  void StartReadyWork();
  void AdvanceTo(std::int64_t time_us);

  const int workers_;
  SimulatedClock* clock_;
  std::deque<Task> ready_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  int busy_ = 0;
  double busy_integral_us_ = 0;
  bool stop_ = false;
};

}  // namespace facekit::pipeline
