#pragma once
// What a Service's Endpoints and EndpointSlices should hold, computed from the Service and its
// pods as Kubernetes' endpoints and endpointslice controllers compute them. Pure functions, so
// the rules are tested without a cluster.
//
// - A pod is an endpoint once it has an IP and until it ends (Succeeded/Failed).
// - EndpointSlice conditions: `serving` is the pod's Ready condition, `terminating` is a
//   deletionTimestamp, `ready` is serving and not terminating; publishNotReadyAddresses makes
//   every endpoint ready and serving. Endpoints (the older API) leave terminating pods out and
//   put not-ready ones under notReadyAddresses.
// - A targetPort name resolves per pod, through its containers' ports; a pod that declares no
//   such port is no endpoint of that service port. Pods that resolve to the same ports share a
//   subset / slice.
// - hostname is set when the pod's spec.subdomain names the Service (DNS for Indexed Jobs).

#include <string>
#include <vector>

#include "api/json.h"

namespace mlkube::controllers {

inline constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";
inline constexpr char kManagedByLabel[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kSliceManager[] = "endpointslice-controller.k8s.io";
inline constexpr size_t kMaxEndpointsPerSlice = 100;  // kube-controller-manager's default

// True if the Service's selector (a plain map) selects these labels; a Service without a
// selector selects nothing (its endpoints are the user's to write).
bool ServiceSelects(const Json& service, const Json& pod);

struct ServiceEndpoints {
  Json subsets = Json::array();  // Endpoints.subsets
  // One {ports, endpoints} per slice, in a stable order.
  std::vector<Json> slices;
  // Service ports whose named targetPort no selected pod declares ("name (port)").
  std::vector<std::string> unresolved_ports;
};

ServiceEndpoints ComputeEndpoints(const Json& service, const std::vector<Json>& pods);

}  // namespace mlkube::controllers
