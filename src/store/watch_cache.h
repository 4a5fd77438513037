#pragma once
// The in-memory face of a Store backend: the committed objects in key order (for get and list),
// a window of recent events (for watches that resume from a revision), and the live watchers.
// A backend feeds it committed batches in revision order; it never sees uncommitted writes, so
// nothing a reader observes can be lost in a crash.
// Thread-safety: all methods may be called from any thread. Apply() must be called by one thread
// at a time, in revision order.

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "store/store.h"

namespace mlkube::store {

class WatchCache {
 public:
  // window_capacity: how many recent events are kept for resuming watches.
  // watcher_queue_limit: a watcher that falls this many events behind is ended (the client
  // re-lists), so one stuck client cannot grow the server's memory without bound.
  explicit WatchCache(size_t window_capacity = 200000, size_t watcher_queue_limit = 200000);
  ~WatchCache();

  // Replaces the contents at start-up; no events are produced. Watches may resume from `rv` on.
  void Load(std::vector<ObjectPtr> objects, uint64_t rv);

  // A committed change: `object` is the new state; `deleted` marks a deletion (object then holds
  // the final state stamped with the deletion's revision).
  struct Change {
    ObjectPtr object;
    bool deleted = false;
  };
  // Applies one committed batch (revisions ascending) and delivers its events to watchers.
  void Apply(const std::vector<Change>& batch);

  ObjectPtr Get(std::string_view key) const;
  ListResult List(std::string_view prefix, std::string_view start_after, size_t limit,
                  const Filter& filter) const;
  Result<std::unique_ptr<Watcher>> Watch(std::string prefix, uint64_t from_rv, Filter filter);
  uint64_t rv() const;
  size_t size() const;
  // Ends every watch (at shutdown).
  void StopAll();

 private:
  class WatcherImpl;
  void Deliver(const Event& event);

  const size_t window_capacity_;
  const size_t watcher_queue_limit_;

  mutable std::shared_mutex objects_mu_;  // guards objects_ and rv_
  std::map<std::string, ObjectPtr, std::less<>> objects_;
  uint64_t rv_ = 0;

  std::mutex watch_mu_;  // guards window_, window_floor_, watchers_
  std::deque<Event> window_;
  uint64_t window_floor_ = 0;  // events with rv > window_floor_ are all in window_
  std::vector<std::shared_ptr<WatcherImpl>> watchers_;
};

}  // namespace mlkube::store
