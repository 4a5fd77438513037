#include "apiserver/service_allocator.h"

#include <map>
#include <optional>
#include <random>
#include <set>

#include "api/field_errors.h"

namespace mlkube::apiserver {

namespace {

bool NeedsNodePorts(const Json& spec) {
  const std::string type = StringMember(spec, "type");
  if (type == "NodePort") return true;
  const Json& allocate = Member(spec, "allocateLoadBalancerNodePorts");
  return type == "LoadBalancer" && !(allocate.is_boolean() && !allocate.get<bool>());
}

bool HasClusterIP(const Json& spec) {
  const std::string ip = StringMember(spec, "clusterIP");
  return StringMember(spec, "type") != "ExternalName" && !ip.empty() && ip != "None";
}

std::string PortKey(const Json& port) {
  return std::to_string(Member(port, "port").is_number_integer() ? Member(port, "port").get<int64_t>() : 0) + "/" +
         (StringMember(port, "protocol").empty() ? "TCP" : StringMember(port, "protocol"));
}

}  // namespace

Status ServiceAllocator::Allocate(Json& svc, const Json* old, const std::vector<Json>& others) const {
  Json& spec = svc["spec"];
  const Json* old_spec = old ? &Member(*old, "spec") : nullptr;
  const std::string name = StringMember(Member(svc, "metadata"), "name");
  std::set<uint32_t> ips_taken;
  std::set<int64_t> ports_taken;
  for (const Json& other : others) {
    const Json& s = Member(other, "spec");
    if (HasClusterIP(s)) {
      if (auto ip = ParseIpv4(StringMember(s, "clusterIP"))) ips_taken.insert(*ip);
    }
    for (const Json& p : Member(s, "ports").is_array() ? Member(s, "ports") : Json::array()) {
      if (Member(p, "nodePort").is_number_integer()) ports_taken.insert(Member(p, "nodePort").get<int64_t>());
    }
    if (const Json& h = Member(s, "healthCheckNodePort"); h.is_number_integer()) ports_taken.insert(h.get<int64_t>());
  }
  api::ErrorList errs;

  // Addresses. An update that leaves them out keeps the allocated ones; a change of type to
  // ExternalName gives them back (Kubernetes drops type-dependent fields the same way).
  const api::Path ips_path = api::Path("spec").Child("clusterIPs");
  if (StringMember(spec, "type") == "ExternalName") {
    // Nothing to allocate (DropTypeDependentFields gave back what the old type had).
  } else if (StringMember(spec, "clusterIP").empty() && old_spec && HasClusterIP(*old_spec)) {
    spec["clusterIP"] = (*old_spec)["clusterIP"];
    spec["clusterIPs"] = (*old_spec)["clusterIPs"];
  } else if (StringMember(spec, "clusterIP").empty()) {
    // A random free address, as Kubernetes picks: fewer collisions with addresses users chose.
    const Ipv4Net& net = options_.cidr;
    const uint32_t first = net.network + 2, count = net.Size() > 3 ? net.Size() - 3 : 0;
    uint32_t start = count ? std::random_device{}() % count : 0;
    std::optional<uint32_t> chosen;
    for (uint32_t i = 0; i < count && !chosen; ++i) {
      uint32_t ip = first + (start + i) % count;
      if (!ips_taken.count(ip)) chosen = ip;
    }
    if (!chosen) return Status(Code::kInternal, "failed to allocate a serviceIP: range is full");
    spec["clusterIP"] = FormatIpv4(*chosen);
    spec["clusterIPs"] = Json::array({spec["clusterIP"]});
  } else if (HasClusterIP(spec) && !(old_spec && StringMember(*old_spec, "clusterIP") == StringMember(spec, "clusterIP"))) {
    const std::string text = StringMember(spec, "clusterIP");
    auto ip = ParseIpv4(text);
    const Json shown = Member(spec, "clusterIPs").is_array() ? spec["clusterIPs"] : Json::array({text});
    if (!ip || !options_.cidr.Contains(*ip) || *ip == options_.cidr.network || *ip == options_.cidr.Last()) {
      errs.push_back(api::Invalid(ips_path, shown,
                                  "failed to allocate IP " + text + ": the provided IP (" + text +
                                      ") is not in the valid range. The range of valid IPs is " +
                                      options_.cidr.ToString()));
    } else if (ips_taken.count(*ip)) {
      errs.push_back(api::Invalid(ips_path, shown, "failed to allocate IP " + text + ": provided IP is already allocated"));
    }
  }

  // Node ports: kept for a port that had one, else requested or allocated; dropped when the
  // type no longer has them. The health-check port of a LoadBalancer with
  // externalTrafficPolicy Local comes from the same range.
  std::set<int64_t> own_old, mine;
  std::map<std::string, int64_t> old_ports;
  if (old_spec) {
    for (const Json& p : Member(*old_spec, "ports").is_array() ? Member(*old_spec, "ports") : Json::array()) {
      if (Member(p, "nodePort").is_number_integer()) {
        old_ports[PortKey(p)] = p["nodePort"].get<int64_t>();
        own_old.insert(p["nodePort"].get<int64_t>());
      }
    }
    if (const Json& h = Member(*old_spec, "healthCheckNodePort"); h.is_number_integer()) own_old.insert(h.get<int64_t>());
  }
  auto request = [&](const api::Path& path, int64_t want) {
    if (!own_old.count(want) && !mine.count(want)) {
      if (want < options_.node_port_min || want > options_.node_port_max) {
        errs.push_back(api::Invalid(path, want,
                                    "provided port is not in the valid range. The range of valid ports is " +
                                        std::to_string(options_.node_port_min) + "-" +
                                        std::to_string(options_.node_port_max)));
      } else if (ports_taken.count(want)) {
        errs.push_back(api::Invalid(path, want, "provided port is already allocated"));
      }
    }
    mine.insert(want);
  };
  auto allocate = [&]() -> std::optional<int64_t> {
    const int64_t span = options_.node_port_max - options_.node_port_min + 1;
    const int64_t start = std::random_device{}() % span;
    for (int64_t k = 0; k < span; ++k) {
      const int64_t p = options_.node_port_min + (start + k) % span;
      if (!ports_taken.count(p) && !mine.count(p)) {
        mine.insert(p);
        return p;
      }
    }
    return std::nullopt;
  };
  if (Json* ports = spec.contains("ports") && spec["ports"].is_array() ? &spec["ports"] : nullptr;
      ports && NeedsNodePorts(spec)) {
    for (size_t i = 0; i < ports->size(); ++i) {
      Json& port = (*ports)[i];
      if (Member(port, "nodePort").is_number_integer() && port["nodePort"].get<int64_t>() != 0) {
        request(api::Path("spec").Child("ports").Index(i).Child("nodePort"), port["nodePort"].get<int64_t>());
      } else if (auto kept = old_ports.find(PortKey(port)); kept != old_ports.end()) {
        port["nodePort"] = kept->second;
        mine.insert(kept->second);
      } else if (auto chosen = allocate()) {
        port["nodePort"] = *chosen;
      } else {
        return Status(Code::kInternal, "failed to allocate a nodePort: range is full");
      }
    }
  }
  const Json& health = Member(spec, "healthCheckNodePort");
  const bool wants_health = StringMember(spec, "type") == "LoadBalancer" &&
                            StringMember(spec, "externalTrafficPolicy") == "Local";
  const api::Path health_path = api::Path("spec").Child("healthCheckNodePort");
  if (!wants_health) {
    if (health.is_number_integer() && health.get<int64_t>() != 0) {
      errs.push_back(api::Invalid(health_path, health.get<int64_t>(),
                                  "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (health.is_number_integer() && health.get<int64_t>() != 0) {
    request(health_path, health.get<int64_t>());
  } else if (const Json& kept = old_spec ? Member(*old_spec, "healthCheckNodePort") : health;
             old_spec && kept.is_number_integer() && kept.get<int64_t>() != 0) {
    spec["healthCheckNodePort"] = kept;
    mine.insert(kept.get<int64_t>());
  } else if (auto chosen = allocate()) {
    spec["healthCheckNodePort"] = *chosen;
  } else {
    return Status(Code::kInternal, "failed to allocate a healthCheckNodePort: range is full");
  }
  if (!errs.empty()) return api::InvalidStatus("", "Service", name, errs);
  return Status::Ok();
}

void ServiceAllocator::DropTypeDependentFields(Json& svc, const Json& old) {
  Json& spec = svc["spec"];
  const Json& old_spec = Member(old, "spec");
  const std::string type = StringMember(spec, "type");
  if (type == "ExternalName" && StringMember(old_spec, "type") != "ExternalName" &&
      StringMember(spec, "clusterIP") == StringMember(old_spec, "clusterIP")) {
    spec.erase("clusterIP");
    spec.erase("clusterIPs");
    spec.erase("ipFamilies");
    spec.erase("ipFamilyPolicy");
  }
  // Fields only some types have go with the type, when the client left them as they were.
  auto same = [&](const char* key) { return spec.contains(key) && Member(spec, key) == Member(old_spec, key); };
  if (type != "LoadBalancer") {
    for (const char* key : {"allocateLoadBalancerNodePorts", "loadBalancerClass", "loadBalancerIP",
                            "loadBalancerSourceRanges", "healthCheckNodePort"}) {
      if (same(key)) spec.erase(key);
    }
  }
  const bool external = type == "LoadBalancer" || type == "NodePort" ||
                        (type == "ClusterIP" && Member(spec, "externalIPs").is_array() && !spec["externalIPs"].empty());
  if (!external && same("externalTrafficPolicy")) spec.erase("externalTrafficPolicy");
  if (type == "LoadBalancer" && StringMember(spec, "externalTrafficPolicy") != "Local" && same("healthCheckNodePort")) {
    spec.erase("healthCheckNodePort");  // its port goes back to the range
  }
  if (type == "ExternalName" && same("internalTrafficPolicy")) spec.erase("internalTrafficPolicy");
  if (NeedsNodePorts(spec) || !spec.contains("ports") || !spec["ports"].is_array()) return;
  std::set<int64_t> old_ports;
  for (const Json& p : Member(old_spec, "ports").is_array() ? old_spec["ports"] : Json::array()) {
    if (Member(p, "nodePort").is_number_integer()) old_ports.insert(p["nodePort"].get<int64_t>());
  }
  for (Json& port : spec["ports"]) {
    if (Member(port, "nodePort").is_number_integer() && old_ports.count(port["nodePort"].get<int64_t>())) {
      port.erase("nodePort");
    }
  }
}

}  // namespace mlkube::apiserver
