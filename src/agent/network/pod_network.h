#pragma once
// Pod networking on one node, as the CNI bridge plugin with host-local IPAM does it: a Linux
// bridge holding the gateway address of the node's pod CIDR, and per pod a network namespace
// (/run/netns/mlk-<uid>) joined to the bridge by a veth pair, with its own address, loopback
// and default route. Every pod can therefore listen on the same port; the host reaches pod IPs
// through the bridge. Addresses are recorded on disk, so an agent restart keeps them.
// Thread-safety: internally locked.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace mlkube::agent {

class PodNetwork {
 public:
  struct Options {
    std::string bridge = "mlkube0";
    std::string cidr = "10.88.0.0/16";  // IPv4; the first address is the gateway
    std::filesystem::path state_dir;    // <state_dir>/<ip> holds the owning pod's uid
  };

  // Creates the bridge (or finds it) and loads the recorded addresses.
  static Result<std::unique_ptr<PodNetwork>> Setup(Options options);

  // The pod's namespace and address, made on first use and found again afterwards.
  Result<std::string> Ensure(const std::string& uid);
  std::string NamespacePath(const std::string& uid) const;
  // Removes the pod's namespace (and with it its veth) and frees its address.
  void Teardown(const std::string& uid);
  // Tears down every pod not in `live` (pods deleted while no agent was running).
  void Retain(const std::vector<std::string>& live);

  // True when no pod holds an address.
  bool Empty();
  // Removes the bridge (when the node is going away with no pods left).
  void RemoveBridge();

  const std::string& cidr() const { return options_.cidr; }
  const std::string& gateway() const { return gateway_; }

 private:
  explicit PodNetwork(Options options) : options_(std::move(options)) {}
  static std::string NamespaceName(const std::string& uid);
  static std::string VethName(const std::string& uid);

  const Options options_;
  uint32_t network_ = 0, first_ = 0, last_ = 0;  // host order
  int prefix_ = 0;
  std::string gateway_;
  std::mutex mu_;
  std::map<std::string, std::string> by_pod_;  // uid -> ip
};

// A TCP connection to localhost:port inside the network namespace at `netns` (the host's when
// empty), as the kubelet's port-forward makes: IPv4 first, then IPv6. The error is the text
// the CRI runtimes give, for the client to print.
Result<int> DialLocalhost(const std::string& netns, int port);

}  // namespace mlkube::agent
