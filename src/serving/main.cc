// mlserve: the model server. Serves the models of a model repository over HTTP (Open
// Inference Protocol v2, KServe v1, /predict) until SIGTERM or SIGINT.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <semaphore>

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
  app.add_option("--model-repository", repository, "Directory of models: <model>/config.json, <model>/<version>/")
      ->required();
  app.add_option("--host", host, "Address to listen on (0.0.0.0 in a pod)")->capture_default_str();
  app.add_option("--http-port", port, "Port to listen on")->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--default-model", default_model, "The model POST /predict serves (default: the only one)");
  app.add_option("--max-request-bytes", max_body, "Largest request body accepted")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  mlkube::serving::Repository repo(repository);
  repo.LoadAll();
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
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::fprintf(stderr, "mlserve listening on %s:%u, %s\n", host.c_str(), http.port(),
               repo.Ready() ? "ready" : "not ready (see above)");
  g_stop.acquire();
  http.Stop();
  return 0;
}
