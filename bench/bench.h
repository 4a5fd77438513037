#pragma once
// What the benchmarks share: a `mlkube server` child process (started on a free port in a
// directory of its own, its log there, ready once `ready_path` answers 200, stopped with
// SIGTERM), the cleanup of what an agent leaves, and the statistics they print.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "agent/network/pod_network.h"
#include "client/http_client.h"

namespace mlkube::bench {

inline double Ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
inline double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// What a shell command prints on stdout.
inline std::string Capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

// The p-quantile (0..1) of `v`, nearest rank.
inline double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// The command line of the benchmarks that run pods: MLKUBE_BINARY [--quick], as root. False
// (after saying why) when it is not so.
inline bool PodBenchArgs(int argc, char** argv, std::string* binary, bool* quick) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MLKUBE_BINARY [--quick]\n", argv[0]);
    return false;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "%s needs root (pods run in cgroups and namespaces)\n", argv[0]);
    return false;
  }
  *binary = argv[1];
  *quick = argc > 2 && std::string(argv[2]) == "--quick";
  return true;
}

class BenchServer {
 public:
  // `args` follow `mlkube server --data-dir ROOT/data --listen 127.0.0.1:0`.
  BenchServer(const std::string& binary, const std::filesystem::path& root, const std::vector<std::string>& args,
              const std::string& ready_path = "/readyz")
      : root_(root) {
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen((root_ / "server.log").c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      std::vector<std::string> all = {binary, "server", "--data-dir", (root_ / "data").string(), "--listen", "127.0.0.1:0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500 && config_.server.empty(); ++i) {
      auto c = client::LoadKubeconfig((root_ / "data" / "kubeconfig").string());
      if (c.ok()) {
        client::HttpClient h(*c);
        auto r = h.Do("GET", ready_path);
        if (r.ok() && r->status == 200) config_ = *c;
      }
      if (config_.server.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~BenchServer() { Stop(); }
  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;

  bool ready() const { return !config_.server.empty(); }
  const client::Kubeconfig& config() const { return config_; }
  pid_t pid() const { return pid_; }
  std::string log_path() const { return (root_ / "server.log").string(); }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  std::filesystem::path root_;
  pid_t pid_ = -1;
  client::Kubeconfig config_;
};

// What an agent leaves behind by design (pods outlive it) goes with the benchmark: the pods'
// processes and cgroups under `cgroup_root`, their network namespaces (the agent's data
// directory is `agent_parent`/agent), the bridge and the proxy's nftables table.
inline void RemoveAgentLeftovers(const std::filesystem::path& agent_parent, const std::string& cgroup_root,
                                 const std::string& bridge) {
  const std::string dirs = "/sys/fs/cgroup/*/" + cgroup_root + " /sys/fs/cgroup/" + cgroup_root;
  const std::string cmd =
      "for c in " + dirs + "; do find $c -name cgroup.procs -exec cat {} + 2>/dev/null; done | xargs -r kill -9 2>/dev/null; "
      "sleep 0.5; for c in " + dirs + "; do find $c -depth -type d -exec rmdir {} + 2>/dev/null; done; "
      "ip link del " + bridge + " 2>/dev/null; nft delete table ip " + bridge + " 2>/dev/null";
  (void)std::system(cmd.c_str());
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(agent_parent / "agent/ipam", ec)) {
    if (auto record = agent::PodNetwork::ReadRecord(e.path())) {
      const std::string netns = std::filesystem::path(agent::PodNetwork::NamespacePathOf(record->netns_id)).filename();
      (void)std::system(("ip netns del " + netns + " 2>/dev/null").c_str());
    }
  }
}

}  // namespace mlkube::bench
