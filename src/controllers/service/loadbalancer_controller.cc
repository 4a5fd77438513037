#include "controllers/service/loadbalancer_controller.h"

#include "controllers/common/objects.h"

namespace mlkube::controllers {

LoadBalancerController::LoadBalancerController(const client::Client& client, client::SharedInformers& informers,
                                               std::string address)
    : client_(client),
      services_(informers.For("/api/v1/services")),
      address_(std::move(address)),
      controller_("service-lb-controller", [this](const std::string& key) { return Sync(key); }, 1) {
  auto enqueue = [this](const Json& svc) { controller_.Enqueue(client::Informer::KeyOf(svc)); };
  services_.AddHandlers({enqueue, [enqueue](const Json&, const Json& svc) { enqueue(svc); }, nullptr});
}

Status LoadBalancerController::Sync(const std::string& key) {
  auto service = services_.Get(key);
  if (!service || IsDeleting(*service)) return Status::Ok();
  Json want = Json::object();
  if (StringMember(Member(*service, "spec"), "type") == "LoadBalancer") {
    want["ingress"] = Json::array({{{"ip", address_}, {"ipMode", "VIP"}}});
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
