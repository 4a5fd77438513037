#include "store/watch_cache.h"

#include <algorithm>
#include <condition_variable>

namespace mlkube::store {

class WatchCache::WatcherImpl : public Watcher {
 public:
  WatcherImpl(std::string prefix, Filter filter, size_t limit, uint64_t from_rv)
      : prefix_(std::move(prefix)), filter_(std::move(filter)), limit_(limit),
        progress_rv_(from_rv) {}

  uint64_t progress() const {
    std::lock_guard lock(mu_);
    return progress_rv_;
  }

  bool Next(Event* event, std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return !queue_.empty() || ended_; });
    if (queue_.empty()) return false;
    *event = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

  std::vector<Event> Drain() override {
    std::lock_guard lock(mu_);
    std::vector<Event> out(std::make_move_iterator(queue_.begin()),
                           std::make_move_iterator(queue_.end()));
    queue_.clear();
    return out;
  }

  bool ended() const override {
    std::lock_guard lock(mu_);
    return ended_ && queue_.empty();
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      ended_ = true;
    }
    cv_.notify_all();
  }

  bool stopped() const {
    std::lock_guard lock(mu_);
    return ended_;
  }

  // Translates a store event into what this watcher should see, or nothing.
  void Offer(const Event& e) {
    {
      // Every event is offered in revision order, so after this one the watcher has seen all
      // up to its revision; older ones (already in the client's starting list) are skipped.
      std::lock_guard lock(mu_);
      if (e.object->rv <= progress_rv_) return;
      progress_rv_ = e.object->rv;
    }
    if (e.object->key.compare(0, prefix_.size(), prefix_) != 0) return;
    Event out = e;
    if (filter_) {
      bool now = e.type != EventType::kDeleted && filter_(*e.object);
      bool before = e.prev && filter_(e.type == EventType::kDeleted ? *e.object : *e.prev);
      if (e.type == EventType::kDeleted) {
        if (!before) return;
      } else if (now && !before) {
        out.type = EventType::kAdded;
      } else if (!now && before) {
        out.type = EventType::kDeleted;
      } else if (!now) {
        return;
      }
    }
    Push(std::move(out));
  }

 private:
  void Push(Event e) {
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      if (queue_.size() >= limit_) {
        ended_ = true;  // too slow: end the watch; the client re-lists and resumes
      } else {
        queue_.push_back(std::move(e));
      }
    }
    cv_.notify_one();
  }

  const std::string prefix_;
  const Filter filter_;
  const size_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> queue_;
  bool ended_ = false;
  uint64_t progress_rv_;  // every event up to this revision has been offered
};

WatchCache::WatchCache(size_t window_capacity, size_t watcher_queue_limit)
    : window_capacity_(window_capacity), watcher_queue_limit_(watcher_queue_limit) {}

WatchCache::~WatchCache() { StopAll(); }

void WatchCache::Load(std::vector<ObjectPtr> objects, uint64_t rv) {
  std::scoped_lock lock(objects_mu_, watch_mu_);
  objects_.clear();
  for (auto& o : objects) objects_.emplace(o->key, std::move(o));
  rv_ = rv;
  window_.clear();
  window_floor_ = rv;
}

void WatchCache::Apply(const std::vector<Change>& batch) {
  if (batch.empty()) return;
  std::vector<Event> events;
  events.reserve(batch.size());
  {
    std::unique_lock lock(objects_mu_);
    for (const auto& c : batch) {
      auto it = objects_.find(c.object->key);
      ObjectPtr prev = it == objects_.end() ? nullptr : it->second;
      if (c.deleted) {
        if (it != objects_.end()) objects_.erase(it);
        events.push_back({EventType::kDeleted, c.object, prev});
      } else {
        if (it == objects_.end()) {
          objects_.emplace(c.object->key, c.object);
        } else {
          it->second = c.object;
        }
        events.push_back({prev ? EventType::kModified : EventType::kAdded, c.object, prev});
      }
      rv_ = c.object->rv;
    }
  }
  std::lock_guard lock(watch_mu_);
  for (auto& e : events) {
    Deliver(e);
    window_.push_back(std::move(e));
  }
  while (window_.size() > window_capacity_) {
    window_floor_ = window_.front().object->rv;
    window_.pop_front();
  }
}

void WatchCache::Deliver(const Event& event) {
  bool any_stopped = false;
  for (auto& w : watchers_) {
    w->Offer(event);
    any_stopped |= w->stopped();
  }
  if (any_stopped) {
    std::erase_if(watchers_, [](const auto& w) { return w->stopped(); });
  }
}

ObjectPtr WatchCache::Get(std::string_view key) const {
  std::shared_lock lock(objects_mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

ListResult WatchCache::List(std::string_view prefix, std::string_view start_after, size_t limit,
                            const Filter& filter) const {
  ListResult out;
  std::shared_lock lock(objects_mu_);
  out.rv = rv_;
  auto it = start_after.empty() ? objects_.lower_bound(prefix) : objects_.upper_bound(start_after);
  for (; it != objects_.end(); ++it) {
    const auto& key = it->first;
    if (key.compare(0, prefix.size(), prefix) != 0) break;
    if (filter && !filter(*it->second)) continue;
    if (limit && out.items.size() == limit) {
      out.last_key = out.items.back()->key;
      break;
    }
    out.items.push_back(it->second);
  }
  return out;
}

Result<std::unique_ptr<Watcher>> WatchCache::Watch(std::string prefix, uint64_t from_rv,
                                                   Filter filter) {
  auto w = std::make_shared<WatcherImpl>(std::move(prefix), std::move(filter),
                                         watcher_queue_limit_, from_rv);
  std::lock_guard lock(watch_mu_);
  if (from_rv < window_floor_) {
    return Status(Code::kGone, "too old resource version: " + std::to_string(from_rv) + " (" +
                                   std::to_string(window_floor_ + 1) + ")");
  }
  // Replay what the window holds after from_rv, then go live: both under watch_mu_, so no event
  // is missed or seen twice.
  auto first = std::upper_bound(window_.begin(), window_.end(), from_rv,
                                [](uint64_t rv, const Event& e) { return rv < e.object->rv; });
  for (auto it = first; it != window_.end(); ++it) w->Offer(*it);
  watchers_.push_back(w);
  // The caller owns the watcher; the cache keeps a shared reference until it is stopped.
  struct Handle : Watcher {
    std::shared_ptr<WatcherImpl> impl;
    explicit Handle(std::shared_ptr<WatcherImpl> i) : impl(std::move(i)) {}
    ~Handle() override { impl->Stop(); }
    bool Next(Event* e, std::chrono::steady_clock::time_point d) override {
      return impl->Next(e, d);
    }
    std::vector<Event> Drain() override { return impl->Drain(); }
    bool ended() const override { return impl->ended(); }
    void Stop() override { impl->Stop(); }
    uint64_t progress() const override { return impl->progress(); }
  };
  return std::unique_ptr<Watcher>(std::make_unique<Handle>(std::move(w)));
}

uint64_t WatchCache::rv() const {
  std::shared_lock lock(objects_mu_);
  return rv_;
}

size_t WatchCache::size() const {
  std::shared_lock lock(objects_mu_);
  return objects_.size();
}

void WatchCache::StopAll() {
  std::lock_guard lock(watch_mu_);
  for (auto& w : watchers_) w->Stop();
  watchers_.clear();
}

}  // namespace mlkube::store
