#pragma once
// Runs many level-triggered workers on a few threads. A worker is a step function and a file
// descriptor (an epoll set of its own, an eventfd, ...): the pool runs the step when the
// descriptor becomes readable or when the time the last step asked for comes, never two steps
// of one worker at once. An idle pod therefore costs no thread, no stack and no malloc
// thread cache, which a thread per pod did (about 100 KiB a pod, most of the agent's memory).
// Steps may block (a pod's grace period, a shim starting): a new thread is started whenever
// work is ready and every thread is busy, and a thread idle for `idle_timeout` ends.
// Thread-safety: all methods from any thread; Remove also from within the worker's own step.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace mlkube::agent {

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  // One pass of a worker; returns when to run again without an event, or nullopt when the
  // worker is done for good (the pool forgets it).
  using Step = std::function<std::optional<Clock::time_point>()>;

  struct Options {
    std::chrono::milliseconds idle_timeout{5000};
    size_t max_threads = 512;          // beyond it, ready work waits for a thread
    std::string thread_name = "pod-worker";
  };

  WorkerPool() : WorkerPool(Options{}) {}
  explicit WorkerPool(Options options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `step` soon, then whenever `fd` is readable (level-triggered: a step must consume
  // what woke it) or its time comes. `fd` must stay open until Remove returns or the worker
  // is done. Returns the worker's id.
  uint64_t Add(int fd, Step step);
  // After this returns no step of `id` runs (it waits for one that is running, unless called
  // from that very step). Unknown or finished ids are ignored.
  void Remove(uint64_t id);

  // Threads now running or waiting for work (for tests and metrics).
  size_t threads() const;

 private:
  enum class State { kWaiting, kQueued, kRunning };
  struct Entry {
    int fd = -1;
    Step step;
    State state = State::kQueued;
    Clock::time_point due{};
    bool removing = false;
    std::thread::id runner;
  };

  void Reactor();
  void Work();
  // Under mu_: `e` (waiting) goes to the ready queue, and a thread is started if none is free.
  void MakeReady(uint64_t id, Entry& e);
  // Under mu_: forgets `id` (its descriptor leaves the epoll set).
  void Forget(uint64_t id, Entry& e);
  void Kick();

  const Options options_;
  int epoll_fd_ = -1;
  int kick_fd_ = -1;  // wakes the reactor (a new timer, stopping)
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::map<uint64_t, std::unique_ptr<Entry>> entries_;
  std::set<std::pair<Clock::time_point, uint64_t>> timers_;  // waiting entries by due time
  std::deque<uint64_t> ready_;
  uint64_t next_id_ = 1;  // 0 is the kick descriptor's
  size_t threads_ = 0, idle_ = 0;
  bool stopping_ = false;
  std::thread reactor_;
};

}  // namespace mlkube::agent
