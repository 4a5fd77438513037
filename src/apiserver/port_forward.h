#pragma once
// The pods/portforward protocol kubectl speaks (kubectl 1.31+): a WebSocket whose subprotocol
// is "SPDY/3.1+portforward.k8s.io" carries a SPDY/3.1 session. For every local connection the
// client opens two streams sharing a `requestid` header: `streamtype: error`, on which the
// server reports a failure as text, and `streamtype: data`, which carries the connection's
// bytes both ways. Both are finished with FIN when the forwarded connection closes.
// What a port is forwarded to is the caller's: the agent dials the pod's localhost.

#include <functional>

#include "apiserver/http.h"
#include "common/status.h"

namespace mlkube::apiserver {

inline constexpr char kPortForwardProtocol[] = "SPDY/3.1+portforward.k8s.io";

// A connected stream socket for `port`, or the message the client prints; called on a thread
// of its own, once per forwarded connection.
using PortDialer = std::function<Result<int>(int port)>;

// Serves one port-forward session on `ws` until the client closes it. Every forwarded
// connection is closed and every thread joined before it returns.
void ServePortForward(WebSocket& ws, const PortDialer& dial);

}  // namespace mlkube::apiserver
