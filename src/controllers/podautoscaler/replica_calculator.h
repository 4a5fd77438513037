#pragma once
// The HorizontalPodAutoscaler's arithmetic, as Kubernetes' pkg/controller/podautoscaler does
// it: the replica count one metric asks for (with the 10 % tolerance, and the cautious
// treatment of pods without metrics and of pods not yet ready), and the count the HPA then
// settles on (stabilization windows over past recommendations, scale-up and scale-down
// policies over past scale events, min/max).
// Thread-safety: pure functions.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::controllers {

using HpaTime = std::chrono::system_clock::time_point;

// One pod of the scale target, as the calculator sees it.
struct HpaPod {
  std::string name;
  bool ignored = false;      // being deleted, or failed: left out altogether
  bool pending = false;      // not running yet: counts as unready
  bool cpu_unready = false;  // not ready, or its CPU sample predates readiness (see the controller)
  int64_t request = 0;       // the pod's containers' requests of the resource (milli-units)
  std::string missing_request;  // a container without a request for the resource
};

// A metric's value for each pod that has one (milli-units).
using PodValues = std::map<std::string, int64_t>;

struct Proposal {
  int64_t replicas = 0;
  int64_t utilization = -1;  // Utilization targets: the current average, percent of request
  int64_t average_value = 0; // the current average (milli-units) of the pods with metrics
};

constexpr double kTolerance = 0.1;

// A Resource metric with a Utilization target (percent of request). An error for a pod
// without a request for the resource.
Result<Proposal> UtilizationReplicas(int64_t current_replicas, int64_t target_utilization, const PodValues& metrics,
                                     const std::vector<HpaPod>& pods, bool cpu, const std::string& resource);
// A per-pod AverageValue target (Resource AverageValue, Pods metrics), in milli-units.
Result<Proposal> AverageValueReplicas(int64_t current_replicas, int64_t target_average, const PodValues& metrics,
                                      const std::vector<HpaPod>& pods, bool cpu);

// An Object metric: the described object's value (milli-units) against a Value target (the
// ratio of the two applied to the target's ready pods, Kubernetes' GetObjectMetricReplicas) or,
// with `per_pod`, against an AverageValue target (the value shared among the current replicas,
// GetObjectPerPodMetricReplicas). average_value is then the value per replica.
Proposal ObjectReplicas(int64_t current_replicas, int64_t value, int64_t target, bool per_pod, int64_t ready_pods);

// The HPA's spec.behavior, completed with Kubernetes' defaults.
struct ScalingPolicy {
  bool percent = false;  // Percent, else Pods
  int64_t value = 0;
  std::chrono::seconds period{15};
};
struct ScalingRules {
  std::chrono::seconds window{0};
  std::string select = "Max";  // Max, Min, Disabled
  std::vector<ScalingPolicy> policies;
};
struct Behavior {
  ScalingRules up, down;
};
// spec.behavior with Kubernetes' defaults filled in (a scale-down window left unset is the
// controller's --horizontal-pod-autoscaler-downscale-stabilization); nullopt when the HPA has
// none (then the older rules apply: scale up at most to max(2x, 4), scale down over that window).
std::optional<Behavior> BehaviorFrom(const Json& spec_behavior,
                                     std::chrono::seconds default_down_window = std::chrono::seconds(300));

struct Recommendation {
  HpaTime at;
  int64_t replicas = 0;
};
struct ScaleEvent {
  HpaTime at;
  int64_t change = 0;  // + added, - removed
};

// What the HPA settles on from the metrics' proposal, and the conditions that explain it.
struct Decision {
  int64_t replicas = 0;
  std::string able_reason, able_message;  // AbleToScale (True): ReadyForNewScale or *Stabilized
  bool limited = false;                   // ScalingLimited's status
  std::string limited_reason, limited_message;
};
// `history` holds the recent recommendations (one replaced or added here); `events` the scale
// changes made recently (for the policies' periods).
Decision Normalize(int64_t current, int64_t proposed, int64_t min_replicas, int64_t max_replicas,
                   const std::optional<Behavior>& behavior, std::chrono::seconds legacy_downscale_window,
                   std::vector<Recommendation>& history, const std::vector<ScaleEvent>& events, HpaTime now);

}  // namespace mlkube::controllers
