// Node agent figures, each beside its anchor:
//   pod start latency (create -> Running, all containers started), p50/p99 over 200 pods created
//   at 20/s, beside the Kubernetes SLO (p99 <= 5 s) and ~2 s on an idle kubeadm cluster;
//   100 pods created at once: time until all are Running;
//   the server's (API + agent) RSS and CPU with 100 idle pods, beside the k3s agent's 275 MB,
//   and the share of it the resource metrics sampler takes.
// Runs `mlkube server` with its agent on a cgroup root, bridge and pod CIDR of its own, as root.
// Usage: agent_bench MLKUBE_BINARY [--quick] [--agent-process]

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "bench.h"
#include "client/http_client.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using mlkube::bench::Ms;
using mlkube::bench::Pct;
using mlkube::Json;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

long RssKiB(pid_t pid) {
  std::string s = ReadFile("/proc/" + std::to_string(pid) + "/status");
  auto p = s.find("VmRSS:");
  return p == std::string::npos ? 0 : std::stol(s.substr(p + 6));
}

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::string s = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  std::istringstream in(s.substr(close + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return static_cast<double>(utime + stime) / ::sysconf(_SC_CLK_TCK);
}

// utime + stime of the threads of `pid` named `name`, in seconds.
double ThreadCpuSeconds(pid_t pid, const std::string& name) {
  double total = 0;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string comm = ReadFile(t.path() / "comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm != name) continue;
    std::string s = ReadFile(t.path() / "stat");
    std::istringstream in(s.substr(s.rfind(')') + 2));
    std::string f;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> f; ++i) {
      if (i == 14) utime = std::stol(f);
      if (i == 15) stime = std::stol(f);
    }
    total += static_cast<double>(utime + stime) / ::sysconf(_SC_CLK_TCK);
  }
  return total;
}

// A field of /proc/PID/smaps_rollup, in KiB.
long RollupKiB(const fs::path& proc, const std::string& field) {
  std::string s = ReadFile(proc / "smaps_rollup");
  auto p = s.find("\n" + field + ":");
  return p == std::string::npos ? 0 : std::stol(s.substr(p + field.size() + 2));
}

// The shims of this run (processes running `mlkube shim`): their RSS summed (shared pages counted in each), and their PSS
// summed (shared pages split between their users: what they cost together).
struct ShimsMemory {
  long rss_kib = 0, pss_kib = 0;
  int count = 0;
};
ShimsMemory Shims(const std::string& marker) {
  ShimsMemory m;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (!std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    // A shim works in its container's state directory, under the agent's.
    std::error_code ec;
    const std::string cwd = fs::read_symlink(e.path() / "cwd", ec).string();
    if (ReadFile(e.path() / "comm") != "mlkube\n" || cwd.find(marker) == std::string::npos) continue;
    m.rss_kib += RssKiB(std::stoi(pid));
    m.pss_kib += RollupKiB(e.path(), "Pss");
    ++m.count;
  }
  return m;
}

std::string PodJson(const std::string& name) {
  return Json({{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata", {{"name", name}}},
               {"spec",
                {{"nodeName", "bench-node"},
                 {"terminationGracePeriodSeconds", 0},
                 {"containers",
                  {{{"name", "main"},
                    {"image", "busybox"},
                    {"command", {"sleep", "3600"}},
                    {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}}}}}}})
      .dump();
}

// Watches the namespace's pods and records when each first reports every container started.
class RunningWatcher {
 public:
  RunningWatcher(const mlkube::client::Kubeconfig& cfg, const std::string& ns) {
    thread_ = std::thread([this, cfg, ns] {
      mlkube::client::HttpClient h(cfg);
      std::string pending;
      (void)h.Stream("/api/v1/namespaces/" + ns + "/pods?watch=true", [&](std::string_view data) {
        pending.append(data);
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
          Json ev = Json::parse(pending.substr(0, nl), nullptr, false);
          if (!ev.is_object()) continue;
          const Json& pod = ev["object"];
          if (!pod.contains("status")) continue;
          const Json& st = pod["status"];
          bool running = st.value("phase", "") == "Running";
          for (const Json& cs : st.value("containerStatuses", Json::array())) {
            running = running && cs.contains("state") && cs["state"].contains("running");
          }
          if (!running) continue;
          std::lock_guard lock(mu_);
          running_.emplace(pod["metadata"].value("name", ""), Clock::now());
        }
        return !stop_;
      });
    });
  }
  ~RunningWatcher() {
    stop_ = true;
    thread_.detach();  // the stream ends with the server
  }
  std::map<std::string, Clock::time_point> Snapshot() {
    std::lock_guard lock(mu_);
    return running_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Clock::time_point> running_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MLKUBE_BINARY [--quick]\n", argv[0]);
    return 2;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "agent_bench needs root (cgroups, namespaces)\n");
    return 2;
  }
  const std::string bin = argv[1];
  bool quick = false, separate = false;
  for (int i = 2; i < argc; ++i) {
    quick = quick || std::string(argv[i]) == "--quick";
    separate = separate || std::string(argv[i]) == "--agent-process";
  }
  const int churn = quick ? 40 : 200;
  const std::string tag = "mlkube-bench-" + std::to_string(::getpid());
  const fs::path root = fs::temp_directory_path() / tag;
  const std::vector<std::string> node_flags = {"--node-name", "bench-node", "--cgroup-root", tag, "--bridge-name",
                                               "mkb" + std::to_string(::getpid() % 100000), "--pod-cidr",
                                               "10.250.0.0/16", "--max-pods", "1000"};
  // By default the server runs its own agent; --agent-process runs `mlkube agent` beside a
  // server without one, so that the agent's own memory and CPU can be told apart.
  std::vector<std::string> server_flags = node_flags;
  if (separate) server_flags = {"--no-agent"};
  mlkube::bench::BenchServer bench_server(bin, root, server_flags, separate ? "/readyz" : "/api/v1/nodes/bench-node");
  if (!bench_server.ready()) {
    std::fprintf(stderr, "server did not come up; see %s\n", bench_server.log_path().c_str());
    return 1;
  }
  const pid_t server = bench_server.pid();
  const mlkube::client::Kubeconfig& cfg = bench_server.config();
  pid_t agent = server;
  if (separate) {
    std::vector<std::string> args = {bin, "agent", "--kubeconfig", (root / "data" / "kubeconfig").string(), "--data-dir",
                                     (root / "agent").string()};
    args.insert(args.end(), node_flags.begin(), node_flags.end());
    agent = ::fork();
    if (agent == 0) {
      FILE* f = std::fopen((root / "agent.log").c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      std::vector<char*> argp;
      for (auto& a : args) argp.push_back(a.data());
      argp.push_back(nullptr);
      ::execv(argp[0], argp.data());
      ::_exit(127);
    }
    mlkube::client::HttpClient probe(cfg);
    for (int i = 0; i < 500; ++i) {
      auto r = probe.Do("GET", "/api/v1/nodes/bench-node");
      if (r.ok() && r->status == 200) break;
      std::this_thread::sleep_for(20ms);
    }
  }
  mlkube::client::HttpClient h(cfg);
  for (const char* ns : {"churn", "burst"}) {
    (void)h.Do("POST", "/api/v1/namespaces",
               Json({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}).dump());
  }
  std::this_thread::sleep_for(1s);
  const long rss_idle = RssKiB(server), agent_rss_idle = RssKiB(agent);

  std::printf("# mlkube node agent benchmark (%s)\n\n", quick ? "quick" : "full");
  // --- churn: pods created at 20/s ---
  {
    RunningWatcher watcher(cfg, "churn");
    std::this_thread::sleep_for(300ms);
    std::map<std::string, Clock::time_point> created;
    auto next = Clock::now();
    for (int i = 0; i < churn; ++i) {
      std::this_thread::sleep_until(next);
      next += 50ms;
      const std::string name = "p" + std::to_string(i);
      created[name] = Clock::now();
      auto r = h.Do("POST", "/api/v1/namespaces/churn/pods", PodJson(name));
      if (!r.ok() || r->status != 201) std::fprintf(stderr, "create %s failed\n", name.c_str());
    }
    auto deadline = Clock::now() + 60s;
    while (watcher.Snapshot().size() < created.size() && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    auto running = watcher.Snapshot();
    std::vector<double> lat;
    for (const auto& [name, t] : created) {
      auto it = running.find(name);
      if (it != running.end()) lat.push_back(Ms(it->second - t));
    }
    std::printf("pod start latency, create -> Running, %zu/%d pods at 20/s: p50 %.0f ms, p99 %.0f ms "
                "(anchor: Kubernetes SLO p99 <= 5000 ms, ~2000 ms on idle kubeadm; goal p99 <= 100 ms)\n",
                lat.size(), churn, Pct(lat, 0.5), Pct(lat, 0.99));
  }
  // --- burst: 100 pods at once ---
  {
    RunningWatcher watcher(cfg, "burst");
    std::this_thread::sleep_for(300ms);
    const int n = 100;
    auto t0 = Clock::now();
    std::vector<std::thread> ts;
    std::atomic<int> next{0};
    for (int c = 0; c < 8; ++c) {
      ts.emplace_back([&] {
        mlkube::client::HttpClient hc(cfg);
        for (int i; (i = next++) < n;) (void)hc.Do("POST", "/api/v1/namespaces/burst/pods", PodJson("b" + std::to_string(i)));
      });
    }
    for (auto& t : ts) t.join();
    auto deadline = Clock::now() + 60s;
    while (watcher.Snapshot().size() < static_cast<size_t>(n) && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    auto running = watcher.Snapshot();
    Clock::time_point last = t0;
    std::vector<double> each;
    for (const auto& [name, t] : running) {
      last = std::max(last, t);
      each.push_back(Ms(t - t0));
    }
    std::printf("%zu/%d pods created at once, all Running after %.0f ms (p50 pod %.0f ms; goal <= 2000 ms)\n",
                running.size(), n, Ms(last - t0), Pct(each, 0.5));
    auto events = h.Do("GET", "/api/v1/namespaces/burst/events");
    if (events.ok()) {
      std::map<std::string, int> reasons;
      for (const Json& e : Json::parse(events->body)["items"]) reasons[e.value("reason", "")] += e.value("count", 1);
      for (const auto& [reason, count] : reasons) {
        if (reason != "Created" && reason != "Started") std::printf("  (%d %s events)\n", count, reason.c_str());
      }
    }
  }
  // --- overhead with the 100 burst pods idle (the churn pods are deleted first) ---
  (void)h.Do("DELETE", "/api/v1/namespaces/churn/pods", R"({"gracePeriodSeconds":0})");
  std::this_thread::sleep_for(quick ? 3s : 10s);
  {
    const pid_t agent_pid = separate ? agent : server;
    const double cpu0 = CpuSeconds(server), agent_cpu0 = CpuSeconds(agent),
                 sampler0 = ThreadCpuSeconds(agent_pid, "agent-metrics");
    auto t0 = Clock::now();
    std::this_thread::sleep_for(quick ? 5s : 30s);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = (CpuSeconds(server) - cpu0) / secs;
    const double sampler = (ThreadCpuSeconds(agent_pid, "agent-metrics") - sampler0) / secs;
    std::printf("metrics sampling (the agent's sampler thread: CPU and memory of 100 pods every 10 s): %.3f%% of a core "
                "(goal < 1%% of a core)\n",
                sampler * 100);
    const ShimsMemory shims = Shims(tag);
    char shims_text[160];
    std::snprintf(shims_text, sizeof shims_text, "%d shims: %ld MiB RSS summed, %ld MiB PSS (shared pages split)",
                  shims.count, shims.rss_kib / 1024, shims.pss_kib / 1024);
    if (separate) {
      const double agent_cpu = (CpuSeconds(agent) - agent_cpu0) / secs;
      std::printf("with 100 idle pods: agent process RSS %ld MiB (%ld MiB before any pod), CPU %.2f%% of a core; server "
                  "(API + store + controllers) RSS %ld MiB, CPU %.2f%%; %s (anchor: k3s agent 275 MB; "
                  "goal agent <= 30 MB, < 1%% of a core)\n",
                  RssKiB(agent) / 1024, agent_rss_idle / 1024, agent_cpu * 100, RssKiB(server) / 1024, cpu * 100,
                  shims_text);
    } else {
      std::printf("with 100 idle pods: server (API + store + agent) RSS %ld MiB (%ld MiB before any pod), CPU %.2f%% "
                  "of a core; %s (anchor: k3s agent 275 MB; goal agent <= 30 MB, < 1%% of a core)\n",
                  RssKiB(server) / 1024, rss_idle / 1024, cpu * 100, shims_text);
    }
  }
  (void)h.Do("DELETE", "/api/v1/namespaces/burst/pods", R"({"gracePeriodSeconds":0})");
  std::this_thread::sleep_for(3s);
  if (separate) {
    ::kill(agent, SIGTERM);
    int st;
    ::waitpid(agent, &st, 0);
  }
  bench_server.Stop();
  mlkube::bench::RemoveAgentLeftovers(root / (separate ? "" : "data"), tag, "mkb" + std::to_string(::getpid() % 100000));
  fs::remove_all(root);
  return 0;
}
