#pragma once
// Liveness, readiness and startup probes of one running container, with the kubelet's
// semantics (pkg/kubelet/prober/worker.go): each probe on a thread of its own after
// initialDelaySeconds, every periodSeconds, failing after timeoutSeconds; a result flips after
// successThreshold / failureThreshold consecutive results. Readiness starts false and liveness
// true; a startup probe holds both back until it has succeeded.
// Thread-safety: the accessors may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"

namespace mlkube::agent {

// Where probes reach the container.
struct ProbeTarget {
  std::string pod_ip;
  int pid = 0;  // for exec probes
  std::vector<std::string> cgroup_procs;
  const Json* container = nullptr;  // for named ports
};

class ContainerProber {
 public:
  using Clock = std::chrono::steady_clock;
  // `on_change` runs (on a probe thread) whenever readiness, startup or the kill verdict
  // changes; `record` emits an Event (type, reason, message).
  ContainerProber(const Json& container, ProbeTarget target, std::function<void()> on_change,
                  std::function<void(const std::string&, const std::string&, const std::string&)> record);
  ~ContainerProber();
  ContainerProber(const ContainerProber&) = delete;
  ContainerProber& operator=(const ContainerProber&) = delete;

  bool ready() const { return ready_; }
  bool started() const { return started_; }
  // The liveness or startup probe failed failureThreshold times: the container must be
  // restarted; the message says why (for the Killing event).
  bool should_restart() const { return restart_; }
  std::string restart_message() const;

  // One check of `probe` (an httpGet, tcpSocket or exec handler); the failure text otherwise.
  static bool RunProbe(const Json& probe, const ProbeTarget& target, std::string* failure);

 private:
  enum class Kind { kStartup, kLiveness, kReadiness };
  void Loop(Kind kind, Json probe);

  ProbeTarget target_;  // its container points at container_
  const std::string name_;
  std::function<void()> on_change_;
  std::function<void(const std::string&, const std::string&, const std::string&)> record_;
  std::atomic<bool> ready_{false}, started_{false}, restart_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string restart_message_;
  Json container_;
  std::vector<std::thread> threads_;
};

}  // namespace mlkube::agent
