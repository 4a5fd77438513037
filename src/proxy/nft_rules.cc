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

struct Endpoint {
  std::string ip;
  int64_t port = 0;
  bool ready = true, serving = true, terminating = false;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool Condition(const Json& conditions, const char* key, bool absent) {
  const Json& v = Member(conditions, key);
  return v.is_boolean() ? v.get<bool>() : absent;
}

// The endpoints behind one service port, from every slice of the service.
std::vector<Endpoint> EndpointsFor(const std::vector<const Json*>& slices, const std::string& port_name,
                                   const std::string& protocol) {
  std::vector<Endpoint> out;
  std::set<std::pair<std::string, int64_t>> seen;
  for (const Json* slice : slices) {
    if (StringMember(*slice, "addressType") != "IPv4") continue;
    int64_t port = 0;
    for (const Json& p : Member(*slice, "ports").is_array() ? (*slice)["ports"] : Json::array()) {
      const std::string proto = StringMember(p, "protocol").empty() ? "TCP" : StringMember(p, "protocol");
      if (StringMember(p, "name") == port_name && proto == protocol && Member(p, "port").is_number_integer()) {
        port = p["port"].get<int64_t>();
      }
    }
    if (port <= 0) continue;
    for (const Json& ep : Member(*slice, "endpoints").is_array() ? (*slice)["endpoints"] : Json::array()) {
      const Json& addrs = Member(ep, "addresses");
      if (!addrs.is_array() || addrs.empty() || !addrs[0].is_string() || !ParseIpv4(addrs[0].get<std::string>())) continue;
      const Json& c = Member(ep, "conditions");
      Endpoint e{addrs[0].get<std::string>(), port};
      // As the API defines them: absent ready/serving mean true, absent terminating false.
      e.ready = Condition(c, "ready", true);
      e.serving = Condition(c, "serving", e.ready);
      e.terminating = Condition(c, "terminating", false);
      if (seen.insert({e.ip, e.port}).second) out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(), [](const Endpoint& a, const Endpoint& b) {
    return std::tie(a.ip, a.port) < std::tie(b.ip, b.port);
  });
  return out;
}

// Ready endpoints; when there are none, the serving ones still terminating (their open
// connections and a preStop delay keep them useful), as kube-proxy does.
std::vector<Endpoint> Usable(const std::vector<Endpoint>& all) {
  std::vector<Endpoint> ready, draining;
  for (const Endpoint& e : all) {
    if (e.ready) ready.push_back(e);
    else if (e.serving && e.terminating) draining.push_back(e);
  }
  return ready.empty() ? draining : ready;
}

}  // namespace

std::string DeleteTableScript(const std::string& table) {
  // "add" first, so deleting a table that is not there is no error.
  return "add table ip " + table + "\ndelete table ip " + table + "\n";
}

Ruleset BuildRuleset(const std::vector<Json>& services, const std::vector<Json>& slices, const RulesConfig& config,
                     const TableObjects& previous) {
  const std::string t = "ip " + config.table;
  Ruleset out;
  std::ostringstream head, body;
  std::vector<std::string> service_ips, node_ports, no_endpoints;

  std::map<std::string, std::vector<const Json*>> slices_of;  // "ns/service" -> slices
  for (const Json& s : slices) {
    const std::string svc = StringMember(Member(Member(s, "metadata"), "labels"), "kubernetes.io/service-name");
    if (!svc.empty()) slices_of[StringMember(Member(s, "metadata"), "namespace") + "/" + svc].push_back(&s);
  }

  // Two Services may claim one address and port (a shared load-balancer or external IP): the
  // older keeps it, as one map key can lead to one chain only.
  std::vector<const Json*> ordered;
  for (const Json& svc : services) ordered.push_back(&svc);
  auto age = [](const Json* s) {
    return std::make_tuple(StringMember(Member(*s, "metadata"), "creationTimestamp"),
                           StringMember(Member(*s, "metadata"), "namespace"), StringMember(Member(*s, "metadata"), "name"));
  };
  std::sort(ordered.begin(), ordered.end(), [&](const Json* a, const Json* b) { return age(a) < age(b); });
  std::set<std::string> claimed;
  for (const Json* svc_ptr : ordered) {
    const Json& svc = *svc_ptr;
    const Json& meta = Member(svc, "metadata");
    const Json& spec = Member(svc, "spec");
    const std::string ns = StringMember(meta, "namespace"), name = StringMember(meta, "name");
    const std::string type = StringMember(spec, "type");
    const std::string cluster_ip = StringMember(spec, "clusterIP");
    if (type == "ExternalName" || !Member(spec, "ports").is_array()) continue;
    const bool has_vip = ParseIpv4(cluster_ip).has_value();
    std::vector<std::string> lb_ips;
    if (type == "LoadBalancer") {
      for (const Json& in : Member(Member(Member(svc, "status"), "loadBalancer"), "ingress").is_array()
                                ? svc["status"]["loadBalancer"]["ingress"]
                                : Json::array()) {
        if (ParseIpv4(StringMember(in, "ip"))) lb_ips.push_back(StringMember(in, "ip"));
      }
    }
    for (const Json& ip : Member(spec, "externalIPs").is_array() ? spec["externalIPs"] : Json::array()) {
      if (ip.is_string() && ParseIpv4(ip.get<std::string>())) lb_ips.push_back(ip.get<std::string>());
    }
    if (!has_vip && lb_ips.empty()) continue;  // headless: DNS only
    const bool affinity = StringMember(spec, "sessionAffinity") == "ClientIP";
    int64_t affinity_timeout = 10800;
    if (const Json& tmo = Member(Member(Member(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
        tmo.is_number_integer()) {
      affinity_timeout = tmo.get<int64_t>();
    }
    const auto& my_slices = slices_of[ns + "/" + name];
    for (const Json& sp : spec["ports"]) {
      const std::string protocol = StringMember(sp, "protocol").empty() ? "TCP" : StringMember(sp, "protocol");
      const std::string proto = Lower(protocol);
      if (!Member(sp, "port").is_number_integer()) continue;
      const std::string port = std::to_string(sp["port"].get<int64_t>());
      const std::vector<Endpoint> eps = Usable(EndpointsFor(my_slices, StringMember(sp, "name"), protocol));
      std::vector<std::string> keys;
      std::vector<std::string> candidates;
      if (has_vip) candidates.push_back(cluster_ip + " . " + proto + " . " + port);
      for (const std::string& ip : lb_ips) candidates.push_back(ip + " . " + proto + " . " + port);
      for (const std::string& k : candidates) {
        if (claimed.insert(k).second) keys.push_back(k);
      }
      std::string node_port =
          Member(sp, "nodePort").is_number_integer() ? proto + " . " + std::to_string(sp["nodePort"].get<int64_t>()) : "";
      if (!node_port.empty() && !claimed.insert(node_port).second) node_port.clear();
      if (keys.empty() && node_port.empty()) continue;
      if (eps.empty()) {
        for (const std::string& k : keys) no_endpoints.push_back(k);
        continue;
      }
      const std::string base = ns + "/" + name + "/" + proto + "/" + port;
      const std::string chain = "svc/" + base;
      out.objects.chains.insert(chain);
      for (const std::string& k : keys) service_ips.push_back(k + " : goto " + chain);
      if (!node_port.empty()) node_ports.push_back(node_port + " : goto " + chain);

      std::ostringstream pick;
      std::vector<std::string> targets;
      for (const Endpoint& e : eps) {
        const std::string ep_chain = "ep/" + base + "/" + e.ip + "/" + std::to_string(e.port);
        const std::string aff_set = "affinity/" + base + "/" + e.ip + "/" + std::to_string(e.port);
        targets.push_back(ep_chain);
        out.objects.chains.insert(ep_chain);
        body << "add chain " << t << " " << ep_chain << "\nflush chain " << t << " " << ep_chain << "\n";
        std::string clients = e.ip + ", 127.0.0.0/8";
        if (config.masquerade_pod_clients) clients += ", " + config.pod_cidr.ToString();
        body << "add rule " << t << " " << ep_chain << " ip saddr { " << clients << " } meta mark set meta mark | "
             << kMasqueradeMark << "\n";
        if (affinity) {
          out.objects.sets.insert(aff_set);
          head << "add set " << t << " " << aff_set << " { type ipv4_addr; flags dynamic,timeout; timeout "
               << affinity_timeout << "s; }\n";
          body << "add rule " << t << " " << ep_chain << " update @" << aff_set << " { ip saddr }\n";
          pick << "add rule " << t << " " << chain << " ip saddr @" << aff_set << " goto " << ep_chain << "\n";
        }
        body << "add rule " << t << " " << ep_chain << " meta l4proto " << proto << " dnat to " << e.ip << ":"
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
