#pragma once
// Decoding of Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), in which
// kubectl's typed clients send request bodies, into the JSON documents the rest of mlkube works
// on. The schema (api/schema.h) supplies every field's protobuf number and type, so no generated
// code is involved.

#include <string_view>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::api {

// Decodes a request body: the magic "k8s\0", then a runtime.Unknown whose typeMeta names the kind
// and whose raw bytes are the object's message. The result carries apiVersion and kind from
// typeMeta. A field present on the wire appears in the result even when its value is zero (so a
// Deployment's `replicas: 0` survives); absent fields stay absent; field numbers the schema does
// not know are skipped, as Kubernetes skips them. Malformed input, an unknown kind or a field this
// decoder cannot represent yields a kBadRequest Status. Never throws; never reads past `body`.
Result<Json> DecodeProtobuf(std::string_view body);

}  // namespace mlkube::api
