#pragma once
// The scheduler (kube-scheduler's default profile, reduced): watches pods and nodes, keeps a
// cache of what each node has left, and binds each pending pod to the best node that passes
// every Filter plugin, by the weighted Score plugins. A pod that fits nowhere gets Kubernetes'
// FailedScheduling event and PodScheduled=False condition, may preempt lower-priority pods, and
// waits in the unschedulable queue until the cluster changes in a way that could help.
// Thread-safety: informer callbacks and the scheduling thread meet under mu_.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "common/metrics.h"
#include "scheduler/framework.h"

namespace mlkube::scheduler {

class Scheduler {
 public:
  explicit Scheduler(const client::Client& client);
  ~Scheduler();
  void Start();
  void Stop();

  // The FailedScheduling message for `pod` given each node's reasons (empty: it fits), and
  // the nodes preemption could not help with (see Preempt). Exposed for tests.
  static std::string UnschedulableMessage(size_t nodes, const std::map<std::string, Reasons>& why,
                                          const std::string& preemption);

 private:
  using Clock = std::chrono::steady_clock;
  struct Queued {
    int32_t priority;
    Clock::time_point since;
    std::string key;
    bool operator<(const Queued& o) const {
      if (priority != o.priority) return priority > o.priority;  // higher priority first
      if (since != o.since) return since < o.since;
      return key < o.key;
    }
  };

  void OnPod(const Json& pod);
  void OnPodGone(const Json& pod);
  void OnNode(const Json& node);
  void OnNodeGone(const Json& node);
  void Enqueue(const std::string& key, int32_t priority);  // under mu_
  void MoveUnschedulableToActive();  // under mu_
  void Place(const std::string& key, PodInfo pod, const std::string& node);  // under mu_
  void Unplace(const std::string& key);  // under mu_
  void Run();
  void ScheduleOne(const std::string& key);
  struct Binding {
    std::string key, node;
    Json pod;
    Clock::time_point attempt_start;  // when its scheduling attempt began
  };
  void BindLoop();
  void Bind(const Binding& b);
  // Tries to make room by evicting lower-priority pods; returns the preemption part of the
  // message ("preemption: ..."), and sets *nominated when victims were chosen.
  std::string Preempt(const PodInfo& pod, const std::map<std::string, Reasons>& why, std::string* nominated);
  // VolumeBinding's pre-filter: the pod's claims must exist and be bound (to volumes whose node
  // affinity it then records in `pod`); otherwise the reason no node can take it.
  std::string ResolveVolumes(PodInfo& pod) const;
  void Unschedulable(const std::string& key, const PodInfo& pod, const std::string& message,
                     const std::string& nominated, Clock::time_point start);

  const client::Client& client_;
  client::EventRecorder events_;
  std::vector<std::unique_ptr<FilterPlugin>> filters_;
  std::vector<std::unique_ptr<ScorePlugin>> scores_;
  std::unique_ptr<client::Informer> pods_, nodes_informer_;
  std::unique_ptr<client::Informer> claims_, volumes_;  // PersistentVolumeClaims and -Volumes

  std::mutex mu_;
  // Apart, so that queueing a pod wakes the scheduling loop only and a binding one binder only:
  // with one variable every event woke all the binders, which then fought for mu_ with the
  // loop (most of a scheduling attempt was spent waiting for the lock).
  std::condition_variable cv_, bind_cv_;
  bool stop_ = false;
  metrics::Metrics::Registration pending_metrics_;  // scheduler_pending_pods
  std::set<Queued> active_;
  std::map<std::string, Queued> queued_;                 // key -> its entry in active_
  std::map<std::string, Clock::time_point> backoff_;     // key -> when it may be tried again
  std::map<std::string, int> attempts_;
  std::map<std::string, Clock::time_point> unschedulable_;  // key -> since
  // MoveUnschedulableToActive calls so far, and their number when the running attempt began:
  // a pod found unschedulable after a change that might help it is retried, not parked.
  uint64_t moves_ = 0, moves_at_attempt_ = 0;
  std::map<std::string, NodeInfo> nodes_;
  std::vector<NodeInfo*> node_order_;  // into nodes_: the nodes in the order filtering visits them
  size_t next_start_ = 0;
  std::map<std::string, std::pair<std::string, PodInfo>> placed_;  // key -> (node, pod)
  std::set<std::string> assumed_;  // bound by us, not yet seen bound: counted on their node
  std::deque<Binding> bindings_;
  std::thread thread_;
  std::vector<std::thread> binders_;
};

}  // namespace mlkube::scheduler
