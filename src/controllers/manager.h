#pragma once
// The workload controllers of `mlkube server` (kube-controller-manager's part of it): they
// share one set of informers over an in-process client and run until Stop.
// Thread-safety: Start/Stop from the owner's thread.

#include <memory>

#include "client/client.h"
#include "client/informer.h"

namespace mlkube::controllers {

class CronJobController;
class DeploymentController;
class GarbageCollector;
class JobController;
class ReplicaSetController;

class ControllerManager {
 public:
  explicit ControllerManager(const client::Client& client);
  ~ControllerManager();
  void Start();
  void Stop();

 private:
  const client::Client& client_;
  client::SharedInformers informers_;
  std::unique_ptr<GarbageCollector> garbage_collector_;
  std::unique_ptr<CronJobController> cronjobs_;
  std::unique_ptr<DeploymentController> deployments_;
  std::unique_ptr<JobController> jobs_;
  std::unique_ptr<ReplicaSetController> replicasets_;
};

}  // namespace mlkube::controllers
