#pragma once
// The API's type schema: which fields each kind has, their JSON types, and the patch metadata
// (merge keys, strategies, list types) that strategic merge patch and server-side apply need.
// One definition serves strict decoding (unknown fields), type checking, patching and
// /openapi/v3. Types are defined once, in schema_types.cc, in a small Go-like text form.
// Thread-safety: the schema is built once on first use and immutable afterwards.

#include <string>
#include <string_view>
#include <vector>

#include "api/field_errors.h"
#include "api/json.h"

namespace mlkube::api {

struct Type;

struct Field {
  std::string name;         // JSON name, e.g. "containers"
  const Type* type = nullptr;
  // Strategic-merge-patch metadata, as in Kubernetes' struct tags:
  // patchStrategy "merge" | "replace" | "retainKeys" | "merge,retainKeys" ("" = replace).
  std::string patch_strategy;
  std::string patch_merge_key;  // e.g. "name" for containers, "containerPort" for ports
  // Server-side-apply list metadata: "atomic" | "set" | "map" ("" = atomic).
  std::string list_type;
  std::vector<std::string> list_map_keys;  // for list_type "map"
  bool required = false;                   // OpenAPI "required"
  // The field's number in Kubernetes' protobuf message (its generated.proto); 0 if protobuf
  // carries it elsewhere (TypeMeta's, in the runtime.Unknown envelope). A Go-embedded struct that
  // protobuf keeps as one nested message (Volume's VolumeSource is its field 2) is inlined here as
  // in JSON, so its fields are numbered kProtoEmbedStride * 2 + their number in VolumeSource.
  int proto_number = 0;
  static constexpr int kProtoEmbedStride = 1000;
};

struct Type {
  enum class Kind {
    kObject,       // fields listed in `fields`
    kArray,        // elements of `elem`
    kMap,          // map[string]elem
    kString,
    kInteger,
    kNumber,
    kBoolean,
    kIntOrString,  // intstr.IntOrString: number or string
    kQuantity,     // resource.Quantity: string or number
    kTime,         // metav1.Time: RFC 3339 string (or null)
    kAny,          // free-form JSON (RawExtension, fieldsV1): no checks below it
  };
  Kind kind = Kind::kAny;
  std::string name;  // e.g. "io.k8s.api.core.v1.PodSpec" for named object types
  std::vector<Field> fields;
  const Type* elem = nullptr;

  const Field* FindField(std::string_view json_name) const;
};

// The root type of a top-level kind, or nullptr if the schema does not know it.
const Type* LookupKind(std::string_view group, std::string_view version, std::string_view kind);

// Strict decoding: the paths of fields present in `obj` that `type` does not declare, as
// Kubernetes prints them, e.g. "spec.containers[0].bogus" (list index included).
std::vector<std::string> UnknownFields(const Json& obj, const Type& type);

// Decoding errors for values of the wrong JSON type, e.g. a string where an integer belongs,
// worded as Kubernetes' decoder reports them (e.g. `json: cannot unmarshal string into Go struct
// field DeploymentSpec.spec.replicas of type int32`). Empty if the document decodes.
std::vector<std::string> TypeErrors(const Json& obj, const Type& type);

// The OpenAPI v3 document for one group/version, as served at /openapi/v3/apis/<g>/<v> (core:
// /openapi/v3/api/v1): components.schemas for every type, and a path per resource whose
// operations carry x-kubernetes-group-version-kind and declare the fieldValidation, dryRun and
// fieldManager query parameters, so kubectl uses server-side field validation.
// `resources` is the list of (plural, kind, namespaced) served in that group/version.
struct OpenApiResource {
  std::string plural;
  std::string kind;
  bool namespaced;
};
Json OpenApiV3(std::string_view group, std::string_view version,
               const std::vector<OpenApiResource>& resources);

}  // namespace mlkube::api
