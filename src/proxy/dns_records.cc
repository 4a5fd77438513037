#include "proxy/dns_records.h"

#include <algorithm>

#include "common/ipv4.h"

namespace mlkube::proxy {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Dashed(std::string ip) {
  std::replace(ip.begin(), ip.end(), '.', '-');
  return ip;
}

}  // namespace

void DnsZone::Add(const std::string& name) {
  const std::string apex = zone_ + ".";
  for (std::string n = name; n.size() > apex.size() && EndsWith(n, apex); n = n.substr(n.find('.') + 1)) {
    if (!names_.insert(n).second) break;
  }
  names_.insert(apex);
}

DnsZone DnsZone::Build(const std::vector<Json>& services, const std::vector<Json>& slices, const std::string& zone) {
  DnsZone z(Lower(zone));
  z.built_ = true;
  std::map<std::string, std::vector<const Json*>> slices_of;
  for (const Json& s : slices) {
    const Json& meta = Member(s, "metadata");
    const std::string svc = StringMember(Member(meta, "labels"), "kubernetes.io/service-name");
    if (!svc.empty() && StringMember(s, "addressType") == "IPv4") {
      slices_of[StringMember(meta, "namespace") + "/" + svc].push_back(&s);
    }
  }
  for (const Json& svc : services) {
    const Json& meta = Member(svc, "metadata");
    const Json& spec = Member(svc, "spec");
    const std::string ns = StringMember(meta, "namespace"), name = StringMember(meta, "name");
    const std::string fqdn = Lower(name + "." + ns + ".svc." + z.zone_ + ".");
    const std::string type = StringMember(spec, "type");
    const std::string cluster_ip = StringMember(spec, "clusterIP");
    z.Add(fqdn);
    if (type == "ExternalName") {
      std::string target = Lower(StringMember(spec, "externalName"));
      if (!target.empty() && target.back() != '.') target += '.';
      if (!target.empty()) z.cname_[fqdn] = target;
      continue;
    }
    const Json& ports = Member(spec, "ports").is_array() ? spec["ports"] : Json::array();
    if (ParseIpv4(cluster_ip)) {
      z.a_[fqdn].push_back(cluster_ip);
      for (const Json& p : ports) {
        if (StringMember(p, "name").empty() || !Member(p, "port").is_number_integer()) continue;
        const std::string proto = Lower(StringMember(p, "protocol").empty() ? "TCP" : StringMember(p, "protocol"));
        const std::string srv = Lower("_" + StringMember(p, "name") + "._" + proto + "." + fqdn);
        z.Add(srv);
        z.srv_[srv].push_back({static_cast<int>(p["port"].get<int64_t>()), fqdn});
      }
      continue;
    }
    if (cluster_ip != "None") continue;
    // Headless: the endpoints themselves.
    for (const Json* slice : slices_of[ns + "/" + name]) {
      for (const Json& ep : Member(*slice, "endpoints").is_array() ? (*slice)["endpoints"] : Json::array()) {
        const Json& addrs = Member(ep, "addresses");
        const Json& ready = Member(Member(ep, "conditions"), "ready");
        if (!addrs.is_array() || addrs.empty() || !addrs[0].is_string() || (ready.is_boolean() && !ready.get<bool>())) {
          continue;
        }
        const std::string ip = addrs[0].get<std::string>();
        if (!ParseIpv4(ip)) continue;
        auto& all = z.a_[fqdn];
        if (std::find(all.begin(), all.end(), ip) == all.end()) all.push_back(ip);
        const std::string host = StringMember(ep, "hostname").empty() ? Dashed(ip) : Lower(StringMember(ep, "hostname"));
        const std::string host_fqdn = host + "." + fqdn;
        z.Add(host_fqdn);
        auto& mine = z.a_[host_fqdn];
        if (std::find(mine.begin(), mine.end(), ip) == mine.end()) mine.push_back(ip);
        for (const Json& p : Member(*slice, "ports").is_array() ? (*slice)["ports"] : Json::array()) {
          if (StringMember(p, "name").empty() || !Member(p, "port").is_number_integer()) continue;
          const std::string proto = Lower(StringMember(p, "protocol").empty() ? "TCP" : StringMember(p, "protocol"));
          const std::string srv = Lower("_" + StringMember(p, "name") + "._" + proto + "." + fqdn);
          z.Add(srv);
          SrvRecord rec{static_cast<int>(p["port"].get<int64_t>()), host_fqdn};
          auto& list = z.srv_[srv];
          if (std::find(list.begin(), list.end(), rec) == list.end()) list.push_back(rec);
        }
      }
    }
  }
  for (auto& [_, ips] : z.a_) std::sort(ips.begin(), ips.end());
  return z;
}

DnsAnswer DnsZone::Lookup(const std::string& name, const std::string& type) const {
  DnsAnswer out;
  const std::string apex = zone_ + ".";
  if (name != apex && !EndsWith(name, "." + apex)) return out;  // not ours: forwarded
  out.kind = DnsAnswer::kFound;
  // <a-b-c-d>.<ns>.pod.<zone>
  if (EndsWith(name, ".pod." + apex)) {
    const std::string head = name.substr(0, name.size() - apex.size() - 5);
    const auto dot = head.find('.');
    std::string ip = head.substr(0, dot);
    std::replace(ip.begin(), ip.end(), '-', '.');
    if (dot != std::string::npos && head.find('.', dot + 1) == std::string::npos && ParseIpv4(ip)) {
      if (type == "A" || type == "ANY") out.a = {ip};
      return out;
    }
    if (name == "pod." + apex) return out;
  }
  if (auto c = cname_.find(name); c != cname_.end()) {
    out.cname = c->second;  // answered whatever the type, as a CNAME is
    return out;
  }
  if (!names_.count(name)) {
    out.kind = DnsAnswer::kNameError;
    return out;
  }
  if (type == "A" || type == "ANY") {
    if (auto a = a_.find(name); a != a_.end()) out.a = a->second;
  }
  if (type == "SRV" || type == "ANY") {
    if (auto s = srv_.find(name); s != srv_.end()) out.srv = s->second;
  }
  return out;
}

}  // namespace mlkube::proxy
