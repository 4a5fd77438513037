#pragma once
// Pod networking on one node, as the CNI bridge plugin with host-local IPAM does it: a Linux
// bridge holding the gateway address of the node's pod CIDR, and per pod a network namespace
// (/run/netns/mlk-<id>) joined to the bridge by a veth pair, with its own address, loopback
// and default route. Every pod can therefore listen on the same port; the host reaches pod IPs
// through the bridge. Addresses are recorded on disk, so an agent restart keeps them.
//
// Namespaces are kept for reuse: making one and tearing it down take the kernel's RTNL lock
// for ~10 ms, one pod at a time, which bounded how fast short pods (a Job's tasks) could come
// and go. A finished pod that could not have changed its namespace (no capability beyond the
// default set, /proc/sys read-only: see runtime/capabilities.h) and left no socket in it
// hands it back, address and all, and the next pod takes it as it was first made. A namespace
// is named after the pod that made it; idle ones go after a while or beyond a count.
// Thread-safety: internally locked.

#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mlkube::agent {

class PodNetwork {
 public:
  struct Options {
    std::string bridge = "mlkube0";
    std::string cidr = "10.88.0.0/16";  // IPv4; the first address is the gateway
    std::filesystem::path state_dir;    // <state_dir>/<ip> records who holds the address
    size_t max_idle = 64;               // namespaces kept for reuse at most
    std::chrono::seconds idle_for{120};  // and for at most this long
  };

  // Creates the bridge (or finds it) and loads the recorded addresses.
  static Result<std::unique_ptr<PodNetwork>> Setup(Options options);

  // The pod's namespace and address: an idle one if there is, else made; found again
  // afterwards.
  Result<std::string> Ensure(const std::string& uid);
  std::string NamespacePath(const std::string& uid) const;
  // Frees the pod's address. With `reusable` (the caller vouches that nothing of the pod can
  // have changed the namespace, and no process of it is left), the namespace is kept for the
  // next pod when no socket is left in it either; otherwise it goes, and its veth with it.
  void Teardown(const std::string& uid, bool reusable = false);
  // Tears down every pod not in `live` (pods deleted while no agent was running).
  void Retain(const std::vector<std::string>& live);
  // Removes the namespaces idle past Options::idle_for.
  void Prune();

  // True when no pod holds an address.
  bool Empty();
  // Removes the idle namespaces and the bridge (when the node is going away with no pods left).
  void RemoveBridge();

  // What the state directory holds for one address: the pod holding it ("-" while the
  // namespace waits idle for reuse) and the id that names its network namespace.
  struct AddressRecord {
    std::string pod_uid, netns_id;
  };
  static std::optional<AddressRecord> ReadRecord(const std::filesystem::path& file);
  // /run/netns/mlk-<id>: where the namespace of that id is mounted.
  static std::string NamespacePathOf(const std::string& id);

  const std::string& cidr() const { return options_.cidr; }
  const std::string& gateway() const { return gateway_; }

 private:
  // A namespace with its address; `id` is the uid of the pod that made it, which names the
  // namespace and the host's end of its veth.
  struct Sandbox {
    std::string ip, id;
    std::chrono::steady_clock::time_point idle_since;
  };
  explicit PodNetwork(Options options) : options_(std::move(options)) {}
  static std::string VethName(const std::string& id);
  Status Record(const Sandbox& s, const std::string& uid);  // uid empty: idle
  void Remove(const Sandbox& s);
  void Release(const std::vector<Sandbox>& sandboxes, bool keep);
  bool InUse(const std::string& id) const;  // under mu_

  const Options options_;
  uint32_t network_ = 0, first_ = 0, last_ = 0;  // host order
  int prefix_ = 0;
  std::string gateway_;
  mutable std::mutex mu_;
  std::map<std::string, Sandbox> by_pod_;  // uid -> its sandbox
  std::deque<Sandbox> idle_;               // longest idle first
  std::map<std::string, std::string> releasing_;  // ip -> namespace id, being kept or removed
};

// A TCP connection to localhost:port inside the network namespace at `netns` (the host's when
// empty), as the kubelet's port-forward makes: IPv4 first, then IPv6. The error is the text
// the CRI runtimes give, for the client to print.
Result<int> DialLocalhost(const std::string& netns, int port);

}  // namespace mlkube::agent
