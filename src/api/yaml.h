#pragma once
// YAML <-> JSON, as Kubernetes' sigs.k8s.io/yaml does: YAML is read into the JSON data model
// (plain scalars typed as YAML 1.1 core would: true/false, null/~, integers, floats; quoted
// scalars stay strings) and written back as block YAML, as kubectl prints it.

#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::api {

// One document. Errors are BadRequest: "error converting YAML to JSON: yaml: line 3: ...".
Result<Json> YamlToJson(std::string_view yaml);
// Every document of a multi-document stream (`---` separated); empty documents are skipped.
Result<std::vector<Json>> YamlDocumentsToJson(std::string_view yaml);
std::string JsonToYaml(const Json& json);

}  // namespace mlkube::api
