#pragma once
// The arithmetic of Deployment rollouts (Kubernetes' pkg/controller/deployment/util), kept free
// of I/O so it can be tested as tables: surge and unavailability budgets, how far the new
// ReplicaSet may grow and the old ones shrink, proportional scaling, template hashes, status.

#include <cstdint>
#include <string>
#include <vector>

#include "api/json.h"
#include "controllers/common/objects.h"

namespace mlkube::controllers {

inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr const char* kDesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
inline constexpr const char* kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr const char* kPodTemplateHashLabel = "pod-template-hash";

// An intOrString such as 3 or "25%" against `total`, percentages rounded up or down.
int64_t ResolveIntOrPercent(const Json& value, int64_t total, bool round_up);

struct Budget {
  int64_t max_surge = 0;
  int64_t max_unavailable = 0;
};
// RollingUpdate's budgets (defaults 25%/25%); both zero is taken as one unavailable, as
// Kubernetes does. Recreate has no surge and, for availability, no unavailability allowance.
Budget RolloutBudget(const Json& deployment);

int64_t SpecReplicas(const Json& obj);  // spec.replicas (1 when unset)
int64_t StatusCount(const Json& obj, const char* field);
int64_t Revision(const Json& rs);

// How many replicas the new ReplicaSet should have now.
int64_t NewReplicaSetReplicas(const Json& deployment, const std::vector<Json>& all, const Json& new_rs);

// The most old replicas a rolling update may remove now without going under the availability
// floor (counting the new ReplicaSet's not-yet-available pods as unavailable).
int64_t MaxScaledDown(const Json& deployment, const std::vector<Json>& all, const Json& new_rs);

// The replica counts of `active` (by index) after scaling the Deployment to spec.replicas in
// proportion to their sizes, the leftover going to the largest.
std::vector<int64_t> ProportionalScale(const Json& deployment, const std::vector<Json>& active);

// The pod-template-hash of a template: FNV-32a of its canonical JSON and the collision count,
// written in Kubernetes' safe alphabet.
std::string PodTemplateHash(const Json& tmpl, int64_t collision_count);
// Equal templates but for the pod-template-hash label.
bool EqualIgnoringHash(const Json& a, const Json& b);

// The Deployment's status for its ReplicaSets, with the Available condition set at `now`
// (other conditions carried over).
Json DeploymentStatus(const Json& deployment, const std::vector<Json>& all, const Json* new_rs, Time now);

// Sets `cond` in `status.conditions`, keeping lastTransitionTime when its status is unchanged
// (and the whole condition when the reason is unchanged too, unless `touch`).
void SetCondition(Json& status, Json cond, bool touch = false);
const Json* FindCondition(const Json& status, const std::string& type);

}  // namespace mlkube::controllers
