#include "agent/agent.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <malloc.h>
#include <unistd.h>

#include <csignal>

#include "agent/cgroups/cgroups.h"
#include "agent/gpu/gpus.h"
#include "agent/logs.h"
#include "agent/node_status.h"
#include "agent/pod_worker.h"
#include "agent/runtime/exec.h"
#include "agent/volumes/volumes.h"
#include "apiserver/certs.h"
#include "apiserver/fd_writer.h"
#include "apiserver/http_server.h"
#include "apiserver/node_proxy.h"
#include "apiserver/port_forward.h"
#include "apiserver/rest.h"
#include "client/events.h"
#include "client/informer.h"
#include "common/ipv4.h"
#include "common/time.h"
#include "proxy/dns_server.h"
#include "proxy/proxier.h"

namespace mlkube::agent {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string Agent::DefaultNodeName() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof buf - 1);
  std::string name = buf;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.empty() ? "localhost" : name;
}

namespace {

// Microseconds, as metav1.MicroTime is written.
std::string MicroTime() {
  std::string nano = FormatRfc3339Nano(std::chrono::system_clock::now());
  return nano.substr(0, nano.size() - 4) + "Z";  // drop 3 of the 9 fraction digits
}

}  // namespace

struct Agent::Impl {
  const client::Client& client;
  Options options;
  NodeFacts facts;
  std::unique_ptr<Cgroups> cgroups;
  std::unique_ptr<GpuAllocator> gpus;
  std::unique_ptr<PodNetwork> network;
  std::unique_ptr<proxy::Proxier> proxier;
  std::unique_ptr<proxy::DnsServer> dns;
  std::unique_ptr<client::EventRecorder> events;
  WorkerPool pool;  // outlives the workers, which are destroyed before it
  std::unique_ptr<client::Informer> services;  // every namespace's, for the pods' service links
  std::unique_ptr<WorkerContext> ctx;
  std::unique_ptr<client::Informer> informer;
  std::unique_ptr<apiserver::HttpServer> daemon;  // the agent's own port, when it serves one
  std::atomic<Agent*> self{nullptr};              // what the port serves, once Start is done

  std::mutex mu;
  // By pod uid; shared so that a log stream keeps its worker alive after the pod is gone.
  std::map<std::string, std::shared_ptr<PodWorker>> workers;
  std::condition_variable cv;

  std::shared_ptr<PodWorker> WorkerOf(const std::string& uid) {
    std::lock_guard lock(mu);
    auto it = workers.find(uid);
    return it == workers.end() ? nullptr : it->second;
  }
  bool stopping = false;
  std::thread heartbeat;
  std::unique_ptr<Nvml> nvml;  // for GPU metrics; null without the driver
  std::unique_ptr<agent::ResourceMetrics> metrics;
  std::thread sampler;
  metrics::Metrics prometheus;  // what /metrics serves
  metrics::Metrics::Registration running_pods, resource_families;

  std::vector<prometheus::MetricFamily> RunningPods() {
    auto f = metrics::Family("kubelet_running_pods", "Pods the agent runs", prometheus::MetricType::Gauge);
    std::lock_guard lock(mu);
    metrics::AddSample(f, {}, static_cast<double>(workers.size()));
    return {f};
  }

  // Samples the node and its pods' containers every metric_resolution.
  void SampleMetrics() {
    ::pthread_setname_np(::pthread_self(), "agent-metrics");  // its CPU is a figure of its own
    std::unique_lock lock(mu);
    while (!stopping) {
      std::vector<std::shared_ptr<PodWorker>> live;
      for (const auto& [uid, w] : workers) live.push_back(w);
      lock.unlock();
      std::vector<PodSample> pods;
      for (const auto& w : live) pods.push_back(w->ForMetrics());
      metrics->Sample(pods);
      if (options.on_metrics_sampled) options.on_metrics_sampled();
      lock.lock();
      cv.wait_for(lock, options.metric_resolution, [&] { return stopping; });
    }
  }

  Impl(const client::Client& c, Options o) : client(c), options(std::move(o)) {}

  bool Mine(const Json& pod) const {
    return pod.contains("spec") && pod["spec"].value("nodeName", "") == facts.name;
  }

  void OnPod(const Json& pod) {
    if (!Mine(pod)) return;
    const std::string uid = pod["metadata"].value("uid", "");
    std::lock_guard lock(mu);
    if (stopping) return;
    // The informer's own copy, shared: one copy of each pod between the cache and its worker.
    PodWorker::PodRef ref = informer->Get(client::Informer::KeyOf(pod));
    if (!ref) ref = std::make_shared<const Json>(pod);
    auto it = workers.find(uid);
    if (it == workers.end()) {
      workers.emplace(uid, std::make_shared<PodWorker>(*ctx, std::move(ref)));
    } else {
      it->second->Update(std::move(ref));
    }
  }

  void OnDelete(const Json& pod) {
    const std::string uid = pod["metadata"].value("uid", "");
    std::lock_guard lock(mu);
    auto it = workers.find(uid);
    if (it == workers.end()) return;
    it->second->Update(std::make_shared<const Json>(pod));  // its last state carries the grace period to honour
    it->second->Delete();
  }

  // The agent's HTTPS port for the API server (Options::serve_port), started before the
  // Node is registered so that the Node names its port and certificate from the start.
  Status ServeDaemonPort() {
    const std::string address = options.serve_address.empty() ? facts.internal_ip : options.serve_address;
    ASSIGN_OR_RETURN(apiserver::ServingCertificate cert,
                     apiserver::EnsureSelfSignedCertificate(options.data_dir / "pki", "kubelet",
                                                            {facts.internal_ip, facts.name, address}));
    apiserver::HttpServer::Options o;
    o.host = address;
    o.port = static_cast<uint16_t>(options.serve_port);
    o.cert_pem = cert.cert_pem;
    o.key_pem = cert.key_pem;
    daemon = std::make_unique<apiserver::HttpServer>(o, [this](apiserver::HttpRequest& req, apiserver::Responder& out) {
      Agent* a = self.load();
      if (a == nullptr) {
        return out.Send(apiserver::StatusResponse(Status(Code::kUnavailable, "the node agent is starting")));
      }
      a->ServeDaemon(req, out);
    });
    RETURN_IF_ERROR(daemon->Start());
    facts.daemon_port = daemon->port();
    facts.serving_cert_sha256 = apiserver::CertSha256(cert.cert_pem);
    return Status::Ok();
  }

  Status Register() {
    Json node = NodeObject(facts);
    auto created = client.Send("POST", "/api/v1/nodes", node);
    Json current;
    if (created.ok()) {
      current = *created;
    } else if (created.status().code() == Code::kAlreadyExists) {
      // Re-registration: our labels and our certificate's fingerprint are brought up to
      // date, others' kept.
      Json fingerprint = facts.serving_cert_sha256.empty() ? Json() : Json(facts.serving_cert_sha256);
      Json patch = {{"metadata",
                     {{"labels", node["metadata"]["labels"]},
                      {"annotations", {{apiserver::kServingCertAnnotation, fingerprint}}}}}};
      ASSIGN_OR_RETURN(current, client.Send("PATCH", "/api/v1/nodes/" + facts.name, patch,
                                            "application/merge-patch+json"));
    } else {
      return created.status();
    }
    return ReportStatus(current.value("status", Json::object()));
  }

  Status ReportStatus(const Json& previous) {
    Json status = NodeStatus(facts, previous);
    auto r = client.Send("PATCH", "/api/v1/nodes/" + facts.name + "/status", Json{{"status", status}},
                         "application/merge-patch+json");
    return r.ok() ? Status::Ok() : r.status();
  }

  Status RenewLease() {
    const std::string path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + facts.name;
    Json patch = {{"spec", {{"renewTime", MicroTime()}}}};
    auto r = client.Send("PATCH", path, patch, "application/merge-patch+json");
    if (r.ok() || r.status().code() != Code::kNotFound) return r.ok() ? Status::Ok() : r.status();
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", facts.name}, {"namespace", "kube-node-lease"}}},
                  {"spec",
                   {{"holderIdentity", facts.name},
                    {"leaseDurationSeconds", 40},
                    {"renewTime", MicroTime()}}}};
    auto c = client.Send("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease);
    return c.ok() ? Status::Ok() : c.status();
  }

  // Pods deleted while no agent was watching: their containers, cgroups, GPUs and files go.
  void CollectOrphans() {
    std::set<std::string> live;
    for (const Json& pod : informer->List()) {
      if (Mine(pod)) live.insert(pod["metadata"].value("uid", ""));
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(ctx->pods_dir, ec)) {
      const std::string uid = entry.path().filename().string();
      if (live.count(uid)) continue;
      (void)cgroups->KillAll("pod" + uid);
      (void)cgroups->Remove("pod" + uid);
      UnmountAllUnder(entry.path());
      fs::remove_all(entry.path(), ec);
    }
    for (const auto& entry : fs::directory_iterator(ctx->logs_dir, ec)) {
      const std::string n = entry.path().filename().string();
      const std::string uid = n.substr(n.rfind('_') + 1);
      if (!live.count(uid)) fs::remove_all(entry.path(), ec);
    }
    gpus->Retain({live.begin(), live.end()});
    network->Retain({live.begin(), live.end()});
  }

  void Heartbeat() {
    size_t pool_threads = 0;
    auto last_status = std::chrono::steady_clock::now();
    Pressures reported = ReadPressures(facts);
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, options.heartbeat, [&] { return stopping; });
      if (stopping) break;
      // Workers whose pods are gone and cleaned up.
      const size_t gone = std::erase_if(workers, [](const auto& kv) { return kv.second->finished(); });
      lock.unlock();
      // What they held goes back to the system, not just to malloc's free lists: after a
      // burst of short pods the agent would otherwise keep its high-water mark. Pool threads
      // that ended have given back their malloc caches too.
      const size_t threads = pool.threads();
      if (gone > 0 || threads < pool_threads) ::malloc_trim(0);
      pool_threads = threads;
      Status st = RenewLease();
      if (!st.ok()) std::fprintf(stderr, "mlkube: agent: lease: %s\n", st.message().c_str());
      network->Prune();  // after the lease: removing namespaces takes a while
      // The full status every minute, and at once when a pressure condition turns, as the
      // kubelet does, so that the node's taints follow within a heartbeat.
      const Pressures now = ReadPressures(facts);
      if (now != reported || std::chrono::steady_clock::now() - last_status >= 6 * options.heartbeat) {
        reported = now;
        auto node = client.Get("/api/v1/nodes/" + facts.name);
        Status rs = node.ok() ? ReportStatus(node->value("status", Json::object())) : Register();
        if (!rs.ok()) std::fprintf(stderr, "mlkube: agent: node status: %s\n", rs.message().c_str());
        last_status = std::chrono::steady_clock::now();
      }
      lock.lock();
    }
  }
};

Result<std::unique_ptr<Agent>> Agent::Start(const client::Client& client, Options options) {
  auto impl = std::make_unique<Impl>(client, options);
  NodeFacts& f = impl->facts;
  f.name = options.node_name.empty() ? DefaultNodeName() : options.node_name;
  f.internal_ip = options.node_ip.empty() ? DetectNodeIp() : options.node_ip;
  f.max_pods = options.max_pods;
  f.data_dir = options.data_dir;
  f.labels = options.labels;
  f.eviction = options.eviction;
  f.container_log_max_size = options.container_log_max_size;
  f.container_log_max_files = options.container_log_max_files;
  if (options.fake_gpus > 0) {
    f.gpus = FakeGpus(options.fake_gpus, f.name);
  } else if (!options.gpu_inventory.empty()) {
    ASSIGN_OR_RETURN(f.gpus, GpusFromInventory(options.gpu_inventory));
  } else {
    f.gpus = DiscoverNvmlGpus(options.nvml_library);
  }
  std::error_code ec;
  for (const char* sub : {"pods", "logs"}) {
    fs::create_directories(options.data_dir / sub, ec);
    if (ec) return Status(Code::kInternal, "cannot create " + (options.data_dir / sub).string() + ": " + ec.message());
  }
  ASSIGN_OR_RETURN(impl->cgroups, Cgroups::Detect("/sys/fs/cgroup", options.cgroup_parent));
  impl->gpus = std::make_unique<GpuAllocator>(f.gpus, options.data_dir / "gpu-allocations.json");
  RETURN_IF_ERROR(impl->gpus->Load());
  PodNetwork::Options no;
  no.bridge = options.bridge;
  no.cidr = options.pod_cidr;
  no.state_dir = options.data_dir / "ipam";
  ASSIGN_OR_RETURN(impl->network, PodNetwork::Setup(no));
  proxy::Proxier::Options po;
  po.bridge = options.bridge;
  po.socket_lb = options.socket_lb;
  ASSIGN_OR_RETURN(po.pod_cidr, ParseIpv4Cidr(options.pod_cidr, "pod CIDR"));
  ASSIGN_OR_RETURN(impl->proxier, proxy::Proxier::Start(client, po));
  // The node's cluster DNS answers on the bridge's address, which every pod reaches.
  proxy::DnsServer::Options dnso;
  dnso.listen_ip = impl->network->gateway();
  dnso.zone = options.cluster_domain;
  ASSIGN_OR_RETURN(impl->dns, proxy::DnsServer::Start(client, dnso));
  f.cluster_dns = dnso.listen_ip;
  f.cluster_domain = options.cluster_domain;
  f.pod_cidr = options.pod_cidr;
  impl->events = std::make_unique<client::EventRecorder>(client, "kubelet", f.name);
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (options.serve_port >= 0) RETURN_IF_ERROR(impl->ServeDaemonPort());
  // As the kubelet, from a cache that is synced before any pod starts, not a list per container.
  impl->services = std::make_unique<client::Informer>(client, "/api/v1/services", client::Informer::Handlers{});
  impl->services->Start();
  if (!impl->services->WaitForSync(30s)) return Status(Code::kUnavailable, "agent: could not list services");
  std::vector<std::string> masked{fs::absolute(options.data_dir).lexically_normal().string()};
  for (const fs::path& p : options.masked_paths) masked.push_back(fs::absolute(p).lexically_normal().string());
  impl->ctx.reset(new WorkerContext{client, *impl->events, *impl->cgroups, *impl->gpus, *impl->network, f,
                                    *impl->services, options.data_dir / "pods", options.data_dir / "logs", self,
                                    impl->pool, std::move(masked)});
  RETURN_IF_ERROR(impl->Register());
  RETURN_IF_ERROR(impl->RenewLease());

  Impl* raw = impl.get();
  client::Informer::Handlers h;
  h.on_add = [raw](const Json& pod) { raw->OnPod(pod); };
  h.on_update = [raw](const Json&, const Json& pod) { raw->OnPod(pod); };
  h.on_delete = [raw](const Json& pod) { raw->OnDelete(pod); };
  impl->informer = std::make_unique<client::Informer>(
      client, "/api/v1/pods?fieldSelector=" + client::QueryEscape("spec.nodeName=" + f.name), std::move(h));
  impl->informer->Start();
  if (!impl->informer->WaitForSync(30s)) return Status(Code::kUnavailable, "agent: could not list pods");
  impl->CollectOrphans();
  impl->heartbeat = std::thread([raw] { raw->Heartbeat(); });
  impl->nvml = Nvml::Open(options.nvml_library);
  impl->metrics = std::make_unique<agent::ResourceMetrics>(*impl->cgroups, impl->nvml.get(), f.name,
                                                           NodeObject(f)["metadata"].value("labels", Json::object()));
  impl->sampler = std::thread([raw] { raw->SampleMetrics(); });
  impl->running_pods = impl->prometheus.AddCollector([raw] { return raw->RunningPods(); });
  impl->resource_families = impl->prometheus.AddCollector([raw] { return raw->metrics->Families(); });
  auto agent = std::unique_ptr<Agent>(new Agent(std::move(impl)));
  agent->impl_->self = agent.get();
  return agent;
}

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Agent::~Agent() { Stop(); }

void Agent::Stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  if (impl_->daemon) impl_->daemon->Stop();
  impl_->cv.notify_all();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  if (impl_->sampler.joinable()) impl_->sampler.join();
  if (impl_->informer) impl_->informer->Stop();
  std::map<std::string, std::shared_ptr<PodWorker>> workers;
  {
    std::lock_guard lock(impl_->mu);
    workers.swap(impl_->workers);
  }
  for (auto& [uid, w] : workers) w->Stop();
  if (impl_->services) impl_->services->Stop();
  // Pods outlive the agent, and so do the rules and the bridge that reach them (a restarted
  // agent takes them over without a gap); a node left with no pods is left clean.
  const bool empty = impl_->network && impl_->network->Empty();
  if (impl_->dns) impl_->dns->Stop();
  if (impl_->proxier) impl_->proxier->Stop(empty);
  if (empty) impl_->network->RemoveBridge();
  if (impl_->cgroups) impl_->cgroups->RemoveParentIfEmpty();
}

const std::string& Agent::node_name() const { return impl_->facts.name; }

apiserver::MetricsSnapshot Agent::ResourceMetrics() const {
  if (!impl_->metrics) return {};
  return {impl_->metrics->NodeMetrics(), impl_->metrics->PodMetrics(), impl_->metrics->CustomMetrics()};
}

namespace {

void FailWith(apiserver::Responder& out, const Status& st) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
            {"message", st.message()}, {"reason", Reason(st.code())}, {"code", HttpCode(st.code())}};
  out.Send({HttpCode(st.code()), "application/json", s.dump(), {}});
}

// The v5.channel.k8s.io framing: one byte of channel, then the data.
enum Channel : char { kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4, kClose = '\xff' };

// Whether a Sec-WebSocket-Protocol list ("a, b") names `protocol`.
bool OffersSubprotocol(std::string_view list, std::string_view protocol) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == protocol) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string Frame(Channel channel, std::string_view data) {
  std::string m(1, channel);
  m.append(data);
  return m;
}

}  // namespace

void Agent::ServeExec(const Json& pod, const apiserver::HttpRequest& req, apiserver::Responder& out) {
  const std::string uid = pod["metadata"].value("uid", "");
  const std::string container = req.Query("container");
  std::shared_ptr<PodWorker> w = impl_->WorkerOf(uid);
  if (!w) return FailWith(out, Status(Code::kBadRequest, "unable to upgrade connection: pod does not exist"));
  std::vector<std::string> argv;
  for (auto [it, end] = req.query.equal_range("command"); it != end; ++it) argv.push_back(it->second);
  if (argv.empty()) return FailWith(out, Status(Code::kBadRequest, "you must specify at least 1 command"));
  auto flag = [&](const char* name) { return req.Query(name) == "true" || req.Query(name) == "1"; };
  const bool want_stdin = flag("stdin"), tty = flag("tty");
  auto target = w->Exec(container);
  if (!target.ok()) return FailWith(out, target.status());
  std::unique_ptr<apiserver::WebSocket> ws = out.UpgradeWebSocket("v5.channel.k8s.io");
  if (!ws) return FailWith(out, Status(Code::kBadRequest, "Upgrade request required"));
  // With a terminal (`exec -t`) the command gets a pty, whose output carries stderr too.
  auto proc = SpawnInContainer(target->pid, target->cgroup_procs, argv, tty ? ExecStreams::kTerminal : ExecStreams::kPipes);
  if (!proc.ok()) {
    ws->Send(Frame(kError, Json({{"metadata", Json::object()}, {"status", "Failure"},
                                 {"message", proc.status().message()}, {"reason", "InternalError"}}).dump()));
    ws->Close();
    ws->Run([](std::string_view) {});
    return;
  }
  // Signals go through a pidfd: once the pump has reaped the command its pid may be reused.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, proc->pid, 0));
  int stdin_fd = proc->stdin_fd;
  if (!want_stdin) {
    ::close(stdin_fd);
    stdin_fd = -1;
  }
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  apiserver::WebSocket* socket = ws.get();
  std::thread pump([socket, p = *proc, command, pidfd] {
    // Output until the command ends (its helper's pidfd turns readable), then what it left
    // behind; not until the streams close: a background job (`sleep 1000 &` under -t) may
    // hold them open for as long as it lives, and the session ends with the command.
    pollfd fds[3] = {{p.stdout_fd, POLLIN, 0}, {p.stderr_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int open = p.stderr_fd >= 0 ? 2 : 1;
    bool exited = false;
    while (open > 0) {
      const int ready = ::poll(fds, 3, exited ? 0 : -1);
      if (ready < 0 && errno != EINTR) break;
      if (ready == 0 && exited) break;  // all it wrote has been read
      if (fds[2].revents & POLLIN) {
        exited = true;
        fds[2].fd = -1;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[32768];
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open;
          continue;
        }
        socket->Send(Frame(i == 0 ? kStdout : kStderr, std::string_view(buf, n)));
      }
    }
    for (const pollfd& f : {fds[0], fds[1]}) {
      if (f.fd >= 0) ::close(f.fd);
    }
    const int code = WaitExec(p);
    Json status = {{"metadata", Json::object()}, {"status", "Success"}};
    if (code != 0) {
      status = {{"metadata", Json::object()},
                {"status", "Failure"},
                {"message", "command terminated with non-zero exit code: error executing command [" + command +
                                "], exit code " + std::to_string(code)},
                {"reason", "NonZeroExitCode"},
                {"details", {{"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(code)}}}}}}};
    }
    socket->Send(Frame(kError, status.dump()));
    socket->Close();
  });
  // The command may read its input slower than the client sends it: a writer of its own
  // feeds it, and the session stops reading the client while too much waits.
  apiserver::FlowGate gate(*ws);
  apiserver::FdWriter input(gate);
  std::atomic<bool> input_closed{false};
  if (stdin_fd >= 0) {
    input.Start(stdin_fd, [&input_closed](int fd) {
      ::close(fd);
      input_closed = true;
    });
  }
  ws->Run([&](std::string_view message) {
    if (!message.empty() && message[0] == kResize) {
      const Json size = Json::parse(message.substr(1), nullptr, false);
      const Json& w = Member(size, "Width");
      const Json& h = Member(size, "Height");
      if (w.is_number_integer() && h.is_number_integer()) ResizeTerminal(proc->terminal_fd, w.get<int>(), h.get<int>());
      return;
    }
    if (message.empty() || stdin_fd < 0) return;
    if (message[0] == kStdin) {
      if (message.size() > 1) input.Push(std::string(message.substr(1)));
    } else if (static_cast<char>(message[0]) == kClose && message.size() > 1 && message[1] == kStdin) {
      input.Finish();
    }
  });
  // The client left (or the command ended): nothing may outlive the session. The kill also
  // ends a write to a command that stopped reading.
  if (pidfd >= 0) ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  input.Abort();
  input.WaitDone(std::chrono::hours(24));
  if (stdin_fd >= 0 && !input_closed) ::close(stdin_fd);
  pump.join();
  if (pidfd >= 0) ::close(pidfd);
  if (proc->terminal_fd >= 0) ::close(proc->terminal_fd);
}

void Agent::ServePortForward(const Json& pod, const apiserver::HttpRequest& req, apiserver::Responder& out) {
  const Json& meta = Member(pod, "metadata");
  const std::string uid = StringMember(meta, "uid");
  std::shared_ptr<PodWorker> w = impl_->WorkerOf(uid);
  if (!w) return FailWith(out, Status(Code::kBadRequest, "unable to upgrade connection: pod does not exist"));
  const Json& host_network = Member(Member(pod, "spec"), "hostNetwork");
  const bool on_host = host_network.is_boolean() && host_network.get<bool>();
  // Looked up for each connection: a finished pod's namespace may go to another pod.
  auto netns = [&] { return on_host ? std::string() : impl_->network->NamespacePath(uid); };
  if (!on_host && !fs::exists(netns())) {
    return FailWith(out, Status(Code::kBadRequest, "unable to upgrade connection: pod sandbox is not ready"));
  }
  if (!OffersSubprotocol(req.Header("sec-websocket-protocol"), apiserver::kPortForwardProtocol)) {
    return FailWith(out, Status(Code::kBadRequest, std::string("unable to upgrade connection: port-forward needs a "
                                                               "WebSocket with the subprotocol ") +
                                                       apiserver::kPortForwardProtocol));
  }
  std::unique_ptr<apiserver::WebSocket> ws = out.UpgradeWebSocket(apiserver::kPortForwardProtocol);
  if (!ws) return FailWith(out, Status(Code::kBadRequest, "Upgrade request required"));
  const std::string who = StringMember(meta, "namespace") + "/" + StringMember(meta, "name");
  apiserver::ServePortForward(*ws, [&](int port) -> Result<int> {
    auto fd = DialLocalhost(netns(), port);
    if (fd.ok()) return fd;
    return Status(fd.status().code(), "error forwarding port " + std::to_string(port) + " to pod " + who +
                                          ", uid " + uid + ": " + fd.status().message());
  });
}

void Agent::ServeLog(const Json& pod, const apiserver::HttpRequest& req, apiserver::Responder& out) {
  const std::string uid = pod["metadata"].value("uid", "");
  const std::string container = req.Query("container");
  std::shared_ptr<PodWorker> w = impl_->WorkerOf(uid);
  auto fail = [&](const Status& st) { FailWith(out, st); };
  if (w == nullptr) {
    return fail(Status(Code::kBadRequest, "container \"" + container + "\" in pod \"" +
                                              pod["metadata"].value("name", "") + "\" is waiting to start: ContainerCreating"));
  }
  LogOptions options;
  if (auto bad = ParseLogOptions(req, &options)) return fail(Status(Code::kBadRequest, *bad));
  const bool previous = req.Query("previous") == "true";
  auto info = w->Log(container, previous);
  if (!info.ok()) return fail(info.status());
  ServeLogFile(info->path, options, [&] {
    auto now = w->Log(container, previous);
    return now.ok() && now->running && now->path == info->path;
  }, out);
}

void Agent::ServeNodeProxy(const apiserver::HttpRequest& req, apiserver::Responder& out) {
  const std::string marker = "/nodes/" + node_name() + "/proxy";
  const size_t at = req.path.find(marker);
  const std::string rest = at == std::string::npos ? req.path : req.path.substr(at + marker.size());
  if (req.method == "GET" && (rest == "/metrics" || rest == "/metrics/")) {
    return out.Send({200, metrics::kContentType, impl_->prometheus.Render(), {}});
  }
  if (req.method == "GET" && rest == "/metrics/resource") {
    return out.Send({200, metrics::kContentType, metrics::Render(impl_->metrics->Families()), {}});
  }
  FailWith(out, Status(Code::kNotFound,
                       "the node agent serves /metrics and /metrics/resource, not " + (rest.empty() ? "/" : rest)));
}

void Agent::ServeDaemon(apiserver::HttpRequest& req, apiserver::Responder& out) {
  if (!apiserver::HasBearerToken(req, impl_->options.serve_token)) {
    return FailWith(out, Status(Code::kUnauthorized, "Unauthorized"));
  }
  const std::vector<std::string> parts = apiserver::SplitPath(req.path);
  const std::string verb = parts.empty() ? "" : parts[0];
  if (req.method == "GET" && req.path == apiserver::kResourceMetricsPath) {
    apiserver::MetricsSnapshot snap = ResourceMetrics();
    Json j = {{"node", snap.node}, {"pods", snap.pods}, {"custom", snap.custom}};
    return out.Send({200, "application/json", j.dump(), {}});
  }
  const bool per_container = verb == "containerLogs" || verb == "exec" || verb == "attach";
  if (!per_container && verb != "portForward") return ServeNodeProxy(req, out);
  if (parts.size() != (per_container ? 4u : 3u)) {
    return FailWith(out, Status(Code::kNotFound, "the node agent serves /" + verb + "/NAMESPACE/POD" +
                                                     (per_container ? "/CONTAINER" : "") + ", not " + req.path));
  }
  // The pod as this node runs it: the API server checked the container against the same spec.
  std::shared_ptr<const Json> pod = impl_->informer->Get(parts[1] + "/" + parts[2]);
  if (!pod || !impl_->Mine(*pod)) {
    return FailWith(out, Status(Code::kNotFound, "pod \"" + parts[2] + "\" in namespace \"" + parts[1] +
                                                     "\" does not run on node " + node_name()));
  }
  if (per_container) {
    req.query.erase("container");
    req.query.emplace("container", parts[3]);
  }
  if (verb == "containerLogs") return ServeLog(*pod, req, out);
  if (verb == "exec") return ServeExec(*pod, req, out);
  if (verb == "portForward") return ServePortForward(*pod, req, out);
  FailWith(out, Status(Code::kBadRequest, "the node agent does not serve " + verb + " yet"));
}

}  // namespace mlkube::agent
