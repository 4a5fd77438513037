#pragma once
// The API server's request metrics, under Kubernetes' names: apiserver_request_total (by verb,
// group, version, resource, subresource, scope and code), apiserver_request_duration_seconds
// (time to the response, or to the start of a stream) and apiserver_current_inflight_requests
// (readOnly and mutating, long-running requests left out as Kubernetes leaves them out).
// In-process clients (scheduler, controllers, the built-in agent) are counted as remote ones.

#include <functional>

#include "apiserver/http.h"
#include "apiserver/rest.h"

namespace mlkube::apiserver {

// Calls `serve` with a responder that counts the request when its response starts.
void ServeCounted(const RequestInfo& info, const HttpRequest& req, Responder& out,
                  const std::function<void(Responder&)>& serve);

}  // namespace mlkube::apiserver
