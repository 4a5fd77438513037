#pragma once
// The endpoints controllers (Kubernetes' pkg/controller/endpoint and endpointslice): for every
// Service with a selector, keeps an Endpoints object of the same name and its EndpointSlices
// (labelled kubernetes.io/service-name, owned by the Service) in step with the pods it selects,
// their addresses, readiness and termination. Services without a selector are left to their
// users. What the objects hold is computed by ComputeEndpoints (endpoints.h).
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <string>

#include "api/json.h"
#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"

namespace mlkube::controllers {

class EndpointsController {
 public:
  EndpointsController(const client::Client& client, client::SharedInformers& informers);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);

 private:
  void OnPod(const Json& pod);
  Status SyncEndpoints(const Json& service, const Json& subsets);
  Status SyncSlices(const Json& service, const std::vector<Json>& slices);

  const client::Client& client_;
  client::Informer& services_;
  client::Informer& pods_;
  client::Informer& endpoints_;
  client::Informer& slices_;
  client::EventRecorder events_;
  Controller controller_;
};

}  // namespace mlkube::controllers
