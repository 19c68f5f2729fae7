#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "pipeline/cpu_meter.h"
#include "pipeline/simulated_cpu_meter.h"
#include "pipeline/simulated_executor.h"
#include "pipeline/thread_pool_executor.h"

namespace facekit::pipeline {
namespace {

TEST(PipelineExecutor, SimulatedWorkTakesItsDeclaredTimeOnLimitedWorkers) {
  SimulatedClock clock;
  SimulatedExecutor ex(/*workers=*/2, &clock);
  std::vector<std::string> log;
  for (int i = 0; i < 3; ++i) {
    ex.Submit([i] { return std::int64_t{10 + i}; },
              [&, i] { log.push_back("done " + std::to_string(i) + " at " + std::to_string(clock.NowMicros())); });
  }
  ex.ScheduleAt(5, [&] { log.push_back("timer at " + std::to_string(clock.NowMicros())); });
  ex.Run();
  // Two workers: tasks 0 and 1 start at 0; task 2 starts when task 0 ends (10) and ends at 22.
  EXPECT_EQ(log, (std::vector<std::string>{"timer at 5", "done 0 at 10", "done 1 at 11", "done 2 at 22"}));
  EXPECT_EQ(clock.NowMicros(), 22);
  EXPECT_DOUBLE_EQ(ex.busy_micros(), 10 + 11 + 12);
}

TEST(PipelineExecutor, SimulatedStopDiscardsWhatIsLeft) {
  SimulatedClock clock;
  SimulatedExecutor ex(1, &clock);
  int fired = 0;
  ex.ScheduleAt(10, [&] {
    ++fired;
    ex.Stop();
  });
  ex.ScheduleAt(20, [&] { ++fired; });
  ex.Run();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(clock.NowMicros(), 10);
}

TEST(PipelineExecutor, ThreadPoolRunsEverythingAndReturnsWhenIdle) {
  ThreadPoolExecutor ex(3);
  std::atomic<int> work{0};
  std::atomic<int> done{0};
  std::atomic<int> timers{0};
  for (int i = 0; i < 100; ++i) {
    ex.Submit([&] { return std::int64_t{work.fetch_add(1) * 0}; }, [&] { done.fetch_add(1); });
  }
  ex.ScheduleAt(ex.clock().NowMicros() + 1000, [&] {
    timers.fetch_add(1);
    ex.Submit([&] { return std::int64_t{0}; }, [&] { done.fetch_add(1); });  // work from a timer
  });
  ex.Run();
  EXPECT_EQ(work.load(), 100);
  EXPECT_EQ(done.load(), 101);
  EXPECT_EQ(timers.load(), 1);
}

TEST(PipelineExecutor, ThreadPoolStopFromWork) {
  ThreadPoolExecutor ex(2);
  std::atomic<int> done{0};
  ex.Submit(
      [&] {
        ex.Stop();
        return std::int64_t{0};
      },
      [&] { done.fetch_add(1); });
  ex.ScheduleAt(ex.clock().NowMicros() + 60 * 1000000LL, [] {});  // would keep Run busy for a minute
  ex.Run();
  EXPECT_EQ(done.load(), 1);
}

TEST(PipelineCpuMeter, UtilisationBetweenReadings) {
  CpuTimes a;
  CpuTimes b;
  b.cores = 4;
  b.wall_us = 1e6;
  b.process_cpu_us = 1e6;  // one core of four
  b.host_total_us = 4e6;
  b.host_busy_us = 2e6;
  const CpuUtilisation u = UtilisationBetween(a, b);
  EXPECT_DOUBLE_EQ(u.process, 0.25);
  EXPECT_DOUBLE_EQ(u.host, 0.5);
  const CpuUtilisation none = UtilisationBetween(b, b);
  EXPECT_EQ(none.process, 0);
}

TEST(PipelineCpuMeter, ParsesProcStatAndReadsTheRealMachine) {
  auto t = ParseProcStat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n", 100);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_DOUBLE_EQ(t->host_total_us, 1000 * 1e4);
  EXPECT_DOUBLE_EQ(t->host_busy_us, 150 * 1e4);
  EXPECT_FALSE(ParseProcStat("intr 1 2 3", 100).ok());

  ProcessCpuMeter meter;
  auto r = meter.Read();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->host_total_us, 0);
  EXPECT_GE(r->cores, 1);
  EXPECT_EQ(ProcessCpuMeter("/nonexistent/stat").Read().status().code(), StatusCode::kIoError);
}

TEST(PipelineCpuMeter, SimulatedMeterIntegratesExternalLoadSteps) {
  SimulatedClock clock;
  SimulatedExecutor ex(2, &clock);
  LoadProfile load;
  load.Step(1000, 1.0).Step(3000, 0.5);
  EXPECT_EQ(load.CoresAt(999), 0);
  EXPECT_EQ(load.CoresAt(1000), 1.0);
  EXPECT_DOUBLE_EQ(load.IntegralUntil(4000), 2000 * 1.0 + 1000 * 0.5);
  SimulatedCpuMeter meter(&ex, 2, load);
  ex.Submit([] { return std::int64_t{4000}; }, [] {});  // one core busy for 4 ms
  ex.Run();
  auto t = meter.Read();
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->process_cpu_us, 4000);
  EXPECT_DOUBLE_EQ(t->host_busy_us, 4000 + 2500);
  const CpuUtilisation u = UtilisationBetween(CpuTimes{0, 0, 0, 0, 2}, *t);
  EXPECT_DOUBLE_EQ(u.process, 0.5);
  EXPECT_DOUBLE_EQ(u.host, 6500.0 / 8000.0);
}

}  // namespace
}  // namespace facekit::pipeline
