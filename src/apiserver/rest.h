#pragma once
// The REST semantics of every resource: get, list, watch, create, update, patch (JSON, merge,
// strategic, apply), delete (graceful, finalizers, preconditions), deletecollection, and the
// status, scale and binding subresources — generic over the resource table, as Kubernetes'
// generic registry is. Kind-specific behaviour comes from api/ (defaults, validation, schema).
// Thread-safety: Handle() is called concurrently from connection threads; state lives in the
// Store.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/json.h"
#include "api/registry.h"
#include "apiserver/http.h"
#include "apiserver/metrics_api.h"
#include "apiserver/node_proxy.h"
#include "apiserver/service_allocator.h"
#include "store/store.h"

namespace mlkube::apiserver {

// What the URL names.
struct RequestInfo {
  const api::ResourceType* resource = nullptr;
  std::string ns;           // empty: cluster-scoped, or a list across all namespaces
  std::string name;         // empty: the collection
  std::string subresource;  // "status", "scale", "binding", ...
  // Set when the URL names a version served by conversion; `resource` is then the stored one.
  const api::ConvertedVersion* converted = nullptr;
};

// The error response Kubernetes gives for `status`: a metav1.Status body.
HttpResponse StatusResponse(const Status& status);

class Rest {
 public:
  struct Options {
    std::chrono::seconds bookmark_interval{60};
    std::chrono::seconds default_watch_timeout{1800};
    ServiceAllocator::Options services;
    std::string node_token;  // the credential node agents in processes of their own check
  };
  Rest(store::Store& store, Options options);

  void Handle(const RequestInfo& info, HttpRequest& req, Responder& out);

  // Creates an object unless it exists (used to seed the built-in namespaces).
  Status EnsureObject(const api::ResourceType& rt, Json obj);

  // What answers pods/log, exec, portforward and nodes/proxy for the pods of one node when its
  // agent runs in this process. An empty handler removes the node's. Nodes without one are
  // reached over HTTPS (node_proxy.h) when their Node says where.
  using NodeHandler = std::function<void(const std::string& subresource, const Json& pod,
                                         HttpRequest& req, Responder& out)>;
  void SetNodeHandler(const std::string& node, NodeHandler handler);
  // Where metrics.k8s.io finds a node's samples; an empty source removes the node's.
  void SetMetricsSource(const std::string& node, MetricsSource source);

 private:
  class Operation;
  NodeHandler FindNodeHandler(const std::string& node) const;
  // Where the node's agent serves when it runs as a process of its own (`mlkube agent`).
  std::optional<NodeEndpoint> RemoteNode(const std::string& node) const;
  // The latest samples of every node: in-process sources and remote agents alike.
  std::vector<MetricsSnapshot> CollectMetrics() const;

  // Allocates a Service's addresses and ports from the stored Services (held across the
  // write that stores them, so two Services never get the same address).
  Status AllocateService(Json& svc, const Json* old);

  store::Store& store_;
  const Options options_;
  const ServiceAllocator services_;
  std::mutex services_mu_;
  mutable std::mutex nodes_mu_;
  std::map<std::string, NodeHandler> nodes_;
  std::map<std::string, MetricsSource> metrics_;
};

}  // namespace mlkube::apiserver
