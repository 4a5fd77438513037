// Defaulting, as Kubernetes' SetDefaults_* functions (and the create-time strategy steps whose
// results users see, such as a Job's generated selector or a Namespace's "kubernetes"
// finalizer) fill objects in. Go defaults a value field when it holds its zero value and a
// pointer field when it is nil; SetIfZero and SetIfAbsent mirror the two.

#include <algorithm>
#include <exception>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api {

namespace {

using internal::ArrayAt;
using internal::EnsureObject;
using internal::Find;
using internal::IntAt;
using internal::ObjectAt;
using internal::StringAt;

void SetIfAbsent(Json& obj, std::string_view key, Json value) {
  if (!obj.is_object()) return;
  if (!Find(obj, key)) obj[std::string(key)] = std::move(value);
}

void SetIfZero(Json& obj, std::string_view key, Json value) {
  if (!obj.is_object()) return;
  const Json* v = Find(obj, key);
  bool zero = !v || (v->is_string() && v->get_ref<const std::string&>().empty()) ||
              (v->is_number() && v->get<double>() == 0);
  if (zero) obj[std::string(key)] = std::move(value);
}

// The members of `obj[key]` that are objects, for in-place defaulting of list entries.
template <typename Fn>
void ForEachObject(Json& obj, std::string_view key, Fn fn) {
  if (!obj.is_object()) return;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return;
  for (Json& item : *it) {
    if (item.is_object()) fn(item);
  }
}

// Json::object() for `obj[key]` when it is an object, else nullptr (never creates it).
Json* MutableObjectAt(Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

std::string Base64Encode(const std::string& in) {
  static const char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += kTable[n & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += i + 1 < in.size() ? kTable[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pods and templates

// The tag Kubernetes' image parser finds: "" for unparsable references, "latest" when neither a
// tag nor a digest is given.
std::string ImageTag(const std::string& image) {
  if (image.empty()) return "";
  std::string name = image;
  bool digest = false;
  if (size_t at = name.find('@'); at != std::string::npos) {
    digest = at + 1 < name.size();
    name = name.substr(0, at);
  }
  std::string tag;
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  // Repository paths (after an optional registry host) must be lower case.
  size_t first_slash = name.find('/');
  std::string path = name;
  if (first_slash != std::string::npos) {
    std::string host = name.substr(0, first_slash);
    if (host.find_first_of(".:") != std::string::npos || host == "localhost") {
      path = name.substr(first_slash + 1);
    }
  }
  for (char c : path) {
    if (c >= 'A' && c <= 'Z') return "";
  }
  if (name.empty()) return "";
  if (tag.empty() && !digest) return "latest";
  return tag;
}

void DefaultHandler(Json& handler) {
  if (Json* http = MutableObjectAt(handler, "httpGet")) {
    SetIfZero(*http, "path", "/");
    SetIfZero(*http, "scheme", "HTTP");
  }
}

void DefaultProbe(Json& c, std::string_view key) {
  Json* probe = MutableObjectAt(c, key);
  if (!probe) return;
  SetIfZero(*probe, "timeoutSeconds", 1);
  SetIfZero(*probe, "periodSeconds", 10);
  SetIfZero(*probe, "successThreshold", 1);
  SetIfZero(*probe, "failureThreshold", 3);
  DefaultHandler(*probe);
}

void DefaultFieldRef(Json& holder) {
  if (Json* ref = MutableObjectAt(holder, "fieldRef")) SetIfZero(*ref, "apiVersion", "v1");
}

void DefaultContainer(Json& c) {
  if (internal::StringAt(c, "imagePullPolicy").empty()) {
    c["imagePullPolicy"] = ImageTag(StringAt(c, "image")) == "latest" ? "Always" : "IfNotPresent";
  }
  SetIfZero(c, "terminationMessagePath", "/dev/termination-log");
  SetIfZero(c, "terminationMessagePolicy", "File");
  ForEachObject(c, "ports", [](Json& port) { SetIfZero(port, "protocol", "TCP"); });
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    DefaultProbe(c, probe);
  }
  if (Json* lifecycle = MutableObjectAt(c, "lifecycle")) {
    for (const char* key : {"postStart", "preStop"}) {
      if (Json* h = MutableObjectAt(*lifecycle, key)) DefaultHandler(*h);
    }
  }
  ForEachObject(c, "env", [](Json& ev) {
    if (Json* from = MutableObjectAt(ev, "valueFrom")) DefaultFieldRef(*from);
  });
}

void DefaultDownwardAPIItems(Json& src) {
  ForEachObject(src, "items", [](Json& item) { DefaultFieldRef(item); });
}

void DefaultVolume(Json& vol) {
  // A volume that names no source is an emptyDir.
  if (!internal::HasVolumeSource(vol)) vol["emptyDir"] = Json::object();
  constexpr int kDefaultMode = 0644;  // 420, as Kubernetes stores it
  for (const char* key : {"secret", "configMap", "downwardAPI", "projected"}) {
    if (Json* src = MutableObjectAt(vol, key)) SetIfAbsent(*src, "defaultMode", kDefaultMode);
  }
  if (Json* d = MutableObjectAt(vol, "downwardAPI")) DefaultDownwardAPIItems(*d);
  if (Json* p = MutableObjectAt(vol, "projected")) {
    ForEachObject(*p, "sources", [](Json& src) {
      if (Json* d = MutableObjectAt(src, "downwardAPI")) DefaultDownwardAPIItems(*d);
      if (Json* t = MutableObjectAt(src, "serviceAccountToken")) {
        SetIfAbsent(*t, "expirationSeconds", 3600);
      }
    });
  }
  if (Json* hp = MutableObjectAt(vol, "hostPath")) SetIfAbsent(*hp, "type", "");
  if (Json* eph = MutableObjectAt(vol, "ephemeral")) {
    if (Json* tmpl = MutableObjectAt(*eph, "volumeClaimTemplate")) {
      SetIfAbsent(EnsureObject(*tmpl, "spec"), "volumeMode", "Filesystem");
    }
  }
}

void DefaultPod(Json& obj) {
  // status.phase and status.qosClass of a new pod are the create handler's (rest.cc), as they are
  // the pod strategy's in Kubernetes.
  internal::DefaultPodSpec(EnsureObject(obj, "spec"), true);
}

// ---------------------------------------------------------------------------------------------
// Workloads

void DefaultDeployment(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  SetIfAbsent(spec, "replicas", 1);
  Json& strategy = EnsureObject(spec, "strategy");
  SetIfZero(strategy, "type", "RollingUpdate");
  if (StringAt(strategy, "type") == "RollingUpdate") {
    Json& rolling = EnsureObject(strategy, "rollingUpdate");
    SetIfAbsent(rolling, "maxUnavailable", "25%");
    SetIfAbsent(rolling, "maxSurge", "25%");
  }
  SetIfAbsent(spec, "revisionHistoryLimit", 10);
  SetIfAbsent(spec, "progressDeadlineSeconds", 600);
  internal::DefaultPodTemplate(EnsureObject(spec, "template"));
}

void DefaultReplicaSet(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  SetIfAbsent(spec, "replicas", 1);
  internal::DefaultPodTemplate(EnsureObject(spec, "template"));
}

void DefaultJobSpecPolicies(Json& spec) {
  if (Json* policy = MutableObjectAt(spec, "podFailurePolicy")) {
    ForEachObject(*policy, "rules", [](Json& rule) {
      ForEachObject(rule, "onPodConditions",
                    [](Json& pattern) { SetIfZero(pattern, "status", "True"); });
    });
  }
}

void DefaultJob(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  // A non-parallel Job leaves both unset; parallelism alone keeps completions unset (a work
  // queue).
  if (!Find(spec, "completions") && !Find(spec, "parallelism")) {
    spec["completions"] = 1;
    spec["parallelism"] = 1;
  }
  SetIfAbsent(spec, "parallelism", 1);
  SetIfAbsent(spec, "backoffLimit", Find(spec, "backoffLimitPerIndex") ? Json(INT32_MAX) : Json(6));
  SetIfAbsent(spec, "completionMode", "NonIndexed");
  SetIfAbsent(spec, "suspend", false);
  DefaultJobSpecPolicies(spec);
  SetIfAbsent(spec, "podReplacementPolicy",
              Find(spec, "podFailurePolicy") ? "Failed" : "TerminatingOrFailed");
  Json& tmpl = EnsureObject(spec, "template");
  internal::DefaultPodTemplate(tmpl);

  Json& meta = EnsureObject(obj, "metadata");
  auto labels_empty = [&] { return ObjectAt(meta, "labels").empty(); };
  // Decoding copies the template's labels to a Job that has none.
  if (const Json* user_labels = Find(ObjectAt(tmpl, "metadata"), "labels");
      user_labels && user_labels->is_object() && labels_empty()) {
    meta["labels"] = *user_labels;
  }
  // The Job strategy then selects the pods by the Job's uid (set by the server before
  // defaulting) unless the user manages the selector.
  std::string uid = StringAt(meta, "uid");
  if (uid.empty() || internal::BoolAt(spec, "manualSelector")) return;
  std::string name = StringAt(meta, "name");
  Json& template_labels = EnsureObject(EnsureObject(tmpl, "metadata"), "labels");
  for (const char* key : {"batch.kubernetes.io/job-name", "job-name"}) {
    SetIfAbsent(template_labels, key, name);
  }
  for (const char* key : {"batch.kubernetes.io/controller-uid", "controller-uid"}) {
    SetIfAbsent(template_labels, key, uid);
  }
  Json& match_labels = EnsureObject(EnsureObject(spec, "selector"), "matchLabels");
  SetIfAbsent(match_labels, "batch.kubernetes.io/controller-uid", uid);
  // Reading the Job back copies the now-labelled template again, so a Job without labels of its
  // own shows the generated ones.
  if (labels_empty()) meta["labels"] = template_labels;
}

void DefaultCronJob(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  SetIfZero(spec, "concurrencyPolicy", "Allow");
  SetIfAbsent(spec, "suspend", false);
  SetIfAbsent(spec, "successfulJobsHistoryLimit", 3);
  SetIfAbsent(spec, "failedJobsHistoryLimit", 1);
  Json& job_spec = EnsureObject(EnsureObject(spec, "jobTemplate"), "spec");
  internal::DefaultPodTemplate(EnsureObject(job_spec, "template"));
}

// ---------------------------------------------------------------------------------------------
// Core kinds

void DefaultService(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  SetIfZero(spec, "sessionAffinity", "None");
  std::string affinity = StringAt(spec, "sessionAffinity");
  if (affinity == "None") {
    spec.erase("sessionAffinityConfig");
  } else if (affinity == "ClientIP") {
    const Json& config = ObjectAt(spec, "sessionAffinityConfig");
    if (!Find(ObjectAt(config, "clientIP"), "timeoutSeconds")) {
      spec["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", 10800}}}};
    }
  }
  SetIfZero(spec, "type", "ClusterIP");
  std::string type = StringAt(spec, "type");
  ForEachObject(spec, "ports", [](Json& port) {
    SetIfZero(port, "protocol", "TCP");
    const Json* target = Find(port, "targetPort");
    bool unset = !target ||
                 (target->is_string() && target->get_ref<const std::string&>().empty()) ||
                 (target->is_number() && target->get<double>() == 0);
    if (unset) {
      if (const Json* number = Find(port, "port"); number && number->is_number()) {
        port["targetPort"] = *number;
      }
    }
  });
  bool external = type == "LoadBalancer" || type == "NodePort" ||
                  (type == "ClusterIP" && !ArrayAt(spec, "externalIPs").empty());
  if (external) SetIfZero(spec, "externalTrafficPolicy", "Cluster");
  if (type == "NodePort" || type == "LoadBalancer" || type == "ClusterIP") {
    SetIfAbsent(spec, "internalTrafficPolicy", "Cluster");
  }
  if (type == "LoadBalancer") SetIfAbsent(spec, "allocateLoadBalancerNodePorts", true);
  if (type == "ExternalName") return;
  // clusterIPs mirrors clusterIP, as the service strategy keeps them in sync.
  std::string cluster_ip = StringAt(spec, "clusterIP");
  if (!cluster_ip.empty() && ArrayAt(spec, "clusterIPs").empty()) {
    spec["clusterIPs"] = Json::array({cluster_ip});
  }
  SetIfAbsent(spec, "ipFamilyPolicy", "SingleStack");
  if (ArrayAt(spec, "ipFamilies").empty()) {
    unsigned char buf[16];
    bool v6 = internal::ParseIP(cluster_ip, buf) == internal::IPFamily::kV6;
    spec["ipFamilies"] = Json::array({v6 ? "IPv6" : "IPv4"});
  }
}

void DefaultSecret(Json& obj) {
  // stringData is a write-only convenience: it lands in data, base64-encoded, and overrides keys
  // already there.
  if (const Json* string_data = Find(obj, "stringData"); string_data && string_data->is_object()) {
    Json merged = *string_data;
    Json& data = EnsureObject(obj, "data");
    for (const auto& [k, v] : merged.items()) {
      if (v.is_string()) data[k] = Base64Encode(v.get<std::string>());
    }
  }
  if (obj.is_object()) obj.erase("stringData");
  SetIfZero(obj, "type", "Opaque");
}

void DefaultNamespace(Json& obj) {
  Json& meta = EnsureObject(obj, "metadata");
  std::string name = StringAt(meta, "name");
  if (!name.empty()) EnsureObject(meta, "labels")["kubernetes.io/metadata.name"] = name;
  Json& status = EnsureObject(obj, "status");
  // The "kubernetes" finalizer is added at creation; the namespace controller removes it while
  // deleting, so it is not re-added to an object that is going away or already has its list.
  bool creating = !Find(status, "phase") || !Find(ObjectAt(obj, "spec"), "finalizers");
  if (creating && !Find(meta, "deletionTimestamp")) {
    Json& spec = EnsureObject(obj, "spec");
    if (!spec.contains("finalizers") || !spec["finalizers"].is_array()) {
      spec["finalizers"] = Json::array();
    }
    Json& finalizers = spec["finalizers"];
    if (std::find(finalizers.begin(), finalizers.end(), Json("kubernetes")) == finalizers.end()) {
      finalizers.push_back("kubernetes");
    }
  }
  SetIfZero(status, "phase", "Active");
}

void DefaultEndpoints(Json& obj) {
  ForEachObject(obj, "subsets", [](Json& subset) {
    ForEachObject(subset, "ports", [](Json& port) { SetIfZero(port, "protocol", "TCP"); });
  });
}

void DefaultPersistentVolume(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  SetIfZero(spec, "persistentVolumeReclaimPolicy", "Retain");
  SetIfAbsent(spec, "volumeMode", "Filesystem");
  if (Json* hp = MutableObjectAt(spec, "hostPath")) SetIfAbsent(*hp, "type", "");
  SetIfZero(EnsureObject(obj, "status"), "phase", "Pending");
}

void DefaultPersistentVolumeClaim(Json& obj) {
  SetIfAbsent(EnsureObject(obj, "spec"), "volumeMode", "Filesystem");
  SetIfZero(EnsureObject(obj, "status"), "phase", "Pending");
}

void DefaultNode(Json& obj) {
  Json* status = MutableObjectAt(obj, "status");
  if (!status) return;
  if (const Json* capacity = Find(*status, "capacity"); capacity && !Find(*status, "allocatable")) {
    Json copy = *capacity;
    (*status)["allocatable"] = std::move(copy);
  }
}

// ---------------------------------------------------------------------------------------------
// Other groups

Json ScaleUpRules() {
  return {
      {"stabilizationWindowSeconds", 0},
      {"selectPolicy", "Max"},
      {"policies", Json::array({{{"type", "Pods"}, {"value", 4}, {"periodSeconds", 15}},
                                {{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})}};
}

Json ScaleDownRules() {
  // The stabilization window stays unset: the controller's flag (5 minutes) supplies it.
  return {
      {"selectPolicy", "Max"},
      {"policies", Json::array({{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})}};
}

// Every field the user left out of a scaling rule takes the default rule's value.
void DefaultScalingRules(Json& behavior, const char* key, Json defaults) {
  if (const Json* given = Find(behavior, key); given && given->is_object()) {
    for (const auto& [k, v] : given->items()) {
      if (!v.is_null()) defaults[k] = v;
    }
  }
  behavior[key] = std::move(defaults);
}

void DefaultHorizontalPodAutoscaler(Json& obj) {
  Json& spec = EnsureObject(obj, "spec");
  SetIfAbsent(spec, "minReplicas", 1);
  if (ArrayAt(spec, "metrics").empty()) {
    spec["metrics"] = Json::array(
        {{{"type", "Resource"},
          {"resource",
           {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", 80}}}}}}});
  }
  // Behavior is only completed when given at all; without it the controller uses its defaults.
  if (Json* behavior = MutableObjectAt(spec, "behavior")) {
    DefaultScalingRules(*behavior, "scaleUp", ScaleUpRules());
    DefaultScalingRules(*behavior, "scaleDown", ScaleDownRules());
  }
}

void DefaultEndpointSlice(Json& obj) {
  ForEachObject(obj, "ports", [](Json& port) {
    SetIfAbsent(port, "name", "");
    SetIfAbsent(port, "protocol", "TCP");
  });
}

}  // namespace

namespace internal {

void DefaultPodSpec(Json& spec, bool is_pod) {
  if (!spec.is_object()) return;
  SetIfZero(spec, "dnsPolicy", "ClusterFirst");
  SetIfZero(spec, "restartPolicy", "Always");
  SetIfAbsent(spec, "securityContext", Json::object());
  SetIfAbsent(spec, "terminationGracePeriodSeconds", 30);
  SetIfZero(spec, "schedulerName", "default-scheduler");
  // serviceAccount is the deprecated spelling of serviceAccountName; both are kept in step.
  if (StringAt(spec, "serviceAccountName").empty() && !StringAt(spec, "serviceAccount").empty()) {
    spec["serviceAccountName"] = StringAt(spec, "serviceAccount");
  }
  if (is_pod) SetIfZero(spec, "serviceAccountName", "default");
  if (!StringAt(spec, "serviceAccountName").empty()) {
    spec["serviceAccount"] = StringAt(spec, "serviceAccountName");
  }
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    ForEachObject(spec, list, DefaultContainer);
  }
  ForEachObject(spec, "volumes", DefaultVolume);
  if (!is_pod) return;
  // Defaults that only materialize on Pods, not on templates.
  SetIfAbsent(spec, "enableServiceLinks", true);
  for (const char* list : {"containers", "initContainers"}) {
    ForEachObject(spec, list, [](Json& c) {
      const Json* limits = Find(ObjectAt(c, "resources"), "limits");
      if (!limits || !limits->is_object() || limits->empty()) return;
      Json copy = *limits;
      Json& requests = EnsureObject(EnsureObject(c, "resources"), "requests");
      for (const auto& [name, value] : copy.items()) SetIfAbsent(requests, name, value);
    });
  }
  if (BoolAt(spec, "hostNetwork")) {
    for (const char* list : {"containers", "initContainers"}) {
      ForEachObject(spec, list, [](Json& c) {
        ForEachObject(c, "ports", [](Json& port) {
          if (IntAt(port, "hostPort").value_or(0) == 0) {
            if (const Json* cp = Find(port, "containerPort")) port["hostPort"] = *cp;
          }
        });
      });
    }
  }
}

void DefaultPodTemplate(Json& tmpl) {
  if (!tmpl.is_object()) return;
  DefaultPodSpec(EnsureObject(tmpl, "spec"), false);
}

}  // namespace internal

void ApplyDefaults(std::string_view group, std::string_view kind, Json& obj) {
  if (!obj.is_object()) return;
  try {
    if (group.empty()) {
      if (kind == "Pod") DefaultPod(obj);
      if (kind == "Service") DefaultService(obj);
      if (kind == "Secret") DefaultSecret(obj);
      if (kind == "Namespace") DefaultNamespace(obj);
      if (kind == "Endpoints") DefaultEndpoints(obj);
      if (kind == "PersistentVolume") DefaultPersistentVolume(obj);
      if (kind == "PersistentVolumeClaim") DefaultPersistentVolumeClaim(obj);
      if (kind == "Node") DefaultNode(obj);
    } else if (group == "apps") {
      if (kind == "Deployment") DefaultDeployment(obj);
      if (kind == "ReplicaSet") DefaultReplicaSet(obj);
    } else if (group == "batch") {
      if (kind == "Job") DefaultJob(obj);
      if (kind == "CronJob") DefaultCronJob(obj);
    } else if (group == "autoscaling" && kind == "HorizontalPodAutoscaler") {
      DefaultHorizontalPodAutoscaler(obj);
    } else if (group == "discovery.k8s.io" && kind == "EndpointSlice") {
      DefaultEndpointSlice(obj);
    } else if (group == "scheduling.k8s.io" && kind == "PriorityClass") {
      SetIfAbsent(obj, "preemptionPolicy", "PreemptLowerPriority");
    } else if (group == "storage.k8s.io" && kind == "StorageClass") {
      SetIfAbsent(obj, "reclaimPolicy", "Delete");
      SetIfAbsent(obj, "volumeBindingMode", "Immediate");
    }
  } catch (const std::exception&) {
    // Defaulting only fills absent fields of well-typed objects; a mistyped object is left as it
    // is for validation and the schema layer to report.
  }
}

}  // namespace mlkube::api
