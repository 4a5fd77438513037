#pragma once
// The API server: credentials, store, REST handlers, discovery, authentication and the HTTPS
// listener, assembled. `mlkube server` runs one; tests and benchmarks start one in-process.

#include <filesystem>
#include <memory>
#include <string>

#include "apiserver/certs.h"
#include "apiserver/rest.h"
#include "apiserver/service_allocator.h"
#include "client/local_client.h"
#include "common/status.h"
#include "store/store.h"

namespace mlkube::apiserver {

class ApiServer {
 public:
  struct Options {
    std::filesystem::path data_dir;
    std::string host = "127.0.0.1";
    uint16_t port = 6443;  // 0 picks a free port
    bool tls = true;       // plain HTTP only for in-process benchmarks of the handlers
    std::chrono::seconds bookmark_interval{60};
    ServiceAllocator::Options services;  // --service-cluster-ip-range, --service-node-port-range
  };

  static Result<std::unique_ptr<ApiServer>> Start(Options options);
  ~ApiServer();

  void Stop();
  uint16_t port() const;
  std::string url() const;
  const Credentials& credentials() const;
  store::Store& store();
  std::filesystem::path kubeconfig() const;
  // A client for components inside the server (they are authenticated as the server itself).
  client::LocalClient LocalClient(const std::string& user_agent) const;
  // Routes a node's pods/log, exec, attach and portforward to its agent.
  void SetNodeHandler(const std::string& node, Rest::NodeHandler handler);
  // Serves the node's samples as metrics.k8s.io (an empty source removes them).
  void SetMetricsSource(const std::string& node, MetricsSource source);

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlkube::apiserver
