#pragma once
// Server-side apply: merges an applied configuration into the live object and tracks field
// ownership in metadata.managedFields (fieldsV1 format), as Kubernetes' structured-merge-diff.

#include <string>

#include "api/json.h"
#include "api/schema.h"
#include "common/status.h"

namespace mlkube::api {

struct ApplyOptions {
  std::string field_manager;  // required: the applier's name, e.g. "kubectl"
  bool force = false;         // take ownership of conflicting fields
  std::string api_version;    // recorded in managedFields entries, e.g. "apps/v1"
  std::string now;            // RFC 3339 timestamp recorded as managedFields[].time
};

// Applies `applied` (the user's intent: only the fields they care about) to `live` (the current
// object, or null when the object does not exist yet) and returns the new object with
// managedFields updated. Fields owned by another manager with a different value produce a
// Conflict (409) whose details.causes list each field (reason "FieldManagerConflict", field
// like ".spec.replicas", message `conflict with "other-manager"`) unless force is set, in which
// case ownership moves to the applier. Fields the applier owned before and omits now are removed
// if no other manager owns them. List semantics follow the schema's list_type / list_map_keys.
Result<Json> ServerSideApply(const Json& live, const Json& applied, const Type* type,
                             const ApplyOptions& options);

// Records an update (create/update/patch through the other verbs) by `manager` in
// metadata.managedFields with operation "Update": the manager comes to own every field whose value
// it changed (or every field, on create), and those fields leave other managers' sets.
void RecordUpdate(const Json& old_obj, Json& new_obj, const Type* type,
                  const std::string& manager, const std::string& api_version,
                  const std::string& now);

// Removes metadata.managedFields, as kube-controller-manager's informers do: they are often the
// larger part of an object, and no controller reads them (an update without them keeps the
// stored ones).
void DropManagedFields(Json& obj);

}  // namespace mlkube::api
