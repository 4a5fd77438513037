#pragma once
// Connect-time load balancing for the node's own clients (bpf/socket_lb.bpf.c): a TCP connect
// from any process here, host or pod, to a service address goes straight to an endpoint, with
// no NAT on its packets, and getpeername() still names the service. This class loads the
// programs, attaches them to the root of the cgroup v2 hierarchy and keeps the maps equal to
// the frontends.
//
// It only ever speeds things up: what it does not rewrite reaches the nftables rules, which
// serve every Service on their own. The attachment is a BPF link held by this process, so it
// goes when the process goes, kill -9 included, and the rules (which outlive the process)
// carry on alone until a new agent attaches again: no gap and nothing left behind.
// Thread-safety: Sync from one thread at a time.

#include <filesystem>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "common/status.h"
#include "proxy/frontends.h"

struct bpf_object;
struct bpf_link;

namespace mlkube::proxy {

class SocketBalancer {
 public:
  // Attaches to `cgroup` (default: the root of the cgroup v2 mount). An error (no cgroup v2,
  // no BPF, an old kernel) leaves the nftables rules to do all the work.
  static Result<std::unique_ptr<SocketBalancer>> Start(std::filesystem::path cgroup = {});
  ~SocketBalancer();  // detaches
  SocketBalancer(const SocketBalancer&) = delete;
  SocketBalancer& operator=(const SocketBalancer&) = delete;

  // TCP frontends with endpoints and no ClientIP affinity are served here; the rest are
  // removed, so the rules serve them.
  Status Sync(const std::vector<Frontend>& frontends);

  // Services the maps hold now (for tests).
  size_t size() const { return counts_.size(); }

 private:
  SocketBalancer() = default;

  // ip, port (network order), protocol: the program's service_key.
  using Key = std::tuple<uint32_t, uint16_t, uint16_t>;
  Status Put(const Key& key, const std::vector<Endpoint>& endpoints);
  void Remove(const Key& key, uint32_t from_index, uint32_t to_index);

  bpf_object* object_ = nullptr;
  std::vector<bpf_link*> links_;
  int services_fd_ = -1, backends_fd_ = -1;
  std::map<Key, uint32_t> counts_;  // what the maps hold: endpoints per service
};

}  // namespace mlkube::proxy
