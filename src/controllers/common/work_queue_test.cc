#include "controllers/common/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace mlkube::controllers {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueueTest, KeysQueuedTwiceAreProcessedOnce) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, AKeyAddedWhileHeldComesBackAfterDoneNotBefore) {
  WorkQueue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");  // changed again while a worker holds it
  EXPECT_EQ(q.Len(), 0u) << "a second worker must not get it while the first holds it";
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, BackoffDoublesFromFiveMillisecondsToAThousandSeconds) {
  EXPECT_EQ(WorkQueue::Backoff(0), std::chrono::duration_cast<WorkQueue::Clock::duration>(5ms));
  EXPECT_EQ(WorkQueue::Backoff(1), std::chrono::duration_cast<WorkQueue::Clock::duration>(10ms));
  EXPECT_EQ(WorkQueue::Backoff(10), std::chrono::duration_cast<WorkQueue::Clock::duration>(5120ms));
  EXPECT_EQ(WorkQueue::Backoff(40), std::chrono::duration_cast<WorkQueue::Clock::duration>(1000s));
  WorkQueue q;
  q.AddRateLimited("a");
  q.AddRateLimited("a");
  EXPECT_EQ(q.Retries("a"), 2);
  q.Forget("a");
  EXPECT_EQ(q.Retries("a"), 0);
}

TEST(WorkQueueTest, DelayedKeysArriveInTimeOrderAndShutDownWakesWorkers) {
  WorkQueue q;
  q.AddAfter("late", 60ms);
  q.AddAfter("early", 20ms);
  EXPECT_EQ(q.Len(), 0u);
  EXPECT_EQ(q.Get(), "early");
  EXPECT_EQ(q.Get(), "late");
  std::thread worker([&] { EXPECT_EQ(q.Get(), std::nullopt); });
  q.ShutDown();
  worker.join();
}

}  // namespace
}  // namespace mlkube::controllers
