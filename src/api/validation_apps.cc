// Rules for the apps group: Deployment and ReplicaSet (apps/v1), as pkg/apis/apps/validation.

#include <cstdlib>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api::internal {

namespace {

void ValidateSelectorPresent(const Json& spec, const Path& path, ErrorList& errs) {
  const Json* selector = Find(spec, "selector");
  if (!selector) {
    errs.push_back(Required(path.Child("selector"), ""));
    return;
  }
  ValidateLabelSelector(*selector, path.Child("selector"), errs);
  if (ObjectAt(*selector, "matchLabels").empty() &&
      ArrayAt(*selector, "matchExpressions").empty()) {
    // Kubernetes says "deployment" for ReplicaSets too.
    errs.push_back(
        Invalid(path.Child("selector"), *selector, "empty selector is invalid for deployment"));
  }
}

// The template of a ReplicaSet or Deployment: its labels must be selected, and its pods must
// restart forever.
void ValidateReplicaSetTemplate(const Json& spec, const Path& path, ErrorList& errs) {
  const Json* selector = Find(spec, "selector");
  const Json& tmpl = ObjectAt(spec, "template");
  const Json& labels = ObjectAt(ObjectAt(tmpl, "metadata"), "labels");
  std::optional<bool> matches = SelectorMatches(selector, StringMap(labels));
  if (!matches) {
    errs.push_back(Invalid(path.Child("selector"), *selector, "invalid label selector"));
    return;
  }
  // An empty selector selects everything, so only a non-empty one can miss the template.
  bool empty_selector = selector && ObjectAt(*selector, "matchLabels").empty() &&
                        ArrayAt(*selector, "matchExpressions").empty();
  Path tp = path.Child("template");
  if (!empty_selector && !*matches) {
    errs.push_back(Invalid(tp.Child("metadata").Child("labels"), labels,
                           "`selector` does not match template `labels`"));
  }
  ValidatePodTemplateSpec(tmpl, tp, errs);
  const Json& pod_spec = ObjectAt(tmpl, "spec");
  std::string restart_policy = StringAt(pod_spec, "restartPolicy");
  if (restart_policy != "Always") {
    errs.push_back(
        NotSupported(tp.Child("spec").Child("restartPolicy"), restart_policy, {"Always"}));
  }
  if (Find(pod_spec, "activeDeadlineSeconds")) {
    errs.push_back(Forbidden(tp.Child("spec").Child("activeDeadlineSeconds"),
                             "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
}

void ValidatePositiveIntOrPercent(const Json& value, const Path& path, ErrorList& errs) {
  if (value.is_string()) {
    for (auto& msg : IsValidPercent(value.get<std::string>())) {
      errs.push_back(Invalid(path, value, msg));
    }
  } else if (std::optional<int64_t> n = AsInt(value)) {
    if (*n < 0) errs.push_back(Invalid(path, *n, kNonNegativeMsg));
  } else {
    errs.push_back(Invalid(path, value, "must be an integer or percentage (e.g '5%%')"));
  }
}

// The number an int-or-percent stands for ("25%" -> 25); strings that are not percentages
// count as their integer value, or 0, as intstr.IntValue() does.
int64_t IntOrPercentValue(const Json& value) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    if (IsValidPercent(s).empty()) s.pop_back();
    return std::strtoll(s.c_str(), nullptr, 10);
  }
  return AsInt(value).value_or(0);
}

void ValidateStrategy(const Json& spec, const Path& path, ErrorList& errs) {
  const Json& strategy = ObjectAt(spec, "strategy");
  Path sp = path.Child("strategy");
  std::string type = StringAt(strategy, "type");
  const Json* rolling = Find(strategy, "rollingUpdate");
  if (type == "Recreate") {
    if (rolling) {
      errs.push_back(Forbidden(sp.Child("rollingUpdate"),
                               "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (type == "RollingUpdate") {
    if (!rolling) {
      errs.push_back(
          Required(sp.Child("rollingUpdate"), "this should be defaulted and never be nil"));
      return;
    }
    Path rp = sp.Child("rollingUpdate");
    const Json* unavailable = Find(*rolling, "maxUnavailable");
    const Json* surge = Find(*rolling, "maxSurge");
    Json zero = 0;
    const Json& mu = unavailable ? *unavailable : zero;
    const Json& ms = surge ? *surge : zero;
    ValidatePositiveIntOrPercent(mu, rp.Child("maxUnavailable"), errs);
    ValidatePositiveIntOrPercent(ms, rp.Child("maxSurge"), errs);
    if (IntOrPercentValue(mu) == 0 && IntOrPercentValue(ms) == 0) {
      errs.push_back(Invalid(rp.Child("maxUnavailable"), mu, "may not be 0 when `maxSurge` is 0"));
    }
    if (mu.is_string() && IsValidPercent(mu.get<std::string>()).empty() &&
        IntOrPercentValue(mu) > 100) {
      errs.push_back(Invalid(rp.Child("maxUnavailable"), mu, "must not be greater than 100%"));
    }
  } else {
    errs.push_back(NotSupported(sp, strategy, {"Recreate", "RollingUpdate"}));
  }
}

void ValidateSelectorImmutable(const Json& obj, const Json* old, ErrorList& errs) {
  // apps/v1 fixes a controller's selector at creation.
  if (!old) return;
  ValidateImmutable(Find(ObjectAt(obj, "spec"), "selector"),
                    Find(ObjectAt(*old, "spec"), "selector"), Path("spec").Child("selector"), errs);
}

void ValidateDeployment(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  ValidateNonnegativeAt(spec, "replicas", path, errs);
  ValidateSelectorPresent(spec, path, errs);
  ValidateReplicaSetTemplate(spec, path, errs);
  ValidateStrategy(spec, path, errs);
  ValidateNonnegativeAt(spec, "minReadySeconds", path, errs);
  ValidateNonnegativeAt(spec, "revisionHistoryLimit", path, errs);
  if (std::optional<int64_t> pds = IntAt(spec, "progressDeadlineSeconds")) {
    ValidateNonnegativeAt(spec, "progressDeadlineSeconds", path, errs);
    if (*pds <= IntAt(spec, "minReadySeconds").value_or(0)) {
      errs.push_back(Invalid(path.Child("progressDeadlineSeconds"), *pds,
                             "must be greater than minReadySeconds"));
    }
  }
  ValidateSelectorImmutable(obj, old, errs);
}

void ValidateReplicaSet(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  ValidateNonnegativeAt(spec, "replicas", path, errs);
  ValidateNonnegativeAt(spec, "minReadySeconds", path, errs);
  ValidateSelectorPresent(spec, path, errs);
  ValidateReplicaSetTemplate(spec, path, errs);
  ValidateSelectorImmutable(obj, old, errs);
}

// Replica counts reported by the controllers: never negative, and never more ready/available
// pods than pods.
void ValidateReplicaCounts(const Json& status, std::initializer_list<const char*> counted,
                           ErrorList& errs) {
  Path path("status");
  for (const char* key : {"replicas", "observedGeneration", "collisionCount"}) {
    ValidateNonnegativeAt(status, key, path, errs);
  }
  for (const char* key : counted) ValidateNonnegativeAt(status, key, path, errs);
  int64_t replicas = IntAt(status, "replicas").value_or(0);
  for (const char* key : counted) {
    int64_t v = IntAt(status, key).value_or(0);
    if (std::string_view(key) != "unavailableReplicas" && v > replicas) {
      errs.push_back(Invalid(path.Child(key), v, "cannot be greater than status.replicas"));
    }
  }
  int64_t ready = IntAt(status, "readyReplicas").value_or(0);
  int64_t available = IntAt(status, "availableReplicas").value_or(0);
  if (available > ready) {
    errs.push_back(Invalid(path.Child("availableReplicas"), available,
                           "cannot be greater than readyReplicas"));
  }
}

void ValidateCollisionCount(const Json& obj, const Json& old, ErrorList& errs) {
  std::optional<int64_t> now = IntAt(ObjectAt(obj, "status"), "collisionCount");
  std::optional<int64_t> before = IntAt(ObjectAt(old, "status"), "collisionCount");
  if (before && (!now || *now < *before)) {
    errs.push_back(
        Invalid(Path("status").Child("collisionCount"), now.value_or(0), "cannot be decremented"));
  }
}

void ValidateDeploymentStatus(const Json& obj, const Json& old, ErrorList& errs) {
  ValidateReplicaCounts(
      ObjectAt(obj, "status"),
      {"updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"}, errs);
  ValidateCollisionCount(obj, old, errs);
}

void ValidateReplicaSetStatus(const Json& obj, const Json&, ErrorList& errs) {
  ValidateReplicaCounts(ObjectAt(obj, "status"),
                        {"fullyLabeledReplicas", "readyReplicas", "availableReplicas"}, errs);
}

const KindRules kAppsRules[] = {
    {"apps", "Deployment", Scope::kNamespaced, NameIsDNSSubdomain, ValidateDeployment,
     ValidateDeploymentStatus},
    {"apps", "ReplicaSet", Scope::kNamespaced, NameIsDNSSubdomain, ValidateReplicaSet,
     ValidateReplicaSetStatus},
};

}  // namespace

const KindRules* FindAppsRules(std::string_view kind) {
  for (const KindRules& r : kAppsRules) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace mlkube::api::internal
