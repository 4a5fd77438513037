#pragma once
// What a node says about itself: the Node object's labels, capacity, allocatable, conditions,
// addresses and nodeInfo, read from the host (/proc, statvfs, uname, NVML) the way the kubelet
// reads them.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gpu/gpus.h"
#include "api/json.h"
#include "common/status.h"

namespace mlkube::agent {

// The kubelet's hard eviction thresholds (--eviction-hard): below one of them the node
// reports the matching pressure condition, and allocatable memory keeps memory's back. Each
// is an amount or a fraction of capacity.
struct EvictionThreshold {
  int64_t amount = 0;     // bytes, or process ids
  double fraction = 0.0;  // of capacity, when amount is 0
  int64_t Of(int64_t capacity) const { return amount > 0 ? amount : static_cast<int64_t>(capacity * fraction); }
};
struct EvictionThresholds {
  EvictionThreshold memory{100 << 20, 0};  // memory.available<100Mi
  EvictionThreshold nodefs{0, 0.10};       // nodefs.available<10%
  EvictionThreshold pid{0, 0.10};          // pid.available<10%
};
// Parses the flag's form, `memory.available<1Gi,nodefs.available<15%`. Signals left out keep
// their defaults; imagefs.* and *.inodesFree are accepted and have nothing to act on here.
Result<EvictionThresholds> ParseEvictionHard(std::string_view flag);

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
  EvictionThresholds eviction;
  int64_t container_log_max_size = 10 << 20;  // a container's log is rotated at this size
  int container_log_max_files = 5;             // and this many files are kept
};

// The Node as first registered.
Json NodeObject(const NodeFacts& facts);
// The pressure conditions, read now against the node's thresholds.
struct Pressures {
  bool memory = false, disk = false, pid = false;
  bool operator==(const Pressures&) const = default;
};
Pressures ReadPressures(const NodeFacts& facts);
// status: capacity, allocatable, conditions (with pressure read now), addresses, nodeInfo.
// `previous` keeps each condition's lastTransitionTime while its status holds.
Json NodeStatus(const NodeFacts& facts, const Json& previous);

// The host's first non-loopback IPv4 address, or 127.0.0.1.
std::string DetectNodeIp();

}  // namespace mlkube::agent
