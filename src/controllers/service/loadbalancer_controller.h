#pragma once
// The service load-balancer controller (what a cloud's service controller does, for one
// machine): a LoadBalancer Service gets the host address given to the server
// (--load-balancer-ip, loopback by default) in status.loadBalancer.ingress, and the node's
// proxy answers on it at the Service's ports. A Service that stops being a LoadBalancer loses
// the address.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <string>

#include <optional>
#include <utility>

#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"

namespace mlkube::controllers {

class LoadBalancerController {
 public:
  LoadBalancerController(const client::Client& client, client::SharedInformers& informers, std::string address);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);

 private:
  // The port ("80/TCP") and Service ("ns/name") of an older LoadBalancer this one clashes with.
  std::optional<std::pair<std::string, std::string>> Clash(const Json& service) const;

  const client::Client& client_;
  client::Informer& services_;
  const std::string address_;
  client::EventRecorder events_;
  Controller controller_;
};

}  // namespace mlkube::controllers
