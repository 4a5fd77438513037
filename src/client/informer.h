#pragma once
// An informer: list, then watch from the list's resourceVersion, keeping a cache of the
// objects and telling handlers what changed — client-go's reflector + store + handlers in one.
// A watch that ends is resumed from the last revision seen; one that expired (410) re-lists,
// and the re-list's differences reach the handlers as adds, updates and deletes, so a
// level-triggered consumer never misses a state.
// Cached objects leave out metadata.managedFields (as kube-controller-manager's do) and always
// carry apiVersion and kind, listed or watched.
// Thread-safety: handlers run on the informer's own thread, one at a time; Get/List from any.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "client/client.h"

namespace mlkube::client {

class Informer {
 public:
  struct Handlers {
    std::function<void(const Json& obj)> on_add;
    std::function<void(const Json& old_obj, const Json& new_obj)> on_update;
    std::function<void(const Json& obj)> on_delete;
  };

  // `collection` is a list path with optional selectors, e.g.
  // "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1".
  Informer(const Client& client, std::string collection, Handlers handlers);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Another set of handlers, for a second consumer of the same cache (call before Start).
  void AddHandlers(Handlers handlers);
  void Start();
  // Asks the informer to stop without waiting (its watch notices within a quarter second).
  void RequestStop();
  void Stop();
  // Waits until the first list is in the cache.
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  // The cached object under `key`, "namespace/name" (or "name" for cluster objects): shared,
  // not copied (null when absent). It never changes: a newer version of the object replaces it
  // in the cache. A handler that keeps the object it is given takes it from here, so that the
  // cache and the consumer hold one copy between them.
  std::shared_ptr<const Json> Get(const std::string& key) const;
  std::vector<Json> List() const;
  // The cached objects for which `keep` is true (cheaper than List when few are wanted).
  std::vector<Json> List(const std::function<bool(const Json&)>& keep) const;
  // Calls `visit` on each cached object under the cache's lock, copying nothing (`visit` must
  // be quick and must not call back into this informer).
  void Visit(const std::function<void(const Json&)>& visit) const;

  static std::string KeyOf(const Json& obj);

 private:
  void Run();
  // Lists and reconciles the cache with the result; returns the list's revision.
  Result<std::string> Relist();
  // Watches from `rv`; returns the last revision seen, or Gone when it must re-list.
  Result<std::string> Watch(std::string rv);
  void Apply(std::string_view type, std::shared_ptr<const Json> obj);
  void OnAdd(const Json& obj) const;
  void OnUpdate(const Json& old_obj, const Json& new_obj) const;
  void OnDelete(const Json& obj) const;

  const Client& client_;
  const std::string collection_;
  std::vector<Handlers> handlers_;  // fixed once started
  mutable std::mutex mu_;
  mutable std::condition_variable synced_cv_;
  std::map<std::string, std::shared_ptr<const Json>> cache_;
  bool synced_ = false;
  std::atomic<bool> stop_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

// Informers shared by the consumers in one process, one per collection, as client-go's
// SharedInformerFactory: controllers that watch pods share one cache and one watch.
class SharedInformers {
 public:
  explicit SharedInformers(const Client& client) : client_(client) {}
  // The informer for `collection`, made on first use; add handlers before Start.
  Informer& For(const std::string& collection);
  void Start();
  bool WaitForSync(std::chrono::milliseconds timeout) const;
  void Stop();

 private:
  const Client& client_;
  std::map<std::string, std::unique_ptr<Informer>> informers_;
};

}  // namespace mlkube::client
