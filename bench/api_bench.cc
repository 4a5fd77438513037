// API server figures, each beside its anchor from the same run:
//   creates/s and p50/p99 latency over HTTPS keep-alive with 1, 8, 64 clients (durable), beside
//   etcd 3.4 puts through its v3 JSON gateway at the same concurrency; get p99; list of 10k pods;
//   watch fan-out; memory per stored pod; start-up to /readyz empty and with 100k objects.
// Usage: api_bench MLKUBE_BINARY [--quick]

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>

#include "api/json.h"
#include "bench.h"
#include "client/http_client.h"
#include "common/base64.h"

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

struct Latencies {
  std::vector<double> ms;
  double Pct(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  }
};

pid_t Spawn(std::vector<std::string> args, const fs::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void Kill(pid_t pid) {
  kill(pid, SIGTERM);
  int st;
  waitpid(pid, &st, 0);
}

long RssKiB(pid_t pid) {
  std::string s = ReadFile("/proc/" + std::to_string(pid) + "/status");
  auto p = s.find("VmRSS:");
  return p == std::string::npos ? 0 : std::stol(s.substr(p + 6));
}

struct Mlkube {
  fs::path dir;
  pid_t pid = -1;
  int port = 0;
  mlkube::client::Kubeconfig cfg;

  // Starts and returns the time to the first /readyz 200.
  double Start(const std::string& bin) {
    auto t0 = Clock::now();
    fs::remove(dir / "kubeconfig");
    pid = Spawn({bin, "server", "--no-agent", "--data-dir", dir.string(), "--listen",
                 "127.0.0.1:" + std::to_string(port)},
                dir.string() + ".log");
    for (;;) {
      if (fs::exists(dir / "kubeconfig")) {
        auto c = mlkube::client::LoadKubeconfig((dir / "kubeconfig").string());
        if (c.ok()) {
          cfg = *c;
          port = std::stoi(cfg.server.substr(cfg.server.rfind(':') + 1));
          mlkube::client::HttpClient h(cfg);
          auto r = h.Do("GET", "/readyz");
          if (r.ok() && r->status == 200) return Ms(Clock::now() - t0);
        }
      }
      std::this_thread::sleep_for(1ms);
    }
  }
};

std::string PodJson(const std::string& name) {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", name}, {"labels", {{"app", "bench"}, {"tier", "model"}}}}},
              {"spec",
               {{"containers",
                 {{{"name", "server"},
                   {"image", "mlserve:1"},
                   {"ports", {{{"containerPort", 8080}}}},
                   {"resources",
                    {{"requests", {{"cpu", "500m"}, {"memory", "1Gi"}}},
                     {"limits", {{"cpu", "1"}, {"memory", "2Gi"}}}}}}}}}}};
  return pod.dump();
}

struct LoadResult {
  double per_second;
  double p50, p99;
};

// `clients` threads each issue requests built by make(thread, i) for `duration`.
LoadResult Load(const mlkube::client::Kubeconfig& cfg, int clients, std::chrono::milliseconds duration,
                const std::function<std::pair<std::string, std::string>(int, int)>& make,
                int expect_status) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  Latencies lat;
  std::atomic<long> done{0}, failed{0};
  std::vector<std::thread> ts;
  auto t0 = Clock::now();
  for (int c = 0; c < clients; ++c) {
    ts.emplace_back([&, c] {
      mlkube::client::HttpClient h(cfg);
      std::vector<double> mine;
      for (int i = 0; !stop; ++i) {
        auto [path, body] = make(c, i);
        auto s = Clock::now();
        auto r = h.Do("POST", path, body);
        mine.push_back(Ms(Clock::now() - s));
        if (!r.ok() || r->status != expect_status) {
          ++failed;
        } else {
          ++done;
        }
      }
      std::lock_guard lock(mu);
      lat.ms.insert(lat.ms.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed) std::fprintf(stderr, "  (%ld requests failed)\n", failed.load());
  return {done / secs, lat.Pct(0.5), lat.Pct(0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MLKUBE_BINARY [--quick]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1];
  const bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  // --creates-only: just the 64-client create load for a while, for profiling the server.
  const bool creates_only = argc > 2 && std::string(argv[2]) == "--creates-only";
  const auto duration = quick ? 1500ms : 5000ms;
  fs::path root = fs::temp_directory_path() / ("mlkube-bench-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);

  std::printf("# mlkube API benchmark (%s)\n\n", quick ? "quick" : "full");

  // --- start-up, empty ---
  Mlkube m;
  m.dir = root / "mlkube";
  double cold = m.Start(bin);
  std::printf("start-up to /readyz, empty data dir: %.1f ms (goal <= 200 ms)\n\n", cold);
  if (creates_only) {
    std::printf("server pid %d\n", m.pid);
    std::fflush(stdout);
    auto r = Load(m.cfg, 64, 10000ms, [&](int c, int i) {
      return std::make_pair(std::string("/api/v1/namespaces/default/pods"),
                            PodJson("p-" + std::to_string(c) + "-" + std::to_string(i)));
    }, 201);
    std::printf("64 clients: %.0f creates/s p50 %.2f ms p99 %.2f ms\n", r.per_second, r.p50, r.p99);
    Kill(m.pid);
    fs::remove_all(root);
    return 0;
  }

  // --- etcd anchor ---
  fs::path etcd_dir = root / "etcd";
  pid_t etcd = Spawn({"etcd", "--data-dir", etcd_dir.string(), "--listen-client-urls",
                      "http://127.0.0.1:23790", "--advertise-client-urls", "http://127.0.0.1:23790",
                      "--listen-peer-urls", "http://127.0.0.1:23800"},
                     root / "etcd.log");
  mlkube::client::Kubeconfig etcd_cfg;
  etcd_cfg.server = "http://127.0.0.1:23790";
  for (int i = 0; i < 500; ++i) {
    mlkube::client::HttpClient h(etcd_cfg);
    auto r = h.Do("GET", "/health");
    if (r.ok() && r->status == 200) break;
    std::this_thread::sleep_for(20ms);
  }

  std::printf("| clients | mlkube creates/s | p50 ms | p99 ms | etcd puts/s | p50 ms | p99 ms | ratio |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int clients : {1, 8, 64}) {
    auto ours = Load(m.cfg, clients, duration, [&](int c, int i) {
      std::string name = "p" + std::to_string(clients) + "-" + std::to_string(c) + "-" + std::to_string(i);
      return std::make_pair(std::string("/api/v1/namespaces/default/pods"), PodJson(name));
    }, 201);
    auto theirs = Load(etcd_cfg, clients, duration, [&](int c, int i) {
      std::string name = "p" + std::to_string(clients) + "-" + std::to_string(c) + "-" + std::to_string(i);
      Json put = {{"key", mlkube::Base64Encode("/registry/pods/default/" + name)}, {"value", mlkube::Base64Encode(PodJson(name))}};
      return std::make_pair(std::string("/v3/kv/put"), put.dump());
    }, 200);
    std::printf("| %d | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.1fx |\n", clients, ours.per_second,
                ours.p50, ours.p99, theirs.per_second, theirs.p50, theirs.p99,
                ours.per_second / theirs.per_second);
    std::fflush(stdout);
  }
  Kill(etcd);

  // --- get latency ---
  {
    mlkube::client::HttpClient h(m.cfg);
    Latencies lat;
    for (int i = 0; i < (quick ? 2000 : 10000); ++i) {
      auto s = Clock::now();
      auto r = h.Do("GET", "/api/v1/namespaces/default/pods/p1-0-" + std::to_string(i % 100));
      lat.ms.push_back(Ms(Clock::now() - s));
      if (!r.ok() || r->status != 200) { std::fprintf(stderr, "get failed\n"); break; }
    }
    std::printf("\nget p50 %.3f ms, p99 %.3f ms (goal p99 <= 1 ms)\n", lat.Pct(0.5), lat.Pct(0.99));
  }

  // --- fill to 10k pods in a namespace of their own, list ---
  auto fill = [&](const std::string& ns, int count) {
    mlkube::client::HttpClient h(m.cfg);
    (void)h.Do("POST", "/api/v1/namespaces",
         Json({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}).dump());
    std::atomic<int> next{0};
    std::vector<std::thread> ts;
    for (int c = 0; c < 16; ++c) {
      ts.emplace_back([&] {
        mlkube::client::HttpClient hc(m.cfg);
        for (int i; (i = next++) < count;) {
          (void)hc.Do("POST", "/api/v1/namespaces/" + ns + "/pods", PodJson("pod-" + std::to_string(i)));
        }
      });
    }
    for (auto& t : ts) t.join();
  };
  long rss_before = RssKiB(m.pid);
  fill("list10k", 10000);
  {
    mlkube::client::HttpClient h(m.cfg);
    Latencies lat;
    size_t bytes = 0;
    for (int i = 0; i < 10; ++i) {
      auto s = Clock::now();
      auto r = h.Do("GET", "/api/v1/namespaces/list10k/pods");
      lat.ms.push_back(Ms(Clock::now() - s));
      bytes = r.ok() ? r->body.size() : 0;
    }
    std::printf("list of 10k pods as JSON (%.1f MB): median %.1f ms (goal <= 100 ms)\n", bytes / 1e6,
                lat.Pct(0.5));
  }
  long rss_10k = RssKiB(m.pid);
  std::printf("RSS with ~10k more pods: %ld MiB (%.1f KiB per pod over the %ld MiB before)\n",
              rss_10k / 1024, (rss_10k - rss_before) / 10000.0, rss_before / 1024);

  // --- watch fan-out ---
  {
    const int watchers = quick ? 100 : 1000;
    const int events = quick ? 1000 : 10000;
    std::atomic<long> received{0};
    std::atomic<int> ready{0};
    std::vector<std::thread> ws;
    std::string rv;
    {
      mlkube::client::HttpClient h(m.cfg);
      (void)h.Do("POST", "/api/v1/namespaces",
           Json({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "watch"}}}}).dump());
      auto r = h.Do("GET", "/api/v1/namespaces/watch/configmaps");
      rv = Json::parse(r->body)["metadata"]["resourceVersion"];
    }
    for (int w = 0; w < watchers; ++w) {
      ws.emplace_back([&] {
        mlkube::client::HttpClient h(m.cfg);
        long mine = 0;
        ++ready;
        (void)h.Stream("/api/v1/namespaces/watch/configmaps?watch=true&resourceVersion=" + rv,
                 [&](std::string_view data) {
                   long n = std::count(data.begin(), data.end(), '\n');
                   mine += n;
                   received += n;
                   return mine < events;
                 });
      });
    }
    while (ready < watchers) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(500ms);
    auto t0 = Clock::now();
    std::atomic<int> next{0};
    std::vector<std::thread> writers;
    for (int c = 0; c < 8; ++c) {
      writers.emplace_back([&] {
        mlkube::client::HttpClient h(m.cfg);
        for (int i; (i = next++) < events;) {
          (void)h.Do("POST", "/api/v1/namespaces/watch/configmaps",
               Json({{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                     {"metadata", {{"name", "cm-" + std::to_string(i)}}}, {"data", {{"k", "v"}}}})
                   .dump());
        }
      });
    }
    for (auto& t : writers) t.join();
    double write_ms = Ms(Clock::now() - t0);
    for (auto& t : ws) t.join();
    double total_ms = Ms(Clock::now() - t0);
    std::printf("watch fan-out: %d watchers x %d events = %ld deliveries in %.0f ms (%.0f events/s "
                "delivered; writes took %.0f ms)\n",
                watchers, events, received.load(), total_ms, received / (total_ms / 1000), write_ms);
  }

  // --- 100k objects: memory and restart ---
  if (!quick) {
    fill("mem100k", 100000);
    long rss = RssKiB(m.pid);
    size_t objects = 0;
    {
      mlkube::client::HttpClient h(m.cfg);
      auto r = h.Do("GET", "/api/v1/pods");
      if (r.ok()) objects = Json::parse(r->body)["items"].size();
    }
    Kill(m.pid);
    double warm = m.Start(bin);
    std::printf("RSS with %zu pods stored: %ld MiB (%.1f KiB per pod); after a restart %ld MiB\n",
                objects, rss / 1024, rss / static_cast<double>(objects), RssKiB(m.pid) / 1024);
    std::printf("start-up to /readyz with %zu pods stored: %.0f ms (goal <= 2000 ms)\n", objects,
                warm);
  }
  Kill(m.pid);
  fs::remove_all(root);
  return 0;
}
