#pragma once
// How the API server reaches a node agent that runs as a process of its own (`mlkube agent`),
// as Kubernetes' API server reaches the kubelet's port: HTTPS to the Node's InternalIP at
// status.daemonEndpoints.kubeletEndpoint.Port, with the admin token, which the agent checks.
// The agent's certificate is self-signed; the server accepts only the certificate whose
// SHA-256 the agent published in its Node's node.mlkube.io/serving-cert-sha256 annotation
// (which only a holder of the admin token can write), so the token goes to no one else.
// Paths on the agent are the kubelet's: /containerLogs/NS/POD/CONTAINER, /exec/NS/POD/CONTAINER,
// /portForward/NS/POD, /metrics, /metrics/resource; and /mlkube/v1/resource-metrics, the
// samples metrics.k8s.io is answered from.
// Thread-safety: free functions, callable from any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "api/json.h"
#include "apiserver/http.h"
#include "common/status.h"

namespace mlkube::apiserver {

inline constexpr char kServingCertAnnotation[] = "node.mlkube.io/serving-cert-sha256";
inline constexpr char kResourceMetricsPath[] = "/mlkube/v1/resource-metrics";

struct NodeEndpoint {
  std::string node;  // its name, for messages
  std::string host;  // an IP address
  uint16_t port = 0;
  std::string cert_sha256;  // lower-case hex
};

// Where the node's agent serves, or nullopt when it publishes no endpoint.
std::optional<NodeEndpoint> NodeEndpointOf(const Json& node);

// Sends `req` (method, body, Accept, and a WebSocket handshake's offered subprotocols) to
// `target` on the agent and relays the answer to `out`: a whole response; a chunked one (a
// log followed) piece by piece until either side goes; or a WebSocket session (exec,
// port-forward), message by message both ways until either side closes. An agent that cannot
// be reached is answered 503 ServiceUnavailable, as Kubernetes answers an unreachable kubelet.
void ProxyToNode(const NodeEndpoint& ep, const std::string& token, const std::string& target,
                 const HttpRequest& req, Responder& out);

// GETs `target` on the agent for a whole answer within `timeout`: the body of a 200.
Result<std::string> FetchFromNode(const NodeEndpoint& ep, const std::string& token, const std::string& target,
                                  std::chrono::milliseconds timeout);

}  // namespace mlkube::apiserver
