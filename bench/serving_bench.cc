// The model server's figures, side by side with the usual Python server on this machine:
//   requests/s and p99 of POST /predict (one digits row, a ~85k-parameter TorchScript MLP) under
//   wrk with 2 threads and 32 connections, mlserve against FastAPI + uvicorn (async handler,
//   uvloop, httptools; 1 and 2 workers, the better one kept), alternating rounds;
//   samples/s with dynamic batching on and off at 64 connections;
//   cold start to ready and RSS, per backend (TorchScript, XGBoost).
// The models come from tests/serving/make_models.py (Debian's PyTorch, XGBoost, scikit-learn).
// Usage: serving_bench MLSERVE_BINARY [--quick]   (from the source tree: it finds the scripts)

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "bench.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using mlkube::Json;
namespace fs = std::filesystem;

using mlkube::bench::Capture;

// A child process (its output to `log`), SIGTERMed and reaped on destruction.
class Child {
 public:
  Child(std::vector<std::string> args, const fs::path& log, const std::vector<std::string>& env = {}) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(log.c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    ::kill(pid_, SIGTERM);
    int st;
    ::waitpid(pid_, &st, 0);
  }
  pid_t pid() const { return pid_; }
  // Resident memory of the process and its children (uvicorn's workers), in MiB.
  double RssMib() const {
    double kib = 0;
    for (const std::string& pid : {std::to_string(pid_), Capture("pgrep -P " + std::to_string(pid_))}) {
      std::istringstream ids(pid);
      for (std::string id; ids >> id;) {
        std::ifstream status("/proc/" + id + "/status");
        for (std::string line; std::getline(status, line);) {
          if (line.rfind("VmRSS:", 0) == 0) kib += std::stod(line.substr(6));
        }
      }
    }
    return kib / 1024;
  }

 private:
  pid_t pid_ = -1;
};

bool WaitReady(const std::string& url, std::chrono::seconds limit) {
  for (auto t0 = Clock::now(); Clock::now() - t0 < limit; std::this_thread::sleep_for(10ms)) {
    if (Capture("curl -s -o /dev/null -w '%{http_code}' " + url) == "200") return true;
  }
  return false;
}

struct Wrk {
  double rps = 0, p99_ms = 0;
  long errors = 0;
};

Wrk RunWrk(const std::string& url, const fs::path& script, int connections, int seconds) {
  const std::string out = Capture("wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
                                  "s --latency -s " + script.string() + " " + url + " 2>&1");
  Wrk w;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([\d.]+))"))) w.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(99%\s+([\d.]+)(us|ms|s))"))) {
    w.p99_ms = std::stod(m[1]) * (m[2] == "us" ? 0.001 : m[2] == "s" ? 1000 : 1);
  }
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) w.errors = std::stol(m[1]);
  return w;
}

fs::path SourceDir() {
  for (fs::path p = fs::current_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (fs::exists(p / "tests/serving/make_models.py")) return p;
  }
  return MLKUBE_SOURCE_DIR;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MLSERVE_BINARY [--quick]\n", argv[0]);
    return 2;
  }
  const std::string bin = fs::absolute(argv[1]).string();
  const bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  const int seconds = quick ? 3 : 10, rounds = quick ? 1 : 3;
  const fs::path src = SourceDir();
  const fs::path root = fs::temp_directory_path() / ("mlserve-bench-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  if (std::system(("/usr/bin/python3 " + (src / "tests/serving/make_models.py").string() + " " + (root / "repo").string() +
                   " > /dev/null").c_str()) != 0) {
    std::fprintf(stderr, "building the models failed (python3-torch, python3-xgboost, python3-sklearn?)\n");
    return 1;
  }
  const Json expected = Json::parse(std::ifstream(root / "repo" / "expected.json"));
  fs::remove(root / "repo" / "expected.json");
  const std::string body = Json{{"instances", {expected["digits"]["inputs"][0]}}}.dump();
  std::ofstream(root / "post.lua") << "wrk.method = \"POST\"\nwrk.body = " << Json(body).dump()
                                   << "\nwrk.headers[\"Content-Type\"] = \"application/json\"\n";
  std::printf("# mlserve benchmark (%s)\n\n", quick ? "quick" : "full");

  // One model per repository, for the per-backend figures and the batching comparison.
  auto single = [&](const std::string& name, const std::string& model, const Json& config_changes) {
    const fs::path repo = root / name;
    fs::create_directories(repo / model);
    fs::copy(root / "repo" / model / "1", repo / model / "1", fs::copy_options::recursive);
    Json config = Json::parse(std::ifstream(root / "repo" / model / "config.json"));
    config.update(config_changes);
    std::ofstream(repo / model / "config.json") << config.dump();
    return repo;
  };
  struct Start {
    double seconds = 0, rss = 0;
  };
  auto start_mlserve = [&](const fs::path& repo, int port, Start* s) {
    const auto t0 = Clock::now();
    auto c = std::make_unique<Child>(std::vector<std::string>{bin, "--model-repository", repo.string(), "--http-port",
                                                              std::to_string(port), "--drain-delay", "0"},
                                     root / ("mlserve-" + std::to_string(port) + ".log"));
    if (!WaitReady("http://127.0.0.1:" + std::to_string(port) + "/v2/health/ready", 60s)) return std::unique_ptr<Child>();
    if (s) *s = {std::chrono::duration<double>(Clock::now() - t0).count(), c->RssMib()};
    return c;
  };

  // mlserve against FastAPI, alternating.
  const fs::path digits = single("digits-only", "digits", Json::object());
  Start torch_start, xgb_start;
  auto ml = start_mlserve(digits, 18500, &torch_start);
  if (!ml) {
    std::fprintf(stderr, "mlserve did not become ready; see %s\n", (root / "mlserve-18500.log").c_str());
    return 1;
  }
  std::vector<Wrk> ours, theirs;
  int best_workers = 1;
  double fastapi_start = 0, fastapi_rss = 0;
  for (int workers : {1, 2}) {
    const auto t0 = Clock::now();
    Child fa({"/usr/bin/python3", "-m", "uvicorn", "fastapi_server:app", "--port", "18501", "--loop", "uvloop", "--http",
              "httptools", "--workers", std::to_string(workers), "--log-level", "warning", "--app-dir",
              (src / "bench").string()},
             root / "fastapi.log", {"MODEL=" + (digits / "digits" / "1" / "model.pt").string()});
    if (!WaitReady("http://127.0.0.1:18501/ready", 120s)) {
      std::fprintf(stderr, "FastAPI did not start (python3-fastapi, python3-uvicorn, python3-uvloop?); see %s\n",
                   (root / "fastapi.log").c_str());
      return 1;
    }
    const double started = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<Wrk> mine, anchor;
    for (int r = 0; r < rounds; ++r) {
      mine.push_back(RunWrk("http://127.0.0.1:18500/predict", root / "post.lua", 32, seconds));
      anchor.push_back(RunWrk("http://127.0.0.1:18501/predict", root / "post.lua", 32, seconds));
    }
    auto median_rps = [](std::vector<Wrk> v) {
      std::sort(v.begin(), v.end(), [](const Wrk& a, const Wrk& b) { return a.rps < b.rps; });
      return v[v.size() / 2];
    };
    if (theirs.empty() || median_rps(anchor).rps > median_rps(theirs).rps) {
      theirs = anchor;
      ours = mine;
      best_workers = workers;
      fastapi_start = started;
      fastapi_rss = fa.RssMib();
    }
  }
  ml.reset();
  auto median = [](std::vector<Wrk> v) {
    std::sort(v.begin(), v.end(), [](const Wrk& a, const Wrk& b) { return a.rps < b.rps; });
    return v[v.size() / 2];
  };
  const Wrk a = median(ours), b = median(theirs);
  long errors = 0;
  for (const Wrk& w : ours) errors += w.errors;

  // Batching on and off, 64 connections.
  auto batched = start_mlserve(single("batched", "digits", {{"dynamic_batching", {{"max_queue_delay_microseconds", 1000}}}}),
                               18502, nullptr);
  const Wrk on = batched ? RunWrk("http://127.0.0.1:18502/predict", root / "post.lua", 64, seconds) : Wrk{};
  batched.reset();
  auto unbatched = start_mlserve(digits, 18503, nullptr);
  const Wrk off = unbatched ? RunWrk("http://127.0.0.1:18503/predict", root / "post.lua", 64, seconds) : Wrk{};
  unbatched.reset();
  auto xgb = start_mlserve(single("cancer-only", "cancer", Json::object()), 18504, &xgb_start);
  xgb.reset();

  std::printf("| figure | mlserve | anchor (same run) | ratio |\n|---|---|---|---|\n");
  std::printf("| POST /predict, 1 row, wrk 2 threads x 32 connections (median of %d rounds of %d s) | %.0f req/s, p99 %.2f ms%s "
              "| FastAPI + uvicorn (uvloop, httptools, %d worker%s): %.0f req/s, p99 %.2f ms | %.1fx req/s, p99 %.2fx |\n",
              rounds, seconds, a.rps, a.p99_ms, errors ? " (errors!)" : "", best_workers, best_workers > 1 ? "s" : "", b.rps,
              b.p99_ms, b.rps > 0 ? a.rps / b.rps : 0, b.p99_ms > 0 ? a.p99_ms / b.p99_ms : 0);
  std::printf("| samples/s at 64 connections, dynamic batching (1 ms) on / off | %.0f / %.0f, p99 %.2f / %.2f ms | | %.2fx |\n",
              on.rps, off.rps, on.p99_ms, off.p99_ms, off.rps > 0 ? on.rps / off.rps : 0);
  std::printf("| cold start to ready, RSS: TorchScript MLP | %.2f s, %.0f MiB | FastAPI: %.2f s, %.0f MiB | |\n",
              torch_start.seconds, torch_start.rss, fastapi_start, fastapi_rss);
  std::printf("| cold start to ready, RSS: XGBoost (20 trees) | %.2f s, %.0f MiB | | |\n", xgb_start.seconds, xgb_start.rss);
  fs::remove_all(root);
  return 0;
}
