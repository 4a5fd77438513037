#pragma once
// The REST semantics of every resource: get, list, watch, create, update, patch (JSON, merge,
// strategic, apply), delete (graceful, finalizers, preconditions), deletecollection, and the
// status, scale and binding subresources — generic over the resource table, as Kubernetes'
// generic registry is. Kind-specific behaviour comes from api/ (defaults, validation, schema).
// Thread-safety: Handle() is called concurrently from connection threads; state lives in the
// Store.

#include <chrono>
#include <string>

#include "api/json.h"
#include "api/registry.h"
#include "apiserver/http.h"
#include "store/store.h"

namespace mlkube::apiserver {

// What the URL names.
struct RequestInfo {
  const api::ResourceType* resource = nullptr;
  std::string ns;           // empty: cluster-scoped, or a list across all namespaces
  std::string name;         // empty: the collection
  std::string subresource;  // "status", "scale", "binding", ...
};

// The error response Kubernetes gives for `status`: a metav1.Status body.
HttpResponse StatusResponse(const Status& status);

class Rest {
 public:
  struct Options {
    std::chrono::seconds bookmark_interval{60};
    std::chrono::seconds default_watch_timeout{1800};
  };
  Rest(store::Store& store, Options options);

  void Handle(const RequestInfo& info, HttpRequest& req, Responder& out);

  // Creates an object unless it exists (used to seed the built-in namespaces).
  Status EnsureObject(const api::ResourceType& rt, Json obj);

 private:
  class Operation;
  store::Store& store_;
  const Options options_;
};

}  // namespace mlkube::apiserver
