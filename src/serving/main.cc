// mlserve: the model server. Serves the models of a model repository over HTTP (Open
// Inference Protocol v2, KServe v1, /predict) until SIGTERM or SIGINT.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <semaphore>
#include <stop_token>
#include <thread>

#include "apiserver/http_server.h"
#include "serving/repository.h"
#include "serving/server.h"

namespace {

std::binary_semaphore g_stop{0};
void OnSignal(int) { g_stop.release(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mlserve: serves the models of a model repository over HTTP"};
  std::string repository, host = "127.0.0.1", default_model;
  int port = 8000;
  size_t max_body = 64 << 20;
  double drain_delay = 1, grace = 25, poll = 5;
  app.add_option("--model-repository", repository, "Directory of models: <model>/config.json, <model>/<version>/")
      ->required();
  app.add_option("--host", host, "Address to listen on (0.0.0.0 in a pod)")->capture_default_str();
  app.add_option("--http-port", port, "Port to listen on")->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--default-model", default_model, "The model POST /predict serves (default: the only one)");
  app.add_option("--max-request-bytes", max_body, "Largest request body accepted")->capture_default_str();
  app.add_option("--repository-poll-seconds", poll,
                 "How often the repository is looked at for new models and versions (0: only at start)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--drain-delay", drain_delay,
                 "Seconds after SIGTERM during which new requests are still served while readiness says no "
                 "(for load balancers to stop sending)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--grace", grace, "Seconds after the drain delay that requests in flight are given to finish")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  CLI11_PARSE(app, argc, argv);

  // Signals first: in a pod this is PID 1, which the kernel gives no default SIGTERM action, and
  // a pod deleted while its models load must still stop at once.
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  mlkube::serving::Repository repo(repository);
  mlkube::serving::InferenceServer api(repo, default_model);
  mlkube::apiserver::HttpServer::Options o;
  o.host = host;
  o.port = static_cast<uint16_t>(port);
  o.max_body_bytes = max_body;
  mlkube::apiserver::HttpServer http(o, [&](mlkube::apiserver::HttpRequest& req, mlkube::apiserver::Responder& out) {
    api.Handle(req, out);
  });
  if (mlkube::Status st = http.Start(); !st.ok()) {
    std::fprintf(stderr, "mlserve: %s\n", st.message().c_str());
    return 1;
  }
  // Live from here on (/v2/health/live), ready once the models are loaded and warm.
  std::fprintf(stderr, "mlserve listening on %s:%u, loading the repository\n", host.c_str(), http.port());
  // The first load, then hot reload: new versions are loaded, warmed and switched to while the
  // server runs.
  std::jthread poller([&](std::stop_token stop) {
    repo.Poll();
    std::fprintf(stderr, "mlserve: repository loaded: %s\n", repo.Ready() ? "ready" : "not ready (see above)");
    std::mutex mu;
    std::condition_variable_any cv;
    while (poll > 0) {
      std::unique_lock lock(mu);
      if (cv.wait_for(lock, stop, std::chrono::duration<double>(poll), [] { return false; })) break;
      if (stop.stop_requested()) break;
      repo.Poll();
    }
  });
  g_stop.acquire();
  poller.request_stop();
  // Readiness goes false first; new requests are served for the drain delay, then refused, and
  // the ones in flight finish.
  api.SetDraining();
  std::fprintf(stderr, "mlserve: draining (not ready; refusing new connections in %.1f s)\n", drain_delay);
  std::this_thread::sleep_for(std::chrono::duration<double>(drain_delay));
  const bool finished = http.Drain(std::chrono::milliseconds(static_cast<int64_t>(grace * 1000)));
  http.Stop();
  std::fprintf(stderr, "mlserve: stopped%s\n", finished ? "" : " (requests still in flight at the end of the grace period)");
  std::fflush(stderr);
  // Without waiting for a load that may be under way (it cannot be interrupted) or unwinding
  // the backends: nothing of them needs saving.
  std::_Exit(0);
}
