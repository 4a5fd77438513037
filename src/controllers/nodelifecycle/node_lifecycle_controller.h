#pragma once
// kube-controller-manager's node lifecycle and taint eviction controllers, as one: a node whose
// agent stopped heartbeating (its Lease and its Ready condition) for the grace period is marked
// Unknown and its pods not Ready; nodes that are not Ready or unreachable carry Kubernetes'
// NoSchedule and NoExecute taints; pods on a node with a NoExecute taint they do not tolerate
// are evicted, at once or after their tolerationSeconds.
// Nodes that never heartbeat (simulated nodes registered through the API) are not watched for
// staleness, only for their Ready condition.

#include <chrono>
#include <map>
#include <string>

#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "controllers/common/controller.h"

namespace mlkube::controllers {

class NodeLifecycleController {
 public:
  struct Options {
    // --node-monitor-grace-period: how long a silent node is still taken for Ready.
    std::chrono::seconds grace{40};
  };
  NodeLifecycleController(const client::Client& client, client::SharedInformers& informers,
                          Options options);
  void Start() { controller_.Start(); }
  void Stop() { controller_.Stop(); }
  // Keys: "node/<name>" or "pod/<namespace>/<name>".
  Status Sync(const std::string& key);

 private:
  Status SyncNode(const std::string& name);
  Status SyncPod(const std::string& key);
  void EnqueuePodsOn(const std::string& node);
  Status MarkPodsNotReady(const std::string& node);

  const client::Client& client_;
  client::Informer& nodes_;
  client::Informer& pods_;
  client::Informer& leases_;
  const Options options_;
  // Per node, the last heartbeat seen and when this controller saw it change: silence is
  // measured on this clock, as kube-controller-manager measures it, so a restarted server
  // gives every node its grace period again rather than judging it on stale timestamps.
  struct Health {
    std::chrono::system_clock::time_point heartbeat, observed;
  };
  std::map<std::string, Health> health_;  // only the one worker touches it
  client::EventRecorder node_events_, eviction_events_;
  Controller controller_;
};

}  // namespace mlkube::controllers
