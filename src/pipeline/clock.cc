#include "pipeline/clock.h"

#include <chrono>
#include <thread>

namespace facekit::pipeline {
namespace {

std::int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RealClock::RealClock() : origin_ns_(SteadyNanos()) {}

std::int64_t RealClock::NowMicros() const { return (SteadyNanos() - origin_ns_) / 1000; }

void RealClock::SleepUntil(std::int64_t time_us) {
  const std::int64_t now = NowMicros();
  if (time_us > now) std::this_thread::sleep_for(std::chrono::microseconds(time_us - now));
}

void SimulatedClock::AdvanceTo(std::int64_t time_us) {
  std::int64_t now = now_.load(std::memory_order_acquire);
  while (time_us > now && !now_.compare_exchange_weak(now, time_us, std::memory_order_acq_rel)) {
  }
}

}  // namespace facekit::pipeline
