#include "controllers/service/loadbalancer_controller.h"

#include <set>
#include <tuple>

#include "controllers/common/objects.h"

namespace mlkube::controllers {

LoadBalancerController::LoadBalancerController(const client::Client& client, client::SharedInformers& informers,
                                               std::string address)
    : client_(client),
      services_(informers.For("/api/v1/services")),
      address_(std::move(address)),
      events_(client, "service-lb-controller"),
      controller_("service-lb-controller", [this](const std::string& key) { return Sync(key); }, 1) {
  auto enqueue = [this](const Json& svc) { controller_.Enqueue(client::Informer::KeyOf(svc)); };
  // A LoadBalancer that goes (or changes) may free a port another one waits for.
  auto all = [this](const Json&) {
    services_.Visit([this](const Json& s) {
      if (StringMember(Member(s, "spec"), "type") == "LoadBalancer") controller_.Enqueue(client::Informer::KeyOf(s));
    });
  };
  services_.AddHandlers({enqueue,
                         [enqueue, all](const Json& old, const Json& svc) {
                           enqueue(svc);
                           if (StringMember(Member(old, "spec"), "type") == "LoadBalancer" &&
                               Member(old, "spec") != Member(svc, "spec")) {
                             all(svc);
                           }
                         },
                         all});
}

std::optional<std::pair<std::string, std::string>> LoadBalancerController::Clash(const Json& service) const {
  auto ports = [](const Json& svc) {
    std::set<std::string> out;
    for (const Json& p : Member(Member(svc, "spec"), "ports").is_array() ? svc["spec"]["ports"] : Json::array()) {
      out.insert(Member(p, "port").dump() + "/" + (StringMember(p, "protocol").empty() ? "TCP" : StringMember(p, "protocol")));
    }
    return out;
  };
  auto age = [](const Json& s) {
    return std::make_tuple(StringMember(Member(s, "metadata"), "creationTimestamp"), NamespaceOf(s), NameOf(s));
  };
  const std::set<std::string> mine = ports(service);
  std::optional<std::pair<std::string, std::string>> clash;
  services_.Visit([&](const Json& other) {
    if (clash || UidOf(other) == UidOf(service) || IsDeleting(other)) return;
    const Json& spec = Member(other, "spec");
    if (StringMember(spec, "type") != "LoadBalancer" || !StringMember(spec, "loadBalancerClass").empty()) return;
    if (!(age(other) < age(service))) return;  // the older one keeps the port
    for (const std::string& p : ports(other)) {
      if (mine.count(p)) clash = std::make_pair(p, NamespaceOf(other) + "/" + NameOf(other));
    }
  });
  return clash;
}

Status LoadBalancerController::Sync(const std::string& key) {
  auto service = services_.Get(key);
  if (!service || IsDeleting(*service)) return Status::Ok();
  Json want = Json::object();
  const Json& spec = Member(*service, "spec");
  // A loadBalancerClass names another implementation: not ours to serve.
  const bool ours = StringMember(spec, "type") == "LoadBalancer" && StringMember(spec, "loadBalancerClass").empty();
  if (ours) {
    if (auto clash = Clash(*service)) {
      // One address is shared by every LoadBalancer: a port already served stays pending.
      events_.Record(*service, "Warning", "AddressInUse",
                     "port " + clash->first + " of " + address_ + " is already served by Service " + clash->second);
    } else {
      want["ingress"] = Json::array({{{"ip", address_}, {"ipMode", "VIP"}}});
    }
  }
  const Json& have = Member(Member(*service, "status"), "loadBalancer");
  if (have == want || (want.empty() && !have.is_object())) return Status::Ok();
  Json updated = *service;
  updated["status"]["loadBalancer"] = want;
  auto r = client_.Send("PUT", "/api/v1/namespaces/" + NamespaceOf(*service) + "/services/" + NameOf(*service) + "/status",
                        updated);
  return r.ok() || r.status().code() == Code::kNotFound ? Status::Ok() : r.status();
}

}  // namespace mlkube::controllers
