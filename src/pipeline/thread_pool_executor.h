// pipeline/thread_pool_executor.h - node calls on a fixed pool of threads.
//
// WHAT THIS REPRESENTS
//   `threads` workers take submitted work in FIFO order; the thread calling
//   Run() fires the timers at their time (waiting on the real clock between
//   them). Time is the RealClock it owns.
//
// THREAD SAFETY
//   As Executor. The destructor joins the workers; do not destroy it while
//   Run() is executing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "pipeline/executor.h"

namespace facekit::pipeline {

class ThreadPoolExecutor final : public Executor {
 public:
  /// `threads` < 1 is treated as 1.
  explicit ThreadPoolExecutor(int threads);
  ~ThreadPoolExecutor() override;
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  Clock& clock() override { return clock_; }
  bool simulated() const override { return false; }
  void Submit(Work work, Callback done) override;
  void ScheduleAt(std::int64_t time_us, Callback fn) override;
  void Run() override;
  void Stop() override;
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  struct Task {
    Work work;
    Callback done;
  };
  struct Timer {
    std::int64_t time_us;
    std::uint64_t seq;
    Callback fn;
    bool operator>(const Timer& o) const { return time_us != o.time_us ? time_us > o.time_us : seq > o.seq; }
  };
  void WorkerLoop();

  RealClock clock_;
  std::mutex mu_;
  std::condition_variable work_cv_;                                        // workers wait for tasks
  std::condition_variable state_cv_;                                       // Run() waits for timers, completions, Stop
  std::deque<Task> tasks_;                                                 // guarded by mu_
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;  // guarded by mu_
  std::uint64_t timer_seq_ = 0;
  int active_ = 0;        // work or timer callbacks executing
  bool running_ = false;  // inside Run(): workers may take tasks
  bool stop_ = false;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace facekit::pipeline
