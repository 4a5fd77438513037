#pragma once
// The service load-balancer controller (what a cloud's service controller does, for one
// machine): a LoadBalancer Service gets the host address given to the server
// (--load-balancer-ip, loopback by default) in status.loadBalancer.ingress, and the node's
// proxy answers on it at the Service's ports. A Service that stops being a LoadBalancer loses
// the address.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <string>

#include "client/client.h"
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
  const client::Client& client_;
  client::Informer& services_;
  const std::string address_;
  Controller controller_;
};

}  // namespace mlkube::controllers
