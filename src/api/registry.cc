#include "api/registry.h"

#include "api/conversion.h"

#include <algorithm>
#include <cctype>

namespace mlkube::api {

namespace {

std::vector<ResourceType> Build() {
  const std::vector<std::string> kAll = {"all"};
  std::vector<ResourceType> r;
  auto add = [&](ResourceType t) { r.push_back(std::move(t)); };
  // core/v1
  add({"", "v1", "Namespace", "namespaces", false, {"ns"}, {}, {"status", "finalize"},
       {"status.phase"}});
  add({"", "v1", "Pod", "pods", true, {"po"}, kAll,
       {"status", "binding", "log", "exec", "attach", "portforward", "eviction"},
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
       true});
  add({"", "v1", "Node", "nodes", false, {"no"}, {}, {"status", "proxy"},
       {"spec.unschedulable"}});
  add({"", "v1", "Service", "services", true, {"svc"}, kAll, {"status", "proxy"},
       {"spec.clusterIP", "spec.type"}});
  add({"", "v1", "Endpoints", "endpoints", true, {"ep"}, {}, {}, {}});
  add({"", "v1", "Event", "events", true, {"ev"}, {}, {},
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}});
  add({"", "v1", "ConfigMap", "configmaps", true, {"cm"}, {}, {}, {}});
  add({"", "v1", "Secret", "secrets", true, {}, {}, {}, {"type"}});
  add({"", "v1", "PersistentVolume", "persistentvolumes", false, {"pv"}, {}, {"status"},
       {"status.phase", "spec.storageClassName"}});
  add({"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, {},
       {"status"}, {"status.phase", "spec.storageClassName", "spec.volumeName"}});
  add({"", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}, {}, {}, {}});
  // apps/v1
  add({"apps", "v1", "Deployment", "deployments", true, {"deploy"}, kAll, {"status", "scale"},
       {}});
  add({"apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}, kAll, {"status", "scale"},
       {"status.replicas"}});
  // batch/v1
  add({"batch", "v1", "Job", "jobs", true, {}, kAll, {"status"}, {"status.successful"}});
  add({"batch", "v1", "CronJob", "cronjobs", true, {"cj"}, kAll, {"status"}, {}});
  // autoscaling/v2
  add({"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true,
       {"hpa"}, kAll, {"status"}, {}});
  // discovery.k8s.io/v1
  add({"discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, {}, {}, {},
       {"addressType"}});
  // coordination.k8s.io/v1
  add({"coordination.k8s.io", "v1", "Lease", "leases", true, {}, {}, {}, {}});
  // scheduling.k8s.io/v1
  add({"scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, {"pc"}, {}, {},
       {}});
  // storage.k8s.io/v1
  add({"storage.k8s.io", "v1", "StorageClass", "storageclasses", false, {"sc"}, {}, {}, {}});
  // metrics.k8s.io/v1beta1, as metrics-server serves it.
  add({"metrics.k8s.io", "v1beta1", "PodMetrics", "pods", true, {}, {}, {}, {}});
  add({"metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", false, {}, {}, {}, {}});
  // custom.metrics.k8s.io/v1beta2: pods/*/<metric>, the series the agents scrape from pods,
  // and <resource>/<name>/<metric> for the objects that select pods (the sum over their pods).
  for (const char* plural : {"pods", "services", "deployments.apps", "replicasets.apps"}) {
    add({"custom.metrics.k8s.io", "v1beta2", "MetricValueList", plural, true, {}, {}, {}, {}});
  }
  for (auto& t : r) t.stored = t.group != "metrics.k8s.io" && t.group != "custom.metrics.k8s.io";
  for (auto& t : r) {
    t.tracks_generation = t.group == "apps" || t.group == "batch" ||
                          t.kind == "HorizontalPodAutoscaler";
  }
  return r;
}

// A field's selector value: strings as they are, booleans and numbers printed, absent as "".
std::string FieldValue(const Json& obj, std::string_view path) {
  const Json* cur = &obj;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part(path.substr(start, dot == std::string_view::npos ? path.npos : dot - start));
    if (!cur->is_object()) return "";
    auto it = cur->find(part);
    if (it == cur->end()) return "";
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return cur->dump();
  return "";
}

}  // namespace

std::string ResourceType::Singular() const {
  std::string s = kind;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ResourceType::HasSubresource(std::string_view name) const {
  return std::find(subresources.begin(), subresources.end(), name) != subresources.end();
}

std::string ResourceType::Key(std::string_view ns, std::string_view name) const {
  std::string k = QualifiedPlural() + "/";
  if (namespaced) k.append(ns).append("/");
  return k.append(name);
}

std::string ResourceType::Path(std::string_view ns, std::string_view name) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p.append("/namespaces/").append(ns);
  p.append("/").append(plural);
  if (!name.empty()) p.append("/").append(name);
  return p;
}

std::string ResourceType::Prefix(std::string_view ns) const {
  std::string k = QualifiedPlural() + "/";
  if (namespaced && !ns.empty()) k.append(ns).append("/");
  return k;
}

const std::vector<ResourceType>& AllResources() {
  static const std::vector<ResourceType> kResources = Build();
  return kResources;
}

const std::vector<ConvertedVersion>& ConvertedVersions() {
  static const std::vector<ConvertedVersion> kConverted = [] {
    const ResourceType* hpa = FindResource("autoscaling", "v2", "horizontalpodautoscalers");
    ResourceType v1 = *hpa;
    v1.version = "v1";
    return std::vector<ConvertedVersion>{{v1, hpa, HpaV1ToV2, HpaV2ToV1}};
  }();
  return kConverted;
}

const ConvertedVersion* FindConvertedVersion(std::string_view group, std::string_view version,
                                             std::string_view plural) {
  for (const auto& c : ConvertedVersions()) {
    if (c.view.group == group && c.view.version == version && c.view.plural == plural) return &c;
  }
  return nullptr;
}

const ResourceType* FindResource(std::string_view group, std::string_view version,
                                 std::string_view plural) {
  for (const auto& r : AllResources()) {
    if (r.group == group && r.version == version && r.plural == plural) return &r;
  }
  return nullptr;
}

const ResourceType* FindResourceByKind(std::string_view group, std::string_view kind) {
  for (const auto& r : AllResources()) {
    if (r.group == group && r.kind == kind) return &r;
  }
  return nullptr;
}

const ResourceType* FindResourceByKey(std::string_view key) {
  std::string_view first = key.substr(0, key.find('/'));
  for (const auto& r : AllResources()) {
    if (r.stored && r.QualifiedPlural() == first) return &r;
  }
  return nullptr;
}

void ObjectAttrs(const ResourceType& rt, const Json& obj, Labels& labels, Fields& fields) {
  if (!obj.is_object()) return;
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) {
    if (auto l = m->find("labels"); l != m->end() && l->is_object()) {
      for (const auto& [k, v] : l->items()) {
        if (v.is_string()) labels.emplace(k, v.get<std::string>());
      }
    }
  }
  fields.emplace("metadata.name", FieldValue(obj, "metadata.name"));
  if (rt.namespaced) fields.emplace("metadata.namespace", FieldValue(obj, "metadata.namespace"));
  for (const auto& f : rt.selectable_fields) fields.emplace(f, FieldValue(obj, f));
}

}  // namespace mlkube::api
