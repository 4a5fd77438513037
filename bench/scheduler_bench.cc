// Scheduler figures, each beside its anchor:
//   throughput (pods bound per second, create -> bound) and p99 per-pod latency for 10,000
//   pods on 5,000 simulated nodes and for GPU pods on 1,000 nodes, beside kube-scheduler's
//   scheduler_perf CI threshold for SchedulingBasic 5000 nodes / 10000 pods (270 pods/s) and
//   Nomad's ~3,750 placements/s in its million-container run;
//   GPU packing quality: on 100 nodes x 8 GPUs filled by a random mix of 1, 2, 4 and 8-GPU pods,
//   the share of 8-GPU pods placed, ours beside a least-allocated baseline, same sequence.
// Usage: scheduler_bench MLKUBE_BINARY [--quick]

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "bench.h"
#include "client/http_client.h"
#include "scheduler/framework.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using mlkube::bench::Ms;
using mlkube::bench::Pct;
using mlkube::Json;
namespace fs = std::filesystem;
namespace sch = mlkube::scheduler;

Json NodeJson(const std::string& name, int gpus) {
  Json alloc = {{"cpu", "32"}, {"memory", "256Gi"}, {"pods", "110"}};
  if (gpus) alloc["nvidia.com/gpu"] = std::to_string(gpus);
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}}},
          {"status", {{"allocatable", alloc}, {"capacity", alloc}, {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
}

Json PodJson(const std::string& name, int gpus) {
  Json requests = {{"cpu", "100m"}, {"memory", "256Mi"}};
  Json c = {{"name", "main"}, {"image", "x"}, {"command", {"sleep", "1"}}, {"resources", {{"requests", requests}}}};
  if (gpus) {
    // Written as the API stores it after defaulting: extended resources request their limit.
    c["resources"]["limits"] = {{"nvidia.com/gpu", std::to_string(gpus)}};
    c["resources"]["requests"]["nvidia.com/gpu"] = std::to_string(gpus);
  }
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}}}, {"spec", {{"containers", {c}}}}};
}

// Runs `clients` threads over `count` items.
void Parallel(int clients, int count, const std::function<void(mlkube::client::HttpClient&, int)>& fn,
              const mlkube::client::Kubeconfig& cfg) {
  std::atomic<int> next{0};
  std::vector<std::thread> ts;
  for (int c = 0; c < clients; ++c) {
    ts.emplace_back([&] {
      mlkube::client::HttpClient h(cfg);
      for (int i; (i = next++) < count;) fn(h, i);
    });
  }
  for (auto& t : ts) t.join();
}

// Creates `nodes` simulated nodes and `pods` pods in namespace `ns`; reports when all are bound.
void Throughput(const mlkube::client::Kubeconfig& cfg, const std::string& label, const std::string& ns, int nodes,
                int pods, int gpus_per_node, int gpus_per_pod) {
  Parallel(8, nodes, [&](mlkube::client::HttpClient& h, int i) {
    const std::string name = ns + "-node-" + std::to_string(i);
    Json n = NodeJson(name, gpus_per_node);
    (void)h.Do("POST", "/api/v1/nodes", Json({{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", n["metadata"]}}).dump());
    (void)h.Do("PATCH", "/api/v1/nodes/" + name + "/status", Json({{"status", n["status"]}}).dump(),
               "application/merge-patch+json");
  }, cfg);
  mlkube::client::HttpClient h(cfg);
  (void)h.Do("POST", "/api/v1/namespaces", Json({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}).dump());
  std::this_thread::sleep_for(1s);  // the scheduler's node informer catches up

  std::mutex mu;
  std::map<std::string, Clock::time_point> created, bound;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    mlkube::client::HttpClient w(cfg);
    std::string pending;
    (void)w.Stream("/api/v1/namespaces/" + ns + "/pods?watch=true", [&](std::string_view data) {
      pending.append(data);
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
        Json ev = Json::parse(pending.substr(0, nl), nullptr, false);
        if (!ev.is_object()) continue;
        const Json& pod = ev["object"];
        if (!pod.contains("spec") || pod["spec"].value("nodeName", "").empty()) continue;
        std::lock_guard lock(mu);
        bound.emplace(pod["metadata"].value("name", ""), Clock::now());
      }
      std::lock_guard lock(mu);
      return !stop && bound.size() < static_cast<size_t>(pods);
    });
  });
  std::this_thread::sleep_for(300ms);
  const auto t0 = Clock::now();
  Parallel(8, pods, [&](mlkube::client::HttpClient& c, int i) {
    const std::string name = "p" + std::to_string(i);
    {
      std::lock_guard lock(mu);
      created[name] = Clock::now();
    }
    (void)c.Do("POST", "/api/v1/namespaces/" + ns + "/pods", PodJson(name, gpus_per_pod).dump());
  }, cfg);
  const auto created_by = Clock::now();
  const auto deadline = Clock::now() + 300s;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (bound.size() >= static_cast<size_t>(pods) || Clock::now() > deadline) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  stop = true;
  watcher.detach();
  std::lock_guard lock(mu);
  Clock::time_point last = t0;
  std::vector<double> lat;
  for (const auto& [name, t] : bound) {
    last = std::max(last, t);
    if (created.count(name)) lat.push_back(Ms(t - created[name]));
  }
  const double secs = std::chrono::duration<double>(last - t0).count();
  std::printf("| %s | %zu/%d bound in %.1f s: %.0f pods/s | p50 %.0f ms, p99 %.0f ms | creates took %.1f s | "
              "270 pods/s (scheduler_perf), ~3,750/s (Nomad) |\n",
              label.c_str(), bound.size(), pods, secs, bound.size() / secs, Pct(lat, 0.5), Pct(lat, 0.99),
              std::chrono::duration<double>(created_by - t0).count());
  std::fflush(stdout);
}

// The least-allocated baseline for GPUs: the node with the most free GPUs that fits.
class MostFreeGpus : public sch::ScorePlugin {
 public:
  const char* Name() const override { return "MostFreeGpus"; }
  int64_t Score(const sch::PodInfo&, const sch::NodeInfo& node) const override {
    const int64_t cap = node.allocatable[sch::kGpu];
    if (cap == 0) return 0;
    return (cap - node.requested[sch::kGpu]) * 100 / cap;
  }
};

// Places the sequence with `scores`; returns the share of 8-GPU pods placed.
double Pack(const std::vector<int>& sequence, const std::vector<std::unique_ptr<sch::ScorePlugin>>& scores) {
  std::vector<sch::NodeInfo> nodes;
  for (int i = 0; i < 100; ++i) nodes.emplace_back(NodeJson("n" + std::to_string(i), 8));
  auto filters = sch::DefaultFilters();
  int eights = 0, placed_eights = 0;
  for (int gpus : sequence) {
    sch::PodInfo pod(PodJson("p", gpus));
    if (gpus == 8) ++eights;
    sch::NodeInfo* best = nullptr;
    int64_t best_score = -1;
    for (auto& node : nodes) {
      bool ok = true;
      for (const auto& f : filters) ok = ok && f->Filter(pod, node).empty();
      if (!ok) continue;
      int64_t score = 0;
      for (const auto& s : scores) score += s->Weight() * s->Score(pod, node);
      if (score > best_score) {
        best_score = score;
        best = &node;
      }
    }
    if (best) {
      best->Add(pod);
      if (gpus == 8) ++placed_eights;
    }
  }
  return eights ? 100.0 * placed_eights / eights : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MLKUBE_BINARY [--quick]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1];
  const bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  std::printf("# mlkube scheduler benchmark (%s)\n\n", quick ? "quick" : "full");

  // --- GPU packing quality (in-process, the plugins themselves) ---
  {
    // Small jobs (1, 2, 4 GPUs, random) take 60% of the GPUs, then whole-node (8-GPU) jobs
    // ask for the rest: whether they fit depends on how the small ones were packed.
    std::mt19937 rng(42);
    const int sizes[] = {1, 1, 1, 2, 2, 4};
    std::vector<int> sequence;
    int total = 0;
    while (total < 100 * 8 * 6 / 10) {
      int g = sizes[rng() % 6];
      sequence.push_back(g);
      total += g;
    }
    while (total < 100 * 8) {
      sequence.push_back(8);
      total += 8;
    }
    auto ours = sch::DefaultScores();
    std::vector<std::unique_ptr<sch::ScorePlugin>> baseline;
    baseline.push_back(std::make_unique<MostFreeGpus>());
    std::printf("GPU packing, 100 nodes x 8 GPUs, %zu pods (60%% of the GPUs in 1/2/4-GPU pods, then 8-GPU pods; "
                "%d GPUs asked): 8-GPU pods placed: "
                "mlkube %.0f%%, least-allocated baseline %.0f%%\n\n",
                sequence.size(), total, Pack(sequence, ours), Pack(sequence, baseline));
    std::fflush(stdout);
  }

  std::printf("| workload | mlkube | per-pod latency | | anchors |\n|---|---|---|---|---|\n");
  // Each workload on a server of its own, so that one's nodes do not slow the other's search.
  auto run = [&](const std::string& label, const std::string& ns, int nodes, int pods, int gpn, int gpp) {
    const fs::path root = fs::temp_directory_path() / ("mlkube-sched-bench-" + std::to_string(::getpid()) + "-" + ns);
    mlkube::bench::BenchServer server(bin, root, {"--no-agent"});
    const mlkube::client::Kubeconfig& cfg = server.config();
    Throughput(cfg, label, ns, nodes, pods, gpn, gpp);
    server.Stop();
    fs::remove_all(root);
  };
  if (quick) {
    run("500 nodes, 2,000 pods", "basic", 500, 2000, 0, 0);
    run("200 GPU nodes (8 each), 1,000 1-GPU pods", "gpu", 200, 1000, 8, 1);
  } else {
    run("5,000 nodes, 10,000 pods", "basic", 5000, 10000, 0, 0);
    run("1,000 nodes (8 GPUs each), 5,000 1-GPU pods", "gpu", 1000, 5000, 8, 1);
  }
  return 0;
}
