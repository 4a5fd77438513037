#pragma once
// The workload controllers of `mlkube server` (kube-controller-manager's part of it): they
// share one set of informers over an in-process client and run until Stop.
// Thread-safety: Start/Stop from the owner's thread.

#include <filesystem>
#include <memory>
#include <string>

#include "client/client.h"
#include "client/informer.h"
#include "controllers/nodelifecycle/node_lifecycle_controller.h"
#include "controllers/podautoscaler/horizontal.h"

namespace mlkube::controllers {

class CronJobController;
class DeploymentController;
class EndpointsController;
class LoadBalancerController;
class GarbageCollector;
class JobController;
class PersistentVolumeController;
class ReplicaSetController;

class ControllerManager {
 public:
  struct Options {
    std::string load_balancer_ip = "127.0.0.1";  // what LoadBalancer Services are given
    HorizontalController::Options autoscaling;
    std::filesystem::path volume_dir;  // where local-path volumes are provisioned
    std::string volume_node;           // the node volume_dir is on (empty: none runs here)
    NodeLifecycleController::Options node_lifecycle;
  };
  ControllerManager(const client::Client& client, Options options);
  ~ControllerManager();
  void Start();
  void Stop();
  // A node agent has published new metric samples (the autoscaler reacts to them).
  void MetricsSampled();

 private:
  const client::Client& client_;
  client::SharedInformers informers_;
  std::unique_ptr<GarbageCollector> garbage_collector_;
  std::unique_ptr<CronJobController> cronjobs_;
  std::unique_ptr<DeploymentController> deployments_;
  std::unique_ptr<EndpointsController> endpoints_;
  std::unique_ptr<LoadBalancerController> load_balancers_;
  std::unique_ptr<JobController> jobs_;
  std::unique_ptr<ReplicaSetController> replicasets_;
  std::unique_ptr<HorizontalController> autoscalers_;
  std::unique_ptr<PersistentVolumeController> volumes_;
  std::unique_ptr<NodeLifecycleController> node_lifecycle_;
};

}  // namespace mlkube::controllers
