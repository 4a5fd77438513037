#pragma once
// One controller's engine: a work queue of keys ("namespace/name") and worker threads that
// call its Sync. A Sync is level-triggered (it reads the world and moves it one step towards
// the spec); an error requeues the key with back-off, success forgets the key's failures.
// A Sync that must look again later (a deadline, a schedule) calls queue().AddAfter itself.
// Thread-safety: Enqueue from any thread; Start/Stop from the owner's.

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "controllers/common/work_queue.h"

namespace mlkube::controllers {

class Controller {
 public:
  using SyncFn = std::function<Status(const std::string& key)>;
  Controller(std::string name, SyncFn sync, int workers);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  void Start();
  void Stop();
  WorkQueue& queue() { return queue_; }
  void Enqueue(const std::string& key) { queue_.Add(key); }

 private:
  void Work();

  const std::string name_;
  const SyncFn sync_;
  const int workers_;
  WorkQueue queue_;
  std::vector<std::thread> threads_;
};

}  // namespace mlkube::controllers
