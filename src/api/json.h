#pragma once
// Objects travel through mlkube as JSON documents, as in Kubernetes' unstructured types: the schema
// (api/schema.h) says what fields exist, defaults/validation say what they mean.

#include <nlohmann/json.hpp>

namespace mlkube {
using Json = nlohmann::json;
}  // namespace mlkube
