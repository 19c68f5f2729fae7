#include "pipeline/thread_pool_executor.h"

#include <chrono>
#include <utility>

namespace facekit::pipeline {

ThreadPoolExecutor::ThreadPoolExecutor(int threads) {
  const int n = threads < 1 ? 1 : threads;
  workers_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPoolExecutor::Submit(Work work, Callback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back({std::move(work), std::move(done)});
  }
  work_cv_.notify_one();
  state_cv_.notify_all();
}

void ThreadPoolExecutor::ScheduleAt(std::int64_t time_us, Callback fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    timers_.push({time_us, timer_seq_++, std::move(fn)});
  }
  state_cv_.notify_all();
}

void ThreadPoolExecutor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  state_cv_.notify_all();
}

void ThreadPoolExecutor::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return shutdown_ || (running_ && !stop_ && !tasks_.empty()); });
    if (shutdown_) return;
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    ++active_;
    lock.unlock();
    (void)task.work();
    task.done();
    lock.lock();
    --active_;
    state_cv_.notify_all();
  }
}

void ThreadPoolExecutor::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  running_ = true;
  stop_ = false;
  work_cv_.notify_all();
  for (;;) {
    while (!stop_ && !timers_.empty() && timers_.top().time_us <= clock_.NowMicros()) {
      Callback fn = timers_.top().fn;
      timers_.pop();
      ++active_;
      lock.unlock();
      fn();
      lock.lock();
      --active_;
    }
    if (stop_ && active_ == 0) break;
    if (!stop_ && active_ == 0 && tasks_.empty() && timers_.empty()) break;  // nothing left to do
    if (!stop_ && !timers_.empty()) {
      const std::int64_t wait_us = timers_.top().time_us - clock_.NowMicros();
      state_cv_.wait_for(lock, std::chrono::microseconds(wait_us > 0 ? wait_us : 0));
    } else {
      state_cv_.wait(lock);
    }
  }
  running_ = false;
  tasks_.clear();
  while (!timers_.empty()) timers_.pop();
}

}  // namespace facekit::pipeline
