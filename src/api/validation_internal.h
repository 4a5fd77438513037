#pragma once
// Pieces shared by the defaulting and validation files (defaults.cc, validation_*.cc): JSON access
// that never throws, Kubernetes' format validators (names, labels, selectors, IPs, ports,
// quantities), the pod spec rules every workload kind embeds, and the per-kind rule table the
// dispatcher in validation.cc walks. Not part of the public API.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/field_errors.h"
#include "api/json.h"
#include "api/quantity.h"
#include "api/selector.h"

namespace mlkube::api::internal {

// ---------------------------------------------------------------------------------------------
// JSON access. Objects arrive as written by clients: any field may be missing, null or of the
// wrong type. The schema layer reports wrong types, so these accessors treat them as absent.

// The member `key` of `obj`, or nullptr when `obj` is not an object or the member is absent/null.
const Json* Find(const Json& obj, std::string_view key);
// The member as an object/array, or a shared empty one.
const Json& ObjectAt(const Json& obj, std::string_view key);
const Json& ArrayAt(const Json& obj, std::string_view key);
// The member as a string, or "" (Go's zero value, which is what Kubernetes' checks see).
std::string StringAt(const Json& obj, std::string_view key);
// True when the member is a non-empty string.
bool HasString(const Json& obj, std::string_view key);
// The member as an integer (integral floats accepted, as JSON has one number type).
std::optional<int64_t> IntAt(const Json& obj, std::string_view key);
std::optional<int64_t> AsInt(const Json& value);
bool BoolAt(const Json& obj, std::string_view key);
// A string-to-string map (labels, selectors); non-string values are skipped.
Labels StringMap(const Json& obj);
// `obj[key]` as a mutable object, replacing a missing or mistyped member with {}.
Json& EnsureObject(Json& obj, std::string_view key);
// JSON text that never throws on invalid UTF-8.
std::string Dump(const Json& value);

// ---------------------------------------------------------------------------------------------
// Messages shared by many rules.

inline constexpr const char* kNonNegativeMsg = "must be greater than or equal to 0";
inline constexpr const char* kImmutableMsg = "field is immutable";
std::string InclusiveRangeError(int64_t lo, int64_t hi);
std::string MaxLenError(size_t length);

// ---------------------------------------------------------------------------------------------
// Format validators returning Kubernetes' messages (empty when valid).

// Name validators for metadata.name; `prefix` relaxes a trailing '-' for metadata.generateName.
using NameFn = std::vector<std::string> (*)(std::string_view value, bool prefix);
std::vector<std::string> NameIsDNSSubdomain(std::string_view value, bool prefix);
std::vector<std::string> NameIsDNSLabel(std::string_view value, bool prefix);
std::vector<std::string> NameIsDNS1035Label(std::string_view value, bool prefix);

std::vector<std::string> IsConfigMapKey(std::string_view value);
std::vector<std::string> IsValidPortName(std::string_view value);
std::vector<std::string> IsValidPortNum(int64_t port);
std::vector<std::string> IsValidPercent(std::string_view value);
std::vector<std::string> IsRelaxedEnvVarName(std::string_view value);
std::vector<std::string> IsValidPathSegmentName(std::string_view value);
std::vector<std::string> IsHTTPHeaderName(std::string_view value);

enum class IPFamily { kNone, kV4, kV6 };
// Parses an IPv4 or IPv6 address into 16 bytes (IPv4 as ::ffff:a.b.c.d).
IPFamily ParseIP(std::string_view value, unsigned char out[16]);

// ---------------------------------------------------------------------------------------------
// Field validators appending to `errs`.

void ValidateDNS1123Label(std::string_view value, const Path& path, ErrorList& errs);
void ValidateDNS1123Subdomain(std::string_view value, const Path& path, ErrorList& errs);
void ValidateQualifiedName(std::string_view value, const Path& path, ErrorList& errs);
void ValidateNameWith(NameFn fn, std::string_view value, const Path& path, ErrorList& errs);
// The integer member `key` of `obj`, when present, is >= 0.
void ValidateNonnegativeAt(const Json& obj, std::string_view key, const Path& parent,
                           ErrorList& errs);
void ValidateLabelName(std::string_view key, const Path& path, ErrorList& errs);
void ValidateLabels(const Json& labels, const Path& path, ErrorList& errs);
void ValidateAnnotations(const Json& annotations, const Path& path, ErrorList& errs);
// metav1.LabelSelector (matchLabels/matchExpressions with In/NotIn/Exists/DoesNotExist).
void ValidateLabelSelector(const Json& selector, const Path& path, ErrorList& errs);
void ValidateIP(std::string_view value, const Path& path, ErrorList& errs);
void ValidateNonSpecialIP(std::string_view value, const Path& path, ErrorList& errs);
void ValidateCIDR(std::string_view value, const Path& path, ErrorList& errs);
// A domain with at least two segments; a trailing dot is allowed.
void ValidateFullyQualifiedDomainName(std::string_view value, const Path& path, ErrorList& errs);
// An int-or-string port: a number in 1-65535 or an IANA_SVC_NAME.
void ValidatePortNumOrName(const Json& port, const Path& path, ErrorList& errs);
// `value` must equal `old` (both may be null/absent), else "field is immutable".
void ValidateImmutable(const Json* value, const Json* old, const Path& path, ErrorList& errs);

// Whether objects of a kind live in a namespace; kUnknown skips the namespace check (kinds
// mlkube has no rules for).
enum class Scope { kNamespaced, kCluster, kUnknown };

// Metadata of a new object: name (or generateName), namespace presence, labels, annotations,
// owner references, finalizers.
void ValidateObjectMeta(const Json& obj, Scope scope, NameFn name_fn, ErrorList& errs);
// Metadata of an update: name/namespace/uid/creationTimestamp immutable, labels, annotations.
void ValidateObjectMetaUpdate(const Json& obj, const Json& old, ErrorList& errs);
// Finalizer names as Namespace.spec.finalizers and metadata.finalizers accept them.
void ValidateKubeFinalizerName(std::string_view name, const Path& path, ErrorList& errs);

// ---------------------------------------------------------------------------------------------
// Semantic equality as apiequality.Semantic.DeepEqual sees it: null members and empty arrays are
// the same as absent ones.
bool SemanticEqual(const Json* a, const Json* b);
// A short, readable account of what changed between two values, appended to "is immutable"
// details the way Kubernetes appends its object diff.
std::string Diff(const Json& old, const Json& now);

// ---------------------------------------------------------------------------------------------
// Quantities and resources.

// Parses a quantity written as a JSON string or number; reports a parse error at `path`.
std::optional<Quantity> ParseQuantityAt(const Json& value, const Path& path, ErrorList& errs);
// Parses without reporting (for comparisons of already validated values).
std::optional<Quantity> ToQuantity(const Json& value);
bool IsNativeResource(std::string_view name);
bool IsExtendedResourceName(std::string_view name);
bool IsHugePageResourceName(std::string_view name);
bool IsOvercommitAllowed(std::string_view name);
void ValidateResourceQuantityValue(std::string_view resource, const Quantity& q, const Path& path,
                                   ErrorList& errs);
// Container resources: names, quantities, requests <= limits, extended resources whole and
// not overcommitted.
void ValidateResourceRequirements(const Json& resources, const Path& path, ErrorList& errs);

// ---------------------------------------------------------------------------------------------
// Pod specs (validation_pod.cc).

struct PodSpecOptions {
  // The spec belongs to a Pod rather than a template (hostPort must then equal containerPort
  // under hostNetwork, and image whitespace is rejected).
  bool resource_is_pod = false;
};
void ValidatePodSpec(const Json& spec, const Path& path, const PodSpecOptions& opts,
                     ErrorList& errs);
// A pod template: labels/annotations at `<path>.labels`/`<path>.annotations` (as Kubernetes
// reports them) and the spec at `<path>.spec`.
void ValidatePodTemplateSpec(const Json& tmpl, const Path& path, ErrorList& errs);
void ValidateTolerations(const Json& tolerations, const Path& path, ErrorList& errs);
void ValidateTaintEffect(const Json& effect, bool allow_empty, const Path& path, ErrorList& errs);
void ValidateNodeSelector(const Json& selector, const Path& path, ErrorList& errs);
// Whether a selector object matches a label set; nullopt when the selector cannot be parsed.
std::optional<bool> SelectorMatches(const Json* selector, const Labels& labels);
// The rules a pod update must follow (only images, activeDeadlineSeconds, tolerations additions
// and schedulingGates removals may change).
void ValidatePodUpdate(const Json& spec, const Json& old_spec, ErrorList& errs);
void ValidatePodStatus(const Json& pod, const Json& old, ErrorList& errs);
// Whether a pod volume names any source (emptyDir, secret, ...); sourceless ones default to
// emptyDir.
bool HasVolumeSource(const Json& volume);

// PersistentVolumeClaim specs, also embedded in ephemeral volumes (validation_core.cc).
void ValidatePersistentVolumeClaimSpec(const Json& spec, const Path& path, ErrorList& errs);

// ---------------------------------------------------------------------------------------------
// Per-kind rules, looked up by the dispatcher in validation.cc.

struct KindRules {
  std::string_view group;
  std::string_view kind;
  Scope scope;
  NameFn name_fn;  // nullptr: metadata is not validated (Binding)
  // Everything but metadata; `old` is null on create and the stored object on update.
  void (*validate)(const Json& obj, const Json* old, ErrorList& errs);
  // Status subresource writes; null when only metadata is checked.
  void (*validate_status)(const Json& obj, const Json& old, ErrorList& errs);
};

const KindRules* FindCoreRules(std::string_view kind);
const KindRules* FindAppsRules(std::string_view kind);
const KindRules* FindBatchRules(std::string_view kind);
const KindRules* FindOtherRules(std::string_view group, std::string_view kind);

// ---------------------------------------------------------------------------------------------
// Defaults shared by every object embedding a pod spec (defaults.cc).

void DefaultPodSpec(Json& spec, bool is_pod);
void DefaultPodTemplate(Json& tmpl);

}  // namespace mlkube::api::internal
