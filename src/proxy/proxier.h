#pragma once
// The node's service proxy (our kube-proxy): watches Services and EndpointSlices and keeps
// the node's nftables table (nft_rules.h) in step, one atomic transaction per change, the
// changes of a burst coalesced. It starts from the table a previous run left (a restart
// replaces the rules in one step once its caches are full, with no moment without them) and
// removes it on Stop when asked to (the node is going away with nothing left on it).
// It also sets what the data path needs of the host: IPv4 forwarding, and route_localnet on
// the pod bridge so that load-balancer addresses on loopback can be forwarded to pods.
// With socket_lb, TCP connects made on this node skip the NAT altogether (socket_lb.h); the
// table still serves everything else and stands in whenever the balancer is not attached.
// Thread-safety: Start/Stop from the owner's thread; the rest on its own thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client/client.h"
#include "client/informer.h"
#include "common/ipv4.h"
#include "proxy/nft_rules.h"
#include "proxy/nftables.h"
#include "proxy/socket_lb.h"

namespace mlkube::proxy {

class Proxier {
 public:
  struct Options {
    std::string bridge = "mlkube0";  // also the table's name
    Ipv4Net pod_cidr{0x0a580000, 16};
    bool socket_lb = true;
  };
  static Result<std::unique_ptr<Proxier>> Start(const client::Client& client, Options options);
  ~Proxier();
  void Stop(bool remove_rules);

  // Waits until the rules reflect the API as first listed (for tests and startup ordering).
  bool WaitForFirstSync(std::chrono::milliseconds timeout);

 private:
  Proxier(const client::Client& client, Options options, std::unique_ptr<Nftables> nft);
  void Run();
  void MarkDirty();

  const client::Client& client_;
  const Options options_;
  RulesConfig config_;
  std::unique_ptr<Nftables> nft_;
  std::unique_ptr<SocketBalancer> balancer_;  // null when off or when it could not attach
  client::Informer services_;
  client::Informer slices_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = true, stopping_ = false, synced_ = false;
  std::thread thread_;
};

}  // namespace mlkube::proxy
