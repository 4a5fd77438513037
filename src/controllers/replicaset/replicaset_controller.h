#pragma once
// The ReplicaSet controller (Kubernetes' pkg/controller/replicaset): keeps spec.replicas
// active pods matching the selector, adopting matching orphans and releasing owned pods that no
// longer match, deleting the least valuable pods first when there are too many, and reporting
// replicas, fullyLabeledReplicas, readyReplicas and availableReplicas.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <functional>
#include <string>
#include <vector>

#include "api/json.h"
#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"
#include "controllers/common/objects.h"

namespace mlkube::controllers {

class ReplicaSetController {
 public:
  ReplicaSetController(const client::Client& client, client::SharedInformers& informers,
                       std::function<Time()> now = std::chrono::system_clock::now);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);

 private:
  void OnPod(const Json& pod, bool deleted);
  void EnqueueOwnerOrMatching(const Json& pod);
  // Creates or deletes pods towards spec.replicas; on an error *failure is the ReplicaFailure
  // reason (FailedCreate or FailedDelete).
  Status Manage(const Json& rs, const std::string& key, std::vector<Json>& pods, std::string* failure);

  const client::Client& client_;
  client::Informer& sets_;
  client::Informer& pods_;
  client::EventRecorder events_;
  std::function<Time()> now_;
  Expectations expectations_;
  Controller controller_;
};

// The order in which surplus pods are deleted: true if `a` goes before `b` (unscheduled before
// scheduled, Pending before Unknown before Running, not ready before ready, ready more
// recently before longer, more restarts before fewer, newer before older).
bool DeleteBefore(const Json& a, const Json& b);

// The status a ReplicaSet should report for its active pods (conditions are left as they were).
Json ReplicaSetStatus(const Json& rs, const std::vector<Json>& pods, Time now);

}  // namespace mlkube::controllers
