#include "agent/worker_pool.h"

#include <atomic>
#include <thread>

#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

using namespace std::chrono_literals;
using Clock = WorkerPool::Clock;

// Polls `done` for up to five seconds.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

struct EventFd {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ~EventFd() { ::close(fd); }
  void Signal() const {
    uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  }
  void Drain() const {
    uint64_t n;
    (void)!::read(fd, &n, sizeof n);
  }
};

// A worker the pool has let go of: waking it runs no step.
void ExpectNoMoreSteps(const EventFd& wake, const std::atomic<int>& steps) {
  const int before = steps;
  wake.Signal();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(steps, before);
}

TEST(WorkerPoolTest, StepRunsAtOnceThenWhenItsDescriptorIsReadable) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  const uint64_t id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    wake.Drain();
    ++steps;
    return Clock::now() + 1h;
  });
  ASSERT_TRUE(Eventually([&] { return steps == 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(steps, 1) << "nothing happened, so no step should run";
  wake.Signal();
  ASSERT_TRUE(Eventually([&] { return steps == 2; }));
  wake.Signal();
  ASSERT_TRUE(Eventually([&] { return steps == 3; }));
  pool.Remove(id);
}

TEST(WorkerPoolTest, StepRunsWhenTheTimeItAskedForComes) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  std::atomic<Clock::time_point> asked{}, second{};
  const uint64_t id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    if (steps == 0) {
      asked = Clock::now() + 150ms;
      ++steps;
      return asked.load();
    }
    if (steps == 1) second = Clock::now();
    ++steps;
    return Clock::now() + 1h;
  });
  ASSERT_TRUE(Eventually([&] { return steps == 2; }));
  EXPECT_GE(second.load(), asked.load());
  pool.Remove(id);
}

TEST(WorkerPoolTest, NeverRunsTwoStepsOfOneWorkerAtOnce) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> inside{0}, most{0}, steps{0};
  const uint64_t id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    wake.Drain();
    most = std::max(most.load(), ++inside);
    std::this_thread::sleep_for(5ms);
    --inside;
    ++steps;
    return Clock::now();  // due again at once, as well as woken
  });
  for (int i = 0; i < 200; ++i) {
    wake.Signal();
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(Eventually([&] { return steps > 20; }));
  pool.Remove(id);
  EXPECT_EQ(most, 1);
}

TEST(WorkerPoolTest, AWakeDuringAStepRunsAnotherStep) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  std::atomic<bool> in_first{false};
  const uint64_t id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    wake.Drain();
    if (steps == 0) {
      in_first = true;
      std::this_thread::sleep_for(100ms);  // woken meanwhile
    }
    ++steps;
    return Clock::now() + 1h;  // no timer to hide a lost wake-up
  });
  ASSERT_TRUE(Eventually([&] { return in_first.load(); }));
  wake.Signal();
  EXPECT_TRUE(Eventually([&] { return steps == 2; })) << "the wake during the first step was lost";
  pool.Remove(id);
}

TEST(WorkerPoolTest, ReadyWorkWaitsForAThreadBeyondMaxThreads) {
  WorkerPool::Options options;
  options.max_threads = 2;
  WorkerPool pool(options);
  constexpr int kWorkers = 6;
  EventFd wakes[kWorkers];
  std::atomic<int> inside{0}, most{0}, steps{0};
  std::vector<uint64_t> ids;
  for (auto& wake : wakes) {
    ids.push_back(pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
      wake.Drain();
      most = std::max(most.load(), ++inside);
      std::this_thread::sleep_for(20ms);
      --inside;
      ++steps;
      return Clock::now() + 1h;
    }));
  }
  ASSERT_TRUE(Eventually([&] { return steps == kWorkers; })) << "every worker runs in the end";
  EXPECT_LE(most, 2);
  EXPECT_LE(pool.threads(), 2u);
  for (uint64_t id : ids) pool.Remove(id);
}

TEST(WorkerPoolTest, BlockedStepsGetThreadsOfTheirOwnAndIdleThreadsEnd) {
  WorkerPool::Options options;
  options.idle_timeout = 100ms;
  WorkerPool pool(options);
  constexpr int kWorkers = 12;
  EventFd wakes[kWorkers];
  std::atomic<int> blocked{0};
  std::atomic<bool> release{false};
  std::vector<uint64_t> ids;
  for (auto& wake : wakes) {
    ids.push_back(pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
      wake.Drain();
      ++blocked;
      while (!release) std::this_thread::sleep_for(1ms);
      return Clock::now() + 1h;
    }));
  }
  // Every step is stuck at once: each must have been given a thread.
  ASSERT_TRUE(Eventually([&] { return blocked == kWorkers; }));
  EXPECT_GE(pool.threads(), static_cast<size_t>(kWorkers));
  release = true;
  EXPECT_TRUE(Eventually([&] { return pool.threads() == 0; })) << pool.threads() << " threads left";
  // Work after the threads have gone starts one again.
  wakes[3].Signal();
  ASSERT_TRUE(Eventually([&] { return blocked == kWorkers + 1; }));
  for (uint64_t id : ids) pool.Remove(id);
}

TEST(WorkerPoolTest, RemoveWaitsForTheRunningStepAndNoneRunsAfter) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  std::atomic<bool> in_step{false}, finished_step{false};
  const uint64_t id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    wake.Drain();
    if (++steps == 2) {
      in_step = true;
      std::this_thread::sleep_for(200ms);
      finished_step = true;
    }
    return Clock::now() + 10ms;
  });
  wake.Signal();
  ASSERT_TRUE(Eventually([&] { return in_step.load(); }));
  pool.Remove(id);
  EXPECT_TRUE(finished_step);
  ExpectNoMoreSteps(wake, steps);
  pool.Remove(id);  // again: ignored
}

TEST(WorkerPoolTest, AStepMayRemoveItsOwnWorker) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  uint64_t id = 0;
  std::atomic<bool> added{false};
  id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    while (!added) std::this_thread::sleep_for(1ms);
    ++steps;
    pool.Remove(id);
    return Clock::now();
  });
  added = true;
  ASSERT_TRUE(Eventually([&] { return steps == 1; }));
  ExpectNoMoreSteps(wake, steps);
}

TEST(WorkerPoolTest, AWorkerThatIsDoneIsForgotten) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    wake.Drain();
    ++steps;
    return std::nullopt;
  });
  ASSERT_TRUE(Eventually([&] { return steps == 1; }));
  ExpectNoMoreSteps(wake, steps);
}

TEST(WorkerPoolTest, AStepThatThrowsRunsAgain) {
  WorkerPool pool;
  EventFd wake;
  std::atomic<int> steps{0};
  const uint64_t id = pool.Add(wake.fd, [&]() -> std::optional<Clock::time_point> {
    if (++steps == 1) throw std::runtime_error("first pass fails");
    return Clock::now() + 1h;
  });
  ASSERT_TRUE(Eventually([&] { return steps == 2; }));
  pool.Remove(id);
}

}  // namespace
}  // namespace mlkube::agent
