#pragma once
// The resource types mlkube serves: names, scope, subresources and selectable fields, as
// discovery announces them. One table; the REST layer, discovery, OpenAPI and the CLI read it.

#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "api/selector.h"

namespace mlkube::api {

struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1", "v2"
  std::string kind;     // "Pod"
  std::string plural;   // "pods"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  // Subresources routed for this resource: "status", "scale", "binding", "log", "exec",
  // "attach", "portforward", "finalize".
  std::vector<std::string> subresources;
  // Field-selector fields beyond metadata.name and metadata.namespace, as JSON paths.
  std::vector<std::string> selectable_fields;
  // Deletion is graceful (deletionTimestamp first, removal later), as for Pods.
  bool graceful_delete = false;
  // metadata.generation counts spec changes (kinds whose controllers report observedGeneration).
  bool tracks_generation = false;
  // False for views that are not kept in the store and are only read (metrics.k8s.io, made
  // from the agents' samples): no key, no watch, no garbage collection.
  bool stored = true;

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string ListKind() const { return kind + "List"; }
  // "pods", "deployments.apps": how errors name the resource and how keys begin.
  std::string QualifiedPlural() const { return group.empty() ? plural : plural + "." + group; }
  std::string Singular() const;
  bool HasSubresource(std::string_view name) const;
  // The store key of an object: "<qualified plural>/<namespace>/<name>" or "<qp>/<name>".
  std::string Key(std::string_view ns, std::string_view name) const;
  // The API path of a collection ("/apis/apps/v1/namespaces/ns/deployments"; every namespace
  // when ns is empty), or of one object in it when name is given.
  std::string Path(std::string_view ns, std::string_view name = "") const;
  // The store prefix of a collection: all namespaces when ns is empty.
  std::string Prefix(std::string_view ns) const;
};

// A version served by converting objects to and from the stored one: each kind is stored in one
// version, as in Kubernetes, and clients may speak an older one (autoscaling/v1 for
// HorizontalPodAutoscalers, which `kubectl autoscale` sends).
struct ConvertedVersion {
  ResourceType view;  // what discovery announces and requests name
  const ResourceType* storage = nullptr;
  Json (*to_storage)(Json) = nullptr;
  Json (*from_storage)(Json) = nullptr;
};

// The stored resource types (one version each).
const std::vector<ResourceType>& AllResources();
const std::vector<ConvertedVersion>& ConvertedVersions();
const ConvertedVersion* FindConvertedVersion(std::string_view group, std::string_view version,
                                             std::string_view plural);
const ResourceType* FindResource(std::string_view group, std::string_view version,
                                 std::string_view plural);
const ResourceType* FindResourceByKind(std::string_view group, std::string_view kind);
// The resource a store key belongs to (by its first segment).
const ResourceType* FindResourceByKey(std::string_view key);

// Labels and field-selector values of an object of type `rt`.
void ObjectAttrs(const ResourceType& rt, const Json& obj, Labels& labels, Fields& fields);

}  // namespace mlkube::api
