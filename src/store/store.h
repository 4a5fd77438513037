#pragma once
// The Store: a durable, revisioned key-value map of API objects with watch, the one place every
// component meets. One monotonic revision numbers every write; it is the objects'
// metadata.resourceVersion. Reads and watches are served from memory; a write returns only once
// it is durable. Backends (SQLite now, etcd later) implement this interface and pass the same
// contract suite (store_contract_test.cc).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "api/selector.h"
#include "common/status.h"

namespace mlkube::store {

// A value made on first use and shared by every caller while any of them still holds it; then
// it is freed, and the next caller makes it again. So the holders decide how long it lives:
// nothing is kept for objects nobody reads this way.
template <typename T>
class SharedWhileHeld {
 public:
  SharedWhileHeld() = default;
  // A copy belongs to another object, which has not been decoded yet.
  SharedWhileHeld(const SharedWhileHeld&) {}
  SharedWhileHeld& operator=(const SharedWhileHeld&) { return *this; }

  template <typename Make>
  std::shared_ptr<T> Get(Make&& make) const {
    std::lock_guard lock(mu_);
    if (std::shared_ptr<T> held = value_.lock()) return held;
    auto made = std::make_shared<T>(make());
    value_ = made;
    return made;
  }

 private:
  mutable std::mutex mu_;
  mutable std::weak_ptr<T> value_;
};

// An object as stored. Immutable once built, shared by the cache, the event window and watchers,
// so a list or a watch event never copies the document.
struct Object {
  std::string key;
  uint64_t rv = 0;   // the revision of the write that produced this state
  std::string data;  // the serialized JSON document; its metadata.resourceVersion is rv
  api::Labels labels;
  api::Fields fields;  // field-selector values, computed by the store's AttrsFunc
  // `data` decoded for in-process watchers, made by the first and shared by the others.
  SharedWhileHeld<const Json> decoded;
};
using ObjectPtr = std::shared_ptr<const Object>;

// Computes the selectable attributes of an object (labels, field-selector fields) from its key
// and document. Supplied by the API layer, which knows which fields each resource exposes.
using AttrsFunc = std::function<void(std::string_view key, const Json& obj, api::Labels& labels,
                                     api::Fields& fields)>;

enum class EventType { kAdded, kModified, kDeleted };

struct Event {
  EventType type;
  ObjectPtr object;  // the new state; for kDeleted the last state, stamped with the delete's rv
  ObjectPtr prev;    // the state before this event (nullptr for kAdded)
};

// Decides whether an object belongs to a list or watch (label and field selectors).
using Filter = std::function<bool(const Object&)>;

// A watch's stream of events. Thread-safe: the store pushes, one consumer pulls.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Waits until an event arrives, the deadline passes, or the watch ends. Returns false on
  // timeout or end; `ended()` tells which.
  virtual bool Next(Event* event, std::chrono::steady_clock::time_point deadline) = 0;
  // Takes every event already queued without waiting.
  virtual std::vector<Event> Drain() = 0;
  virtual bool ended() const = 0;
  // Ends the watch; a Next() in progress returns false.
  virtual void Stop() = 0;
  // The revision up to which every event has been offered to this watch (queued ones
  // included): what a bookmark may promise once the queue is drained.
  virtual uint64_t progress() const = 0;
};

struct ListResult {
  std::vector<ObjectPtr> items;
  uint64_t rv = 0;         // the revision the list reflects
  std::string last_key;    // set when `limit` cut the list short: continue after this key
};

class Store {
 public:
  virtual ~Store() = default;

  // Errors carry only a code (NotFound, AlreadyExists, Conflict, Unavailable): callers word them.
  // The document's metadata.resourceVersion is replaced by the new revision.
  virtual Result<ObjectPtr> Create(const std::string& key, Json obj) = 0;
  // Replaces the object if it exists and, when expected_rv != 0, its revision is expected_rv.
  virtual Result<ObjectPtr> Update(const std::string& key, Json obj, uint64_t expected_rv) = 0;
  // Deletes the object under the same precondition; returns the final state, which is the
  // stored one, or `final_state` when given (an update that completes a deletion, e.g. by
  // removing the last finalizer, publishes the object as it was updated).
  virtual Result<ObjectPtr> Delete(const std::string& key, uint64_t expected_rv,
                                   Json final_state = nullptr) = 0;

  // nullptr when absent.
  virtual ObjectPtr Get(std::string_view key) const = 0;
  // Objects whose key starts with `prefix`, in key order, after `start_after` (if not empty), at
  // most `limit` of them (0: all) that pass `filter` (if set).
  virtual ListResult List(std::string_view prefix, std::string_view start_after, size_t limit,
                          const Filter& filter) const = 0;
  // Events for keys under `prefix` after revision `from_rv`. A filtered watch sees an object
  // that starts or stops matching as ADDED or DELETED, as Kubernetes' watch cache does.
  // Gone (410) when from_rv is older than the oldest event still kept.
  virtual Result<std::unique_ptr<Watcher>> Watch(std::string prefix, uint64_t from_rv,
                                                 Filter filter) = 0;
  // The revision of the latest durable write.
  virtual uint64_t CurrentRevision() const = 0;
  // How many objects are stored (for metrics and tests).
  virtual size_t Size() const = 0;
};

}  // namespace mlkube::store
