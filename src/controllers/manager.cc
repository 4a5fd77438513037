#include "controllers/manager.h"

#include <cstdio>

#include "controllers/cronjob/cronjob_controller.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/endpoints/endpoints_controller.h"
#include "controllers/garbagecollector/garbage_collector.h"
#include "controllers/job/job_controller.h"
#include "controllers/podautoscaler/horizontal.h"
#include "controllers/replicaset/replicaset_controller.h"
#include "controllers/service/loadbalancer_controller.h"
#include "controllers/volume/persistent_volume_controller.h"

namespace mlkube::controllers {

ControllerManager::ControllerManager(const client::Client& client, Options options)
    : client_(client),
      informers_(client),
      garbage_collector_(std::make_unique<GarbageCollector>(client, informers_)),
      cronjobs_(std::make_unique<CronJobController>(client, informers_)),
      deployments_(std::make_unique<DeploymentController>(client, informers_)),
      endpoints_(std::make_unique<EndpointsController>(client, informers_)),
      load_balancers_(std::make_unique<LoadBalancerController>(client, informers_, options.load_balancer_ip)),
      jobs_(std::make_unique<JobController>(client, informers_)),
      replicasets_(std::make_unique<ReplicaSetController>(client, informers_)),
      autoscalers_(std::make_unique<HorizontalController>(client, informers_, options.autoscaling)),
      volumes_(std::make_unique<PersistentVolumeController>(client, informers_, options.volume_dir,
                                                                        options.volume_node)),
      node_lifecycle_(std::make_unique<NodeLifecycleController>(client, informers_, options.node_lifecycle)) {}

ControllerManager::~ControllerManager() { Stop(); }

void ControllerManager::Start() {
  informers_.Start();
  // Controllers act on a full picture only: a half-filled cache would look like missing pods
  // (and make a ReplicaSet create its replicas twice), so they wait as long as it takes.
  while (!informers_.WaitForSync(std::chrono::seconds(30))) {
    std::fprintf(stderr, "mlkube: controllers: still waiting for the caches to fill\n");
  }
  garbage_collector_->Start();
  cronjobs_->Start();
  deployments_->Start();
  endpoints_->Start();
  load_balancers_->Start();
  jobs_->Start();
  replicasets_->Start();
  autoscalers_->Start();
  volumes_->Start();
  node_lifecycle_->Start();
}

void ControllerManager::MetricsSampled() {
  if (autoscalers_) autoscalers_->MetricsSampled();
}

void ControllerManager::Stop() {
  if (node_lifecycle_) node_lifecycle_->Stop();
  if (volumes_) volumes_->Stop();
  if (autoscalers_) autoscalers_->Stop();
  if (replicasets_) replicasets_->Stop();
  if (deployments_) deployments_->Stop();
  if (endpoints_) endpoints_->Stop();
  if (load_balancers_) load_balancers_->Stop();
  if (cronjobs_) cronjobs_->Stop();
  if (jobs_) jobs_->Stop();
  if (garbage_collector_) garbage_collector_->Stop();
  informers_.Stop();
}

}  // namespace mlkube::controllers
