#pragma once
// Discovery documents (legacy and aggregated v2), /version and /openapi/v3, built from the
// resource table. They never change while the server runs, so each is built once.

#include <string>

#include "apiserver/http.h"

namespace mlkube::apiserver {

// Answers the discovery, version and OpenAPI paths; returns false if `req` is none of them.
bool ServeDiscovery(const HttpRequest& req, Responder& out);

}  // namespace mlkube::apiserver
