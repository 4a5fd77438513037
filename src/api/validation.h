#pragma once
// Defaulting and validation of every kind mlkube serves, as Kubernetes' API server does it for
// the fields ML workloads use. Dispatch is by API group and kind; unknown kinds get metadata
// validation only.

#include <string>
#include <string_view>
#include <vector>

#include "api/field_errors.h"
#include "api/json.h"

namespace mlkube::api {

// Fills defaults in place (e.g. Pod restartPolicy Always, container imagePullPolicy,
// terminationMessagePath, Service sessionAffinity None, Deployment strategy RollingUpdate 25%/25%,
// Job backoffLimit 6, CronJob concurrencyPolicy Allow, resources.requests from limits...).
void ApplyDefaults(std::string_view group, std::string_view kind, Json& obj);

// Validation of a new object (metadata included: name, generateName, labels, annotations).
ErrorList ValidateCreate(std::string_view group, std::string_view kind, const Json& obj);

// Validation of an update of the main resource: everything ValidateCreate checks, plus
// immutability (most of a Pod's spec, a Job's selector and template, a PVC's spec except a storage
// increase, a Service's clusterIP, every object's metadata.name/namespace/uid/creationTimestamp).
ErrorList ValidateUpdate(std::string_view group, std::string_view kind, const Json& obj,
                         const Json& old);

// Validation of a write through the status subresource (only status changes are kept by the
// caller; this checks the status itself, e.g. a Pod's phase is one of the known phases).
ErrorList ValidateStatusUpdate(std::string_view group, std::string_view kind, const Json& obj,
                               const Json& old);

// Name validators returning Kubernetes' messages (empty when valid).
std::vector<std::string> IsDNS1123Subdomain(std::string_view value);
std::vector<std::string> IsDNS1123Label(std::string_view value);
std::vector<std::string> IsDNS1035Label(std::string_view value);
std::vector<std::string> IsQualifiedName(std::string_view value);  // label/annotation keys
std::vector<std::string> IsValidLabelValue(std::string_view value);

}  // namespace mlkube::api
