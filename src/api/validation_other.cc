// Rules for the smaller groups: autoscaling (HorizontalPodAutoscaler v2, Scale v1),
// discovery.k8s.io (EndpointSlice), coordination.k8s.io (Lease), scheduling.k8s.io
// (PriorityClass) and storage.k8s.io (StorageClass).

#include <algorithm>
#include <set>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api::internal {

namespace {

// ---------------------------------------------------------------------------------------------
// HorizontalPodAutoscaler

constexpr int64_t kMaxPeriodSeconds = 1800;
constexpr int64_t kMaxStabilizationWindowSeconds = 3600;

void ValidateObjectReference(const Json& ref, const Path& path, ErrorList& errs) {
  for (const char* key : {"kind", "name"}) {
    std::string v = StringAt(ref, key);
    if (v.empty()) {
      errs.push_back(Required(path.Child(key), ""));
    } else {
      for (auto& msg : IsValidPathSegmentName(v)) errs.push_back(Invalid(path.Child(key), v, msg));
    }
  }
}

void ValidateMetricIdentifier(const Json& id, const Path& path, ErrorList& errs) {
  std::string name = StringAt(id, "name");
  if (name.empty()) {
    errs.push_back(Required(path.Child("name"), "must specify a metric name"));
  } else {
    for (auto& msg : IsValidPathSegmentName(name)) {
      errs.push_back(Invalid(path.Child("name"), name, msg));
    }
  }
}

void ValidateMetricTarget(const Json& target, const Path& path, ErrorList& errs) {
  std::string type = StringAt(target, "type");
  if (type.empty()) {
    errs.push_back(Required(path.Child("type"), "must specify a metric target type"));
  }
  if (type != "Utilization" && type != "Value" && type != "AverageValue") {
    errs.push_back(
        Invalid(path.Child("type"), type, "must be either Utilization, Value, or AverageValue"));
  }
  for (const char* key : {"value", "averageValue"}) {
    const Json* v = Find(target, key);
    if (!v) continue;
    std::optional<Quantity> q = ParseQuantityAt(*v, path.Child(key), errs);
    if (q && (q->IsNegative() || q->IsZero())) {
      errs.push_back(Invalid(path.Child(key), q->String(), "must be positive"));
    }
  }
  if (std::optional<int64_t> u = IntAt(target, "averageUtilization"); u && *u < 1) {
    errs.push_back(Invalid(path.Child("averageUtilization"), *u, "must be greater than 0"));
  }
}

void ValidateResourceMetric(const Json& src, bool container, const Path& path, ErrorList& errs) {
  if (!HasString(src, "name")) {
    errs.push_back(Required(path.Child("name"), "must specify a resource name"));
  }
  if (container) {
    std::string c = StringAt(src, "container");
    if (c.empty()) {
      errs.push_back(Required(path.Child("container"), "must specify a container"));
    } else {
      ValidateDNS1123Label(c, path.Child("container"), errs);
    }
  }
  const Json& target = ObjectAt(src, "target");
  ValidateMetricTarget(target, path.Child("target"), errs);
  bool utilization = Find(target, "averageUtilization") != nullptr;
  bool average = Find(target, "averageValue") != nullptr;
  if (!utilization && !average) {
    errs.push_back(Required(path.Child("target").Child("averageUtilization"),
                            "must set either a target raw value or a target utilization"));
  }
  if (utilization && average) {
    errs.push_back(Forbidden(path.Child("target").Child("averageValue"),
                             "may not set both a target raw value and a target utilization"));
  }
}

void ValidateMetricSpec(const Json& metric, const Path& path, ErrorList& errs) {
  static const std::vector<std::string> kTypes = {"ContainerResource", "External", "Object", "Pods",
                                                  "Resource"};
  std::string type = StringAt(metric, "type");
  if (type.empty()) {
    errs.push_back(Required(path.Child("type"), "must specify a metric source type"));
  }
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    errs.push_back(NotSupported(path.Child("type"), type, kTypes));
  }
  // Only the first source present is validated; extra ones are reported below.
  std::set<std::string> present;
  auto first = [&](const char* key) -> const Json* {
    const Json* src = Find(metric, key);
    if (!src) return nullptr;
    present.insert(key);
    return present.size() == 1 ? src : nullptr;
  };
  if (const Json* src = first("object")) {
    Path p = path.Child("object");
    ValidateObjectReference(ObjectAt(*src, "describedObject"), p.Child("describedObject"), errs);
    ValidateMetricIdentifier(ObjectAt(*src, "metric"), p.Child("metric"), errs);
    const Json& target = ObjectAt(*src, "target");
    ValidateMetricTarget(target, p.Child("target"), errs);
    if (!Find(target, "value") && !Find(target, "averageValue")) {
      errs.push_back(Required(p.Child("target").Child("averageValue"),
                              "must set either a target value or averageValue"));
    }
  }
  if (const Json* src = first("external")) {
    Path p = path.Child("external");
    ValidateMetricIdentifier(ObjectAt(*src, "metric"), p.Child("metric"), errs);
    const Json& target = ObjectAt(*src, "target");
    ValidateMetricTarget(target, p.Child("target"), errs);
    bool value = Find(target, "value") != nullptr;
    bool average = Find(target, "averageValue") != nullptr;
    if (!value && !average) {
      errs.push_back(Required(p.Child("target").Child("averageValue"),
                              "must set either a target value for metric or a per-pod target"));
    }
    if (value && average) {
      errs.push_back(Forbidden(p.Child("target").Child("value"),
                               "may not set both a target value for metric and a per-pod target"));
    }
  }
  if (const Json* src = first("pods")) {
    Path p = path.Child("pods");
    ValidateMetricIdentifier(ObjectAt(*src, "metric"), p.Child("metric"), errs);
    const Json& target = ObjectAt(*src, "target");
    ValidateMetricTarget(target, p.Child("target"), errs);
    if (!Find(target, "averageValue")) {
      errs.push_back(Required(p.Child("target").Child("averageValue"),
                              "must specify a positive target averageValue"));
    }
  }
  if (const Json* src = first("resource")) {
    ValidateResourceMetric(*src, false, path.Child("resource"), errs);
  }
  if (const Json* src = first("containerResource")) {
    ValidateResourceMetric(*src, true, path.Child("containerResource"), errs);
  }
  std::string expected;
  if (type == "Object") expected = "object";
  if (type == "Pods") expected = "pods";
  if (type == "Resource") expected = "resource";
  if (type == "External") expected = "external";
  if (type == "ContainerResource") expected = "containerResource";
  if (expected.empty()) {
    // Kubernetes reports an unknown type twice: once as unknown, once as unhandled.
    errs.push_back(NotSupported(path.Child("type"), type, kTypes));
  } else if (!Find(metric, expected)) {
    errs.push_back(
        Required(path.Child(expected), "must populate information for the given metric source"));
  }
  if (present.size() != 1) {
    for (const std::string& source : present) {
      if (source != expected) {
        errs.push_back(Forbidden(path.Child(source), "must populate the given metric source only"));
      }
    }
  }
}

void ValidateScalingRules(const Json* rules, const Path& path, ErrorList& errs) {
  if (!rules || !rules->is_object()) return;
  if (std::optional<int64_t> window = IntAt(*rules, "stabilizationWindowSeconds")) {
    if (*window < 0) {
      errs.push_back(Invalid(path.Child("stabilizationWindowSeconds"), *window,
                             "must be greater than or equal to zero"));
    }
    if (*window > kMaxStabilizationWindowSeconds) {
      errs.push_back(Invalid(path.Child("stabilizationWindowSeconds"), *window,
                             "must be less than or equal to 3600"));
    }
  }
  if (const Json* select = Find(*rules, "selectPolicy"); select && select->is_string() &&
                                                         *select != "Max" && *select != "Min" &&
                                                         *select != "Disabled") {
    errs.push_back(NotSupported(path.Child("selectPolicy"), *select, {"Disabled", "Max", "Min"}));
  }
  const Json& policies = ArrayAt(*rules, "policies");
  if (policies.empty()) {
    errs.push_back(Required(path.Child("policies"), "must specify at least one Policy"));
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    Path p = path.Child("policies").Index(i);
    std::string type = StringAt(policies[i], "type");
    if (type != "Pods" && type != "Percent") {
      errs.push_back(NotSupported(p.Child("type"), type, {"Percent", "Pods"}));
    }
    int64_t value = IntAt(policies[i], "value").value_or(0);
    if (value <= 0) errs.push_back(Invalid(p.Child("value"), value, "must be greater than zero"));
    int64_t period = IntAt(policies[i], "periodSeconds").value_or(0);
    if (period <= 0) {
      errs.push_back(Invalid(p.Child("periodSeconds"), period, "must be greater than zero"));
    }
    if (period > kMaxPeriodSeconds) {
      errs.push_back(
          Invalid(p.Child("periodSeconds"), period, "must be less than or equal to 1800"));
    }
  }
}

void ValidateHorizontalPodAutoscaler(const Json& obj, const Json*, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  std::optional<int64_t> min = IntAt(spec, "minReplicas");
  int64_t max = IntAt(spec, "maxReplicas").value_or(0);
  if (min && *min < 1) {
    errs.push_back(Invalid(path.Child("minReplicas"), *min, "must be greater than or equal to 1"));
  }
  if (max < 1) errs.push_back(Invalid(path.Child("maxReplicas"), max, "must be greater than 0"));
  if (min && max < *min) {
    errs.push_back(
        Invalid(path.Child("maxReplicas"), max, "must be greater than or equal to `minReplicas`"));
  }
  ValidateObjectReference(ObjectAt(spec, "scaleTargetRef"), path.Child("scaleTargetRef"), errs);
  const Json& metrics = ArrayAt(spec, "metrics");
  bool object_or_external = false;
  for (size_t i = 0; i < metrics.size(); ++i) {
    ValidateMetricSpec(metrics[i], path.Child("metrics").Index(i), errs);
    std::string type = StringAt(metrics[i], "type");
    object_or_external = object_or_external || type == "Object" || type == "External";
  }
  if (min && *min == 0 && !object_or_external) {
    errs.push_back(Forbidden(path.Child("metrics"),
                             "must specify at least one Object or External metric to support "
                             "scaling to zero replicas"));
  }
  const Json& behavior = ObjectAt(spec, "behavior");
  ValidateScalingRules(Find(behavior, "scaleUp"), path.Child("behavior").Child("scaleUp"), errs);
  ValidateScalingRules(Find(behavior, "scaleDown"), path.Child("behavior").Child("scaleDown"),
                       errs);
}

void ValidateHorizontalPodAutoscalerStatus(const Json& obj, const Json&, ErrorList& errs) {
  const Json& status = ObjectAt(obj, "status");
  ValidateNonnegativeAt(status, "currentReplicas", Path("status"), errs);
  ValidateNonnegativeAt(status, "desiredReplicas", Path("status"), errs);
}

void ValidateScale(const Json& obj, const Json*, ErrorList& errs) {
  std::optional<int64_t> replicas = IntAt(ObjectAt(obj, "spec"), "replicas");
  if (replicas && *replicas < 0) {
    errs.push_back(Invalid(Path("spec").Child("replicas"), *replicas, kNonNegativeMsg));
  }
}

// ---------------------------------------------------------------------------------------------
// EndpointSlice

void ValidateEndpointSlice(const Json& obj, const Json* old, ErrorList& errs) {
  std::string address_type = StringAt(obj, "addressType");
  if (address_type.empty()) {
    errs.push_back(Required(Path("addressType"), ""));
  } else if (address_type != "IPv4" && address_type != "IPv6" && address_type != "FQDN") {
    errs.push_back(NotSupported(Path("addressType"), address_type, {"FQDN", "IPv4", "IPv6"}));
  }
  const Json& endpoints = ArrayAt(obj, "endpoints");
  if (endpoints.size() > 1000) {
    errs.push_back(TooMany(Path("endpoints"), endpoints.size(), 1000));
  } else {
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const Json& ep = endpoints[i];
      Path p = Path("endpoints").Index(i);
      Path ap = p.Child("addresses");
      const Json& addresses = ArrayAt(ep, "addresses");
      if (addresses.empty()) {
        errs.push_back(Required(ap, "must contain at least 1 address"));
      } else if (addresses.size() > 100) {
        errs.push_back(TooMany(ap, addresses.size(), 100));
      }
      for (size_t a = 0; a < addresses.size(); ++a) {
        std::string address = addresses[a].is_string() ? addresses[a].get<std::string>() : "";
        unsigned char buf[16];
        IPFamily fam = ParseIP(address, buf);
        if (address_type == "IPv4" || address_type == "IPv6") {
          IPFamily want = address_type == "IPv4" ? IPFamily::kV4 : IPFamily::kV6;
          if (fam != want) {
            errs.push_back(
                Invalid(ap.Index(a), address, "must be a valid " + address_type + " address"));
          } else {
            ValidateNonSpecialIP(address, ap.Index(a), errs);
          }
        } else if (address_type == "FQDN") {
          ValidateFullyQualifiedDomainName(address, ap.Index(a), errs);
        }
      }
      if (const Json* node = Find(ep, "nodeName"); node && node->is_string()) {
        ValidateNameWith(NameIsDNSSubdomain, node->get<std::string>(), p.Child("nodeName"), errs);
      }
      if (const Json* host = Find(ep, "hostname"); host && host->is_string()) {
        ValidateDNS1123Label(host->get<std::string>(), p.Child("hostname"), errs);
      }
    }
  }
  const Json& ports = ArrayAt(obj, "ports");
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    Path p = Path("ports").Index(i);
    std::string name = StringAt(ports[i], "name");
    if (!name.empty()) ValidateDNS1123Label(name, p.Child("name"), errs);
    if (!names.insert(name).second) errs.push_back(Duplicate(p.Child("name"), name));
    const Json* protocol = Find(ports[i], "protocol");
    if (!protocol) {
      errs.push_back(Required(p.Child("protocol"), ""));
    } else if (protocol->is_string() && *protocol != "TCP" && *protocol != "UDP" &&
               *protocol != "SCTP") {
      errs.push_back(NotSupported(p.Child("protocol"), *protocol, {"SCTP", "TCP", "UDP"}));
    }
    if (const Json* app = Find(ports[i], "appProtocol"); app && app->is_string()) {
      ValidateQualifiedName(app->get<std::string>(), p.Child("appProtocol"), errs);
    }
  }
  if (old) {
    ValidateImmutable(Find(obj, "addressType"), Find(*old, "addressType"), Path("addressType"),
                      errs);
  }
}

// ---------------------------------------------------------------------------------------------
// Lease, PriorityClass, StorageClass

void ValidateLease(const Json& obj, const Json*, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  if (std::optional<int64_t> d = IntAt(spec, "leaseDurationSeconds"); d && *d <= 0) {
    errs.push_back(
        Invalid(Path("spec").Child("leaseDurationSeconds"), *d, "must be greater than 0"));
  }
  if (std::optional<int64_t> t = IntAt(spec, "leaseTransitions"); t && *t < 0) {
    errs.push_back(Invalid(Path("spec").Child("leaseTransitions"), *t, kNonNegativeMsg));
  }
}

void ValidatePriorityClass(const Json& obj, const Json* old, ErrorList& errs) {
  constexpr int64_t kHighestUserDefinablePriority = 1000000000;
  std::string name = StringAt(ObjectAt(obj, "metadata"), "name");
  int64_t value = IntAt(obj, "value").value_or(0);
  bool global_default = BoolAt(obj, "globalDefault");
  if (name.rfind("system-", 0) == 0) {
    std::string error;
    if (name == "system-node-critical" || name == "system-cluster-critical") {
      int64_t want = name == "system-node-critical" ? 2000001000 : 2000000000;
      if (value != want) {
        error = "value of " + name + " PriorityClass must be " + std::to_string(want);
      } else if (global_default) {
        error = "globalDefault of " + name + " PriorityClass must be false";
      }
    } else {
      error = name + " is not a known system priority class";
    }
    if (!error.empty()) {
      errs.push_back(Forbidden(Path("metadata").Child("name"),
                               "priority class names with 'system-' prefix are reserved for "
                               "system use only. error: " +
                                   error));
    }
  } else if (value > kHighestUserDefinablePriority) {
    errs.push_back(
        Forbidden(Path("value"), "maximum allowed value of a user defined priority is 1000000000"));
  }
  if (const Json* policy = Find(obj, "preemptionPolicy"); policy && policy->is_string()) {
    std::string v = policy->get<std::string>();
    if (v.empty()) {
      errs.push_back(Required(Path("preemptionPolicy"), ""));
    } else if (v != "PreemptLowerPriority" && v != "Never") {
      errs.push_back(NotSupported(Path("preemptionPolicy"), v, {"PreemptLowerPriority", "Never"}));
    }
  }
  if (!old) return;
  if (IntAt(*old, "value").value_or(0) != value) {
    errs.push_back(Forbidden(Path("value"), "may not be changed in an update."));
  }
  ValidateImmutable(Find(obj, "preemptionPolicy"), Find(*old, "preemptionPolicy"),
                    Path("preemptionPolicy"), errs);
}

void ValidateStorageClass(const Json& obj, const Json* old, ErrorList& errs) {
  std::string provisioner = StringAt(obj, "provisioner");
  if (provisioner.empty()) {
    errs.push_back(Required(Path("provisioner"), ""));
  } else {
    std::string lower = provisioner;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    ValidateQualifiedName(lower, Path("provisioner"), errs);
  }
  const Json& params = ObjectAt(obj, "parameters");
  size_t total = 0;
  if (params.size() > 512) {
    errs.push_back(TooLong(Path("parameters"), "", 512));
  } else {
    for (const auto& [k, v] : params.items()) {
      if (k.empty()) errs.push_back(Invalid(Path("parameters"), k, "field can not be empty."));
      total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
    }
    if (total > 256 * 1024) errs.push_back(TooLong(Path("parameters"), "", 256 * 1024));
  }
  std::string reclaim = StringAt(obj, "reclaimPolicy");
  if (!reclaim.empty() && reclaim != "Delete" && reclaim != "Retain") {
    errs.push_back(NotSupported(Path("reclaimPolicy"), reclaim, {"Delete", "Retain"}));
  }
  const Json* mode = Find(obj, "volumeBindingMode");
  if (!mode) {
    errs.push_back(Required(Path("volumeBindingMode"), ""));
  } else if (mode->is_string() && *mode != "Immediate" && *mode != "WaitForFirstConsumer") {
    errs.push_back(
        NotSupported(Path("volumeBindingMode"), *mode, {"Immediate", "WaitForFirstConsumer"}));
  }
  if (!old) return;
  if (!SemanticEqual(Find(obj, "parameters"), Find(*old, "parameters"))) {
    errs.push_back(Forbidden(Path("parameters"), "updates to parameters are forbidden."));
  }
  if (provisioner != StringAt(*old, "provisioner")) {
    errs.push_back(Forbidden(Path("provisioner"), "updates to provisioner are forbidden."));
  }
  if (reclaim != StringAt(*old, "reclaimPolicy")) {
    errs.push_back(Forbidden(Path("reclaimPolicy"), "updates to reclaimPolicy are forbidden."));
  }
  ValidateImmutable(mode, Find(*old, "volumeBindingMode"), Path("volumeBindingMode"), errs);
}

const KindRules kOtherRules[] = {
    {"autoscaling", "HorizontalPodAutoscaler", Scope::kNamespaced, NameIsDNSSubdomain,
     ValidateHorizontalPodAutoscaler, ValidateHorizontalPodAutoscalerStatus},
    {"autoscaling", "Scale", Scope::kNamespaced, NameIsDNSSubdomain, ValidateScale, nullptr},
    {"discovery.k8s.io", "EndpointSlice", Scope::kNamespaced, NameIsDNSSubdomain,
     ValidateEndpointSlice, nullptr},
    {"coordination.k8s.io", "Lease", Scope::kNamespaced, NameIsDNSSubdomain, ValidateLease,
     nullptr},
    {"scheduling.k8s.io", "PriorityClass", Scope::kCluster, NameIsDNSSubdomain,
     ValidatePriorityClass, nullptr},
    {"storage.k8s.io", "StorageClass", Scope::kCluster, NameIsDNSSubdomain, ValidateStorageClass,
     nullptr},
};

}  // namespace

const KindRules* FindOtherRules(std::string_view group, std::string_view kind) {
  for (const KindRules& r : kOtherRules) {
    if (r.group == group && r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace mlkube::api::internal
