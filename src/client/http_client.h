#pragma once
// A small HTTPS client for the API: reads a kubeconfig (server, CA, bearer token), keeps one
// keep-alive connection, and sends requests. Used by the `mlkube` CLI verbs, tests and benches.
// Thread-safety: one client per thread.

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace mlkube::client {

struct Kubeconfig {
  std::string server;  // https://127.0.0.1:6443
  std::string ca_pem;  // empty: system roots
  std::string token;
  bool insecure_skip_tls_verify = false;
  std::string ns = "default";  // the context's namespace
};

// Loads the current context of a kubeconfig file.
Result<Kubeconfig> LoadKubeconfig(const std::string& path);
// $KUBECONFIG, else ~/.kube/config.
std::string DefaultKubeconfigPath();

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(Kubeconfig config);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (reconnecting once if a kept-alive connection went stale).
  Result<HttpResult> Do(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::string& content_type = "application/json",
                        const std::string& accept = "application/json");
  // Sends a request whose response is streamed (watch, log -f); `on_data` gets each piece and
  // returns false to stop; while the stream is quiet it is called with no data every quarter
  // second, so that its caller can stop then too. Uses a connection of its own.
  Result<int> Stream(const std::string& target, const std::function<bool(std::string_view)>& on_data);
  // Drops the connection (the next request opens a new one).
  void Close();

  const Kubeconfig& config() const { return config_; }

 private:
  struct Impl;
  Kubeconfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlkube::client
