#include "cli/commands.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <semaphore>

#include <sys/resource.h>
#include <unistd.h>

#include "apiserver/api_server.h"

namespace mlkube::cli {

namespace {
std::binary_semaphore g_stop{0};
void OnSignal(int) { g_stop.release(); }
}  // namespace

std::filesystem::path DefaultDataDir() {
  if (const char* d = std::getenv("MLKUBE_DATA_DIR"); d && *d) return d;
  if (::geteuid() == 0) return "/var/lib/mlkube";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : ".") / ".mlkube";
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalid, "--listen must be HOST:PORT, got \"" + listen + "\"");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) {
    return Status(Code::kInvalid, "--listen has an invalid port: \"" + listen + "\"");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

void AddServerCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("server", "Run the API server, store and control plane");
  auto data_dir = std::make_shared<std::string>(DefaultDataDir().string());
  auto listen = std::make_shared<std::string>("127.0.0.1:6443");
  cmd->add_option("--data-dir", *data_dir, "Directory for state, credentials and kubeconfig")
      ->capture_default_str();
  cmd->add_option("--listen", *listen, "HOST:PORT to serve the API on (HTTPS)")
      ->capture_default_str();
  auto bookmark = std::make_shared<std::string>("60s");
  cmd->add_option("--watch-bookmark-interval", *bookmark,
                  "How often watches that allow bookmarks get one (e.g. 60s, 1s)")
      ->capture_default_str();
  cmd->callback([=] {
    auto hp = ParseListen(*listen);
    if (!hp.ok()) Die(hp.status());
    apiserver::ApiServer::Options o;
    o.data_dir = *data_dir;
    o.host = hp->first;
    o.port = hp->second;
    long secs = std::strtol(bookmark->c_str(), nullptr, 10);
    if (secs <= 0) Die(Status(Code::kInvalid, "--watch-bookmark-interval must be a positive duration"));
    o.bookmark_interval = std::chrono::seconds(secs);
    // Each connection (a watch, a kubectl) holds a descriptor; allow as many as the host does.
    if (rlimit rl; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    auto server = apiserver::ApiServer::Start(o);
    if (!server.ok()) Die(server.status());
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    std::fprintf(stderr,
                 "mlkube server listening on %s\n"
                 "  export KUBECONFIG=%s\n"
                 "  kubectl get namespaces\n",
                 (*server)->url().c_str(), (*server)->kubeconfig().c_str());
    g_stop.acquire();
    std::fprintf(stderr, "mlkube server shutting down\n");
    (*server)->Stop();
  });
}

}  // namespace mlkube::cli
