#pragma once
// What the service data path serves, computed once from Services and EndpointSlices for every
// way of serving it (the nftables table, the socket-level balancer): each service port with
// the addresses and node port it holds and the endpoints its new connections go to.
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "api/json.h"

namespace mlkube::proxy {

struct Endpoint {
  std::string ip;
  int64_t port = 0;
  bool ready = true, serving = true, terminating = false;
};

struct Frontend {
  std::string base;      // <ns>/<name>/<protocol>/<port>: names its chains and sets
  std::string protocol;  // "tcp", "udp" or "sctp"
  int64_t port = 0;
  // The clusterIP and load-balancer/external IPs whose port this is. Two Services may claim
  // one address and port (a shared load-balancer IP): the older keeps it.
  std::vector<std::string> ips;
  int64_t node_port = 0;  // 0: none, or held by an older Service
  bool affinity = false;  // sessionAffinity: ClientIP
  int64_t affinity_timeout = 10800;
  // Where new connections go: the ready endpoints, else the serving ones still terminating,
  // as kube-proxy does. Empty: connections are refused at once.
  std::vector<Endpoint> endpoints;
};

std::vector<Frontend> BuildFrontends(const std::vector<Json>& services, const std::vector<Json>& slices);

}  // namespace mlkube::proxy
