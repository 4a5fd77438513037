#include "agent/pod_worker.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/env.h"
#include "agent/resolv_conf.h"
#include "agent/volumes/volumes.h"
#include "api/quantity.h"
#include "common/files.h"
#include "common/time.h"

namespace mlkube::agent {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kInitialBackoff = 10s;
constexpr auto kMaxBackoff = 300s;
constexpr auto kBackoffReset = 600s;  // a container that ran this long starts its back-off over
constexpr auto kVolumeRefresh = 3s;   // how often configMap/secret/downwardAPI volumes are re-read
constexpr auto kResync = 10s;         // a pass with nothing to wait for, to stay level-triggered

int PidfdOpen(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// The shim with this pid is still the one that runs this container (pids are reused): a
// shim's working directory is its container's state directory (and the command line of one
// started by an earlier version, `mlkube shim SPEC`, names its spec).
bool ShimAlive(int pid, const fs::path& state_dir) {
  if (pid <= 0) return false;
  const std::string proc = "/proc/" + std::to_string(pid);
  struct stat cwd {}, dir {};
  if (::stat((proc + "/cwd").c_str(), &cwd) == 0 && ::stat(state_dir.c_str(), &dir) == 0 &&
      cwd.st_dev == dir.st_dev && cwd.st_ino == dir.st_ino) {
    return true;
  }
  auto cmdline = ReadFile(proc + "/cmdline");
  return cmdline.ok() && cmdline->find((state_dir / "spec.json").string()) != std::string::npos;
}

std::optional<int64_t> QuantityMilli(const Json& list, const char* name) {
  const std::string text = StringMember(list, name);
  if (text.empty()) return std::nullopt;
  auto q = api::Quantity::Parse(text);
  if (!q.ok()) return std::nullopt;
  return q->MilliValue();
}

std::optional<int64_t> QuantityValue(const Json& list, const char* name) {
  const std::string text = StringMember(list, name);
  if (text.empty()) return std::nullopt;
  auto q = api::Quantity::Parse(text);
  if (!q.ok()) return std::nullopt;
  return q->Value();
}

CgroupLimits ContainerLimits(const Json& c) {
  const Json& res = Member(c, "resources");
  const Json& limits = Member(res, "limits");
  const Json& requests = Member(res, "requests");
  CgroupLimits l;
  l.memory_bytes = QuantityValue(limits, "memory");
  l.cpu_limit_milli = QuantityMilli(limits, "cpu");
  // A container with a limit and no request gets the limit as its request (defaulted by the
  // API already; kept here for pods written before that).
  l.cpu_request_milli = QuantityMilli(requests, "cpu").value_or(l.cpu_limit_milli.value_or(0));
  return l;
}

// The pod's own cgroup: the sum of its app containers' limits, or the largest init
// container's when that is larger; unlimited when any container is unlimited (as the kubelet).
CgroupLimits PodLimits(const Json& spec) {
  CgroupLimits pod;
  int64_t memory = 0, cpu = 0, request = 0;
  bool memory_bounded = true, cpu_bounded = true;
  for (const Json& c : Member(spec, "containers")) {
    CgroupLimits l = ContainerLimits(c);
    if (l.memory_bytes) memory += *l.memory_bytes; else memory_bounded = false;
    if (l.cpu_limit_milli) cpu += *l.cpu_limit_milli; else cpu_bounded = false;
    request += l.cpu_request_milli;
  }
  const Json& inits = Member(spec, "initContainers");
  if (inits.is_array()) {
    for (const Json& c : inits) {
      CgroupLimits l = ContainerLimits(c);
      if (l.memory_bytes) memory = std::max(memory, *l.memory_bytes); else memory_bounded = false;
      if (l.cpu_limit_milli) cpu = std::max(cpu, *l.cpu_limit_milli); else cpu_bounded = false;
      request = std::max(request, l.cpu_request_milli);
    }
  }
  if (memory_bounded) pod.memory_bytes = memory;
  if (cpu_bounded) pod.cpu_limit_milli = cpu;
  pod.cpu_request_milli = request;
  return pod;
}

int GpuRequest(const Json& spec) {
  auto count = [](const Json& c) {
    const Json& limits = Member(Member(c, "resources"), "limits");
    return static_cast<int>(QuantityValue(limits, "nvidia.com/gpu").value_or(0));
  };
  int apps = 0, inits = 0;
  for (const Json& c : Member(spec, "containers")) apps += count(c);
  const Json& ic = Member(spec, "initContainers");
  if (ic.is_array()) {
    for (const Json& c : ic) inits = std::max(inits, count(c));
  }
  return std::max(apps, inits);
}

// A volume from the host's /, /proc or /sys gives the container the kernel's knobs that its
// own /proc and /sys keep read-only.
bool ExposesKernelKnobs(const std::string& source) {
  std::error_code ec;
  const std::string p = fs::weakly_canonical(source, ec).string();
  for (const char* dir : {"/proc", "/sys"}) {
    if (p == dir || p.rfind(std::string(dir) + "/", 0) == 0) return true;
  }
  return p == "/";
}

// Only volumes are mounted in the host's namespace (memory-backed emptyDirs and the like):
// a pod without any spares a read of the host's whole mount table.
bool HasVolumes(const Json& pod) {
  const Json& volumes = Member(Member(pod, "spec"), "volumes");
  return volumes.is_array() && !volumes.empty();
}

bool HostNetwork(const Json& spec) {
  const Json& v = Member(spec, "hostNetwork");
  return v.is_boolean() && v.get<bool>();
}

// spec.hostname, else the pod's name (cut to a DNS label, as the kubelet does).
std::string Hostname(const Json& pod) {
  std::string name = StringMember(Member(pod, "spec"), "hostname");
  if (name.empty()) name = StringMember(Member(pod, "metadata"), "name");
  if (name.size() > 63) name.resize(63);
  while (!name.empty() && (name.back() == '-' || name.back() == '.')) name.pop_back();
  return name;
}

std::string NowRfc3339() { return FormatRfc3339(std::chrono::system_clock::now()); }

Json Condition(const Json& previous, const std::string& type, bool status,
               const std::string& reason = "", const std::string& message = "") {
  const std::string s = status ? "True" : "False";
  std::string transition = NowRfc3339();
  if (previous.is_array()) {
    for (const Json& c : previous) {
      if (StringMember(c, "type") == type && StringMember(c, "status") == s) transition = StringMember(c, "lastTransitionTime");
    }
  }
  Json c = {{"type", type}, {"status", s}, {"lastProbeTime", nullptr}, {"lastTransitionTime", transition}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

std::string NameList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? " " : "") + names[i];
  return out + "]";
}

}  // namespace

PodWorker::PodWorker(WorkerContext& ctx, PodRef pod)
    : ctx_(ctx),
      uid_(StringMember(Member(*pod, "metadata"), "uid")),
      ns_(StringMember(Member(*pod, "metadata"), "namespace")),
      name_(StringMember(Member(*pod, "metadata"), "name")),
      pod_(std::move(pod)),
      volumes_(ctx.client, ctx.pods_dir / uid_ / "volumes") {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (wake_fd_ < 0 || epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), "pod worker");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  const Json& spec = Member(*pod_, "spec");
  for (const char* list : {"initContainers", "containers"}) {
    const Json& cs = Member(spec, list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) {
      Container k;
      k.name = StringMember(c, "name");
      k.init = std::string(list) == "initContainers";
      containers_.push_back(std::move(k));
    }
  }
  pool_id_ = ctx_.pool.Add(epoll_fd_, [this] { return Step(); });
}

PodWorker::~PodWorker() {
  Stop();
  for (Container& c : containers_) {
    if (c.pidfd >= 0) ::close(c.pidfd);
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void PodWorker::Update(PodRef pod) {
  {
    std::lock_guard lock(mu_);
    pod_ = std::move(pod);
  }
  Wake();
}

void PodWorker::Delete() {
  {
    std::lock_guard lock(mu_);
    deleted_ = true;
  }
  Wake();
}

void PodWorker::Stop() {
  stop_ = true;
  Wake();
  if (const uint64_t id = std::exchange(pool_id_, 0)) ctx_.pool.Remove(id);
}

void PodWorker::Wake() {
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void PodWorker::Wait(Clock::time_point until) {
  std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
  for (const Container& c : containers_) {
    if (c.running && c.pidfd >= 0) fds.push_back({c.pidfd, POLLIN, 0});
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(left, 0, 60000)));
  uint64_t drained;
  (void)!::read(wake_fd_, &drained, sizeof drained);
}

fs::path PodWorker::StateDir(const Container& c, int attempt) const {
  return ctx_.pods_dir / uid_ / c.name / std::to_string(attempt);
}

fs::path PodWorker::LogPath(const std::string& name, int attempt) const {
  return ctx_.logs_dir / (ns_ + "_" + name_ + "_" + uid_) / name / (std::to_string(attempt) + ".log");
}

std::string PodWorker::CgroupOf(const std::string& container) const {
  return container.empty() ? "pod" + uid_ : "pod" + uid_ + "/" + container;
}

PodWorker::Container* PodWorker::Find(const std::string& name) {
  for (Container& c : containers_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const PodWorker::Container* PodWorker::Find(const std::string& name) const {
  for (const Container& c : containers_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<PodWorker::LogInfo> PodWorker::Log(const std::string& container, bool previous) const {
  std::lock_guard lock(mu_);
  const Container* c = Find(container);
  if (c == nullptr) {
    return Status(Code::kBadRequest, "container " + container + " is not valid for pod " + name_);
  }
  if (previous) {
    if (c->attempt < 1) {
      return Status(Code::kBadRequest, "previous terminated container \"" + container + "\" in pod \"" +
                                           name_ + "\" not found");
    }
    return LogInfo{LogPath(container, c->attempt - 1), false};
  }
  if (c->attempt < 0) {
    std::string reason = c->waiting_reason.empty() ? "ContainerCreating" : c->waiting_reason;
    return Status(Code::kBadRequest, "container \"" + container + "\" in pod \"" + name_ +
                                         "\" is waiting to start: " + reason);
  }
  return LogInfo{LogPath(container, c->attempt), c->running};
}

Result<PodWorker::ExecTarget> PodWorker::Exec(const std::string& container) const {
  std::lock_guard lock(mu_);
  const Container* c = Find(container);
  if (c == nullptr || !c->running || c->pid <= 0) {
    return Status(Code::kBadRequest, "unable to upgrade connection: container not found (\"" + container + "\")");
  }
  ExecTarget t{c->pid, {}};
  for (const auto& p : ctx_.cgroups.ProcsFiles(CgroupOf(container))) t.cgroup_procs.push_back(p.string());
  return t;
}

PodSample PodWorker::ForMetrics() const {
  std::lock_guard lock(mu_);
  PodSample s;
  const Json& meta = Member(*pod_, "metadata");
  s.metadata = {{"namespace", ns_}, {"name", name_}, {"uid", uid_}};
  if (Member(meta, "labels").is_object()) s.metadata["labels"] = meta["labels"];
  for (const Container& c : containers_) {
    if (!c.init && c.running) s.containers.emplace_back(c.name, CgroupOf(c.name));
  }
  s.scrape = ScrapeTargetOf(*pod_);
  for (const Gpu& g : ctx_.gpus.Of(uid_)) s.gpus.push_back(g.uuid);
  return s;
}

// ---------------------------------------------------------------------------------------------

std::optional<WorkerPool::Clock::time_point> PodWorker::Step() {
  if (!adopted_) {
    adopted_ = true;  // once: a second pass would open the shims' pidfds again
    Adopt();
  }
  uint64_t drained;
  (void)!::read(wake_fd_, &drained, sizeof drained);  // what woke this step, Sync now sees
  if (stop_) return std::nullopt;
  try {
    Sync();
  } catch (const std::exception& e) {
    // Level-triggered: the next pass tries again.
    std::fprintf(stderr, "mlkube: agent: pod %s/%s: %s\n", ns_.c_str(), name_.c_str(), e.what());
  }
  if (finished_ || stop_) return std::nullopt;
  const auto next = NextWake();
  WatchExits();
  return WorkerPool::Clock::now() + std::chrono::ceil<WorkerPool::Clock::duration>(next - Clock::now());
}

PodWorker::PodRef PodWorker::Latest() const {
  std::lock_guard lock(mu_);
  return pod_;
}

// The running containers' pidfds join the wake eventfd in the set the pool waits on. The set
// is made again each time: a closed pidfd has left it by itself, and its number may be reused.
void PodWorker::WatchExits() {
  for (const int fd : watched_) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  watched_.clear();
  for (const Container& c : containers_) {
    if (!c.running || c.pidfd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.pidfd, &ev) == 0) watched_.push_back(c.pidfd);
  }
}

// When the next pass is due without an event: a restart or kill coming up, a projected volume
// to re-read, the active deadline; otherwise a slow resync. Exits, probe results and pod
// updates wake the worker at once.
PodWorker::Clock::time_point PodWorker::NextWake() const {
  const auto now = Clock::now();
  Clock::time_point next = now + kResync;
  for (const Container& c : containers_) {
    if (c.restart_at > now) next = std::min(next, c.restart_at);
    if (c.kill_at != Clock::time_point{}) next = std::min(next, std::max(now, c.kill_at));
    if (c.attempt < 0 && c.restart_at == Clock::time_point{} && !c.running) next = std::min(next, now + 1s);
  }
  if (volumes_.HasProjections()) next = std::min(next, last_refresh_ + kVolumeRefresh);
  const PodRef ref = Latest();
  const Json& spec = Member(*ref, "spec");
  if (Member(spec, "activeDeadlineSeconds").is_number_integer()) {
    if (auto started = ParseRfc3339(start_time_)) {
      next = std::min(next, std::max(now, *started + std::chrono::seconds(spec["activeDeadlineSeconds"].get<int64_t>())));
    }
  }
  return std::max(next, now + 10ms);
}

// Picks up what earlier agents started: the newest attempt of each container, running (its
// shim is alive) or ended (exit.json).
void PodWorker::Adopt() {
  std::lock_guard lock(mu_);
  const Json& status = Member(*pod_, "status");
  start_time_ = StringMember(status, "startTime");
  for (Container& c : containers_) {
    std::error_code ec;
    int newest = -1;
    for (const auto& entry : fs::directory_iterator(ctx_.pods_dir / uid_ / c.name, ec)) {
      const std::string n = entry.path().filename().string();
      if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit)) newest = std::max(newest, std::stoi(n));
    }
    if (newest < 0) continue;
    may_change_network_ = true;  // what an earlier agent let its containers do is not known here
    // Admission and the sandbox are made again: both find what was there (the GPUs in the
    // checkpoint, the cgroup, the network namespace and its address).
    c.attempt = newest;
    const fs::path dir = StateDir(c, newest);
    if (newest > 0) {
      auto prev = ReadContainerExit(StateDir(c, newest - 1));
      if (prev.ok()) c.last = *prev;
    }
    auto exit = ReadContainerExit(dir);
    if (exit.ok()) {
      c.exit = *exit;
      continue;
    }
    auto started = ReadFile(dir / "started.json");
    Json s = started.ok() ? Json::parse(*started, nullptr, false) : Json();
    c.shim_pid = s.is_object() ? s.value("shimPid", 0) : 0;
    c.pid = s.is_object() ? s.value("pid", 0) : 0;
    c.started_at = s.is_object() ? s.value("startedAt", "") : "";
    c.oom_base = s.is_object() ? s.value("oomBase", uint64_t{0}) : 0;
    if (ShimAlive(c.shim_pid, dir)) {
      c.pidfd = PidfdOpen(c.shim_pid);
      c.running = true;
      continue;
    }
    // The shim is gone without a record (killed with the node, say): what Kubernetes reports
    // for a container it cannot find.
    ContainerExit lost;
    lost.exit_code = 137;
    lost.reason = "ContainerStatusUnknown";
    lost.message = "The container could not be located when the pod was terminated";
    lost.started_at = c.started_at;
    lost.finished_at = NowRfc3339();
    c.exit = lost;
  }
}

bool PodWorker::Admit(const Json& pod) {
  const Json& spec = Member(pod, "spec");
  for (const char* list : {"initContainers", "containers"}) {
    const Json& cs = Member(spec, list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) {
      const Json& command = Member(c, "command");
      if (command.is_array() && !command.empty()) continue;
      rejected_ = true;
      failed_reason_ = "ImageNotSupported";
      failed_message_ = "container \"" + StringMember(c, "name") +
                        "\" has no command: mlkube runs containers as host processes and cannot "
                        "run the entrypoint of image \"" + StringMember(c, "image") + "\"; set command";
      ctx_.events.Record(pod, "Warning", failed_reason_, failed_message_);
      return false;
    }
  }
  auto gpus = ctx_.gpus.Allocate(uid_, GpuRequest(spec));
  if (!gpus.ok()) {
    rejected_ = true;
    failed_reason_ = "UnexpectedAdmissionError";
    failed_message_ = gpus.status().message();
    ctx_.events.Record(pod, "Warning", failed_reason_, failed_message_);
    return false;
  }
  return true;
}

void PodWorker::ObserveExits() {
  for (Container& c : containers_) {
    if (!c.running) continue;
    auto exit = ReadContainerExit(StateDir(c, c.attempt));
    if (!exit.ok()) {
      if (ShimAlive(c.shim_pid, StateDir(c, c.attempt))) continue;
      exit = ReadContainerExit(StateDir(c, c.attempt));  // it may have written just before exiting
      if (!exit.ok()) {
        ContainerExit lost;
        lost.exit_code = 137;
        lost.reason = "ContainerStatusUnknown";
        lost.message = "The container could not be located when the pod was terminated";
        lost.started_at = c.started_at;
        lost.finished_at = NowRfc3339();
        exit = lost;
      }
    }
    ContainerExit e = *exit;
    if (e.reason.empty()) {
      // The kernel's OOM killer sends SIGKILL; only the cgroup's counter tells it from a kill.
      // The victim may be a child of the main process, which then exits with its own code.
      if (e.exit_code != 0 && ctx_.cgroups.OomKills(CgroupOf(c.name)) > c.oom_base) {
        e.reason = "OOMKilled";
      } else {
        e.reason = e.exit_code == 0 ? "Completed" : "Error";
      }
    }
    // When it may run again: at once the first time, then after 10 s doubling to 5 min
    // (CrashLoopBackOff); a container that ran for 10 minutes starts over.
    const auto finished = ParseRfc3339(e.finished_at).value_or(Clock::now());
    const auto started = ParseRfc3339(e.started_at).value_or(finished);
    if (finished - started >= kBackoffReset) c.backoff = 0s;
    c.restart_at = finished + c.backoff;
    c.backoff = c.backoff == 0s ? kInitialBackoff : std::min<std::chrono::seconds>(c.backoff * 2, kMaxBackoff);
    {
      std::lock_guard lock(mu_);
      c.running = false;
      c.exit = e;
    }
    if (c.pidfd >= 0) ::close(c.pidfd);
    c.pidfd = -1;
    c.prober.reset();
    c.kill_at = {};
    // Events are written with no lock held: Update, Log and the metrics must not wait on the API.
    if (e.reason == "ContainerCannotRun") ctx_.events.Record(*Latest(), "Warning", "Failed", "Error: " + e.message);
    if (e.reason == "OOMKilled") {
      ctx_.events.Record(*Latest(), "Warning", "OOMKilled",
                         "Container " + c.name + " was killed: it used more memory than its limit");
    }
  }
}

bool PodWorker::ShouldRestart(const Json& pod, const Container& c) const {
  if (!c.exit) return false;
  const std::string policy = StringMember(Member(pod, "spec"), "restartPolicy");
  if (c.init) return c.exit->exit_code != 0 && policy != "Never";
  if (policy == "Never") return false;
  if (policy == "OnFailure") return c.exit->exit_code != 0;
  return true;  // Always
}

bool PodWorker::Refuse(const Json& pod, Container& c, const std::string& reason, const std::string& message,
                       Clock::duration retry_after) {
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = c.waiting_message != message;
    c.waiting_reason = reason;
    c.waiting_message = message;
    c.restart_at = Clock::now() + retry_after;
  }
  if (changed) ctx_.events.Record(pod, "Warning", "Failed", "Error: " + message);  // once per cause
  return false;
}

bool PodWorker::Start(const Json& pod, const Json& spec, Container& c) {
  const Json* container = nullptr;
  for (const char* list : {"initContainers", "containers"}) {
    const Json& cs = Member(spec, list);
    if (!cs.is_array()) continue;
    for (const Json& x : cs) {
      if (StringMember(x, "name") == c.name) container = &x;
    }
  }
  if (container == nullptr) return false;
  const bool host_network = HostNetwork(spec);

  EnvInputs in = Downward(pod);
  in.container = container;
  const std::string hostname = host_network ? "" : Hostname(pod);
  // There are no images: the host's tools are the container's, and mlkube's own directory comes
  // last, so `mlserve` (installed beside `mlkube`) is found as it would be on its image's PATH.
  in.base = {{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:" + ctx_.self_exe.parent_path().string()},
             {"HOSTNAME", hostname.empty() ? ctx_.node.name : hostname},
             {"HOME", "/root"}};
  // Service links come first, so the container's own variables override them.
  const Json& links = Member(spec, "enableServiceLinks");
  if (!links.is_boolean() || links.get<bool>()) {
    Json services = Json::array();
    ctx_.services.Visit([&](const Json& svc) {
      if (StringMember(Member(svc, "metadata"), "namespace") == ns_) services.push_back(svc);
    });
    auto env_links = ServiceLinkEnv(services);
    in.base.insert(in.base.begin(), env_links.begin(), env_links.end());
  }
  std::vector<Gpu> gpus = ctx_.gpus.Of(uid_);
  std::string visible;
  for (const Gpu& g : gpus) visible += (visible.empty() ? "" : ",") + g.uuid;
  // A pod without GPUs must see none: CUDA takes an empty list as "no devices".
  in.base.emplace_back("NVIDIA_VISIBLE_DEVICES", visible.empty() ? "void" : visible);
  in.base.emplace_back("CUDA_VISIBLE_DEVICES", visible);
  // The pod shares the host's files, so making the driver's libraries and tools findable is
  // all the NVIDIA container toolkit's injection amounts to here.
  if (!gpus.empty() && !gpus.front().driver_dir.empty()) {
    const std::filesystem::path lib = gpus.front().driver_dir;
    in.base.emplace_back("LD_LIBRARY_PATH", lib.string());
    if (std::error_code ec; std::filesystem::is_directory(lib.parent_path() / "bin", ec)) {
      for (auto& [name, value] : in.base) {
        if (name == "PATH") value += ":" + (lib.parent_path() / "bin").string();
      }
    }
  }
  in.lookup = [&](const std::string& kind, const std::string& name) {
    return ctx_.client.Get("/api/v1/namespaces/" + ns_ + (kind == "ConfigMap" ? "/configmaps/" : "/secrets/") + name);
  };
  auto env = ResolveEnv(in);
  // The missing object may appear: try again soon.
  if (!env.ok()) return Refuse(pod, c, "CreateContainerConfigError", env.status().message(), 2s);

  auto caps = ContainerCapabilities(*container);
  // As the kubelet reports a runtime's refusal to create the container.
  if (!caps.ok()) return Refuse(pod, c, "CreateContainerError", caps.status().message(), 10s);

  ContainerSpec s;
  s.capabilities = *caps;
  s.protect_proc = !Privileged(*container);
  const Json& escalation = Member(Member(*container, "securityContext"), "allowPrivilegeEscalation");
  s.no_new_privileges = escalation.is_boolean() && !escalation.get<bool>();
  // What could leave the pod's network namespace changed for the next pod: a privileged
  // container, or any capability beyond the default set (NET_ADMIN, SYS_ADMIN, SYS_PTRACE...).
  if (!s.protect_proc || (*caps & ~DefaultCapabilities()) != 0) may_change_network_ = true;
  s.argv = CommandLine(*container, *env);
  for (const auto& [k, v] : *env) s.env.push_back(k + "=" + v);
  s.working_dir = StringMember(*container, "workingDir");
  for (const Json* sc : {&Member(spec, "securityContext"), &Member(*container, "securityContext")}) {
    if (Member(*sc, "runAsUser").is_number_integer()) s.uid = (*sc)["runAsUser"].get<uint32_t>();
    if (Member(*sc, "runAsGroup").is_number_integer()) s.gid = (*sc)["runAsGroup"].get<uint32_t>();
  }
  s.hostname = hostname;
  s.masked_paths = ctx_.masked_paths;
  const Json& mounts = Member(*container, "volumeMounts");
  if (mounts.is_array()) {
    for (const Json& vm : mounts) {
      auto volume = volumes_.Find(StringMember(vm, "name"));
      Result<Mount> m = volume ? ResolveVolumeMount(*volume, vm, *env)
                               : Result<Mount>(Status(Code::kNotFound, "volume " + StringMember(vm, "name") + " is not ready"));
      if (!m.ok()) return Refuse(pod, c, "CreateContainerConfigError", m.status().message(), 2s);
      if (ExposesKernelKnobs(m->source)) may_change_network_ = true;  // the host's /proc/sys, say
      s.mounts.push_back(*m);
    }
  }
  if (!host_network) {
    s.net_namespace = ctx_.network.NamespacePath(uid_);
    s.mounts.push_back({(ctx_.pods_dir / uid_ / "etc-hosts").string(), "/etc/hosts", false});
    s.mounts.push_back({(ctx_.pods_dir / uid_ / "resolv.conf").string(), "/etc/resolv.conf", false});
  }
  s.pid_namespace = !(Member(spec, "hostPID").is_boolean() && spec["hostPID"].get<bool>());
  const int attempt = c.attempt + 1;
  s.log_path = LogPath(c.name, attempt);
  s.log_max_bytes = ctx_.node.container_log_max_size;
  s.log_max_files = ctx_.node.container_log_max_files;
  s.state_dir = StateDir(c, attempt);

  CgroupLimits limits = ContainerLimits(*container);
  // Other pods' GPUs: masked in the mount namespace, and refused by the devices controller.
  for (const Gpu& g : ctx_.node.gpus) {
    if (g.minor < 0) continue;
    if (std::none_of(gpus.begin(), gpus.end(), [&](const Gpu& mine) { return mine.uuid == g.uuid; })) {
      s.hidden_devices.push_back("/dev/nvidia" + std::to_string(g.minor));
      limits.denied_char_devices.push_back("195:" + std::to_string(g.minor));
    }
  }
  Status st = ctx_.cgroups.Create(CgroupOf(c.name), limits);
  if (!st.ok()) {
    std::lock_guard lock(mu_);
    c.waiting_reason = "CreateContainerError";
    c.waiting_message = st.message();
    c.restart_at = Clock::now() + 2s;
    return false;
  }
  for (const auto& p : ctx_.cgroups.ProcsFiles(CgroupOf(c.name))) s.cgroup_procs.push_back(p.string());
  const uint64_t oom_base = ctx_.cgroups.OomKills(CgroupOf(c.name));
  auto started = StartShim(ctx_.self_exe, s);
  if (!started.ok()) {
    std::lock_guard lock(mu_);
    c.waiting_reason = "CreateContainerError";
    c.waiting_message = started.status().message();
    c.restart_at = Clock::now() + 2s;
    return false;
  }
  (void)WriteFileAtomic(s.state_dir / "started.json",
                        Json({{"shimPid", started->shim_pid},
                              {"pid", started->pid},
                              {"startedAt", started->started_at},
                              {"oomBase", oom_base}})
                            .dump(), Sync::kNoSync);
  {
    std::lock_guard lock(mu_);
    if (c.exit) c.last = c.exit;
    c.exit.reset();
    c.attempt = attempt;
    c.shim_pid = started->shim_pid;
    c.pid = started->pid;
    c.started_at = started->started_at;
    c.oom_base = oom_base;
    c.running = true;
    c.pidfd = PidfdOpen(started->shim_pid);
    c.waiting_reason.clear();
    c.waiting_message.clear();
  }
  if (started->pid > 0) {
    ctx_.events.Record(pod, "Normal", "Created", "Created container " + c.name);
    ctx_.events.Record(pod, "Normal", "Started", "Started container " + c.name);
    StartProber(pod, *container, c, s.cgroup_procs);
  }
  return true;
}

void PodWorker::StartProber(const Json& pod, const Json& container, Container& c,
                            const std::vector<std::string>& cgroup_procs) {
  if (!Member(container, "livenessProbe").is_object() && !Member(container, "readinessProbe").is_object() &&
      !Member(container, "startupProbe").is_object()) {
    return;
  }
  ProbeTarget target{pod_ip_, c.pid, cgroup_procs, nullptr};
  Json subject = pod;  // events name the pod as it was when the container started
  c.prober = std::make_unique<ContainerProber>(
      container, target, [this] { Wake(); },
      [this, subject](const std::string& type, const std::string& reason, const std::string& message) {
        ctx_.events.Record(subject, type, reason, message);
      });
}

// A container whose liveness or startup probe gave up is stopped (SIGTERM, then the whole
// container cgroup after the grace period); its exit then goes through the restart policy.
void PodWorker::EnforceProbes(const Json& pod) {
  const Json& spec = Member(pod, "spec");
  for (Container& c : containers_) {
    if (!c.running || !c.prober || !c.prober->should_restart()) continue;
    if (c.kill_at == Clock::time_point{}) {
      ctx_.events.Record(pod, "Normal", "Killing", c.prober->restart_message());
      int64_t grace = Member(spec, "terminationGracePeriodSeconds").is_number_integer()
                          ? spec["terminationGracePeriodSeconds"].get<int64_t>()
                          : 30;
      c.kill_at = Clock::now() + std::chrono::seconds(grace);
      if (c.pid > 0) ::kill(c.pid, SIGTERM);
    } else if (Clock::now() >= c.kill_at) {
      (void)ctx_.cgroups.KillAll(CgroupOf(c.name));
    }
  }
}

// A container's preStop hook (exec, httpGet, tcpSocket or sleep), within what is left of the
// grace period, as the kubelet runs it before the SIGTERM.
void PodWorker::RunPreStop(const Json& pod, const Container& c, Clock::time_point deadline) {
  const Json* hook = nullptr;
  for (const Json& x : Member(Member(pod, "spec"), "containers")) {
    if (StringMember(x, "name") == c.name) hook = &Member(Member(x, "lifecycle"), "preStop");
  }
  if (hook == nullptr || !hook->is_object()) return;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
  if (left.count() <= 0) return;
  if (const Json& sleep = Member(*hook, "sleep"); sleep.is_object()) {
    const auto want = std::chrono::seconds(sleep.value("seconds", 0));
    std::this_thread::sleep_for(std::min<std::chrono::seconds>(want, left));
    return;
  }
  Json handler = *hook;
  handler["timeoutSeconds"] = left.count();
  std::vector<std::string> procs;
  for (const auto& p : ctx_.cgroups.ProcsFiles(CgroupOf(c.name))) procs.push_back(p.string());
  std::string why;
  if (!ContainerProber::RunProbe(handler, ProbeTarget{pod_ip_, c.pid, procs, nullptr}, &why)) {
    ctx_.events.Record(pod, "Warning", "FailedPreStopHook", "PreStopHook failed: " + why);
  }
}

void PodWorker::Terminate(const Json& pod, std::chrono::seconds grace) {
  const auto deadline = Clock::now() + grace;
  bool any = false;
  std::vector<std::thread> hooks;
  for (Container& c : containers_) {
    if (!c.running || c.pid <= 0) continue;
    ctx_.events.Record(pod, "Normal", "Killing", "Stopping container " + c.name);
    any = true;
    // Each container's hook and then its SIGTERM, side by side with the others'.
    hooks.emplace_back([this, &pod, &c, deadline] {
      RunPreStop(pod, c, deadline);
      ::kill(c.pid, SIGTERM);
    });
  }
  for (std::thread& t : hooks) t.join();
  while (any && Clock::now() < deadline && !stop_) {
    ObserveExits();
    any = std::any_of(containers_.begin(), containers_.end(), [](const Container& c) { return c.running; });
    if (any) Wait(std::min(deadline, Clock::now() + 100ms));
  }
  // Past the grace period: everything in the pod's cgroup goes, forks and all.
  (void)ctx_.cgroups.KillAll(CgroupOf());
  for (int i = 0; i < 200; ++i) {
    ObserveExits();
    if (std::none_of(containers_.begin(), containers_.end(), [](const Container& c) { return c.running; })) break;
    std::this_thread::sleep_for(10ms);
  }
}

// The pod's cgroup goes, and its network namespace: to the next pod if nothing of this one is
// left (the cgroup could go) and nothing of it could have changed the namespace.
void PodWorker::ReleaseSandbox() {
  const bool emptied = ctx_.cgroups.Remove(CgroupOf()).ok();
  ctx_.network.Teardown(uid_, emptied && !may_change_network_);
}

void PodWorker::Cleanup() {
  ReleaseSandbox();
  ctx_.gpus.Release(uid_);
  if (HasVolumes(*Latest())) UnmountAllUnder(ctx_.pods_dir / uid_);
  std::error_code ec;
  fs::remove_all(ctx_.pods_dir / uid_, ec);
  fs::remove_all(ctx_.logs_dir / (ns_ + "_" + name_ + "_" + uid_), ec);
}

// What the downward API reads about this pod (container unset).
EnvInputs PodWorker::Downward(const Json& pod) const {
  EnvInputs in;
  in.pod = &pod;
  in.pod_ip = pod_ip_;
  in.host_ip = ctx_.node.internal_ip;
  in.node_cpu_milli = std::max<long>(1, ::sysconf(_SC_NPROCESSORS_ONLN)) * 1000;
  in.node_memory_bytes = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  return in;
}

// The pod's cgroup, network namespace and address, and its /etc/hosts and /etc/resolv.conf.
Status PodWorker::MakeSandbox(const Json& pod) {
  const Json& spec = Member(pod, "spec");
  RETURN_IF_ERROR(ctx_.cgroups.Create(CgroupOf(), PodLimits(spec)));
  if (HostNetwork(spec)) {
    pod_ip_ = ctx_.node.internal_ip;
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(pod_ip_, ctx_.network.Ensure(uid_));
  // As the kubelet's managed hosts file: localhost, the pod's own name, then hostAliases.
  std::string hosts = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
                      "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n";
  const std::string hostname = Hostname(pod);
  const std::string subdomain = StringMember(spec, "subdomain");
  hosts += pod_ip_ + "\t" +
           (subdomain.empty() ? hostname
                              : hostname + "." + subdomain + "." + ns_ + ".svc." + ctx_.node.cluster_domain + "\t" + hostname) + "\n";
  const Json& aliases = Member(spec, "hostAliases");
  if (aliases.is_array()) {
    hosts += "\n# Entries added by HostAliases.\n";
    for (const Json& a : aliases) {
      std::string line = StringMember(a, "ip");
      for (const Json& h : Member(a, "hostnames")) line += "\t" + (h.is_string() ? h.get<std::string>() : "");
      hosts += line + "\n";
    }
  }
  const fs::path dir = ctx_.pods_dir / uid_;
  std::error_code ec;
  fs::create_directories(dir, ec);
  RETURN_IF_ERROR(WriteFileAtomic(dir / "etc-hosts", hosts, Sync::kNoSync));
  auto host_resolv = ReadFile("/etc/resolv.conf");
  RETURN_IF_ERROR(WriteFileAtomic(
      dir / "resolv.conf",
      PodResolvConf(pod, host_resolv.ok() ? *host_resolv : "", ctx_.node.cluster_dns, ctx_.node.cluster_domain),
      Sync::kNoSync));
  return Status::Ok();
}

void PodWorker::Sync() {
  PodRef ref;
  bool deleted;
  {
    std::lock_guard lock(mu_);
    ref = pod_;
    deleted = deleted_;
  }
  const Json& pod = *ref;
  const Json& meta = Member(pod, "metadata");
  const Json& spec = Member(pod, "spec");
  const std::string phase = StringMember(Member(pod, "status"), "phase");

  if (deleted || Member(meta, "deletionTimestamp").is_string()) {
    int64_t grace = 30;
    if (Member(meta, "deletionGracePeriodSeconds").is_number_integer()) {
      grace = meta["deletionGracePeriodSeconds"].get<int64_t>();
    } else if (Member(spec, "terminationGracePeriodSeconds").is_number_integer()) {
      grace = spec["terminationGracePeriodSeconds"].get<int64_t>();
    }
    Terminate(pod, std::chrono::seconds(std::max<int64_t>(grace, 0)));
    if (stop_) return;
    if (!deleted) PostStatus(pod);
    // The pod's resources (cgroups, network, GPUs, volumes) are reclaimed before the object
    // goes, as the kubelet waits for PodResourcesAreReclaimed: once `kubectl delete` returns,
    // nothing of the pod is left on the node.
    Cleanup();
    if (!deleted) {
      Json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"gracePeriodSeconds", 0},
                      {"preconditions", {{"uid", uid_}}}};
      (void)ctx_.client.Write("DELETE", "/api/v1/namespaces/" + ns_ + "/pods/" + name_, options);
    }
    finished_ = true;
    return;
  }

  ObserveExits();
  EnforceProbes(pod);
  const bool running = std::any_of(containers_.begin(), containers_.end(), [](const Container& c) { return c.running; });
  if ((phase == "Succeeded" || phase == "Failed") && !running) {
    // Terminal: nothing runs again; its GPUs, address and memory-backed volumes go back, its
    // logs stay until deletion.
    if (!released_) {
      ctx_.gpus.Release(uid_);
      if (HasVolumes(pod)) UnmountAllUnder(ctx_.pods_dir / uid_ / "volumes");
      ReleaseSandbox();  // as the kubelet stops a finished pod's sandbox
      released_ = true;
    }
    return;
  }
  if (!failed_reason_.empty()) return PostStatus(pod);
  if (!admitted_) {
    if (!Admit(pod)) return PostStatus(pod);
    admitted_ = true;
  }
  if (start_time_.empty()) start_time_ = NowRfc3339();
  if (!sandbox_) {
    Status st = MakeSandbox(pod);
    if (!st.ok()) {
      ctx_.events.Record(pod, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: " + st.message());
      return;
    }
    sandbox_ = true;
  }
  // Containers adopted from an earlier agent get their probes back.
  for (Container& c : containers_) {
    if (!c.running || c.prober || c.pid <= 0) continue;
    for (const char* list : {"initContainers", "containers"}) {
      const Json& cs = Member(spec, list);
      if (!cs.is_array()) continue;
      for (const Json& x : cs) {
        if (StringMember(x, "name") != c.name) continue;
        std::vector<std::string> procs;
        for (const auto& p : ctx_.cgroups.ProcsFiles(CgroupOf(c.name))) procs.push_back(p.string());
        StartProber(pod, x, c, procs);
      }
    }
  }
  if (!volumes_ready_) {
    Status st = volumes_.Setup(pod, Downward(pod));
    if (!st.ok()) {
      // The kubelet's words; the pod waits in ContainerCreating and the next pass tries again.
      ctx_.events.Record(pod, "Warning", "FailedMount", st.message());
      return PostStatus(pod);
    }
    volumes_ready_ = true;
    last_refresh_ = Clock::now();
  } else if (Clock::now() - last_refresh_ >= kVolumeRefresh) {
    volumes_.Refresh(pod, Downward(pod));
    last_refresh_ = Clock::now();
  }
  if (Member(spec, "activeDeadlineSeconds").is_number_integer()) {
    auto started = ParseRfc3339(start_time_);
    if (started && Clock::now() - *started >= std::chrono::seconds(spec["activeDeadlineSeconds"].get<int64_t>())) {
      failed_reason_ = "DeadlineExceeded";
      failed_message_ = "Pod was active on the node longer than the specified deadline";
      ctx_.events.Record(pod, "Normal", "DeadlineExceeded", failed_message_);
      Terminate(pod, std::chrono::seconds(Member(spec, "terminationGracePeriodSeconds").is_number_integer()
                                               ? spec["terminationGracePeriodSeconds"].get<int64_t>()
                                               : 30));
      return PostStatus(pod);
    }
  }

  bool started = false;
  auto try_start = [&](Container& c) {
    if (Clock::now() >= c.restart_at) {
      Start(pod, spec, c);
      started = true;
      return;
    }
    if (!c.exit) return;  // a start that failed (config error) is retried at restart_at
    std::lock_guard lock(mu_);
    if (c.waiting_reason != "CrashLoopBackOff") {
      ctx_.events.Record(pod, "Warning", "BackOff", "Back-off restarting failed container " + c.name +
                                                        " in pod " + name_ + "_" + ns_ + "(" + uid_ + ")");
    }
    const auto delay = std::chrono::duration_cast<std::chrono::seconds>(
        c.restart_at - ParseRfc3339(c.exit->finished_at).value_or(c.restart_at));
    c.waiting_reason = "CrashLoopBackOff";
    c.waiting_message = "back-off " + std::to_string(delay.count()) + "s restarting failed container=" +
                        c.name + " pod=" + name_ + "_" + ns_ + "(" + uid_ + ")";
  };

  // Init containers, one at a time, each to success.
  bool initialized = true;
  for (Container& c : containers_) {
    if (!c.init) continue;
    if (c.exit && c.exit->exit_code == 0) continue;
    initialized = false;
    if (c.running) break;
    if (c.exit && !ShouldRestart(pod, c)) break;  // failed under restartPolicy Never: the pod fails
    try_start(c);
    break;
  }
  if (initialized) {
    for (Container& c : containers_) {
      if (c.init || c.running) continue;
      if (c.attempt >= 0 && !ShouldRestart(pod, c)) continue;
      try_start(c);
    }
  }
  // A short command may have finished while its start was recorded: the status then says so
  // at once, rather than Running and, a moment later, another write for the exit.
  if (started) ObserveExits();
  PostStatus(pod);
}

// ---------------------------------------------------------------------------------------------
// Status.

Json PodWorker::BuildStatus(const Json& pod) const {
  const Json& spec = Member(pod, "spec");
  const Json& old = Member(pod, "status");
  const Json& old_conditions = Member(old, "conditions");
  if (rejected_) {
    // As the kubelet's rejectPod: a failed phase and why, no containers, scheduling kept.
    Json status = {{"phase", "Failed"}, {"reason", failed_reason_},
                   {"message", "Pod was rejected: " + failed_message_}};
    Json conditions = Json::array();
    if (old_conditions.is_array()) {
      for (const Json& c : old_conditions) {
        if (StringMember(c, "type") == "PodScheduled") conditions.push_back(c);
      }
    }
    status["conditions"] = conditions;
    if (Member(old, "qosClass").is_string()) status["qosClass"] = old["qosClass"];
    return status;
  }
  std::map<std::string, std::string> images;
  for (const char* list : {"initContainers", "containers"}) {
    const Json& cs = Member(spec, list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) images[StringMember(c, "name")] = StringMember(c, "image");
  }

  auto terminated = [&](const Container& c, const ContainerExit& e, int attempt) {
    Json t = {{"exitCode", e.exit_code},
              {"reason", e.reason},
              {"startedAt", e.started_at},
              {"finishedAt", e.finished_at},
              {"containerID", "mlkube://" + uid_ + "/" + c.name + "/" + std::to_string(attempt)}};
    if (e.signal) t["signal"] = e.signal;
    if (!e.message.empty()) t["message"] = e.message;
    return t;
  };

  bool init_done = true, init_failed = false;
  std::vector<std::string> incomplete_init, unready;
  bool all_started = true, any_running = false, any_restarting = false, any_failed = false;
  Json init_statuses = Json::array(), statuses = Json::array();
  for (const Container& c : containers_) {
    Json s = {{"name", c.name}, {"image", images[c.name]}, {"imageID", ""},
              {"restartCount", std::max(c.attempt, 0)}, {"ready", false}, {"started", c.running}};
    if (c.attempt >= 0) s["containerID"] = "mlkube://" + uid_ + "/" + c.name + "/" + std::to_string(c.attempt);
    Json state;
    if (c.running) {
      state = {{"running", {{"startedAt", c.started_at}}}};
    } else if (c.exit && (c.waiting_reason.empty() || !ShouldRestart(pod, c))) {
      state = {{"terminated", terminated(c, *c.exit, c.attempt)}};
    } else {
      std::string reason = c.waiting_reason;
      if (reason.empty()) reason = !c.init && !init_done ? "PodInitializing" : "ContainerCreating";
      state = {{"waiting", {{"reason", reason}}}};
      if (!c.waiting_message.empty()) state["waiting"]["message"] = c.waiting_message;
    }
    s["state"] = state;
    if (c.exit && (c.running || !c.waiting_reason.empty())) {
      s["lastState"] = {{"terminated", terminated(c, *c.exit, c.attempt)}};
    } else if (c.last) {
      s["lastState"] = {{"terminated", terminated(c, *c.last, c.attempt - 1)}};
    } else {
      s["lastState"] = Json::object();
    }
    if (c.init) {
      const bool ok = c.exit && c.exit->exit_code == 0 && !c.running;
      if (!ok) {
        init_done = false;
        incomplete_init.push_back(c.name);
        if (c.exit && c.exit->exit_code != 0 && !ShouldRestart(pod, c)) init_failed = true;
      }
      s["ready"] = ok;
      init_statuses.push_back(std::move(s));
      continue;
    }
    // Ready: running, started (startup probe passed) and passing its readiness probe.
    const bool started = c.running && (!c.prober || c.prober->started());
    const bool ready = started && (!c.prober || c.prober->ready());
    s["started"] = started;
    s["ready"] = ready;
    if (!ready) unready.push_back(c.name);
    if (c.attempt < 0) all_started = false;
    if (c.running) any_running = true;
    if (!c.running && c.exit && ShouldRestart(pod, c)) any_restarting = true;
    if (!c.running && c.exit && c.exit->exit_code != 0) any_failed = true;
    statuses.push_back(std::move(s));
  }

  std::string phase = "Pending";
  if (!failed_reason_.empty() || init_failed) {
    phase = "Failed";
  } else if (init_done && all_started) {
    if (any_running || any_restarting) {
      phase = "Running";
    } else {
      phase = any_failed ? "Failed" : "Succeeded";
    }
  }
  const bool terminal = phase == "Succeeded" || phase == "Failed";

  Json conditions = Json::array();
  conditions.push_back(Condition(old_conditions, "PodReadyToStartContainers", sandbox_ && !terminal));
  if (init_done) {
    conditions.push_back(Condition(old_conditions, "Initialized", true));
  } else {
    conditions.push_back(Condition(old_conditions, "Initialized", false, "ContainersNotInitialized",
                                   "containers with incomplete status: " + NameList(incomplete_init)));
  }
  if (terminal) {
    conditions.push_back(Condition(old_conditions, "Ready", false, "PodCompleted"));
    conditions.push_back(Condition(old_conditions, "ContainersReady", false, "PodCompleted"));
  } else if (unready.empty() && init_done) {
    conditions.push_back(Condition(old_conditions, "Ready", true));
    conditions.push_back(Condition(old_conditions, "ContainersReady", true));
  } else {
    const std::string msg = "containers with unready status: " + NameList(unready);
    conditions.push_back(Condition(old_conditions, "Ready", false, "ContainersNotReady", msg));
    conditions.push_back(Condition(old_conditions, "ContainersReady", false, "ContainersNotReady", msg));
  }
  bool scheduled = false;
  if (old_conditions.is_array()) {
    for (const Json& c : old_conditions) {
      if (StringMember(c, "type") == "PodScheduled") {
        // In the shape Condition() gives the others: the stored copy may lack the null
        // lastProbeTime, and the status would then differ from the one posted and go again.
        Json copy = c;
        if (!copy.contains("lastProbeTime")) copy["lastProbeTime"] = nullptr;
        conditions.push_back(std::move(copy));
        scheduled = true;
      }
    }
  }
  if (!scheduled) conditions.push_back(Condition(old_conditions, "PodScheduled", true));

  Json status = {{"phase", phase},
                 {"conditions", conditions},
                 {"hostIP", ctx_.node.internal_ip},
                 {"hostIPs", {{{"ip", ctx_.node.internal_ip}}}},
                 {"containerStatuses", statuses}};
  if (!init_statuses.empty()) status["initContainerStatuses"] = init_statuses;
  if (!start_time_.empty()) status["startTime"] = start_time_;
  if (sandbox_ && !pod_ip_.empty()) {
    status["podIP"] = pod_ip_;
    status["podIPs"] = {{{"ip", pod_ip_}}};
  }
  if (!failed_reason_.empty()) {
    status["reason"] = failed_reason_;
    status["message"] = failed_message_;
  }
  if (Member(old, "qosClass").is_string()) status["qosClass"] = old["qosClass"];
  return status;
}

void PodWorker::PostStatus(const Json& pod) {
  Json status = BuildStatus(pod);
  std::string serialized = status.dump();
  if (serialized == posted_) return;
  // Keep the merge patch from merging into fields the kubelet owns: lists are replaced whole
  // by a merge patch, and fields we no longer set are nulled.
  Json patch = {{"status", status}};
  const Json& old = Member(pod, "status");
  for (const char* field : {"reason", "message", "initContainerStatuses", "containerStatuses", "podIP",
                            "podIPs", "hostIP", "hostIPs", "startTime"}) {
    if (!status.contains(field) && Member(old, field).is_null() == false) patch["status"][field] = nullptr;
  }
  Status st = ctx_.client.Write("PATCH", "/api/v1/namespaces/" + ns_ + "/pods/" + name_ + "/status", patch,
                                 "application/merge-patch+json");
  if (st.ok()) posted_ = std::move(serialized);
}

}  // namespace mlkube::agent
