#pragma once
// The Deployment controller (Kubernetes' pkg/controller/deployment): one ReplicaSet per pod
// template (named by its pod-template-hash), rolled from old to new by the RollingUpdate
// budgets or by Recreate, scaled proportionally when the Deployment is resized mid-rollout,
// with revisions (deployment.kubernetes.io/revision) that `kubectl rollout history/undo` read,
// revisionHistoryLimit, pause/resume, and the Available and Progressing conditions (with
// ProgressDeadlineExceeded) that `kubectl rollout status` reads.
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

class DeploymentController {
 public:
  DeploymentController(const client::Client& client, client::SharedInformers& informers,
                       std::function<Time()> now = std::chrono::system_clock::now);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);

 private:
  struct Sets {
    std::vector<Json> all;
    int new_index = -1;  // into all
    Json* new_rs() { return new_index < 0 ? nullptr : &all[new_index]; }
    std::vector<Json*> old();  // oldest first
  };
  void OnReplicaSet(const Json& rs);
  Result<Sets> Claim(const Json& d);
  // Finds the new ReplicaSet (making it if `create`), bringing revisions up to date.
  Status SyncRevision(Json& d, Sets& sets, bool create);
  Status Scale(const Json& d, Json& rs, int64_t replicas);
  Result<bool> ReconcileNew(const Json& d, Sets& sets);
  Result<bool> ReconcileOld(const Json& d, Sets& sets);
  Status ScaleProportionally(const Json& d, Sets& sets);
  Status CleanUp(const Json& d, const Sets& sets);
  Status SyncRolloutStatus(const std::string& key, const Json& d, Sets& sets);
  Status WriteStatus(const Json& d, const Json& status);
  bool OldPodsRunning(const Json& d, const Sets& sets) const;

  const client::Client& client_;
  client::Informer& deployments_;
  client::Informer& sets_;
  client::Informer& pods_;
  client::EventRecorder events_;
  std::function<Time()> now_;
  Controller controller_;
};

}  // namespace mlkube::controllers
