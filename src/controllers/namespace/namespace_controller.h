#pragma once
// The namespace controller: empties a namespace being deleted (every namespaced resource in it),
// then removes the "kubernetes" finalizer through the finalize subresource, which completes the
// deletion — as Kubernetes' namespace controller does.
// Thread-safety: owns one thread; Start/Stop from the owner's thread.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "client/local_client.h"

namespace mlkube::controllers {

class NamespaceController {
 public:
  explicit NamespaceController(client::LocalClient client,
                               std::chrono::milliseconds resync = std::chrono::milliseconds(500));
  ~NamespaceController();
  void Start();
  void Stop();

 private:
  void Run();
  void SyncAll();
  // Deletes what remains in `ns`; returns true once nothing is left and the finalizer is gone.
  bool Sync(const std::string& ns);

  client::LocalClient client_;
  const std::chrono::milliseconds resync_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mlkube::controllers
