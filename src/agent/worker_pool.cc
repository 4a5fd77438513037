#include "agent/worker_pool.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <system_error>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/stack.h"

namespace mlkube::agent {

using namespace std::chrono_literals;

WorkerPool::WorkerPool(Options options) : options_(std::move(options)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  kick_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || kick_fd_ < 0) throw std::system_error(errno, std::system_category(), "worker pool");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, kick_fd_, &ev);
  reactor_ = std::thread([this] { Reactor(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    ready_.clear();
  }
  work_cv_.notify_all();
  Kick();
  reactor_.join();
  {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return threads_ == 0; });
  }
  ::close(kick_fd_);
  ::close(epoll_fd_);
}

size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

void WorkerPool::Kick() {
  uint64_t one = 1;
  (void)!::write(kick_fd_, &one, sizeof one);
}

uint64_t WorkerPool::Add(int fd, Step step) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_id_++;
  auto e = std::make_unique<Entry>();
  e->fd = fd;
  e->step = std::move(step);
  e->state = State::kWaiting;
  // Registered disarmed: the first step runs now, and arms it when it ends.
  epoll_event ev{};
  ev.events = EPOLLONESHOT;
  ev.data.u64 = id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::system_error(errno, std::system_category(), "worker pool: watching a worker");
  }
  Entry& ref = *e;
  entries_.emplace(id, std::move(e));
  MakeReady(id, ref);
  return id;
}

void WorkerPool::Remove(uint64_t id) {
  std::unique_lock lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = *it->second;
  e.removing = true;
  if (e.state == State::kRunning) {
    if (e.runner == std::this_thread::get_id()) return;  // forgotten when the step returns
    done_cv_.wait(lock, [&] { return !entries_.count(id); });
    return;
  }
  if (e.state == State::kQueued) ready_.erase(std::remove(ready_.begin(), ready_.end(), id), ready_.end());
  Forget(id, e);
}

void WorkerPool::Forget(uint64_t id, Entry& e) {
  timers_.erase({e.due, id});
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, e.fd, nullptr);
  entries_.erase(id);
  done_cv_.notify_all();
}

void WorkerPool::MakeReady(uint64_t id, Entry& e) {
  if (stopping_) return;
  timers_.erase({e.due, id});
  e.state = State::kQueued;
  ready_.push_back(id);
  if (ready_.size() <= idle_) {
    work_cv_.notify_one();
    return;
  }
  if (threads_ >= options_.max_threads) return;  // a busy thread takes it when it is done
  ++threads_;
  try {
    std::thread([this] { Work(); }).detach();
  } catch (const std::system_error& err) {
    --threads_;  // out of threads for now: the work waits for a running one
    std::fprintf(stderr, "mlkube: agent: worker pool: %s\n", err.what());
  }
}

void WorkerPool::Reactor() {
  ::pthread_setname_np(::pthread_self(), "pod-reactor");
  epoll_event events[64];
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int timeout_ms = -1;
    if (!timers_.empty()) {
      const auto left = timers_.begin()->first - Clock::now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::ceil<std::chrono::milliseconds>(left).count(), 0, 60000));
    }
    lock.unlock();
    const int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
    lock.lock();
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == 0) {
        uint64_t drained;
        (void)!::read(kick_fd_, &drained, sizeof drained);
        continue;
      }
      auto it = entries_.find(id);
      // One queued or running by its timer: its step re-arms the descriptor when it ends.
      if (it != entries_.end() && it->second->state == State::kWaiting) MakeReady(id, *it->second);
    }
    const auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      const uint64_t id = timers_.begin()->second;
      MakeReady(id, *entries_.at(id));
    }
  }
}

void WorkerPool::Work() {
  ::pthread_setname_np(::pthread_self(), options_.thread_name.substr(0, 15).c_str());
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    const bool woken = work_cv_.wait_for(lock, options_.idle_timeout, [&] { return stopping_ || !ready_.empty(); });
    --idle_;
    if (ready_.empty()) {
      if (stopping_ || !woken) break;
      continue;
    }
    const uint64_t id = ready_.front();
    ready_.pop_front();
    Entry& e = *entries_.at(id);
    e.state = State::kRunning;
    e.runner = std::this_thread::get_id();
    lock.unlock();
    std::optional<Clock::time_point> next;
    try {
      next = e.step();
    } catch (const std::exception& err) {
      // Level-triggered: the next pass tries again.
      std::fprintf(stderr, "mlkube: agent: worker: %s\n", err.what());
      next = Clock::now() + 1s;
    }
    lock.lock();
    e.runner = {};
    if (e.removing || !next) {
      Forget(id, e);
      continue;
    }
    e.state = State::kWaiting;
    e.due = *next;
    const bool earliest = timers_.empty() || e.due < timers_.begin()->first;
    timers_.emplace(e.due, id);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = id;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, e.fd, &ev);
    if (earliest) Kick();
  }
  --threads_;
  // glibc keeps a finished thread's stack, pages and all, for the next thread.
  ReleaseUnusedStack();
  done_cv_.notify_all();
}

}  // namespace mlkube::agent
