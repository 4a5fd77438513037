#pragma once
// The node's cluster DNS (our CoreDNS with its kubernetes plugin): answers the cluster zone
// from Services and EndpointSlices (dns_records.h) over UDP and TCP, and forwards every other
// name to the host's resolvers (those in the host's /etc/resolv.conf), so pods resolve both
// `model-service` and `pypi.org`. The agent runs one on its bridge's gateway address, which
// pods get as their nameserver. Packets are read and written with ldns.
// Thread-safety: Start/Stop from the owner's thread; queries are served on the server's own
// thread (an io_context), the zone rebuilt there after informer events.

#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "common/status.h"

namespace mlkube::proxy {

class DnsZone;

// The reply to a query, or an empty string when the name is not in the zone (forward it).
// Malformed queries get FORMERR; `max_udp` > 0 truncates (TC) answers that do not fit.
std::string AnswerQuery(const DnsZone& zone, const std::string& query, size_t max_udp);
// A reply to `query` with no records and this rcode (SERVFAIL when forwarding fails).
std::string ErrorReply(const std::string& query, int rcode);

class DnsServer {
 public:
  struct Options {
    std::string listen_ip = "127.0.0.1";
    uint16_t port = 53;  // 0 picks a free one (tests)
    std::string zone = "cluster.local";
    std::vector<std::string> upstreams;  // "ip" or "ip:port"; empty: the host's /etc/resolv.conf
  };
  static Result<std::unique_ptr<DnsServer>> Start(const client::Client& client, Options options);
  ~DnsServer();
  void Stop();
  uint16_t port() const;
  // Waits until the zone holds the cluster as first listed.
  bool WaitForSync(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  explicit DnsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The nameservers a resolv.conf names, in order.
std::vector<std::string> ResolvConfNameservers(const std::string& text);

}  // namespace mlkube::proxy
