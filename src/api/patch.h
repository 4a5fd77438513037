#pragma once
// The PATCH content types Kubernetes accepts, applied to JSON objects:
//   application/json-patch+json            RFC 6902
//   application/merge-patch+json           RFC 7386
//   application/strategic-merge-patch+json Kubernetes strategic merge patch
//   application/apply-patch+yaml           server-side apply (see api/apply.h)
// Errors come back as a Status with the code Kubernetes answers with (the .cc says which),
// never as an exception.

#include "api/json.h"
#include "api/schema.h"
#include "common/status.h"

namespace mlkube::api {

Result<Json> ApplyJsonPatch(const Json& original, const Json& patch);
Result<Json> ApplyMergePatch(const Json& original, const Json& patch);

// Strategic merge patch guided by `type` (the object's root schema type; nullptr means no
// schema: behaves as a merge patch). Honours merge keys, patchStrategy, null-deletes,
// `$patch: replace|delete|merge`, `$setElementOrder/<list>`, `$retainKeys`,
// `$deleteFromPrimitiveList/<list>` exactly as Kubernetes' strategicpatch package does.
Result<Json> ApplyStrategicMergePatch(const Json& original, const Json& patch, const Type* type);

}  // namespace mlkube::api
