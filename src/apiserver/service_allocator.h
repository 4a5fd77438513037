#pragma once
// Cluster IPs and node ports for Services, as Kubernetes' service REST storage hands them out:
// a free address from the service CIDR (the first is kept for the `kubernetes` service), a
// requested one checked against the range and against every other Service, node ports from
// the node-port range for NodePort and LoadBalancer services. What is allocated is read from
// the stored Services themselves, so a restart or a delete needs no bookkeeping; the caller
// serializes allocation with the write that stores it.
// Thread-safety: const and stateless; safe from any thread.

#include <vector>

#include "api/json.h"
#include "common/ipv4.h"
#include "common/status.h"

namespace mlkube::apiserver {

class ServiceAllocator {
 public:
  struct Options {
    Ipv4Net cidr{0x0a600000, 12};  // 10.96.0.0/12, kubeadm's default
    int node_port_min = 30000;
    int node_port_max = 32767;
  };
  explicit ServiceAllocator(Options options) : options_(options) {}

  // Fills in `svc`'s spec.clusterIP(s) and ports[].nodePort. `old` is the stored Service on an
  // update (its addresses and node ports are kept) and null on a create; `others` are every
  // other stored Service. A request for an address or port outside the ranges or already taken
  // is a 422 Invalid naming the field, as Kubernetes words it.
  Status Allocate(Json& svc, const Json* old, const std::vector<Json>& others) const;

  // What Kubernetes' service strategy drops on an update before validating: addresses a
  // change to ExternalName leaves behind, node ports a change to ClusterIP leaves behind
  // (only when unchanged from the stored object: a value the client set is validated).
  static void DropTypeDependentFields(Json& svc, const Json& old);

  const Options& options() const { return options_; }

 private:
  const Options options_;
};

}  // namespace mlkube::apiserver
