#include "proxy/frontends.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "common/ipv4.h"

namespace mlkube::proxy {

namespace {

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

std::vector<Frontend> BuildFrontends(const std::vector<Json>& services, const std::vector<Json>& slices) {
  std::map<std::string, std::vector<const Json*>> slices_of;  // "ns/service" -> slices
  for (const Json& s : slices) {
    const std::string svc = StringMember(Member(Member(s, "metadata"), "labels"), "kubernetes.io/service-name");
    if (!svc.empty()) slices_of[StringMember(Member(s, "metadata"), "namespace") + "/" + svc].push_back(&s);
  }

  // Oldest first: an address and port two Services claim stays with the older one.
  std::vector<const Json*> ordered;
  for (const Json& svc : services) ordered.push_back(&svc);
  auto age = [](const Json* s) {
    return std::make_tuple(StringMember(Member(*s, "metadata"), "creationTimestamp"),
                           StringMember(Member(*s, "metadata"), "namespace"), StringMember(Member(*s, "metadata"), "name"));
  };
  std::sort(ordered.begin(), ordered.end(), [&](const Json* a, const Json* b) { return age(a) < age(b); });
  std::set<std::tuple<std::string, std::string, int64_t>> claimed;  // ip ("" for node ports), protocol, port
  std::vector<Frontend> out;
  for (const Json* svc_ptr : ordered) {
    const Json& svc = *svc_ptr;
    const Json& meta = Member(svc, "metadata");
    const Json& spec = Member(svc, "spec");
    const std::string ns = StringMember(meta, "namespace"), name = StringMember(meta, "name");
    const std::string type = StringMember(spec, "type");
    if (type == "ExternalName" || !Member(spec, "ports").is_array()) continue;
    std::vector<std::string> ips;
    if (const std::string cluster_ip = StringMember(spec, "clusterIP"); ParseIpv4(cluster_ip)) ips.push_back(cluster_ip);
    if (type == "LoadBalancer") {
      const Json& ingress = Member(Member(Member(svc, "status"), "loadBalancer"), "ingress");
      for (const Json& in : ingress.is_array() ? ingress : Json::array()) {
        if (ParseIpv4(StringMember(in, "ip"))) ips.push_back(StringMember(in, "ip"));
      }
    }
    for (const Json& ip : Member(spec, "externalIPs").is_array() ? spec["externalIPs"] : Json::array()) {
      if (ip.is_string() && ParseIpv4(ip.get<std::string>())) ips.push_back(ip.get<std::string>());
    }
    if (ips.empty()) continue;  // headless: DNS only
    const bool affinity = StringMember(spec, "sessionAffinity") == "ClientIP";
    int64_t affinity_timeout = 10800;
    if (const Json& tmo = Member(Member(Member(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
        tmo.is_number_integer()) {
      affinity_timeout = tmo.get<int64_t>();
    }
    const auto& my_slices = slices_of[ns + "/" + name];
    for (const Json& sp : spec["ports"]) {
      const std::string protocol = StringMember(sp, "protocol").empty() ? "TCP" : StringMember(sp, "protocol");
      if (!Member(sp, "port").is_number_integer()) continue;
      Frontend f;
      f.protocol = Lower(protocol);
      f.port = sp["port"].get<int64_t>();
      f.base = ns + "/" + name + "/" + f.protocol + "/" + std::to_string(f.port);
      for (const std::string& ip : ips) {
        if (claimed.insert({ip, f.protocol, f.port}).second) f.ips.push_back(ip);
      }
      if (const Json& np = Member(sp, "nodePort"); np.is_number_integer() && claimed.insert({"", f.protocol, np.get<int64_t>()}).second) {
        f.node_port = np.get<int64_t>();
      }
      if (f.ips.empty() && f.node_port == 0) continue;
      f.affinity = affinity;
      f.affinity_timeout = affinity_timeout;
      f.endpoints = Usable(EndpointsFor(my_slices, StringMember(sp, "name"), protocol));
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace mlkube::proxy
