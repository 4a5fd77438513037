#pragma once
// The service data path as one nftables table (`ip <bridge>`: one per node agent, so agents
// side by side on one host stay apart), laid out from the frontends as kube-proxy's nftables
// mode lays it out:
//
//   service-ips   map  clusterIP / load-balancer IP . protocol . port -> goto svc chain
//   node-ports    map  protocol . nodePort (to any local address)      -> goto svc chain
//   no-endpoints  set  clusterIP . protocol . port of ports with nothing behind them: rejected
//                      at once (connection refused) instead of hanging
//   svc/<ns>/<name>/<proto>/<port>        picks an endpoint: ClientIP affinity first, then
//                                         `numgen random` over the ready endpoints (or the
//                                         serving terminating ones when none is ready)
//   ep/<ns>/<name>/<proto>/<port>/<ip>/<port>   marks for masquerade where the reply would not
//                                         come back through us (hairpin, loopback clients, and
//                                         every pod client when bridged traffic bypasses
//                                         netfilter), remembers the client for affinity, DNATs
//
// The result is a transaction that moves the table from the chains and sets a previous one
// made to the new ones in a single atomic step: traffic never sees a half-written table, and
// affinity sets that stay keep their entries.
// Thread-safety: pure functions.

#include <set>
#include <string>
#include <vector>

#include "common/ipv4.h"
#include "proxy/frontends.h"

namespace mlkube::proxy {

struct RulesConfig {
  std::string table = "mlkube0";
  Ipv4Net pod_cidr;
  // Bridged pod-to-pod packets skip netfilter (net.bridge.bridge-nf-call-iptables is 0), so a
  // reply from a pod on the same bridge would not be un-NATed: masquerade pod clients.
  bool masquerade_pod_clients = false;
};

// The named objects of our table (chains, sets, maps), to know what to delete next time.
struct TableObjects {
  std::set<std::string> chains;
  std::set<std::string> sets;
  bool operator==(const TableObjects&) const = default;
};

struct Ruleset {
  std::string script;  // for nft -f / nft_run_cmd_from_buffer
  TableObjects objects;
};

Ruleset BuildRuleset(const std::vector<Frontend>& frontends, const RulesConfig& config, const TableObjects& previous);

// The transaction that removes the table (and everything in it).
std::string DeleteTableScript(const std::string& table);

// The chains and sets named in `nft list table ip TABLE` output.
TableObjects ParseListing(const std::string& listing);

}  // namespace mlkube::proxy
