#pragma once
// What a node says about itself: the Node object's labels, capacity, allocatable, conditions,
// addresses and nodeInfo, read from the host (/proc, statvfs, uname, NVML) the way the kubelet
// reads them.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "agent/gpu/gpus.h"
#include "api/json.h"

namespace mlkube::agent {

struct NodeFacts {
  std::string name;
  std::string internal_ip;
  int daemon_port = 0;  // where the agent serves logs and exec (status.daemonEndpoints)
  std::string serving_cert_sha256;  // its certificate's fingerprint, for the API server to pin
  int max_pods = 110;
  std::string pod_cidr;
  std::string cluster_dns;                     // the nameserver pods get (empty: the host's)
  std::string cluster_domain = "cluster.local";
  std::filesystem::path data_dir;  // its filesystem is the node's ephemeral storage
  std::vector<Gpu> gpus;
  std::map<std::string, std::string> labels;  // extra labels (--node-labels)
};

// The Node as first registered.
Json NodeObject(const NodeFacts& facts);
// status: capacity, allocatable, conditions (with pressure read now), addresses, nodeInfo.
// `previous` keeps each condition's lastTransitionTime while its status holds.
Json NodeStatus(const NodeFacts& facts, const Json& previous);

// The host's first non-loopback IPv4 address, or 127.0.0.1.
std::string DetectNodeIp();

}  // namespace mlkube::agent
