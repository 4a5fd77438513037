#include "cli/commands.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <semaphore>
#include <tuple>

#include <sys/resource.h>
#include <unistd.h>

#include "agent/agent.h"
#include "api/quantity.h"
#include "api/cron.h"
#include "controllers/manager.h"
#include "apiserver/api_server.h"
#include "client/client.h"
#include "common/ipv4.h"
#include "scheduler/scheduler.h"

namespace mlkube::cli {

namespace {
std::binary_semaphore g_stop{0};
void OnSignal(int) { g_stop.release(); }
}  // namespace

std::filesystem::path DefaultDataDir() {
  if (const char* d = std::getenv("MLKUBE_DATA_DIR"); d && *d) return d;
  if (::geteuid() == 0) return "/var/lib/mlkube";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : ".") / ".mlkube";
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalid, "--listen must be HOST:PORT, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) {
    return Status(Code::kInvalid, "--listen has an invalid port: \"" + listen + "\"");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

// The flags of a node, shared by `server` (its own node) and `agent`.
void AddNodeFlags(CLI::App* cmd, agent::Agent::Options& o, std::string& labels) {
  cmd->add_option("--node-name", o.node_name, "Name of this node (default: the host name)");
  cmd->add_option("--node-ip", o.node_ip, "IP address the node reports (default: the first non-loopback IPv4)");
  cmd->add_option("--fake-gpus", o.fake_gpus, "Declare N GPUs for scheduling and tests, without NVML")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--gpu-inventory", o.gpu_inventory, "JSON file listing the node's GPUs (instead of NVML)");
  cmd->add_option("--nvml-library", o.nvml_library,
                  "NVML to load for GPU discovery and metrics (default: libnvidia-ml.so.1 from the loader's path, "
                  "then /usr/local/nvidia/lib64)");
  cmd->add_option("--cgroup-root", o.cgroup_parent, "Cgroup below which pods get theirs")->capture_default_str();
  cmd->add_option("--max-pods", o.max_pods, "Pods this node accepts")->capture_default_str();
  cmd->add_option("--pod-cidr", o.pod_cidr, "IPv4 range for this node's pod addresses")->capture_default_str();
  cmd->add_option("--bridge-name", o.bridge, "Linux bridge the node's pods attach to")->capture_default_str();
  cmd->add_option("--node-labels", labels, "Extra node labels: key=value,key2=value2");
  cmd->add_option("--cluster-domain", o.cluster_domain, "DNS zone of Services (<svc>.<ns>.svc.<zone>)")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
         "--metric-resolution",
         [&o](const std::string& text) {
           int64_t nanos = 0;
           std::string err;
           if (!api::GoParseDuration(text, &nanos, &err) || nanos < 1000000000) {
             throw CLI::ValidationError("--metric-resolution", err.empty() ? "must be at least 1s" : err);
           }
           o.metric_resolution = std::chrono::milliseconds(nanos / 1000000);
         },
         "How often the agent samples the node's and its containers' CPU and memory (default 10s)");
  cmd->add_option_function<std::string>(
         "--eviction-hard",
         [&o](const std::string& text) {
           auto t = agent::ParseEvictionHard(text);
           if (!t.ok()) throw CLI::ValidationError("--eviction-hard", t.status().message());
           o.eviction = *t;
         },
         "Thresholds below which the node reports pressure, as the kubelet's: "
         "memory.available<100Mi,nodefs.available<10%,pid.available<10%");
  cmd->add_option_function<std::string>(
         "--container-log-max-size",
         [&o](const std::string& text) {
           auto q = api::Quantity::Parse(text);
           if (!q.ok() || q->Value() < 1024) {
             throw CLI::ValidationError("--container-log-max-size", "must be a quantity of at least 1Ki: " + text);
           }
           o.container_log_max_size = q->Value();
         },
         "Size at which a container's log file is rotated, as the kubelet's (default 10Mi)");
  cmd->add_option("--container-log-max-files", o.container_log_max_files,
                  "Log files kept per container, the current one included")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  cmd->add_flag("--socket-lb,!--no-socket-lb", o.socket_lb,
                "Balance TCP connects to Services made on this node at connect time (BPF), without NAT")
      ->capture_default_str();
}

Status ParseNodeLabels(const std::string& text, std::map<std::string, std::string>& out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string kv = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status(Code::kInvalid, "--node-labels: \"" + kv + "\" is not key=value");
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

void AddServerCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("server", "Run the API server, store and control plane");
  auto data_dir = std::make_shared<std::string>(DefaultDataDir().string());
  auto listen = std::make_shared<std::string>("127.0.0.1:6443");
  cmd->add_option("--data-dir", *data_dir, "Directory for state, credentials and kubeconfig")
      ->capture_default_str();
  cmd->add_option("--listen", *listen, "HOST:PORT to serve the API on (HTTPS)")
      ->capture_default_str();
  auto node = std::make_shared<agent::Agent::Options>();
  auto labels = std::make_shared<std::string>();
  auto no_agent = std::make_shared<bool>(false);
  auto no_scheduler = std::make_shared<bool>(false);
  AddNodeFlags(cmd, *node, *labels);
  cmd->add_flag("--no-agent", *no_agent, "Run the control plane only, without a node agent for this machine");
  cmd->add_flag("--no-scheduler", *no_scheduler, "Do not schedule pods (they wait for spec.nodeName)");
  auto bookmark = std::make_shared<std::string>("60s");
  cmd->add_option("--watch-bookmark-interval", *bookmark,
                  "How often watches that allow bookmarks get one (e.g. 60s, 1s)")
      ->capture_default_str();
  auto service_range = std::make_shared<std::string>("10.96.0.0/12");
  auto node_port_range = std::make_shared<std::string>("30000-32767");
  cmd->add_option("--service-cluster-ip-range", *service_range, "CIDR Services' cluster IPs come from")
      ->capture_default_str();
  cmd->add_option("--service-node-port-range", *node_port_range, "Ports NodePort Services get, as FIRST-LAST")
      ->capture_default_str();
  auto hpa_sync = std::make_shared<std::string>("15s");
  auto hpa_downscale = std::make_shared<std::string>("5m0s");
  cmd->add_option("--horizontal-pod-autoscaler-sync-period", *hpa_sync,
                  "How often HorizontalPodAutoscalers are evaluated")
      ->capture_default_str();
  cmd->add_option("--horizontal-pod-autoscaler-downscale-stabilization", *hpa_downscale,
                  "How far back an HPA without spec.behavior looks before scaling down")
      ->capture_default_str();
  auto node_grace = std::make_shared<std::string>("40s");
  cmd->add_option("--node-monitor-grace-period", *node_grace,
                  "How long a node may go without a heartbeat before it is marked Unknown (and tainted unreachable)")
      ->capture_default_str();
  auto lb_ip = std::make_shared<std::string>("127.0.0.1");
  cmd->add_option("--load-balancer-ip", *lb_ip,
                  "Host address LoadBalancer Services answer on (reported in status.loadBalancer.ingress)")
      ->capture_default_str();
  cmd->callback([=] {
    auto hp = ParseListen(*listen);
    if (!hp.ok()) Die(hp.status());
    apiserver::ApiServer::Options o;
    auto range = ParseIpv4Cidr(*service_range, "--service-cluster-ip-range");
    if (!range.ok()) Die(range.status());
    if (range->prefix > 29) Die(Status(Code::kInvalid, "--service-cluster-ip-range: prefix must be /29 or wider"));
    o.services.cidr = *range;
    if (std::sscanf(node_port_range->c_str(), "%d-%d", &o.services.node_port_min, &o.services.node_port_max) != 2 ||
        o.services.node_port_min < 1 || o.services.node_port_max > 65535 ||
        o.services.node_port_min > o.services.node_port_max) {
      Die(Status(Code::kInvalid, "--service-node-port-range: want FIRST-LAST, e.g. 30000-32767"));
    }
    o.data_dir = *data_dir;
    o.host = hp->first;
    o.port = hp->second;
    long secs = std::strtol(bookmark->c_str(), nullptr, 10);
    if (secs <= 0) Die(Status(Code::kInvalid, "--watch-bookmark-interval must be a positive duration"));
    o.bookmark_interval = std::chrono::seconds(secs);
    // Each connection (a watch, a kubectl) holds a descriptor; allow as many as the host does.
    if (rlimit rl; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    auto server = apiserver::ApiServer::Start(o);
    if (!server.ok()) Die(server.status());
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    std::fprintf(stderr,
                 "mlkube server listening on %s\n"
                 "  export KUBECONFIG=%s\n"
                 "  kubectl get namespaces\n",
                 (*server)->url().c_str(), (*server)->kubeconfig().c_str());
    std::unique_ptr<client::LocalClient> scheduler_client;
    std::unique_ptr<scheduler::Scheduler> pod_scheduler;
    if (!*no_scheduler) {
      scheduler_client = std::make_unique<client::LocalClient>((*server)->LocalClient("default-scheduler"));
      pod_scheduler = std::make_unique<scheduler::Scheduler>(*scheduler_client);
      pod_scheduler->Start();
    }
    const client::LocalClient controllers_client = (*server)->LocalClient("kube-controller-manager");
    controllers::ControllerManager::Options co;
    if (!ParseIpv4(*lb_ip)) Die(Status(Code::kInvalid, "--load-balancer-ip: \"" + *lb_ip + "\" is not an IPv4 address"));
    co.load_balancer_ip = *lb_ip;
    for (auto [flag, text, out] : {std::tuple{"--horizontal-pod-autoscaler-sync-period", hpa_sync.get(), &co.autoscaling.sync_period},
                                   std::tuple{"--horizontal-pod-autoscaler-downscale-stabilization", hpa_downscale.get(),
                                              &co.autoscaling.downscale_stabilization},
                                   std::tuple{"--node-monitor-grace-period", node_grace.get(), &co.node_lifecycle.grace}}) {
      int64_t nanos = 0;
      std::string err;
      if (!api::GoParseDuration(*text, &nanos, &err) || nanos < 0) {
        Die(Status(Code::kInvalid, std::string(flag) + ": " + (err.empty() ? "must not be negative" : err)));
      }
      *out = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds(nanos));
    }
    if (co.autoscaling.sync_period.count() < 1) co.autoscaling.sync_period = std::chrono::seconds(1);
    co.volume_dir = std::filesystem::absolute(std::filesystem::path(*data_dir) / "volumes");
    if (!*no_agent && ::geteuid() == 0) {
      co.volume_node = node->node_name.empty() ? agent::Agent::DefaultNodeName() : node->node_name;
    }
    controllers::ControllerManager controllers(controllers_client, co);
    controllers.Start();
    std::unique_ptr<client::LocalClient> agent_client;
    std::unique_ptr<agent::Agent> local_agent;
    if (!*no_agent && ::geteuid() != 0) {
      std::fprintf(stderr, "mlkube: not root: running without a node agent (it needs cgroups and "
                           "namespaces); pods will stay Pending. Run as root, or join an agent with "
                           "`mlkube agent`.\n");
    } else if (!*no_agent) {
      agent::Agent::Options ao = *node;
      if (Status st = ParseNodeLabels(*labels, ao.labels); !st.ok()) Die(st);
      ao.data_dir = std::filesystem::path(*data_dir) / "agent";
      ao.masked_paths.push_back(*data_dir);
      ao.on_metrics_sampled = [&controllers] { controllers.MetricsSampled(); };
      agent_client = std::make_unique<client::LocalClient>((*server)->LocalClient("kubelet"));
      auto a = agent::Agent::Start(*agent_client, ao);
      if (!a.ok()) Die(Status(a.status().code(), "node agent: " + a.status().message()));
      local_agent = std::move(*a);
      agent::Agent* raw = local_agent.get();
      (*server)->SetNodeHandler(raw->node_name(), [raw](const std::string& sub, const Json& pod,
                                                         apiserver::HttpRequest& req, apiserver::Responder& out) {
        if (sub == "log") return raw->ServeLog(pod, req, out);
        if (sub == "exec") return raw->ServeExec(pod, req, out);
        if (sub == "portforward") return raw->ServePortForward(pod, req, out);
        if (sub == "proxy" && StringMember(pod, "kind") == "Node") return raw->ServeNodeProxy(req, out);
        out.Send(apiserver::StatusResponse(Status(Code::kUnavailable, "the node agent does not serve " + sub + " yet")));
      });
      (*server)->SetMetricsSource(raw->node_name(), [raw] { return raw->ResourceMetrics(); });
      std::fprintf(stderr, "mlkube agent running node %s\n", raw->node_name().c_str());
    }
    g_stop.acquire();
    std::fprintf(stderr, "mlkube server shutting down\n");
    if (pod_scheduler) pod_scheduler->Stop();
    controllers.Stop();
    if (local_agent) {
      (*server)->SetNodeHandler(local_agent->node_name(), nullptr);
      (*server)->SetMetricsSource(local_agent->node_name(), nullptr);
      local_agent->Stop();
    }
    (*server)->Stop();
  });
}

}  // namespace mlkube::cli

namespace mlkube::cli {

void AddAgentCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("agent", "Run a node agent that joins a server (its kubeconfig)");
  auto o = std::make_shared<agent::Agent::Options>();
  auto labels = std::make_shared<std::string>();
  auto kubeconfig = std::make_shared<std::string>(client::DefaultKubeconfigPath());
  auto data_dir = std::make_shared<std::string>((DefaultDataDir() / "agent").string());
  AddNodeFlags(cmd, *o, *labels);
  cmd->add_option("--kubeconfig", *kubeconfig, "Kubeconfig of the server to join")->capture_default_str();
  cmd->add_option("--data-dir", *data_dir, "Directory for pod state and logs")->capture_default_str();
  o->serve_port = 10250;
  cmd->add_option("--address", o->serve_address,
                  "IP address on which the agent serves logs, exec, port-forward and metrics to the server "
                  "(default: the node's IP, --node-ip)");
  cmd->add_option("--port", o->serve_port, "Port on which the agent serves them (0: any free port)")->capture_default_str();
  cmd->callback([=] {
    auto cfg = client::LoadKubeconfig(*kubeconfig);
    if (!cfg.ok()) Die(cfg.status());
    agent::Agent::Options ao = *o;
    if (Status st = ParseNodeLabels(*labels, ao.labels); !st.ok()) Die(st);
    ao.data_dir = *data_dir;
    ao.masked_paths.push_back(*kubeconfig);
    if (ao.serve_port < 0 || ao.serve_port > 65535) Die(Status(Code::kInvalid, "--port: must be between 0 and 65535"));
    // The server calls the agent with the credential the agent itself was given.
    ao.serve_token = cfg->token;
    client::RemoteClient remote(*cfg);
    auto a = agent::Agent::Start(remote, ao);
    if (!a.ok()) Die(a.status());
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    std::fprintf(stderr, "mlkube agent running node %s against %s\n", (*a)->node_name().c_str(), cfg->server.c_str());
    g_stop.acquire();
    (*a)->Stop();
  });
}

}  // namespace mlkube::cli
