// Resource names and quantities as containers, PVCs and nodes declare them: which names are
// native, which are extended (domain-qualified, whole numbers, never overcommitted), and how
// requests relate to limits.

#include <set>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api::internal {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Quantities may be written as JSON numbers (`cpu: 1` in YAML); Kubernetes reads those as the
// same text.
std::optional<std::string> QuantityText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return Dump(value);
  return std::nullopt;
}

bool IsStandardContainerResourceName(std::string_view name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         IsHugePageResourceName(name);
}

bool IsStandardResourceName(std::string_view name) {
  static const std::set<std::string, std::less<>> kStandard = {
      "cpu",
      "memory",
      "ephemeral-storage",
      "requests.cpu",
      "requests.memory",
      "requests.ephemeral-storage",
      "limits.cpu",
      "limits.memory",
      "limits.ephemeral-storage",
      "pods",
      "services",
      "replicationcontrollers",
      "resourcequotas",
      "secrets",
      "persistentvolumeclaims",
      "configmaps",
      "services.nodeports",
      "services.loadbalancers",
      "storage",
      "requests.storage",
  };
  return kStandard.count(name) > 0 || IsHugePageResourceName(name) ||
         StartsWith(name, "requests.hugepages-");
}

bool IsIntegerResourceName(std::string_view name) {
  static const std::set<std::string, std::less<>> kInteger = {
      "pods",
      "resourcequotas",
      "services",
      "replicationcontrollers",
      "secrets",
      "configmaps",
      "persistentvolumeclaims",
      "services.nodeports",
      "services.loadbalancers",
  };
  return kInteger.count(name) > 0 || IsExtendedResourceName(name);
}

void ValidateResourceName(std::string_view name, const Path& path, ErrorList& errs) {
  size_t before = errs.size();
  ValidateQualifiedName(name, path, errs);
  if (errs.size() != before) return;
  if (name.find('/') == std::string_view::npos && !IsStandardResourceName(name)) {
    errs.push_back(
        Invalid(path, std::string(name), "must be a standard resource type or fully qualified"));
  }
}

void ValidateContainerResourceName(std::string_view name, const Path& path, ErrorList& errs) {
  ValidateResourceName(name, path, errs);
  if (name.find('/') == std::string_view::npos) {
    if (!IsStandardContainerResourceName(name)) {
      errs.push_back(
          Invalid(path, std::string(name), "must be a standard resource for containers"));
    }
  } else if (!IsNativeResource(name) && !IsExtendedResourceName(name)) {
    errs.push_back(
        Invalid(path, std::string(name), "doesn't follow extended resource name standard"));
  }
}

}  // namespace

std::optional<Quantity> ToQuantity(const Json& value) {
  std::optional<std::string> text = QuantityText(value);
  if (!text) return std::nullopt;
  Result<Quantity> q = Quantity::Parse(*text);
  if (!q.ok()) return std::nullopt;
  return *q;
}

std::optional<Quantity> ParseQuantityAt(const Json& value, const Path& path, ErrorList& errs) {
  std::optional<std::string> text = QuantityText(value);
  if (!text) return std::nullopt;  // a wrong JSON type is the schema layer's to report
  Result<Quantity> q = Quantity::Parse(*text);
  if (!q.ok()) {
    errs.push_back(Invalid(path, *text, q.status().message()));
    return std::nullopt;
  }
  return *q;
}

bool IsNativeResource(std::string_view name) {
  return name.find('/') == std::string_view::npos ||
         name.find("kubernetes.io/") != std::string_view::npos;
}

bool IsHugePageResourceName(std::string_view name) { return StartsWith(name, "hugepages-"); }

bool IsExtendedResourceName(std::string_view name) {
  if (IsNativeResource(name) || StartsWith(name, "requests.")) return false;
  // Quota tracks extended resources as "requests.<name>", which must stay a qualified name.
  return IsQualifiedName("requests." + std::string(name)).empty();
}

bool IsOvercommitAllowed(std::string_view name) {
  return IsNativeResource(name) && !IsHugePageResourceName(name);
}

void ValidateResourceQuantityValue(std::string_view resource, const Quantity& q, const Path& path,
                                   ErrorList& errs) {
  if (q.IsNegative()) errs.push_back(Invalid(path, q.String(), kNonNegativeMsg));
  if (IsIntegerResourceName(resource) && !q.IsInteger()) {
    errs.push_back(Invalid(path, q.String(), "must be an integer"));
  }
}

void ValidateResourceRequirements(const Json& resources, const Path& path, ErrorList& errs) {
  const Json& limits = ObjectAt(resources, "limits");
  const Json& requests = ObjectAt(resources, "requests");
  Path lim_path = path.Child("limits");
  Path req_path = path.Child("requests");
  bool cpu_or_memory = false;
  bool huge_pages = false;
  for (const auto& [name, value] : limits.items()) {
    Path p = lim_path.Key(name);
    ValidateContainerResourceName(name, p, errs);
    if (std::optional<Quantity> q = ParseQuantityAt(value, p, errs)) {
      ValidateResourceQuantityValue(name, *q, p, errs);
    }
    huge_pages = huge_pages || IsHugePageResourceName(name);
    cpu_or_memory = cpu_or_memory || name == "cpu" || name == "memory";
  }
  for (const auto& [name, value] : requests.items()) {
    Path p = req_path.Key(name);
    ValidateContainerResourceName(name, p, errs);
    std::optional<Quantity> q = ParseQuantityAt(value, p, errs);
    if (q) ValidateResourceQuantityValue(name, *q, p, errs);
    const Json* limit = Find(limits, name);
    if (limit) {
      std::optional<Quantity> lq = ToQuantity(*limit);
      if (q && lq) {
        int cmp = q->Cmp(*lq);
        // Devices cannot be shared, so a request below the limit would be a lie to the
        // scheduler: non-overcommitable resources need request == limit.
        if (cmp != 0 && !IsOvercommitAllowed(name)) {
          errs.push_back(Invalid(req_path, q->String(),
                                 "must be equal to " + name + " limit of " + lq->String()));
        } else if (cmp > 0) {
          errs.push_back(
              Invalid(req_path, q->String(),
                      "must be less than or equal to " + name + " limit of " + lq->String()));
        }
      }
    } else if (!IsOvercommitAllowed(name)) {
      errs.push_back(Required(lim_path, "Limit must be set for non overcommitable resources"));
    }
    huge_pages = huge_pages || IsHugePageResourceName(name);
    cpu_or_memory = cpu_or_memory || name == "cpu" || name == "memory";
  }
  if (huge_pages && !cpu_or_memory) {
    errs.push_back(Forbidden(path, "HugePages require cpu or memory"));
  }
}

}  // namespace mlkube::api::internal
