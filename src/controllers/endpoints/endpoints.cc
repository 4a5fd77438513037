#include "controllers/endpoints/endpoints.h"

#include <algorithm>
#include <map>

#include "controllers/common/objects.h"

namespace mlkube::controllers {

namespace {

// The pod port a service port's targetPort names, or -1.
int64_t ResolveTargetPort(const Json& service_port, const Json& pod) {
  const Json& target = Member(service_port, "targetPort");
  if (target.is_number_integer()) return target.get<int64_t>();
  if (!target.is_string()) return Member(service_port, "port").is_number_integer() ? service_port["port"].get<int64_t>() : -1;
  const std::string want = target.get<std::string>();
  for (const char* list : {"containers", "initContainers"}) {
    const Json& containers = Member(Member(pod, "spec"), list);
    if (!containers.is_array()) continue;
    for (const Json& c : containers) {
      if (!Member(c, "ports").is_array()) continue;
      for (const Json& p : c["ports"]) {
        if (StringMember(p, "name") == want && Member(p, "containerPort").is_number_integer()) {
          return p["containerPort"].get<int64_t>();
        }
      }
    }
  }
  return -1;
}

Json TargetRef(const Json& pod) {
  return {{"kind", "Pod"}, {"namespace", NamespaceOf(pod)}, {"name", NameOf(pod)}, {"uid", UidOf(pod)}};
}

}  // namespace

bool ServiceSelects(const Json& service, const Json& pod) {
  const Json& selector = Member(Member(service, "spec"), "selector");
  if (!selector.is_object() || selector.empty()) return false;
  if (NamespaceOf(service) != NamespaceOf(pod)) return false;
  const Json& labels = Member(Member(pod, "metadata"), "labels");
  for (const auto& [k, v] : selector.items()) {
    const Json& have = Member(labels, k);
    if (!have.is_string() || have != v) return false;
  }
  return true;
}

ServiceEndpoints ComputeEndpoints(const Json& service, const std::vector<Json>& pods) {
  ServiceEndpoints out;
  const Json& spec = Member(service, "spec");
  const bool publish_not_ready = Member(spec, "publishNotReadyAddresses").is_boolean() &&
                                 spec["publishNotReadyAddresses"].get<bool>();
  const Json& service_ports = Member(spec, "ports").is_array() ? spec["ports"] : Json::array();
  const std::string service_name = NameOf(service);

  // Pods grouped by the ports they resolve to (a JSON array of {name, port, protocol}).
  std::map<std::string, std::pair<Json, std::vector<const Json*>>> groups;
  std::vector<bool> resolved(service_ports.size(), false);
  std::vector<const Json*> sorted;
  for (const Json& pod : pods) sorted.push_back(&pod);
  std::sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) { return NameOf(*a) < NameOf(*b); });
  for (const Json* pod : sorted) {
    const std::string phase = PodPhase(*pod);
    if (phase == "Succeeded" || phase == "Failed") continue;
    if (StringMember(Member(*pod, "status"), "podIP").empty()) continue;
    Json ports = Json::array();
    for (size_t i = 0; i < service_ports.size(); ++i) {
      const Json& sp = service_ports[i];
      int64_t port = ResolveTargetPort(sp, *pod);
      if (port <= 0) continue;
      resolved[i] = true;
      Json p = {{"port", port}, {"protocol", StringMember(sp, "protocol").empty() ? "TCP" : StringMember(sp, "protocol")}};
      if (!StringMember(sp, "name").empty()) p["name"] = sp["name"];
      ports.push_back(std::move(p));
    }
    if (ports.empty() && !service_ports.empty()) continue;
    auto& group = groups[ports.dump()];
    group.first = ports;
    group.second.push_back(pod);
  }
  for (size_t i = 0; i < service_ports.size(); ++i) {
    const Json& target = Member(service_ports[i], "targetPort");
    if (!resolved[i] && target.is_string() && !pods.empty()) {
      out.unresolved_ports.push_back(target.get<std::string>() + " (port " +
                                     Member(service_ports[i], "port").dump() + ")");
    }
  }

  for (auto& [_, group] : groups) {
    const Json& ports = group.first;
    Json addresses = Json::array(), not_ready = Json::array();
    Json endpoints = Json::array();
    for (const Json* pod : group.second) {
      const Json& pod_spec = Member(*pod, "spec");
      const std::string ip = StringMember(Member(*pod, "status"), "podIP");
      const bool terminating = IsDeleting(*pod);
      const bool serving = IsPodReady(*pod);
      const bool ready = publish_not_ready || (serving && !terminating);
      Json ep = {{"addresses", {ip}},
                 {"conditions", {{"ready", ready}, {"serving", serving}, {"terminating", terminating}}},
                 {"targetRef", TargetRef(*pod)}};
      Json address = {{"ip", ip}, {"targetRef", TargetRef(*pod)}};
      if (const std::string node = StringMember(pod_spec, "nodeName"); !node.empty()) {
        ep["nodeName"] = node;
        address["nodeName"] = node;
      }
      if (const std::string host = StringMember(pod_spec, "hostname");
          !host.empty() && StringMember(pod_spec, "subdomain") == service_name) {
        ep["hostname"] = host;
        address["hostname"] = host;
      }
      endpoints.push_back(std::move(ep));
      if (terminating && !publish_not_ready) continue;
      (ready ? addresses : not_ready).push_back(std::move(address));
    }
    if (!addresses.empty() || !not_ready.empty()) {
      Json subset = Json::object();
      if (!addresses.empty()) subset["addresses"] = addresses;
      if (!not_ready.empty()) subset["notReadyAddresses"] = not_ready;
      if (!ports.empty()) subset["ports"] = ports;
      out.subsets.push_back(std::move(subset));
    }
    for (size_t at = 0; at < endpoints.size(); at += kMaxEndpointsPerSlice) {
      Json chunk = Json::array();
      for (size_t k = at; k < std::min(endpoints.size(), at + kMaxEndpointsPerSlice); ++k) chunk.push_back(endpoints[k]);
      out.slices.push_back({{"ports", ports}, {"endpoints", std::move(chunk)}});
    }
  }
  // A Service without endpoints keeps one empty slice, as Kubernetes' placeholder.
  if (out.slices.empty()) out.slices.push_back({{"ports", Json::array()}, {"endpoints", Json::array()}});
  return out;
}

}  // namespace mlkube::controllers
