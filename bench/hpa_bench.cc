// How fast the HorizontalPodAutoscaler reacts, on real pods burning real CPU:
//   load start -> the metrics API shows the pods above target -> the HPA's scale-up decision
//   -> the new replica Ready; load end -> the scale-down decision.
// A Deployment of one busybox pod (cpu request 100m, limit 200m) spins while a file exists and
// idles otherwise; an HPA (CPU utilisation 50 %, 1..2 replicas) watches it. Two servers, one
// after the other: Kubernetes' defaults (10 s metric resolution, 15 s sync period, 300 s
// scale-down window) and short windows (1 s resolution, 1 s sync, 5 s scale-down window).
// Each scale-up round starts the load at a random point of the sync period, as a user would.
// Anchor: Kubernetes with its defaults decides once the HPA's 15 s sync runs after
// metrics-server's 15 s scrape has seen the load: up to ~30 s, and scales down 300 s after.
// Runs `mlkube server` with its agent, as root.
// Usage: hpa_bench MLKUBE_BINARY [--quick]

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "api/quantity.h"
#include "bench.h"
#include "client/http_client.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using mlkube::Json;
namespace fs = std::filesystem;

using mlkube::bench::Seconds;

constexpr char kDeployments[] = "/apis/apps/v1/namespaces/default/deployments";
constexpr char kHpas[] = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";

Json Burner(const fs::path& control) {
  Json container = {
      {"name", "work"},
      {"image", "busybox"},
      {"command", {"sh", "-c", "while :; do if [ -f /control/load ]; then :; else sleep 0.2; fi; done"}},
      {"resources", {{"requests", {{"cpu", "100m"}}}, {"limits", {{"cpu", "200m"}}}}},
      {"volumeMounts", {{{"name", "control"}, {"mountPath", "/control"}}}}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "burn"}}},
          {"spec",
           {{"replicas", 1},
            {"selector", {{"matchLabels", {{"app", "burn"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "burn"}}}}},
              {"spec",
               {{"terminationGracePeriodSeconds", 0},
                {"containers", {container}},
                {"volumes", {{{"name", "control"}, {"hostPath", {{"path", control.string()}}}}}}}}}}}}};
}

Json Hpa(bool short_windows) {
  Json spec = {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "burn"}}},
               {"minReplicas", 1},
               {"maxReplicas", 2},
               {"metrics",
                {{{"type", "Resource"},
                  {"resource", {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 50}}}}}}}}};
  if (short_windows) spec["behavior"] = {{"scaleDown", {{"stabilizationWindowSeconds", 5}}}};
  return {{"apiVersion", "autoscaling/v2"}, {"kind", "HorizontalPodAutoscaler"}, {"metadata", {{"name", "burn"}}},
          {"spec", spec}};
}

int64_t Int(const Json& obj, const char* key) {
  const Json& v = mlkube::Member(obj, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

class Bench {
 public:
  Bench(mlkube::client::HttpClient& h, fs::path control) : h_(h), control_(std::move(control)) {}

  Json Get(const std::string& path) {
    auto r = h_.Do("GET", path);
    return r.ok() && r->status == 200 ? Json::parse(r->body, nullptr, false) : Json();
  }
  int Replicas() { return static_cast<int>(Int(mlkube::Member(Get(std::string(kDeployments) + "/burn"), "spec"), "replicas")); }
  int Ready() { return static_cast<int>(Int(mlkube::Member(Get(std::string(kDeployments) + "/burn"), "status"), "readyReplicas")); }
  // The pods' mean CPU as a percentage of their 100m request, from metrics.k8s.io; -1 without samples.
  double Utilization() {
    const Json list = Get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dburn");
    double sum = 0;
    int pods = 0;
    for (const Json& p : mlkube::ArrayMember(list, "items")) {
      for (const Json& c : mlkube::ArrayMember(p, "containers")) {
        auto q = mlkube::api::Quantity::Parse(mlkube::StringMember(mlkube::Member(c, "usage"), "cpu"));
        if (q.ok()) sum += static_cast<double>(q->MilliValue());
      }
      ++pods;
    }
    return pods == 0 ? -1 : sum / pods;  // of 100m: millicores are percent
  }
  bool ScalingActive() {
    const Json hpa = Get(std::string(kHpas) + "/burn");
    for (const Json& c : mlkube::ArrayMember(mlkube::Member(hpa, "status"), "conditions")) {
      if (mlkube::StringMember(c, "type") == "ScalingActive") return mlkube::StringMember(c, "status") == "True";
    }
    return false;
  }
  void Load(bool on) {
    if (on) {
      std::ofstream(control_ / "load") << "on";
    } else {
      fs::remove(control_ / "load");
    }
  }
  template <typename F>
  bool Until(F done, Clock::duration limit, Clock::duration poll = 50ms) {
    for (const auto t0 = Clock::now(); Clock::now() - t0 < limit; std::this_thread::sleep_for(poll)) {
      if (done()) return true;
    }
    return false;
  }
  bool Post(const std::string& path, const Json& body) {
    auto r = h_.Do("POST", path, body.dump());
    return r.ok() && r->status == 201;
  }
  void Delete(const std::string& path) { (void)h_.Do("DELETE", path); }
  void Scale(int replicas) {
    (void)h_.Do("PATCH", std::string(kDeployments) + "/burn/scale", Json{{"spec", {{"replicas", replicas}}}}.dump(),
                "application/merge-patch+json");
  }

 private:
  mlkube::client::HttpClient& h_;
  const fs::path control_;
};

struct Round {
  double to_metric = NAN, metric_to_decision = NAN, to_decision = NAN, decision_to_ready = NAN, to_scale_down = NAN;
};

// One scale-up from a fresh HPA on one idle replica, started at a random point of the sync
// period; then, if asked, the scale-down after the load ends.
Round RunRound(Bench& b, bool short_windows, std::chrono::seconds sync, bool scale_down, std::mt19937& rng) {
  Round r;
  auto failed = [&](const char* step) {
    std::fprintf(stderr, "  round abandoned: %s\n", step);
    return r;
  };
  b.Load(false);
  b.Delete(std::string(kHpas) + "/burn");
  b.Scale(1);
  if (!b.Until([&] { return b.Replicas() == 1 && b.Ready() == 1; }, 120s, 200ms)) return failed("one ready replica");
  // Idle in the metrics before the HPA starts, so that it starts from an idle reading.
  if (!b.Until([&] { const double u = b.Utilization(); return u >= 0 && u < 25; }, 120s, 200ms)) {
    return failed("idle in the metrics");
  }
  if (!b.Post(kHpas, Hpa(short_windows))) return failed("creating the HPA");
  if (!b.Until([&] { return b.ScalingActive(); }, 120s, 100ms)) return failed("ScalingActive");
  std::this_thread::sleep_for(std::chrono::milliseconds(
      std::uniform_int_distribution<int>(0, static_cast<int>(sync.count() * 1000))(rng)));

  const auto t0 = Clock::now();
  b.Load(true);
  Clock::time_point metric{}, decision{}, ready{};
  b.Until([&] {
    const auto now = Clock::now();
    if (metric == Clock::time_point{} && b.Utilization() > 50) metric = now;
    if (decision == Clock::time_point{} && b.Replicas() > 1) decision = now;
    if (decision != Clock::time_point{} && b.Ready() >= 2) ready = now;
    return ready != Clock::time_point{};
  }, 180s);
  if (metric != Clock::time_point{}) r.to_metric = Seconds(metric - t0);
  if (decision != Clock::time_point{}) {
    r.to_decision = Seconds(decision - t0);
    if (metric != Clock::time_point{}) r.metric_to_decision = Seconds(decision - metric);
  }
  if (ready != Clock::time_point{}) r.decision_to_ready = Seconds(ready - decision);
  if (scale_down && ready != Clock::time_point{}) {
    const auto t1 = Clock::now();
    b.Load(false);
    if (b.Until([&] { return b.Replicas() == 1; }, 600s, 100ms)) r.to_scale_down = Seconds(Clock::now() - t1);
  }
  return r;
}

std::string Stat(const std::vector<Round>& rounds, double Round::*field) {
  std::vector<double> v;
  for (const Round& r : rounds) {
    if (!std::isnan(r.*field)) v.push_back(r.*field);
  }
  if (v.empty()) return "n/a";
  char buf[96];
  if (v.size() == 1) {
    std::snprintf(buf, sizeof buf, "%.1f s", v[0]);
  } else {
    std::snprintf(buf, sizeof buf, "median %.1f s, max %.1f s (%zu)", mlkube::bench::Pct(v, 0.5),
                  *std::max_element(v.begin(), v.end()), v.size());
  }
  return buf;
}

bool RunConfig(const std::string& bin, bool short_windows, bool quick, std::vector<Round>* rounds) {
  const std::string tag = "mlkube-hpa-bench-" + std::to_string(::getpid());
  const fs::path root = fs::temp_directory_path() / tag;
  const std::string bridge = "mkh" + std::to_string(::getpid() % 100000);
  const std::chrono::seconds sync = short_windows ? 1s : 15s;
  std::vector<std::string> args = {"--node-name", "bench-node", "--cgroup-root", tag, "--bridge-name", bridge,
                                   "--pod-cidr", "10.252.0.0/16"};
  if (short_windows) {
    for (const char* a : {"--metric-resolution", "1s", "--horizontal-pod-autoscaler-sync-period", "1s"}) args.push_back(a);
  }
  bool ok = false;
  {
    mlkube::bench::BenchServer server(bin, root, args, "/api/v1/nodes/bench-node");
    if (!server.ready()) {
      std::fprintf(stderr, "server did not come up; see %s\n", server.log_path().c_str());
      return false;
    }
    mlkube::client::HttpClient h(server.config());
    const fs::path control = root / "control";
    fs::create_directories(control);
    Bench b(h, control);
    std::mt19937 rng(std::random_device{}());
    if (b.Post(kDeployments, Burner(control))) {
      const int n = short_windows ? (quick ? 2 : 5) : (quick ? 1 : 3);
      for (int i = 0; i < n; ++i) {
        // With the defaults only the last round waits out the 300 s scale-down window.
        const bool down = short_windows || (!quick && i == n - 1);
        rounds->push_back(RunRound(b, short_windows, sync, down, rng));
        std::fprintf(stderr, "  %s round %d: metric %.1f s, decision %.1f s, ready +%.1f s, down %.1f s\n",
                     short_windows ? "short" : "default", i + 1, rounds->back().to_metric, rounds->back().to_decision,
                     rounds->back().decision_to_ready, rounds->back().to_scale_down);
      }
      ok = true;
    }
    b.Load(false);
    b.Delete(std::string(kHpas) + "/burn");
    b.Delete(std::string(kDeployments) + "/burn");
    b.Until([&] { return mlkube::ArrayMember(b.Get("/api/v1/namespaces/default/pods"), "items").empty(); }, 60s, 100ms);
    server.Stop();
  }
  mlkube::bench::RemoveAgentLeftovers(root / "data", tag, bridge);
  fs::remove_all(root);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin;
  bool quick = false;
  if (!mlkube::bench::PodBenchArgs(argc, argv, &bin, &quick)) return 2;
  std::printf("# mlkube autoscaling benchmark (%s)\n\n", quick ? "quick" : "full");
  std::vector<Round> defaults, short_windows;
  if (!RunConfig(bin, false, quick, &defaults) || !RunConfig(bin, true, quick, &short_windows)) return 1;

  std::printf("| figure | defaults (10 s resolution, 15 s sync, 300 s down window) | short windows (1 s, 1 s, 5 s) | anchor |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| load start -> pods above target in metrics.k8s.io | %s | %s | metrics-server: 15 s resolution |\n",
              Stat(defaults, &Round::to_metric).c_str(), Stat(short_windows, &Round::to_metric).c_str());
  std::printf("| metric above target -> scale-up decision | %s | %s | HPA sync: 15 s (goal <= 15 s) |\n",
              Stat(defaults, &Round::metric_to_decision).c_str(), Stat(short_windows, &Round::metric_to_decision).c_str());
  std::printf("| load start -> scale-up decision | %s | %s | Kubernetes: up to ~30 s |\n",
              Stat(defaults, &Round::to_decision).c_str(), Stat(short_windows, &Round::to_decision).c_str());
  std::printf("| decision -> new replica Ready | %s | %s | |\n", Stat(defaults, &Round::decision_to_ready).c_str(),
              Stat(short_windows, &Round::decision_to_ready).c_str());
  std::printf("| load end -> scale-down decision | %s | %s | Kubernetes: 300 s window + up to 15 s sync |\n",
              Stat(defaults, &Round::to_scale_down).c_str(), Stat(short_windows, &Round::to_scale_down).c_str());
  return 0;
}
