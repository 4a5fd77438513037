#pragma once
// The controllers' work queue, with client-go's semantics (util/workqueue): a key queued
// several times before a worker takes it is processed once; a key queued while a worker holds
// it is processed again after Done, never by two workers at once; failures come back after a
// per-key exponential delay (5 ms doubling to 1000 s) until Forget. A named queue reports
// client-go's workqueue_* metrics (depth, adds, retries, queue and work durations) under its name.
// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/metrics.h"

namespace mlkube::controllers {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(const std::string& name = "");

  void Add(const std::string& key);
  void AddAfter(const std::string& key, Clock::duration delay);
  // Requeues after this key's next back-off delay.
  void AddRateLimited(const std::string& key);
  // Resets the key's back-off (after a successful sync).
  void Forget(const std::string& key);
  int Retries(const std::string& key) const;

  // Blocks until a key is ready; nullopt once shut down.
  std::optional<std::string> Get();
  void Done(const std::string& key);
  void ShutDown();
  size_t Len() const;

  // The back-off delay of a key's nth failure (n from 0).
  static Clock::duration Backoff(int failures);

 private:
  void AddLocked(const std::string& key);
  void Push(const std::string& key);  // onto queue_, counted
  // Moves delayed keys whose time has come into the queue.
  void PromoteLocked(Clock::time_point now);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued, or to queue again after Done
  std::set<std::string> processing_;  // held by a worker
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, Clock::time_point> due_;  // each delayed key's earliest time; later ones are dropped
  std::map<std::string, int> failures_;
  bool shutting_down_ = false;

  // Metrics of a named queue (all null for an unnamed one).
  prometheus::Gauge* depth_ = nullptr;
  prometheus::Counter* adds_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Histogram* queue_duration_ = nullptr;
  prometheus::Histogram* work_duration_ = nullptr;
  std::map<std::string, Clock::time_point> queued_at_, started_at_;
};

}  // namespace mlkube::controllers
