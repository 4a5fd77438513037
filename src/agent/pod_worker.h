#pragma once
// One pod on this node, from admission to cleanup: the kubelet's pod worker. A level-triggered
// step, run by the agent's WorkerPool whenever the pod changes, a container exits or a timer
// is due, compares the pod's spec with what runs and moves one towards the other: admit (GPUs), create the pod's cgroup, run init containers in order, then the app
// containers, restart them by restartPolicy with CrashLoopBackOff, and write status back.
// Containers run under shims (runtime/shim.h), so their state is on disk: a new worker (after
// an agent restart) adopts them as they are instead of starting them again.
// Thread-safety: Update/Delete/Stop from any thread; the rest runs in the worker's steps, one
// at a time.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/cgroups/cgroups.h"
#include "agent/gpu/gpus.h"
#include "agent/network/pod_network.h"
#include "agent/prober/prober.h"
#include "agent/resource_metrics.h"
#include "agent/node_status.h"
#include "agent/env.h"
#include "agent/runtime/shim.h"
#include "agent/volumes/volumes.h"
#include "agent/worker_pool.h"
#include "api/json.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/events.h"

namespace mlkube::agent {

// What every worker shares, owned by the agent.
struct WorkerContext {
  const client::Client& client;
  client::EventRecorder& events;
  const Cgroups& cgroups;
  GpuAllocator& gpus;
  PodNetwork& network;
  const NodeFacts& node;
  const client::Informer& services;  // service link variables come from it
  std::filesystem::path pods_dir;  // per-container state: <uid>/<container>/<attempt>/
  std::filesystem::path logs_dir;  // <namespace>_<name>_<uid>/<container>/<attempt>.log
  std::filesystem::path self_exe;  // this binary, to start shims
  WorkerPool& pool;                // runs the workers' steps
  std::vector<std::string> masked_paths;  // host paths no container sees (Agent::Options)
};

class PodWorker {
 public:
  // `pod` is the informer's object (shared, never changed), as are the updates.
  using PodRef = std::shared_ptr<const Json>;
  PodWorker(WorkerContext& ctx, PodRef pod);
  ~PodWorker();
  PodWorker(const PodWorker&) = delete;
  PodWorker& operator=(const PodWorker&) = delete;

  void Update(PodRef pod);
  // The pod is gone from the API: stop its containers and clean up.
  void Delete();
  // Agent shutdown: the worker stops; the containers go on running.
  void Stop();
  bool finished() const { return finished_; }

  // A container's log file (the previous attempt's with `previous`), and whether that
  // container has stopped for good (a follower can stop at the end of the file).
  struct LogInfo {
    std::filesystem::path path;
    bool running = false;
  };
  Result<LogInfo> Log(const std::string& container, bool previous) const;

  // Where `kubectl exec` runs a command: the container's main process and cgroups.
  struct ExecTarget {
    int pid = 0;
    std::vector<std::string> cgroup_procs;
  };
  Result<ExecTarget> Exec(const std::string& container) const;

  // The pod and its running app containers' cgroups, for the resource metrics.
  PodSample ForMetrics() const;

 private:
  using Clock = std::chrono::system_clock;

  struct Container {
    std::string name;
    bool init = false;
    int attempt = -1;  // -1: never started; also the restart count once started
    int shim_pid = 0, pid = 0, pidfd = -1;
    std::string started_at;
    bool running = false;
    std::optional<ContainerExit> exit;  // how the current attempt ended
    std::optional<ContainerExit> last;  // how the one before it ended (lastState)
    uint64_t oom_base = 0;              // the cgroup's oom_kill count at start
    std::chrono::seconds backoff{0};
    Clock::time_point restart_at{};
    std::string waiting_reason, waiting_message;
    std::unique_ptr<ContainerProber> prober;  // while running, when it has probes
    Clock::time_point kill_at{};              // set once a failed probe asked for a restart
  };

  // One pass: Sync, then what to wait for (the wake eventfd and the running containers'
  // pidfds, in epoll_fd_) and until when; nullopt once the worker is done.
  std::optional<WorkerPool::Clock::time_point> Step();
  void WatchExits();
  PodRef Latest() const;  // pod_, taken under mu_
  void Sync();
  void Adopt();
  bool Admit(const Json& pod);
  Status MakeSandbox(const Json& pod);
  EnvInputs Downward(const Json& pod) const;
  void ObserveExits();
  // Starts `c` (its next attempt); false when it could not be started this time.
  bool Start(const Json& pod, const Json& spec, Container& c);
  // A start that cannot be made: the container waits with `reason` and `message` (an event
  // says so once per message) and is tried again after `retry_after`. Returns false.
  bool Refuse(const Json& pod, Container& c, const std::string& reason, const std::string& message,
              Clock::duration retry_after);
  void StartProber(const Json& pod, const Json& container, Container& c,
                   const std::vector<std::string>& cgroup_procs);
  void EnforceProbes(const Json& pod);
  void RunPreStop(const Json& pod, const Container& c, Clock::time_point deadline);
  void Terminate(const Json& pod, std::chrono::seconds grace);
  void ReleaseSandbox();
  void Cleanup();
  void PostStatus(const Json& pod);
  Json BuildStatus(const Json& pod) const;
  bool ShouldRestart(const Json& pod, const Container& c) const;
  Container* Find(const std::string& name);
  const Container* Find(const std::string& name) const;
  std::filesystem::path StateDir(const Container& c, int attempt) const;
  std::filesystem::path LogPath(const std::string& name, int attempt) const;
  std::string CgroupOf(const std::string& container = "") const;
  Clock::time_point NextWake() const;
  void Wait(Clock::time_point until);
  void Wake();

  WorkerContext& ctx_;
  const std::string uid_, ns_, name_;
  mutable std::mutex mu_;
  PodRef pod_;  // the latest from the API, under mu_
  bool deleted_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  int wake_fd_ = -1;
  int epoll_fd_ = -1;                // wake_fd_ and the pidfds in watched_; the pool waits on it
  std::vector<int> watched_;
  bool adopted_ = false;
  uint64_t pool_id_ = 0;

  // Step state (Log() reads containers_ under mu_).
  std::vector<Container> containers_;
  bool admitted_ = false;
  bool rejected_ = false;  // refused at admission: fails without running anything
  bool sandbox_ = false;
  std::string pod_ip_;
  PodVolumes volumes_;
  bool volumes_ready_ = false;
  bool released_ = false;  // a terminal pod's resources are given back
  // A container of the pod could change its network namespace (privileged, a capability beyond
  // the default set, a volume of the host's /proc or /sys), or was started by an earlier agent:
  // the namespace is not reused.
  bool may_change_network_ = false;
  Clock::time_point last_refresh_{};
  std::string start_time_;
  std::string failed_reason_, failed_message_;  // the pod failed as a whole (admission, deadline)
  std::string posted_;                           // the last status written, serialized
};

}  // namespace mlkube::agent
