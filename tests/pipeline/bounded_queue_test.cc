#include "pipeline/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace facekit::pipeline {
namespace {

TEST(PipelineBoundedQueue, BlockPolicyRefusesWhenFullWithoutDropping) {
  BoundedQueue<int> q(2, QueuePolicy::kBlock);
  EXPECT_EQ(q.TryPush(1), PushResult::kPushed);
  EXPECT_EQ(q.TryPush(2), PushResult::kPushed);
  EXPECT_EQ(q.TryPush(3), PushResult::kFull);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.dropped(), 0u);
  EXPECT_EQ(*q.TryPop(), 1);
  EXPECT_EQ(q.TryPush(3), PushResult::kPushed);
  EXPECT_EQ(*q.TryPop(), 2);
  EXPECT_EQ(*q.TryPop(), 3);
  EXPECT_FALSE(q.TryPop().has_value());
  EXPECT_EQ(q.high_water(), 2u);
  EXPECT_EQ(q.pushed(), 3u);
}

TEST(PipelineBoundedQueue, DropOldestKeepsTheNewestAndCounts) {
  BoundedQueue<int> q(2, QueuePolicy::kDropOldest);
  EXPECT_EQ(q.TryPush(1), PushResult::kPushed);
  EXPECT_EQ(q.TryPush(2), PushResult::kPushed);
  EXPECT_EQ(q.TryPush(3), PushResult::kPushedDropped);
  EXPECT_EQ(q.TryPush(4), PushResult::kPushedDropped);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_EQ(*q.TryPop(), 3);
  EXPECT_EQ(*q.TryPop(), 4);
}

TEST(PipelineBoundedQueue, DropNewestKeepsTheOldestAndCounts) {
  BoundedQueue<int> q(2, QueuePolicy::kDropNewest);
  EXPECT_EQ(q.TryPush(1), PushResult::kPushed);
  EXPECT_EQ(q.TryPush(2), PushResult::kPushed);
  EXPECT_EQ(q.TryPush(3), PushResult::kDropped);
  EXPECT_EQ(q.Push(4), PushResult::kDropped);  // Push never waits under a drop policy
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_EQ(*q.TryPop(), 1);
  EXPECT_EQ(*q.TryPop(), 2);
}

TEST(PipelineBoundedQueue, CloseRefusesPushesAndDrains) {
  BoundedQueue<int> q(4, QueuePolicy::kBlock);
  ASSERT_EQ(q.TryPush(1), PushResult::kPushed);
  q.Close();
  EXPECT_TRUE(q.closed());
  EXPECT_FALSE(q.drained());
  EXPECT_EQ(q.TryPush(2), PushResult::kClosed);
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_TRUE(q.drained());
  EXPECT_FALSE(q.Pop().has_value());  // does not wait once closed and empty
}

TEST(PipelineBoundedQueue, CapacityZeroMeansOne) {
  BoundedQueue<int> q(0, QueuePolicy::kDropOldest);
  EXPECT_EQ(q.capacity(), 1u);
}

// Real threads; the assertions are invariants, not timings.
void Stress(QueuePolicy policy) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 20000;
  constexpr std::size_t kCapacity = 8;
  BoundedQueue<int> q(kCapacity, policy);
  std::atomic<bool> done{false};
  std::atomic<std::size_t> worst{0};
  std::atomic<std::int64_t> accepted{0};
  std::atomic<std::int64_t> popped{0};

  std::thread watcher([&] {
    while (!done.load()) {
      const std::size_t s = q.size();
      if (s > worst.load()) worst.store(s);
    }
  });
  std::thread consumer([&] {
    while (q.Pop().has_value()) popped.fetch_add(1);
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        const PushResult r = (i % 2 == 0) ? q.Push(p * kPerProducer + i) : q.TryPush(p * kPerProducer + i);
        if (r == PushResult::kPushed || r == PushResult::kPushedDropped) accepted.fetch_add(1);
        if (r == PushResult::kFull) {  // only the block policy refuses; retry blocking
          ASSERT_EQ(policy, QueuePolicy::kBlock);
          ASSERT_EQ(q.Push(p * kPerProducer + i), PushResult::kPushed);
          accepted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : producers) t.join();
  q.Close();
  consumer.join();
  done.store(true);
  watcher.join();

  EXPECT_LE(worst.load(), kCapacity);
  EXPECT_LE(q.high_water(), kCapacity);
  EXPECT_GE(q.high_water(), 1u);
  const std::int64_t total = kProducers * kPerProducer;
  // Everything offered is either consumed or counted as dropped.
  EXPECT_EQ(static_cast<std::int64_t>(q.pushed()), accepted.load());
  if (policy == QueuePolicy::kBlock) {
    EXPECT_EQ(q.dropped(), 0u);
    EXPECT_EQ(popped.load(), total);
  } else if (policy == QueuePolicy::kDropNewest) {
    EXPECT_EQ(popped.load() + static_cast<std::int64_t>(q.dropped()), total);
    EXPECT_EQ(accepted.load(), popped.load());
  } else {
    EXPECT_EQ(popped.load() + static_cast<std::int64_t>(q.dropped()), total);
  }
}

TEST(PipelineBoundedQueue, StressBlockNeverExceedsCapacityAndLosesNothing) { Stress(QueuePolicy::kBlock); }
TEST(PipelineBoundedQueue, StressDropOldestNeverExceedsCapacityAndCountsDrops) { Stress(QueuePolicy::kDropOldest); }
TEST(PipelineBoundedQueue, StressDropNewestNeverExceedsCapacityAndCountsDrops) { Stress(QueuePolicy::kDropNewest); }

}  // namespace
}  // namespace facekit::pipeline
