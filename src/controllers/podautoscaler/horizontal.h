#pragma once
// The HorizontalPodAutoscaler controller (autoscaling/v2, Kubernetes'
// pkg/controller/podautoscaler): every sync period, for each HPA, reads the target's scale
// subresource, the metrics of its pods (Resource and ContainerResource from metrics.k8s.io,
// Pods from custom.metrics.k8s.io),
// asks replica_calculator.h for a count, and writes it to the scale subresource; status
// (currentReplicas, desiredReplicas, currentMetrics, lastScaleTime) and the conditions
// AbleToScale, ScalingActive and ScalingLimited say what it did and why, with Kubernetes'
// events (SuccessfulRescale, FailedGetScale, FailedGetResourceMetric, ...). Recommendations and
// scale events are remembered per HPA for the stabilization windows and policies.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/json.h"
#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"
#include "controllers/common/objects.h"
#include "controllers/podautoscaler/replica_calculator.h"

namespace mlkube::controllers {

class HorizontalController {
 public:
  struct Options {
    std::chrono::seconds sync_period{15};  // --horizontal-pod-autoscaler-sync-period
    std::chrono::seconds downscale_stabilization{300};
    std::chrono::seconds cpu_initialization_period{300};
    std::chrono::seconds initial_readiness_delay{30};
  };
  HorizontalController(const client::Client& client, client::SharedInformers& informers, Options options,
                       std::function<Time()> now = std::chrono::system_clock::now);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);
  // New metric samples are in: every HPA is evaluated now rather than at its next sync, so
  // that a scale-up follows the sample that shows the load (the sync period stays the longest
  // an HPA waits).
  void MetricsSampled();

 private:
  struct Memory {
    std::vector<Recommendation> recommendations;
    std::vector<ScaleEvent> events;
  };
  struct Computed {
    int64_t replicas = -1;
    std::string metric;  // what asked for the count, for the rescale reason
    Json statuses = Json::array();
    // The first invalid metric's: reason, its error, and that error as
    // FailedComputeMetricsReplicas words it ("failed to get cpu resource metric value: ...").
    std::string error_reason, error_inner, error_message;
    int invalid = 0;
  };
  Computed ComputeReplicas(const Json& hpa, int64_t current, const std::string& selector, Time now);
  Status WriteStatus(const Json& hpa, Json status);

  const client::Client& client_;
  const Options options_;
  client::Informer& hpas_;
  client::Informer& pods_;
  client::EventRecorder events_;
  std::function<Time()> now_;
  std::mutex mu_;
  std::map<std::string, Memory> memory_;  // by HPA uid
  Controller controller_;
};

}  // namespace mlkube::controllers
