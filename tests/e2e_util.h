#pragma once
// End-to-end test support: runs the real `mlkube` binary in a temporary data directory and
// drives it with shell commands (kubectl, curl, python3).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/network/pod_network.h"

namespace mlkube::testing {

// Polls `ok` every `every` until it holds or `limit` has passed; its last answer.
inline bool WaitFor(const std::function<bool()>& ok, std::chrono::milliseconds limit,
                    std::chrono::milliseconds every = std::chrono::milliseconds(250)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(every);
  }
  return ok();
}

// A socket of `type` (SOCK_STREAM: listening) on 127.0.0.1 and a free port: {fd, port}, or
// {-1, 0} when none could be made.
inline std::pair<int, int> LoopbackSocket(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 128) != 0) || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return {-1, 0};
  }
  return {fd, ntohs(a.sin_port)};
}

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `cmd` with bash, feeding `input` on stdin; captures stdout and stderr separately.
inline CmdResult Sh(const std::string& cmd, const std::string& input = "") {
  static std::atomic<int> counter{0};  // tests may run commands from several threads
  auto base = std::filesystem::temp_directory_path() /
              ("mlkube-sh-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::ofstream(base.string() + ".in") << input;
  std::string full = "bash -c '" + [&] {
    std::string q;
    for (char c : cmd) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q;
  }() + "' <" + base.string() + ".in >" + base.string() + ".out 2>" + base.string() + ".err";
  int rc = std::system(full.c_str());
  CmdResult r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = ReadFile(base.string() + ".out");
  r.err = ReadFile(base.string() + ".err");
  for (const char* ext : {".in", ".out", ".err"}) std::filesystem::remove(base.string() + ext);
  return r;
}

// Kills every process in the cgroups below `root` (in each hierarchy) and removes them: what
// an agent leaves running when it stops, by design, has to go when a test ends.
inline void RemoveCgroupTree(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<fs::path> tops;
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
    tops.push_back(fs::path("/sys/fs/cgroup") / root);
  } else {
    for (const char* c : {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"}) {
      tops.push_back(fs::path("/sys/fs/cgroup") / c / root);
    }
  }
  for (int round = 0; round < 50; ++round) {
    bool any = false;
    for (const auto& top : tops) {
      std::error_code ec;
      if (!fs::exists(top, ec)) continue;
      for (auto it = fs::recursive_directory_iterator(top, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename() != "cgroup.procs") continue;
        std::ifstream procs(it->path());
        for (int pid; procs >> pid;) {
          ::kill(pid, SIGKILL);
          any = true;
        }
      }
    }
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const auto& top : tops) {
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (auto it = fs::recursive_directory_iterator(top, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec)) dirs.push_back(it->path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();  // deepest first
    });
    for (const auto& d : dirs) ::rmdir(d.c_str());
    ::rmdir(top.c_str());
  }
}

// Starts `args` (the program first) with its output appended to `log`; the child's pid.
inline pid_t SpawnLogged(std::vector<std::string> args, const std::filesystem::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  return pid;
}

// Signals a child started by SpawnLogged and reaps it; `pid` is cleared (no-op when unset).
inline void StopProcess(pid_t& pid, int sig) {
  if (pid <= 0) return;
  ::kill(pid, sig);
  int status;
  ::waitpid(pid, &status, 0);
  pid = -1;
}

// What a node agent leaves on the machine when stopped with pods still running: their cgroups,
// network namespaces (named in its IPAM state), bridge, nftables table and the tmpfs mounts of
// memory-backed volumes under `dir`.
inline void RemoveNodeLeftovers(const std::filesystem::path& agent_data, const std::filesystem::path& dir,
                                const std::string& cgroup_root, const std::string& bridge) {
  RemoveCgroupTree(cgroup_root);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(agent_data / "ipam", ec)) {
    if (auto record = agent::PodNetwork::ReadRecord(e.path())) {
      Sh("ip netns del " + std::filesystem::path(agent::PodNetwork::NamespacePathOf(record->netns_id)).filename().string());
    }
  }
  Sh("ip link del " + bridge);
  Sh("nft delete table ip " + bridge);
  std::ifstream info("/proc/self/mountinfo");
  std::vector<std::string> points;
  for (std::string line; std::getline(info, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    if (point.rfind(dir.string() + "/", 0) == 0) points.push_back(point);
  }
  std::sort(points.rbegin(), points.rend());
  for (const auto& p : points) ::umount2(p.c_str(), MNT_DETACH);
}

// One `mlkube server` process on a fresh data directory and a free port. Without `agent` it
// runs no node agent (--no-agent); with it, one on a cgroup root of its own that is torn down,
// with everything in it, when the test ends. The scheduler runs only when asked for, so that
// API tests see no writes but their own.
class ServerProcess {
 public:
  explicit ServerProcess(std::string name, bool agent = false, bool scheduler = false)
      : agent_(agent), scheduler_(scheduler) {
    dir_ = std::filesystem::temp_directory_path() /
           ("mlkube-e2e-" + name + "-" + std::to_string(::getpid()));
    cgroup_root_ = "mlkube-e2e-" + name + "-" + std::to_string(::getpid());
    // A bridge and a /24 of its own, so that test servers running side by side do not meet.
    const int pid = ::getpid();
    bridge_ = "mk" + std::to_string(pid % 10000000);
    pod_cidr_ = "10." + std::to_string(200 + (pid / 256) % 56) + "." + std::to_string(pid % 256) + ".0/24";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "home");
  }
  ~ServerProcess() {
    Stop();
    if (agent_) RemoveNodeLeftovers(dir_ / "data" / "agent", dir_, cgroup_root_, bridge_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& cgroup_root() const { return cgroup_root_; }
  const std::string& pod_cidr() const { return pod_cidr_; }
  const std::string& bridge() const { return bridge_; }

  // Starts the server and waits for /readyz. Returns false if it did not come up.
  bool Start(const std::vector<std::string>& extra = {}) {
    if (!extra.empty()) extra_ = extra;
    std::filesystem::remove(kubeconfig());
    std::vector<std::string> args = {MLKUBE_BINARY, "server", "--data-dir", (dir_ / "data").string(),
                                     "--listen", "127.0.0.1:" + std::to_string(port_)};
    if (agent_) {
      args.insert(args.end(), {"--node-name", "node-1", "--cgroup-root", cgroup_root_, "--bridge-name", bridge_,
                               "--pod-cidr", pod_cidr_});
    } else {
      args.push_back("--no-agent");
    }
    if (!scheduler_) args.push_back("--no-scheduler");
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = SpawnLogged(args, dir_ / "server.log");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::filesystem::exists(kubeconfig())) {
        std::string kc = ReadFile(kubeconfig());
        constexpr std::string_view kPrefix = "https://127.0.0.1:";
        auto p = kc.find(kPrefix);
        if (p != std::string::npos) {
          port_ = std::stoi(kc.substr(p + kPrefix.size()));
          if (Sh("curl -skf https://127.0.0.1:" + std::to_string(port_) + "/readyz").code == 0) {
            return true;
          }
        }
      }
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void Stop(int sig = SIGTERM) { StopProcess(pid_, sig); }
  void Kill9() { Stop(SIGKILL); }

  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path kubeconfig() const { return dir_ / "data" / "kubeconfig"; }
  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadFile(dir_ / "server.log"); }

  // Environment prefix for shell commands talking to this server (own HOME: own kubectl cache).
  std::string Env() const {
    return "KUBECONFIG=" + kubeconfig().string() + " HOME=" + (dir_ / "home").string() + " ";
  }
  CmdResult Kubectl(const std::string& args, const std::string& input = "") const {
    return Sh(Env() + "kubectl " + args, input);
  }
  std::string Token() const {
    std::string t = ReadFile(dir_ / "data" / "pki" / "admin.token");
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
  }
  // curl with the admin token and the CA.
  CmdResult Curl(const std::string& args) const {
    return Sh("curl -sS --cacert " + (dir_ / "data" / "pki" / "ca.crt").string() +
              " -H 'Authorization: Bearer " + Token() + "' " + args);
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::vector<std::string> extra_;  // flags kept for restarts
  bool agent_ = false, scheduler_ = false;
  std::string cgroup_root_, bridge_, pod_cidr_;
};


// A `mlkube agent` process joining `server` (started with --no-agent) as node `node`, on the
// bridge, pod range and cgroup root the server would have used, serving the API server on
// 127.0.0.1 at a free port. Its pods and their traces go when the test ends.
class AgentProcess {
 public:
  AgentProcess(const ServerProcess& server, std::string node) : server_(server), node_(std::move(node)) {
    dir_ = server.dir() / ("agent-" + node_);
    std::filesystem::create_directories(dir_);
  }
  ~AgentProcess() {
    Stop();
    RemoveNodeLeftovers(dir_ / "data", dir_, server_.cgroup_root(), server_.bridge());
  }

  // Starts the agent and waits until its Node is Ready. False if it did not come up.
  bool Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {MLKUBE_BINARY, "agent", "--kubeconfig", server_.kubeconfig().string(),
                                     "--data-dir", (dir_ / "data").string(), "--node-name", node_,
                                     "--node-ip", "127.0.0.1", "--port", "0",
                                     "--cgroup-root", server_.cgroup_root(), "--bridge-name", server_.bridge(),
                                     "--pod-cidr", server_.pod_cidr()};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = SpawnLogged(args, dir_ / "agent.log");
    return WaitFor(
        [&] {
          return server_.Kubectl("get node " + node_ + " -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'").out ==
                 "True";
        },
        std::chrono::seconds(30));
  }
  void Stop(int sig = SIGTERM) { StopProcess(pid_, sig); }
  std::string log() const { return ReadFile(dir_ / "agent.log"); }
  std::filesystem::path dir() const { return dir_; }

 private:
  const ServerProcess& server_;
  std::string node_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace mlkube::testing
