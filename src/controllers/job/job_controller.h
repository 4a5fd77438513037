#pragma once
// The Job controller (Kubernetes' pkg/controller/job): runs pods until `completions` succeed
// (NonIndexed) or every index 0..completions-1 has succeeded once (Indexed, with
// JOB_COMPLETION_INDEX and the hostname <job>-<index>), at most `parallelism` at a time;
// retries failures with exponential back-off up to backoffLimit, applies podFailurePolicy,
// activeDeadlineSeconds, suspend and ttlSecondsAfterFinished, and reports it all in status
// with the Complete / Failed conditions `kubectl wait` reads.
//
// Pods carry the batch.kubernetes.io/job-tracking finalizer until their outcome is in the
// Job's status (first in uncountedTerminatedPods, then in the counts), so a pod deleted early
// is never lost from succeeded/failed — Kubernetes' own protocol.
// Thread-safety: Start/Stop from the owner's thread; the rest runs on the controller's workers.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/json.h"
#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"
#include "controllers/common/objects.h"

namespace mlkube::controllers {

class JobController {
 public:
  JobController(const client::Client& client, client::SharedInformers& informers,
                std::function<Time()> now = std::chrono::system_clock::now);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  Status Sync(const std::string& key);

 private:
  void OnPod(const Json& pod);
  Status ReleaseOrphan(const std::string& pod_key);
  // Sends each pod of a deleted Job that still holds the tracking finalizer to ReleaseOrphan.
  void ReleasePodsOf(const Json& job);
  Status RemoveTrackingFinalizer(const Json& pod);
  Status CreatePods(const Json& job, const std::string& key, const std::vector<int64_t>& indexes, int count);

  const client::Client& client_;
  client::Informer& jobs_;
  client::Informer& pods_;
  client::EventRecorder events_;
  std::function<Time()> now_;
  Expectations expectations_;
  // Per Job, the resourceVersion of this controller's last status write, so a sync never acts
  // on a cached Job older than its own write.
  struct Written {
    uint64_t resource_version = 0;
    std::string uid;
  };
  std::mutex written_mu_;
  std::map<std::string, Written> written_;
  Controller controller_;
};

}  // namespace mlkube::controllers
