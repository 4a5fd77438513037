#include "proxy/nft_rules.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <tuple>

namespace mlkube::proxy {

namespace {

constexpr char kMasqueradeMark[] = "0x4000";
// Our base chains: name and hook ("" for a regular chain).
constexpr std::pair<const char*, const char*> kBaseChains[] = {
    {"nat-prerouting", "type nat hook prerouting priority -100; policy accept;"},
    {"nat-output", "type nat hook output priority -100; policy accept;"},
    {"nat-postrouting", "type nat hook postrouting priority 100; policy accept;"},
    {"filter-output", "type filter hook output priority 0; policy accept;"},
    {"filter-forward", "type filter hook forward priority 0; policy accept;"},
    {"services", ""},
    {"reject-no-endpoints", ""},
};

}  // namespace

std::string DeleteTableScript(const std::string& table) {
  // "add" first, so deleting a table that is not there is no error.
  return "add table ip " + table + "\ndelete table ip " + table + "\n";
}

Ruleset BuildRuleset(const std::vector<Frontend>& frontends, const RulesConfig& config, const TableObjects& previous) {
  const std::string t = "ip " + config.table;
  Ruleset out;
  std::ostringstream head, body;
  std::vector<std::string> service_ips, node_ports, no_endpoints;
  for (const Frontend& f : frontends) {
    const std::string port = std::to_string(f.port);
    std::vector<std::string> keys;
    for (const std::string& ip : f.ips) keys.push_back(ip + " . " + f.protocol + " . " + port);
    if (f.endpoints.empty()) {
      for (const std::string& k : keys) no_endpoints.push_back(k);
      continue;
    }
    const std::string chain = "svc/" + f.base;
    out.objects.chains.insert(chain);
    for (const std::string& k : keys) service_ips.push_back(k + " : goto " + chain);
    if (f.node_port != 0) node_ports.push_back(f.protocol + " . " + std::to_string(f.node_port) + " : goto " + chain);

    std::ostringstream pick;
    std::vector<std::string> targets;
    for (const Endpoint& e : f.endpoints) {
      const std::string ep_chain = "ep/" + f.base + "/" + e.ip + "/" + std::to_string(e.port);
      // The timeout is in the name: a set's timeout cannot be changed in place, so a new one
      // makes a new set (and the old one goes with its clients).
      const std::string aff_set = "affinity/" + f.base + "/" + e.ip + "/" + std::to_string(e.port) + "/" +
                                  std::to_string(f.affinity_timeout) + "s";
      targets.push_back(ep_chain);
      out.objects.chains.insert(ep_chain);
      body << "add chain " << t << " " << ep_chain << "\nflush chain " << t << " " << ep_chain << "\n";
      std::string clients = e.ip + ", 127.0.0.0/8";
      if (config.masquerade_pod_clients) clients += ", " + config.pod_cidr.ToString();
      body << "add rule " << t << " " << ep_chain << " ip saddr { " << clients << " } meta mark set meta mark | "
           << kMasqueradeMark << "\n";
      if (f.affinity) {
        out.objects.sets.insert(aff_set);
        head << "add set " << t << " " << aff_set << " { type ipv4_addr; flags dynamic,timeout; timeout "
             << f.affinity_timeout << "s; }\n";
        body << "add rule " << t << " " << ep_chain << " update @" << aff_set << " { ip saddr }\n";
        pick << "add rule " << t << " " << chain << " ip saddr @" << aff_set << " goto " << ep_chain << "\n";
      }
      body << "add rule " << t << " " << ep_chain << " meta l4proto " << f.protocol << " dnat to " << e.ip << ":"
           << e.port << "\n";
    }
    body << "add chain " << t << " " << chain << "\nflush chain " << t << " " << chain << "\n" << pick.str();
    if (targets.size() == 1) {
      body << "add rule " << t << " " << chain << " goto " << targets[0] << "\n";
    } else {
      body << "add rule " << t << " " << chain << " numgen random mod " << targets.size() << " vmap { ";
      for (size_t i = 0; i < targets.size(); ++i) body << (i ? ", " : "") << i << " : goto " << targets[i];
      body << " }\n";
    }
  }

  std::ostringstream s;
  s << "add table " << t << "\n";
  // Maps are emptied first: then no rule refers to a chain about to go.
  s << "add map " << t << " service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
    << "flush map " << t << " service-ips\n"
    << "add map " << t << " node-ports { type inet_proto . inet_service : verdict; }\n"
    << "flush map " << t << " node-ports\n"
    << "add set " << t << " no-endpoints { type ipv4_addr . inet_proto . inet_service; }\n"
    << "flush set " << t << " no-endpoints\n";
  for (const auto& [c, hook] : kBaseChains) {
    s << "add chain " << t << " " << c << (*hook ? std::string(" { ") + hook + " }" : "") << "\nflush chain " << t << " "
      << c << "\n";
  }
  // Service chains of the previous table that stay are flushed below; the ones that go are
  // flushed now, so the endpoint chains they jump to can go too.
  for (const std::string& c : previous.chains) {
    if (!out.objects.chains.count(c)) s << "add chain " << t << " " << c << "\nflush chain " << t << " " << c << "\n";
  }
  s << head.str() << body.str();
  s << "add rule " << t << " nat-prerouting jump services\n"
    << "add rule " << t << " nat-output jump services\n"
    << "add rule " << t << " services ip daddr . meta l4proto . th dport vmap @service-ips\n"
    << "add rule " << t << " services fib daddr type local meta l4proto . th dport vmap @node-ports\n"
    << "add rule " << t << " nat-postrouting meta mark & " << kMasqueradeMark << " == " << kMasqueradeMark
    << " meta mark set meta mark & 0xffffbfff masquerade\n"
    << "add rule " << t << " reject-no-endpoints ip daddr . meta l4proto . th dport @no-endpoints reject\n"
    << "add rule " << t << " filter-output ct state new jump reject-no-endpoints\n"
    << "add rule " << t << " filter-forward ct state new jump reject-no-endpoints\n";
  auto elements = [&](const char* name, const std::vector<std::string>& items) {
    if (items.empty()) return;
    s << "add element " << t << " " << name << " { ";
    for (size_t i = 0; i < items.size(); ++i) s << (i ? ", " : "") << items[i];
    s << " }\n";
  };
  elements("service-ips", service_ips);
  elements("node-ports", node_ports);
  elements("no-endpoints", no_endpoints);
  // What the previous table had and this one does not: service chains before the endpoint
  // chains they jump to, affinity sets after the chains that use them.
  std::vector<std::string> gone(previous.chains.size());
  gone.clear();
  for (const std::string& c : previous.chains) {
    if (!out.objects.chains.count(c)) gone.push_back(c);
  }
  std::stable_partition(gone.begin(), gone.end(), [](const std::string& c) { return c.rfind("svc/", 0) == 0; });
  for (const std::string& c : gone) s << "delete chain " << t << " " << c << "\n";
  for (const std::string& set : previous.sets) {
    if (!out.objects.sets.count(set)) s << "delete set " << t << " " << set << "\n";
  }
  out.script = s.str();
  return out;
}

TableObjects ParseListing(const std::string& listing) {
  TableObjects objects;
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind, name;
    words >> kind >> name;
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    const bool ours = name.rfind("svc/", 0) == 0 || name.rfind("ep/", 0) == 0;
    if (kind == "chain" && ours) objects.chains.insert(name);
    if (kind == "set" && name.rfind("affinity/", 0) == 0) objects.sets.insert(name);
  }
  return objects;
}

}  // namespace mlkube::proxy
