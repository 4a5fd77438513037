#pragma once
// The node agent (our kubelet): registers this machine as a Node with its CPUs, memory, disk
// and GPUs, renews its Lease in kube-node-lease, watches the pods bound to it and runs each
// through a PodWorker. `mlkube server` runs one for its own machine over the in-process
// client; `mlkube agent` runs one against a remote server over HTTPS.
// Thread-safety: Start/Stop from the owner; the Serve methods from any thread.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/node_status.h"
#include "api/json.h"
#include "apiserver/http.h"
#include "apiserver/metrics_api.h"
#include "client/client.h"
#include "common/status.h"

namespace mlkube::agent {

class Agent {
 public:
  struct Options {
    std::string node_name;                // default: the host name
    std::filesystem::path data_dir;       // pods/, logs/ and the GPU checkpoint
    // Host paths that pods never see (their root is the host's, through a private layer): the
    // agent's data directory always; the server adds its own, with the store, the CA's key and
    // the admin kubeconfig, and a joined agent its kubeconfig.
    std::vector<std::filesystem::path> masked_paths;
    std::string node_ip;                  // default: the first non-loopback IPv4 address
    int fake_gpus = 0;                    // declared GPUs (no NVML needed)
    std::filesystem::path gpu_inventory;  // or a JSON list of GPUs
    std::string nvml_library;  // empty: the loader's search path, then /usr/local/nvidia/lib64
    std::string cgroup_parent = "mlkube";
    std::string pod_cidr = "10.88.0.0/16";  // pod addresses; the first is the bridge's
    std::string bridge = "mlkube0";
    std::string cluster_domain = "cluster.local";  // the DNS zone of Services
    bool socket_lb = true;  // connect-time balancing for TCP Services (else nftables alone)
    std::map<std::string, std::string> labels;
    int max_pods = 110;
    std::chrono::seconds heartbeat{10};
    std::chrono::milliseconds metric_resolution{10000};  // how often usage is sampled
    EvictionThresholds eviction;                         // --eviction-hard
    int64_t container_log_max_size = 10 << 20;          // --container-log-max-size
    int container_log_max_files = 5;                     // --container-log-max-files
    std::function<void()> on_metrics_sampled;  // called after each sample (may be empty)
    // Where the API server reaches this agent for logs, exec, port-forward and metrics, as the
    // kubelet's --address and --port: HTTPS with a self-signed certificate (published on the
    // Node), requests carrying `serve_token`. A negative port serves nothing (the server's
    // built-in agent is called in-process); 0 picks a free port.
    std::string serve_address;  // default: node_ip
    int serve_port = -1;
    std::string serve_token;
  };

  static Result<std::unique_ptr<Agent>> Start(const client::Client& client, Options options);
  ~Agent();
  // Stops watching and reporting; running pods keep running (a new agent adopts them).
  void Stop();
  const std::string& node_name() const;
  // The node's name when --node-name is not given: the host name, in lower case.
  static std::string DefaultNodeName();

  // Answers the pods/log subresource for a pod bound to this node.
  void ServeLog(const Json& pod, const apiserver::HttpRequest& req, apiserver::Responder& out);
  // Answers pods/exec: a WebSocket with the v5.channel.k8s.io framing kubectl speaks.
  void ServeExec(const Json& pod, const apiserver::HttpRequest& req, apiserver::Responder& out);
  // The latest resource usage samples, as metrics.k8s.io objects.
  apiserver::MetricsSnapshot ResourceMetrics() const;
  // Answers nodes/proxy for this node, as the kubelet's port does: /metrics (the agent's own
  // series, the resource metrics and the GPUs') and /metrics/resource, in Prometheus text.
  // The path is what follows .../proxy (or, on the agent's own port, the whole path).
  void ServeNodeProxy(const apiserver::HttpRequest& req, apiserver::Responder& out);
  // Answers pods/portforward: SPDY/3.1 over a WebSocket, to ports on the pod's localhost.
  void ServePortForward(const Json& pod, const apiserver::HttpRequest& req, apiserver::Responder& out);

 private:
  // The agent's own HTTPS port (Options::serve_port): the kubelet's paths.
  void ServeDaemon(apiserver::HttpRequest& req, apiserver::Responder& out);
  struct Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlkube::agent
