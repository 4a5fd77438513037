#pragma once
// Conversions between the versions of a kind that mlkube serves and the one it stores, as
// Kubernetes' conversion functions define them. HorizontalPodAutoscalers are stored as
// autoscaling/v2; autoscaling/v1 (what `kubectl autoscale` sends) carries only a CPU target, so
// what it cannot say travels in the autoscaling.alpha.kubernetes.io/* annotations and comes back
// intact when the object is converted again.

#include "api/json.h"

namespace mlkube::api {

// Both take a whole object and return it with apiVersion set to the other version; members
// either version does not know are left where they are (strict field validation sees them).
Json HpaV1ToV2(Json obj);
Json HpaV2ToV1(Json obj);

}  // namespace mlkube::api
