#include "pipeline/simulated_executor.h"

#include <algorithm>
#include <utility>

namespace facekit::pipeline {

SimulatedExecutor::SimulatedExecutor(int workers, SimulatedClock* clock)
    : workers_(workers < 1 ? 1 : workers), clock_(clock) {}

void SimulatedExecutor::Submit(Work work, Callback done) { ready_.push_back({std::move(work), std::move(done)}); }

void SimulatedExecutor::ScheduleAt(std::int64_t time_us, Callback fn) {
  events_.push({std::max(time_us, clock_->NowMicros()), seq_++, std::move(fn)});
}

void SimulatedExecutor::AdvanceTo(std::int64_t time_us) {
  const std::int64_t now = clock_->NowMicros();
  if (time_us <= now) return;
  busy_integral_us_ += static_cast<double>(busy_) * static_cast<double>(time_us - now);
  clock_->AdvanceTo(time_us);
}

void SimulatedExecutor::StartReadyWork() {
  while (!stop_ && busy_ < workers_ && !ready_.empty()) {
    Task task = std::move(ready_.front());
    ready_.pop_front();
    const std::int64_t cost = std::max<std::int64_t>(0, task.work());
    ++busy_;
    events_.push({clock_->NowMicros() + cost, seq_++, [this, done = std::move(task.done)] {
                    --busy_;
                    done();
                  }});
  }
}

void SimulatedExecutor::Run() {
  stop_ = false;
  for (;;) {
    StartReadyWork();
    if (stop_ || events_.empty()) break;
    Event e = events_.top();
    events_.pop();
    AdvanceTo(e.time_us);
    e.fn();
  }
  // Work that already ran but whose completion is still pending leaves its
  // worker busy no longer: drop both with the queued work.
  ready_.clear();
  while (!events_.empty()) events_.pop();
  busy_ = 0;
}

}  // namespace facekit::pipeline
