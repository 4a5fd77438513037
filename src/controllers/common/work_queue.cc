#include "controllers/common/work_queue.h"

#include <algorithm>

namespace mlkube::controllers {

using namespace std::chrono_literals;

WorkQueue::WorkQueue(const std::string& name) {
  if (name.empty()) return;
  auto& reg = metrics::ControlPlane().registry();
  const prometheus::Labels labels = {{"name", name}};
  // client-go's buckets: 10 ns to 10 s, by tens.
  const prometheus::Histogram::BucketBoundaries buckets = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};
  depth_ = &prometheus::BuildGauge().Name("workqueue_depth").Help("Current depth of the work queue").Register(reg).Add(labels);
  adds_ = &prometheus::BuildCounter().Name("workqueue_adds_total").Help("Keys added to the work queue").Register(reg).Add(labels);
  retries_ = &prometheus::BuildCounter()
                  .Name("workqueue_retries_total")
                  .Help("Keys requeued after a failed sync")
                  .Register(reg)
                  .Add(labels);
  queue_duration_ = &prometheus::BuildHistogram()
                         .Name("workqueue_queue_duration_seconds")
                         .Help("How long a key waits in the queue before a worker takes it")
                         .Register(reg)
                         .Add(labels, buckets);
  work_duration_ = &prometheus::BuildHistogram()
                        .Name("workqueue_work_duration_seconds")
                        .Help("How long a worker takes to sync a key")
                        .Register(reg)
                        .Add(labels, buckets);
}

WorkQueue::Clock::duration WorkQueue::Backoff(int failures) {
  const auto cap = std::chrono::duration_cast<Clock::duration>(1000s);
  Clock::duration d = 5ms;
  for (int i = 0; i < failures && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;  // Done queues it again
  Push(key);
}

void WorkQueue::Push(const std::string& key) {
  queue_.push_back(key);
  if (depth_) {
    adds_->Increment();
    depth_->Set(static_cast<double>(queue_.size()));
    queued_at_.emplace(key, Clock::now());
  }
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, Clock::duration delay) {
  if (delay <= Clock::duration::zero()) return Add(key);
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  const Clock::time_point at = Clock::now() + delay;
  // One pending time per key, the earliest: syncs that each ask to look again later must not
  // pile up entries (a deadline days away, asked for on every event).
  if (auto it = due_.find(key); it != due_.end() && it->second <= at) return;
  due_[key] = at;
  delayed_.emplace(at, key);
  cv_.notify_one();  // a worker may need to sleep less
}

void WorkQueue::AddRateLimited(const std::string& key) {
  Clock::duration delay;
  {
    std::lock_guard lock(mu_);
    delay = Backoff(failures_[key]++);
    if (retries_) retries_->Increment();
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Retries(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteLocked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    auto [at, key] = *delayed_.begin();
    delayed_.erase(delayed_.begin());
    auto it = due_.find(key);
    if (it == due_.end() || it->second != at) continue;  // superseded by an earlier time
    due_.erase(it);
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mu_);
  while (true) {
    PromoteLocked(Clock::now());
    if (shutting_down_) return std::nullopt;
    if (!queue_.empty()) break;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      const Clock::time_point next = delayed_.begin()->first;  // a copy: the entry may go while waiting
      cv_.wait_until(lock, next);
    }
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  if (depth_) {
    const Clock::time_point now = Clock::now();
    depth_->Set(static_cast<double>(queue_.size()));
    if (auto it = queued_at_.find(key); it != queued_at_.end()) {
      queue_duration_->Observe(std::chrono::duration<double>(now - it->second).count());
      queued_at_.erase(it);
    }
    started_at_[key] = now;
  }
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (depth_) {
    if (auto it = started_at_.find(key); it != started_at_.end()) {
      work_duration_->Observe(std::chrono::duration<double>(Clock::now() - it->second).count());
      started_at_.erase(it);
    }
  }
  if (dirty_.count(key)) Push(key);
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace mlkube::controllers
