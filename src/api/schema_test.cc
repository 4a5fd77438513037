#include "api/schema.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace mlkube::api {
namespace internal {
std::string_view SchemaSource();
std::string SchemaSourceError(std::string_view text);
}  // namespace internal

namespace {

struct Gvk {
  std::string group;
  std::string version;
  std::string kind;
};

const Type& Kind(const std::string& group, const std::string& version, const std::string& kind) {
  const Type* t = LookupKind(group, version, kind);
  if (t == nullptr) {
    ADD_FAILURE() << "no kind " << group << "/" << version << "/" << kind;
    static const Type kEmpty;
    return kEmpty;
  }
  return *t;
}

// The field at a dotted path from `root`, stepping through lists and maps to their elements.
const Field* FieldAt(const Type& root, const std::string& path) {
  const Type* t = &root;
  const Field* f = nullptr;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    if (dot == std::string::npos) dot = path.size();
    while (t->kind == Type::Kind::kArray || t->kind == Type::Kind::kMap) t = t->elem;
    f = t->FindField(path.substr(pos, dot - pos));
    if (f == nullptr) return nullptr;
    t = f->type;
    pos = dot + 1;
  }
  return f;
}

// Every kind the schema serves.
const std::vector<Gvk>& ServedKinds() {
  static const std::vector<Gvk> kinds = {
      {"", "v1", "Namespace"},
      {"", "v1", "Pod"},
      {"", "v1", "Binding"},
      {"", "v1", "Node"},
      {"", "v1", "Service"},
      {"", "v1", "Endpoints"},
      {"", "v1", "Event"},
      {"", "v1", "ConfigMap"},
      {"", "v1", "Secret"},
      {"", "v1", "ServiceAccount"},
      {"", "v1", "PersistentVolume"},
      {"", "v1", "PersistentVolumeClaim"},
      {"", "v1", "Status"},
      {"", "v1", "DeleteOptions"},
      {"meta.k8s.io", "v1", "DeleteOptions"},
      {"apps", "v1", "Deployment"},
      {"apps", "v1", "ReplicaSet"},
      {"autoscaling", "v1", "Scale"},
      {"autoscaling", "v1", "HorizontalPodAutoscaler"},
      {"autoscaling", "v2", "HorizontalPodAutoscaler"},
      {"batch", "v1", "Job"},
      {"batch", "v1", "CronJob"},
      {"discovery.k8s.io", "v1", "EndpointSlice"},
      {"coordination.k8s.io", "v1", "Lease"},
      {"scheduling.k8s.io", "v1", "PriorityClass"},
      {"storage.k8s.io", "v1", "StorageClass"},
      {"policy", "v1", "Eviction"},
  };
  return kinds;
}

TEST(SchemaTest, EveryKindIsKnown) {
  const std::vector<Gvk>& kinds = ServedKinds();
  for (const Gvk& k : kinds) {
    SCOPED_TRACE(k.group + "/" + k.version + "/" + k.kind);
    const Type* t = LookupKind(k.group, k.version, k.kind);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->kind, Type::Kind::kObject);
    EXPECT_NE(t->FindField("apiVersion"), nullptr);
    EXPECT_NE(t->FindField("kind"), nullptr);
    if (const Field* m = t->FindField("metadata"); m != nullptr && k.kind != "Status") {
      EXPECT_EQ(m->type->name, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    }
  }
  EXPECT_EQ(LookupKind("", "v1", "Deployment"), nullptr);
  EXPECT_EQ(LookupKind("apps", "v2", "Deployment"), nullptr);
  EXPECT_EQ(LookupKind("apps", "v1", "Bogus"), nullptr);
  EXPECT_EQ(LookupKind("apps", "v1", "Deployment"), LookupKind("apps", "v1", "Deployment"));
}

TEST(SchemaTest, FindField) {
  const Type& pod = Kind("", "v1", "Pod");
  const Field* spec = pod.FindField("spec");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->type->name, "io.k8s.api.core.v1.PodSpec");
  EXPECT_EQ(pod.FindField("Spec"), nullptr);  // case-sensitive, as Kubernetes decodes
  const Field* containers = spec->type->FindField("containers");
  ASSERT_NE(containers, nullptr);
  EXPECT_TRUE(containers->required);
  ASSERT_EQ(containers->type->kind, Type::Kind::kArray);
  EXPECT_EQ(containers->type->elem->name, "io.k8s.api.core.v1.Container");
  // Embedded structs are inlined, as Go's encoding/json does.
  EXPECT_NE(FieldAt(pod, "spec.volumes.emptyDir"), nullptr);
  EXPECT_NE(FieldAt(pod, "spec.containers.livenessProbe.httpGet"), nullptr);
  EXPECT_NE(FieldAt(pod, "spec.containers.env.valueFrom.secretKeyRef.name"), nullptr);
  EXPECT_EQ(FieldAt(pod, "spec.containers.resources.limits")->type->elem->kind,
            Type::Kind::kQuantity);
}

struct PatchMetaCase {
  Gvk gvk;
  std::string path;
  std::string strategy;
  std::string merge_key;
  std::string list_type;
  std::vector<std::string> map_keys;
};

TEST(SchemaTest, PatchMetadata) {
  const std::vector<PatchMetaCase> cases = {
      {{"", "v1", "Pod"}, "spec.containers", "merge", "name", "map", {"name"}},
      {{"", "v1", "Pod"}, "spec.initContainers", "merge", "name", "map", {"name"}},
      {{"", "v1", "Pod"},
       "spec.containers.ports",
       "merge",
       "containerPort",
       "map",
       {"containerPort", "protocol"}},
      {{"", "v1", "Pod"},
       "spec.containers.volumeMounts",
       "merge",
       "mountPath",
       "map",
       {"mountPath"}},
      {{"", "v1", "Pod"}, "spec.containers.env", "merge", "name", "map", {"name"}},
      {{"", "v1", "Pod"}, "spec.containers.envFrom", "", "", "atomic", {}},
      {{"", "v1", "Pod"}, "spec.containers.command", "", "", "atomic", {}},
      {{"", "v1", "Pod"}, "spec.volumes", "merge,retainKeys", "name", "map", {"name"}},
      {{"", "v1", "Pod"}, "spec.tolerations", "", "", "atomic", {}},
      {{"", "v1", "Pod"}, "spec.imagePullSecrets", "merge", "name", "map", {"name"}},
      {{"", "v1", "Pod"}, "spec.hostAliases", "merge", "ip", "map", {"ip"}},
      {{"", "v1", "Pod"},
       "spec.topologySpreadConstraints",
       "merge",
       "topologyKey",
       "map",
       {"topologyKey", "whenUnsatisfiable"}},
      {{"", "v1", "Pod"}, "status.conditions", "merge", "type", "map", {"type"}},
      {{"", "v1", "Pod"}, "status.podIPs", "merge", "ip", "map", {"ip"}},
      {{"", "v1", "Pod"}, "metadata.finalizers", "merge", "", "set", {}},
      {{"", "v1", "Pod"}, "metadata.ownerReferences", "merge", "uid", "map", {"uid"}},
      {{"", "v1", "Pod"}, "metadata.managedFields", "", "", "atomic", {}},
      {{"", "v1", "Service"}, "spec.ports", "merge", "port", "map", {"port", "protocol"}},
      {{"", "v1", "Node"}, "spec.podCIDRs", "merge", "", "set", {}},
      {{"", "v1", "Node"}, "spec.taints", "", "", "atomic", {}},
      {{"", "v1", "Node"}, "status.addresses", "merge", "type", "map", {"type"}},
      {{"apps", "v1", "Deployment"}, "spec.strategy", "retainKeys", "", "", {}},
      {{"apps", "v1", "Deployment"},
       "spec.template.spec.containers",
       "merge",
       "name",
       "map",
       {"name"}},
      {{"apps", "v1", "Deployment"}, "status.conditions", "merge", "type", "map", {"type"}},
      {{"batch", "v1", "Job"}, "status.conditions", "merge", "type", "atomic", {}},
      {{"batch", "v1", "CronJob"},
       "spec.jobTemplate.spec.template.spec.volumes",
       "merge,retainKeys",
       "name",
       "map",
       {"name"}},
      {{"autoscaling", "v2", "HorizontalPodAutoscaler"},
       "status.conditions",
       "merge",
       "type",
       "map",
       {"type"}},
  };
  for (const PatchMetaCase& c : cases) {
    SCOPED_TRACE(c.gvk.kind + " " + c.path);
    const Field* f = FieldAt(Kind(c.gvk.group, c.gvk.version, c.gvk.kind), c.path);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->patch_strategy, c.strategy);
    EXPECT_EQ(f->patch_merge_key, c.merge_key);
    EXPECT_EQ(f->list_type, c.list_type);
    EXPECT_EQ(f->list_map_keys, c.map_keys);
  }
}

struct DecodeCase {
  std::string name;
  Gvk gvk;
  std::string json;
  std::vector<std::string> want;
};

TEST(SchemaTest, UnknownFields) {
  const std::vector<DecodeCase> cases = {
      {"container field",
       {"", "v1", "Pod"},
       R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
           "spec":{"containers":[{"name":"a","image":"x"},{"name":"b","bogus":1}]}})",
       {"spec.containers[1].bogus"}},
      {"metadata field",
       {"", "v1", "Pod"},
       R"({"metadata":{"name":"p","labelz":{"a":"b"}}})",
       {"metadata.labelz"}},
      {"deployment template",
       {"apps", "v1", "Deployment"},
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","imagee":"x"}]}}}})",
       {"spec.template.spec.containers[0].imagee"}},
      {"top level",
       {"apps", "v1", "Deployment"},
       R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{},"spek":{}})",
       {"spek"}},
      {"several, in key order",
       {"", "v1", "Pod"},
       R"({"spec":{"zz":1,"containers":[{"name":"a","ports":[{"containerPort":1,"hostport":2}]}]},"aa":0})",
       {"aa", "spec.containers[0].ports[0].hostport", "spec.zz"}},
      {"inlined volume source",
       {"", "v1", "Pod"},
       R"({"spec":{"volumes":[{"name":"a","emptyDir":{"medium":"Memory"}},
                              {"name":"b","emptyDirr":{}}]}})",
       {"spec.volumes[1].emptyDirr"}},
      {"maps and any are free-form",
       {"", "v1", "Pod"},
       R"({"metadata":{"labels":{"anything":"x"},"annotations":{"a/b":"c"},
           "managedFields":[{"manager":"m","fieldsV1":{"f:spec":{"f:x":{}}}}]},
           "spec":{"nodeSelector":{"gpu":"true"},"containers":[{"name":"a",
           "resources":{"limits":{"nvidia.com/gpu":1}}}]}})",
       {}},
      {"wrong type is not descended",
       {"", "v1", "Pod"},
       R"({"spec":{"containers":"oops","securityContext":[{"bogus":1}]}})",
       {}},
      {"case matters",
       {"", "v1", "Pod"},
       R"({"Spec":{},"spec":{"Containers":[]}})",
       {"Spec", "spec.Containers"}},
      {"probe and affinity",
       {"", "v1", "Pod"},
       R"({"spec":{"containers":[{"name":"a","readinessProbe":{"httpGet":{"port":80,"paht":"/"}}}],
           "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
           {"nodeSelectorTerms":[{"matchExpressions":[{"key":"k","operator":"In","value":["x"]}]}]}}}}})",
       {"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
        "nodeSelectorTerms[0].matchExpressions[0].value",
        "spec.containers[0].readinessProbe.httpGet.paht"}},
      {"cronjob nesting",
       {"batch", "v1", "CronJob"},
       R"({"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{
           "containers":[{"name":"a","env":[{"name":"X","valueFrom":{"secretKeyRef":{"name":"s","key":"k","optinal":true}}}]}]}}}}}})",
       {"spec.jobTemplate.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.optinal"}},
      {"node status port",
       {"", "v1", "Node"},
       R"({"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":10250,"port":1}}}})",
       {"status.daemonEndpoints.kubeletEndpoint.port"}},
  };
  for (const DecodeCase& c : cases) {
    SCOPED_TRACE(c.name);
    Json obj = Json::parse(c.json);
    EXPECT_EQ(UnknownFields(obj, Kind(c.gvk.group, c.gvk.version, c.gvk.kind)), c.want);
  }
}

TEST(SchemaTest, TypeErrors) {
  const std::vector<DecodeCase> cases = {
      {"string for int32",
       {"apps", "v1", "Deployment"},
       R"({"spec":{"replicas":"3"}})",
       {"json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type "
        "int32"}},
      {"fraction for int32",
       {"apps", "v1", "Deployment"},
       R"({"spec":{"replicas":1.5}})",
       {"json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of "
        "type int32"}},
      {"int32 overflow",
       {"apps", "v1", "Deployment"},
       R"({"spec":{"replicas":3000000000}})",
       {"json: cannot unmarshal number 3000000000 into Go struct field "
        "DeploymentSpec.spec.replicas of type int32"}},
      {"int64 takes big values",
       {"", "v1", "Pod"},
       R"({"spec":{"activeDeadlineSeconds":3000000000}})",
       {}},
      {"object for array",
       {"", "v1", "Pod"},
       R"({"spec":{"containers":{"name":"a"}}})",
       {"json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type "
        "[]v1.Container"}},
      {"string for struct in list",
       {"", "v1", "Pod"},
       R"({"spec":{"containers":["nginx"]}})",
       {"json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type "
        "v1.Container"}},
      {"field path drops list indexes",
       {"apps", "v1", "Deployment"},
       R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":7}]}}}})",
       {"json: cannot unmarshal number into Go struct field Container.spec.template.spec."
        "containers.image of type string"}},
      {"map value",
       {"", "v1", "Pod"},
       R"({"metadata":{"labels":{"a":1}}})",
       {"json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
        "string"}},
      {"named string type",
       {"", "v1", "Pod"},
       R"({"spec":{"restartPolicy":1,"hostNetwork":"true"}})",
       {"json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool",
        "json: cannot unmarshal number into Go struct field PodSpec.spec.restartPolicy of type "
        "v1.RestartPolicy"}},
      {"array for struct",
       {"apps", "v1", "Deployment"},
       R"({"spec":{"selector":["app"]}})",
       {"json: cannot unmarshal array into Go struct field DeploymentSpec.spec.selector of type "
        "v1.LabelSelector"}},
      {"root",
       {"", "v1", "Pod"},
       R"([1])",
       {"json: cannot unmarshal array into Go value of type v1.Pod"}},
      {"null is fine everywhere",
       {"", "v1", "Pod"},
       R"({"metadata":{"creationTimestamp":null,"labels":null},"spec":{"containers":null,
           "priority":null,"affinity":null},"status":null})",
       {}},
      {"int or string",
       {"", "v1", "Service"},
       R"({"spec":{"ports":[{"port":80,"targetPort":"http"},{"port":81,"targetPort":8081},
           {"port":82,"targetPort":true},{"port":83,"targetPort":1.5}]}})",
       {"json: cannot unmarshal bool into Go value of type int32",
        "json: cannot unmarshal number 1.5 into Go value of type int32"}},
      {"quantities",
       {"", "v1", "Pod"},
       R"({"spec":{"containers":[{"name":"a","resources":{
           "limits":{"cpu":"500m","memory":"1Gi","nvidia.com/gpu":1,"x":0.5,"y":"1e3"},
           "requests":{"cpu":"abc","memory":"5mi","z":true}}}]}})",
       {"quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        "unable to parse quantity's suffix",
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"}},
      {"times",
       {"", "v1", "Pod"},
       R"({"metadata":{"creationTimestamp":"2024-05-01T10:00:00Z",
           "deletionTimestamp":"2024-05-01T10:00:00.123+02:00"},
           "status":{"startTime":"yesterday","conditions":[{"type":"Ready","status":"True",
           "lastTransitionTime":5,"lastProbeTime":"2024-02-30T00:00:00Z"}]}})",
       {"parsing time \"2024-02-30T00:00:00Z\": day out of range",
        "json: cannot unmarshal number into Go value of type string",
        "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse "
        "\"yesterday\" as \"2006\""}},
      {"more times",
       {"", "v1", "Pod"},
       R"({"metadata":{"creationTimestamp":"2024-05-01 10:00:00Z",
           "deletionTimestamp":"2024-05-01T10:00:00Zjunk"}})",
       {"parsing time \"2024-05-01 10:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse "
        "\" 10:00:00Z\" as \"T\"",
        "parsing time \"2024-05-01T10:00:00Zjunk\": extra text: \"junk\""}},
      {"secret data is base64",
       {"", "v1", "Secret"},
       R"({"data":{"ok":"aGVsbG8=","bad":"not base64!","short":"aGVsbG8"},
           "stringData":{"plain":"not base64!"}})",
       {"illegal base64 data at input byte 3", "illegal base64 data at input byte 4"}},
      {"event micro time",
       {"", "v1", "Event"},
       R"({"eventTime":"2024-05-01T10:00:00.000001Z","count":"2"})",
       {"json: cannot unmarshal string into Go struct field Event.count of type int32"}},
      {"embedded fields belong to the outer struct",
       {"", "v1", "Pod"},
       R"({"apiVersion":1,"spec":{"volumes":[{"name":"v","emptyDir":"x"}]}})",
       {"json: cannot unmarshal number into Go struct field Pod.apiVersion of type string",
        "json: cannot unmarshal string into Go struct field Volume.spec.volumes.emptyDir of type "
        "v1.EmptyDirVolumeSource"}},
  };
  for (const DecodeCase& c : cases) {
    SCOPED_TRACE(c.name);
    Json obj = Json::parse(c.json);
    EXPECT_EQ(TypeErrors(obj, Kind(c.gvk.group, c.gvk.version, c.gvk.kind)), c.want);
  }
}

// Every "$ref" in `doc` names a schema in components.schemas.
void ExpectRefsResolve(const Json& doc) {
  const Json& schemas = doc["components"]["schemas"];
  std::function<void(const Json&)> walk = [&](const Json& v) {
    if (v.is_object()) {
      if (auto it = v.find("$ref"); it != v.end()) {
        std::string ref = it->get<std::string>();
        ASSERT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << ref;
        EXPECT_TRUE(schemas.contains(ref.substr(21))) << ref;
      }
      for (const auto& [k, child] : v.items()) walk(child);
    } else if (v.is_array()) {
      for (const Json& child : v) walk(child);
    }
  };
  walk(doc);
}

// What kubectl does to decide on server-side validation: find a PATCH operation for the GVK that
// declares the fieldValidation query parameter.
bool KubectlFindsFieldValidation(const Json& doc, const Gvk& gvk) {
  for (const auto& [path, item] : doc["paths"].items()) {
    if (!item.contains("patch")) continue;
    const Json& op = item["patch"];
    const Json& g = op["x-kubernetes-group-version-kind"];
    if (g["group"] != gvk.group || g["version"] != gvk.version || g["kind"] != gvk.kind) continue;
    for (const Json& p : op["parameters"]) {
      if (p["name"] == "fieldValidation" && p["in"] == "query") return true;
    }
  }
  return false;
}

std::set<std::string> ParamNames(const Json& op) {
  std::set<std::string> names;
  for (const Json& p : op.value("parameters", Json::array())) names.insert(p["name"]);
  return names;
}

TEST(SchemaTest, OpenApiCore) {
  Json doc = OpenApiV3(
      "", "v1",
      {{"pods", "Pod", true}, {"nodes", "Node", false}, {"configmaps", "ConfigMap", true}});
  // Survives a round trip through text, as served.
  Json parsed = Json::parse(doc.dump());
  EXPECT_EQ(parsed, doc);
  EXPECT_EQ(doc["openapi"], "3.0.0");
  ExpectRefsResolve(doc);
  EXPECT_TRUE(KubectlFindsFieldValidation(doc, {"", "v1", "Pod"}));
  EXPECT_TRUE(KubectlFindsFieldValidation(doc, {"", "v1", "Node"}));
  EXPECT_FALSE(KubectlFindsFieldValidation(doc, {"apps", "v1", "Deployment"}));

  const Json& item = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"];
  for (const char* method : {"get", "put", "patch", "delete"}) {
    SCOPED_TRACE(method);
    ASSERT_TRUE(item.contains(method));
    EXPECT_EQ(item[method]["x-kubernetes-group-version-kind"],
              Json({{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}));
    EXPECT_TRUE(item[method].contains("responses"));
  }
  EXPECT_EQ(item["patch"]["x-kubernetes-action"], "patch");
  EXPECT_EQ(item["patch"]["operationId"], "patchCoreV1NamespacedPod");
  EXPECT_EQ(item["put"]["x-kubernetes-action"], "put");
  EXPECT_EQ(item["get"]["x-kubernetes-action"], "get");
  EXPECT_EQ(item["delete"]["x-kubernetes-action"], "delete");
  const std::set<std::string> write_params = {"dryRun", "fieldManager", "fieldValidation"};
  for (const char* method : {"put", "patch"}) {
    std::set<std::string> names = ParamNames(item[method]);
    for (const std::string& p : write_params) EXPECT_TRUE(names.count(p)) << method << " " << p;
  }
  EXPECT_TRUE(ParamNames(item["patch"]).count("force"));
  EXPECT_TRUE(
      item["patch"]["requestBody"]["content"].contains("application/strategic-merge-patch+json"));
  EXPECT_TRUE(item["patch"]["requestBody"]["content"].contains("application/apply-patch+yaml"));

  const Json& coll = doc["paths"]["/api/v1/namespaces/{namespace}/pods"];
  EXPECT_EQ(coll["post"]["x-kubernetes-action"], "post");
  EXPECT_EQ(coll["get"]["x-kubernetes-action"], "list");
  EXPECT_EQ(coll["delete"]["x-kubernetes-action"], "deletecollection");
  for (const std::string& p : write_params) EXPECT_TRUE(ParamNames(coll["post"]).count(p)) << p;
  EXPECT_TRUE(ParamNames(coll["get"]).count("labelSelector"));
  EXPECT_TRUE(doc["paths"].contains("/api/v1/pods"));
  EXPECT_EQ(doc["paths"]["/api/v1/pods"]["get"]["operationId"], "listCoreV1PodForAllNamespaces");
  // Cluster-scoped resources have no namespace segment.
  EXPECT_TRUE(doc["paths"].contains("/api/v1/nodes/{name}"));
  EXPECT_FALSE(doc["paths"].contains("/api/v1/namespaces/{namespace}/nodes/{name}"));
  EXPECT_EQ(doc["paths"]["/api/v1/nodes/{name}"]["patch"]["operationId"], "patchCoreV1Node");

  const Json& schemas = doc["components"]["schemas"];
  EXPECT_EQ(schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"],
            Json::array({Json({{"group", ""}, {"version", "v1"}, {"kind", "Pod"}})}));
  const Json& containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
  EXPECT_EQ(containers["x-kubernetes-patch-merge-key"], "name");
  EXPECT_EQ(containers["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(containers["x-kubernetes-list-type"], "map");
  EXPECT_EQ(containers["x-kubernetes-list-map-keys"], Json::array({"name"}));
  EXPECT_EQ(containers["type"], "array");
  EXPECT_EQ(schemas["io.k8s.api.core.v1.PodSpec"]["required"], Json::array({"containers"}));
  EXPECT_EQ(
      schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"]["x-kubernetes-list-map-keys"],
      Json::array({"containerPort", "protocol"}));
  EXPECT_EQ(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"], "int-or-string");
  EXPECT_EQ(schemas["io.k8s.api.core.v1.HTTPGetAction"]["properties"]["port"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  EXPECT_EQ(schemas["io.k8s.api.core.v1.ContainerPort"]["properties"]["containerPort"],
            Json({{"type", "integer"}, {"format", "int32"}}));
  EXPECT_TRUE(schemas.contains("io.k8s.api.core.v1.PodList"));
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"));
  // Types of other groups stay out of the core document.
  EXPECT_FALSE(schemas.contains("io.k8s.api.apps.v1.Deployment"));
}

TEST(SchemaTest, OpenApiApps) {
  Json doc = OpenApiV3("apps", "v1",
                       {{"deployments", "Deployment", true}, {"replicasets", "ReplicaSet", true}});
  ExpectRefsResolve(doc);
  EXPECT_TRUE(KubectlFindsFieldValidation(doc, {"apps", "v1", "Deployment"}));
  EXPECT_TRUE(KubectlFindsFieldValidation(doc, {"apps", "v1", "ReplicaSet"}));
  const Json& item = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
  ASSERT_TRUE(item.is_object());
  EXPECT_EQ(item["patch"]["x-kubernetes-group-version-kind"],
            Json({{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}));
  EXPECT_EQ(item["patch"]["operationId"], "patchAppsV1NamespacedDeployment");
  EXPECT_EQ(item["patch"]["tags"], Json::array({"apps_v1"}));
  EXPECT_TRUE(doc["paths"].contains("/apis/apps/v1/namespaces/{namespace}/deployments"));
  EXPECT_TRUE(doc["paths"].contains("/apis/apps/v1/deployments"));
  const Json& schemas = doc["components"]["schemas"];
  EXPECT_TRUE(schemas.contains("io.k8s.api.core.v1.PodSpec"));  // reached through the template
  EXPECT_EQ(schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
                   ["x-kubernetes-patch-strategy"],
            "retainKeys");
  EXPECT_EQ(schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment");
}

TEST(SchemaTest, OpenApiOtherGroups) {
  Json doc = OpenApiV3("discovery.k8s.io", "v1", {{"endpointslices", "EndpointSlice", true}});
  ExpectRefsResolve(doc);
  EXPECT_TRUE(KubectlFindsFieldValidation(doc, {"discovery.k8s.io", "v1", "EndpointSlice"}));
  EXPECT_EQ(doc["paths"]["/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}"]
               ["get"]["operationId"],
            "readDiscoveryV1NamespacedEndpointSlice");
  // A resource the schema does not know still gets its operations, for server-side validation.
  Json unknown = OpenApiV3("example.com", "v1", {{"widgets", "Widget", false}});
  ExpectRefsResolve(unknown);
  EXPECT_TRUE(KubectlFindsFieldValidation(unknown, {"example.com", "v1", "Widget"}));
}

// Manifests as users write them for ML workloads: every field must be known and well typed.
TEST(SchemaTest, RealisticManifestsDecodeCleanly) {
  struct Manifest {
    Gvk gvk;
    std::string json;
  };
  const std::vector<Manifest> manifests = {
      {{"apps", "v1", "Deployment"}, R"json({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "model-server", "namespace": "ml", "labels": {"app": "model-server"},
    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    "finalizers": ["example.com/cleanup"], "generation": 3, "uid": "1234",
    "resourceVersion": "42", "creationTimestamp": "2024-05-01T10:00:00Z",
    "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "u1",
      "controller": true, "blockOwnerDeletion": true}],
    "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
      "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1",
      "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
  "spec": {
    "replicas": 3, "revisionHistoryLimit": 5, "minReadySeconds": 10,
    "progressDeadlineSeconds": 600, "paused": false,
    "selector": {"matchLabels": {"app": "model-server"},
      "matchExpressions": [{"key": "tier", "operator": "In", "values": ["serving"]}]},
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
    "template": {
      "metadata": {"labels": {"app": "model-server"}, "annotations": {"prometheus.io/scrape": "true"}},
      "spec": {
        "serviceAccountName": "model-sa", "automountServiceAccountToken": false,
        "terminationGracePeriodSeconds": 30, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
        "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["ml.svc"],
          "options": [{"name": "ndots", "value": "2"}]},
        "priorityClassName": "high", "schedulerName": "default-scheduler",
        "runtimeClassName": "nvidia", "enableServiceLinks": false, "shareProcessNamespace": false,
        "hostname": "ms", "subdomain": "models", "setHostnameAsFQDN": false,
        "nodeSelector": {"accelerator": "nvidia-h100"},
        "imagePullSecrets": [{"name": "regcred"}],
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["registry.local"]}],
        "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": true,
          "fsGroup": 2000, "fsGroupChangePolicy": "OnRootMismatch", "supplementalGroups": [3000],
          "seccompProfile": {"type": "RuntimeDefault"},
          "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
        "affinity": {
          "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
              {"matchExpressions": [{"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]}]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50,
              "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}]},
          "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10,
            "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "cache"}},
              "topologyKey": "kubernetes.io/hostname"}}]},
          "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["model-server"]}]},
            "topologyKey": "kubernetes.io/hostname", "namespaces": ["ml"],
            "matchLabelKeys": ["pod-template-hash"]}]}},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
          {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
           "tolerationSeconds": 300}],
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
          "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"app": "model-server"}},
          "minDomains": 2, "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore"}],
        "initContainers": [{"name": "fetch-model", "image": "busybox:1.36",
          "command": ["sh", "-c"], "args": ["wget -O /models/m.pt $MODEL_URL"],
          "env": [{"name": "MODEL_URL", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "url", "optional": false}}}],
          "volumeMounts": [{"name": "models", "mountPath": "/models"}]},
          {"name": "sidecar-logs", "image": "fluent-bit", "restartPolicy": "Always"}],
        "containers": [{
          "name": "server", "image": "registry.local/model-server:1.2", "imagePullPolicy": "IfNotPresent",
          "command": ["python", "-m", "serve"], "args": ["--port", "8080"], "workingDir": "/app",
          "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                    {"name": "metrics", "containerPort": 9090, "hostPort": 19090, "hostIP": "0.0.0.0"}],
          "env": [{"name": "MODEL_PATH", "value": "/models/m.pt"},
                  {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                  {"name": "CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"containerName": "server", "resource": "limits.cpu", "divisor": "1m"}}},
                  {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}],
          "envFrom": [{"configMapRef": {"name": "server-env"}}, {"prefix": "S_", "secretRef": {"name": "server-secrets", "optional": true}}],
          "resources": {"limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1, "ephemeral-storage": "10Gi"},
                        "requests": {"cpu": "2500m", "memory": "8Gi"}},
          "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
          "volumeMounts": [{"name": "models", "mountPath": "/models", "readOnly": true},
                           {"name": "cache", "mountPath": "/cache", "subPath": "hf", "mountPropagation": "None"},
                           {"name": "config", "mountPath": "/etc/server", "subPathExpr": "$(POD_NAME)"},
                           {"name": "shm", "mountPath": "/dev/shm"}],
          "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
            "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
            "initialDelaySeconds": 15, "periodSeconds": 10, "timeoutSeconds": 2,
            "failureThreshold": 3, "successThreshold": 1, "terminationGracePeriodSeconds": 20},
          "readinessProbe": {"grpc": {"port": 9000, "service": "ready"}, "periodSeconds": 5},
          "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30},
          "lifecycle": {"preStop": {"sleep": {"seconds": 5}},
            "postStart": {"tcpSocket": {"port": 8080, "host": "localhost"}}},
          "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
            "runAsNonRoot": true, "privileged": false,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
            "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"},
            "appArmorProfile": {"type": "RuntimeDefault"}},
          "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "FallbackToLogsOnError",
          "stdin": false, "tty": false}],
        "volumes": [
          {"name": "models", "emptyDir": {"sizeLimit": "20Gi"}},
          {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
          {"name": "cache", "persistentVolumeClaim": {"claimName": "hf-cache", "readOnly": false}},
          {"name": "config", "configMap": {"name": "server-config", "defaultMode": 420,
            "items": [{"key": "config.yaml", "path": "config.yaml", "mode": 256}]}},
          {"name": "creds", "secret": {"secretName": "creds", "optional": true}},
          {"name": "host", "hostPath": {"path": "/data", "type": "DirectoryOrCreate"}},
          {"name": "nfs", "nfs": {"server": "nfs.local", "path": "/exports", "readOnly": true}},
          {"name": "podinfo", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
          {"name": "proj", "projected": {"sources": [
            {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}},
            {"configMap": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"secret": {"name": "s"}},
            {"downwardAPI": {"items": [{"path": "cpu", "resourceFieldRef": {"containerName": "server", "resource": "limits.cpu"}}]}}]}},
          {"name": "csi", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": true,
            "volumeAttributes": {"secretProviderClass": "x"}, "nodePublishSecretRef": {"name": "n"}}},
          {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"t": "s"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
              "resources": {"requests": {"storage": "100Gi"}}}}}}]}}},
  "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
    "availableReplicas": 3, "unavailableReplicas": 0, "collisionCount": 0,
    "conditions": [{"type": "Available", "status": "True", "lastUpdateTime": "2024-05-01T10:00:00Z",
      "lastTransitionTime": "2024-05-01T10:00:00Z", "reason": "MinimumReplicasAvailable",
      "message": "Deployment has minimum availability."}]}})json"},
      {{"", "v1", "Pod"}, R"json({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "trainer-0", "namespace": "ml", "generateName": "trainer-",
    "labels": {"job": "train"}, "deletionGracePeriodSeconds": 30,
    "deletionTimestamp": "2024-05-01T10:05:00Z"},
  "spec": {
    "nodeName": "gpu-node-1", "hostNetwork": false, "hostPID": false, "hostIPC": false,
    "restartPolicy": "OnFailure", "activeDeadlineSeconds": 86400, "priority": 1000,
    "preemptionPolicy": "PreemptLowerPriority", "os": {"name": "linux"}, "hostUsers": true,
    "readinessGates": [{"conditionType": "example.com/ready"}],
    "schedulingGates": [{"name": "example.com/quota"}],
    "overhead": {"cpu": "100m"},
    "containers": [{"name": "train", "image": "pytorch:2.3",
      "command": ["torchrun"], "args": ["--nproc_per_node=8", "train.py"],
      "resources": {"limits": {"nvidia.com/gpu": "8", "memory": "512Gi"},
        "requests": {"cpu": 32, "memory": "256Gi"}},
      "volumeDevices": [{"name": "raw", "devicePath": "/dev/xvda"}],
      "ports": [{"containerPort": 29500}],
      "stdinOnce": false}],
    "volumes": [{"name": "raw", "persistentVolumeClaim": {"claimName": "raw-block"}}]},
  "status": {"phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.0.5",
    "hostIPs": [{"ip": "10.0.0.5"}], "podIP": "10.244.0.7", "podIPs": [{"ip": "10.244.0.7"}],
    "startTime": "2024-05-01T10:00:00Z", "nominatedNodeName": "", "reason": "", "message": "",
    "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null,
      "lastTransitionTime": "2024-05-01T10:00:05Z"}],
    "initContainerStatuses": [],
    "containerStatuses": [{"name": "train", "ready": true, "restartCount": 1, "started": true,
      "image": "pytorch:2.3", "imageID": "sha256:abc", "containerID": "mlkube://123",
      "state": {"running": {"startedAt": "2024-05-01T10:00:04Z"}},
      "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "OOMKilled",
        "message": "", "startedAt": "2024-05-01T09:00:00Z", "finishedAt": "2024-05-01T09:59:00Z",
        "containerID": "mlkube://122"}},
      "allocatedResources": {"nvidia.com/gpu": "8"}}]}})json"},
      {{"", "v1", "Service"}, R"json({
  "apiVersion": "v1", "kind": "Service", "metadata": {"name": "model-service"},
  "spec": {"type": "LoadBalancer", "selector": {"app": "model-server"},
    "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP",
      "appProtocol": "http", "nodePort": 30080}],
    "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "ipFamilies": ["IPv4"],
    "ipFamilyPolicy": "SingleStack", "sessionAffinity": "ClientIP",
    "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
    "externalTrafficPolicy": "Local", "internalTrafficPolicy": "Cluster",
    "publishNotReadyAddresses": false, "loadBalancerSourceRanges": ["10.0.0.0/8"]},
  "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ipMode": "VIP"}]}}})json"},
      {{"batch", "v1", "Job"}, R"json({
  "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "batch-infer"},
  "spec": {"completions": 10, "parallelism": 4, "completionMode": "Indexed",
    "backoffLimitPerIndex": 2, "maxFailedIndexes": 3, "ttlSecondsAfterFinished": 3600,
    "activeDeadlineSeconds": 7200, "suspend": false, "podReplacementPolicy": "Failed",
    "manualSelector": false,
    "podFailurePolicy": {"rules": [
      {"action": "FailJob", "onExitCodes": {"containerName": "infer", "operator": "In", "values": [42]}},
      {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
    "successPolicy": {"rules": [{"succeededIndexes": "0-3", "succeededCount": 2}]},
    "template": {"spec": {"restartPolicy": "Never",
      "containers": [{"name": "infer", "image": "infer:1"}]}}},
  "status": {"active": 4, "succeeded": 2, "failed": 0, "ready": 4, "terminating": 0,
    "completedIndexes": "0-1", "failedIndexes": "", "startTime": "2024-05-01T10:00:00Z",
    "uncountedTerminatedPods": {"succeeded": ["uid1"], "failed": []},
    "conditions": [{"type": "Complete", "status": "False"}]}})json"},
      {{"batch", "v1", "CronJob"}, R"json({
  "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "retrain"},
  "spec": {"schedule": "0 3 * * *", "timeZone": "Etc/UTC", "startingDeadlineSeconds": 200,
    "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
    "jobTemplate": {"metadata": {"labels": {"a": "b"}}, "spec": {"backoffLimit": 2,
      "template": {"spec": {"restartPolicy": "OnFailure",
        "containers": [{"name": "retrain", "image": "train:1"}]}}}}},
  "status": {"active": [{"kind": "Job", "name": "retrain-1", "namespace": "ml", "uid": "u"}],
    "lastScheduleTime": "2024-05-01T03:00:00Z", "lastSuccessfulTime": "2024-05-01T03:10:00Z"}})json"},
      {{"autoscaling", "v2", "HorizontalPodAutoscaler"}, R"json({
  "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "hpa"},
  "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "model-server"},
    "minReplicas": 1, "maxReplicas": 10,
    "metrics": [
      {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
      {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "server",
        "target": {"type": "AverageValue", "averageValue": "2Gi"}}},
      {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "100"}}},
      {"type": "Object", "object": {"metric": {"name": "requests"}, "describedObject":
        {"apiVersion": "v1", "kind": "Service", "name": "model-service"}, "target": {"type": "Value", "value": "10k"}}},
      {"type": "External", "external": {"metric": {"name": "queue", "selector": {"matchLabels": {"q": "a"}}},
        "target": {"type": "Value", "value": 30}}}],
    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Min",
      "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]},
      "scaleUp": {"policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}]}}},
  "status": {"observedGeneration": 1, "currentReplicas": 2, "desiredReplicas": 3,
    "lastScaleTime": "2024-05-01T10:00:00Z",
    "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
      "current": {"averageUtilization": 80, "averageValue": "800m"}}}],
    "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
      "lastTransitionTime": "2024-05-01T10:00:00Z"}]}})json"},
      {{"", "v1", "PersistentVolumeClaim"}, R"json({
  "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "hf-cache"},
  "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "nfs", "volumeMode": "Filesystem",
    "resources": {"requests": {"storage": "500Gi"}},
    "selector": {"matchLabels": {"tier": "cache"}},
    "dataSourceRef": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "snap"}},
  "status": {"phase": "Bound", "capacity": {"storage": "500Gi"}, "accessModes": ["ReadWriteMany"]}})json"},
      {{"", "v1", "PersistentVolume"}, R"json({
  "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"},
  "spec": {"capacity": {"storage": "1Ti"}, "accessModes": ["ReadWriteOnce"],
    "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "local", "volumeMode": "Block",
    "mountOptions": ["noatime"], "local": {"path": "/mnt/disks/ssd1"},
    "claimRef": {"namespace": "ml", "name": "hf-cache"},
    "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
      {"key": "kubernetes.io/hostname", "operator": "In", "values": ["gpu-node-1"]}]}]}}},
  "status": {"phase": "Available"}})json"},
      {{"", "v1", "Secret"}, R"json({
  "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hf"}, "type": "Opaque",
  "data": {"token": "c2VjcmV0"}, "stringData": {"user": "me"}, "immutable": true})json"},
      {{"", "v1", "ConfigMap"}, R"json({
  "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
  "data": {"url": "http://x"}, "binaryData": {"blob": "AAEC"}})json"},
      {{"", "v1", "Node"}, R"json({
  "apiVersion": "v1", "kind": "Node", "metadata": {"name": "gpu-node-1"},
  "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"], "unschedulable": false,
    "providerID": "mlkube://gpu-node-1",
    "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
  "status": {"capacity": {"cpu": "16", "memory": "128Gi", "nvidia.com/gpu": "1", "pods": "110"},
    "allocatable": {"cpu": "15500m", "memory": "120Gi"},
    "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-05-01T10:00:00Z",
      "lastTransitionTime": "2024-05-01T09:00:00Z", "reason": "KubeletReady", "message": "ok"}],
    "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}, {"type": "Hostname", "address": "gpu-node-1"}],
    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.8",
      "osImage": "Ubuntu 24.04", "containerRuntimeVersion": "mlkube://0.1", "kubeletVersion": "v1.32.0",
      "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
    "images": [{"names": ["pytorch:2.3"], "sizeBytes": 1000}],
    "volumesInUse": ["v"], "volumesAttached": [{"name": "v", "devicePath": "/dev/x"}]}})json"},
      {{"", "v1", "Event"}, R"json({
  "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": "ml"},
  "involvedObject": {"kind": "Pod", "namespace": "ml", "name": "trainer-0", "uid": "u",
    "apiVersion": "v1", "resourceVersion": "5", "fieldPath": "spec.containers{train}"},
  "reason": "Scheduled", "message": "assigned", "source": {"component": "scheduler", "host": "h"},
  "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": "2024-05-01T10:00:00Z", "count": 1,
  "type": "Normal", "eventTime": "2024-05-01T10:00:00.000000Z",
  "series": {"count": 2, "lastObservedTime": "2024-05-01T10:00:01.000000Z"},
  "action": "Binding", "related": {"kind": "Node", "name": "gpu-node-1"},
  "reportingComponent": "mlkube-scheduler", "reportingInstance": "mlkube-0"})json"},
      {{"discovery.k8s.io", "v1", "EndpointSlice"}, R"json({
  "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
  "metadata": {"name": "model-service-abc", "labels": {"kubernetes.io/service-name": "model-service"}},
  "addressType": "IPv4",
  "endpoints": [{"addresses": ["10.244.0.7"], "conditions": {"ready": true, "serving": true, "terminating": false},
    "nodeName": "gpu-node-1", "zone": "a", "targetRef": {"kind": "Pod", "name": "p", "namespace": "ml"},
    "hints": {"forZones": [{"name": "a"}]}}],
  "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"}]})json"},
      {{"coordination.k8s.io", "v1", "Lease"}, R"json({
  "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "gpu-node-1"},
  "spec": {"holderIdentity": "gpu-node-1", "leaseDurationSeconds": 40,
    "renewTime": "2024-05-01T10:00:00.123456Z", "acquireTime": "2024-05-01T09:00:00.000000Z",
    "leaseTransitions": 0}})json"},
      {{"storage.k8s.io", "v1", "StorageClass"}, R"json({
  "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
  "provisioner": "kubernetes.io/no-provisioner", "reclaimPolicy": "Delete",
  "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true,
  "parameters": {"type": "ssd"}, "mountOptions": ["noatime"],
  "allowedTopologies": [{"matchLabelExpressions": [{"key": "zone", "values": ["a"]}]}]})json"},
      {{"scheduling.k8s.io", "v1", "PriorityClass"}, R"json({
  "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
  "value": 1000000, "globalDefault": false, "description": "training",
  "preemptionPolicy": "Never"})json"},
      {{"", "v1", "DeleteOptions"}, R"json({
  "propagationPolicy": "Background", "gracePeriodSeconds": 0, "dryRun": ["All"],
  "preconditions": {"uid": "u", "resourceVersion": "1"}})json"},
  };
  for (const Manifest& m : manifests) {
    SCOPED_TRACE(m.gvk.kind);
    Json obj = Json::parse(m.json);
    const Type& t = Kind(m.gvk.group, m.gvk.version, m.gvk.kind);
    EXPECT_EQ(UnknownFields(obj, t), std::vector<std::string>{});
    EXPECT_EQ(TypeErrors(obj, t), std::vector<std::string>{});
  }
}

// Every named object type is reachable from some kind and every list metadata refers to real
// element fields (the builder checks the latter; this guards against silently dead types).
TEST(SchemaTest, SchemaIsConsistent) {
  std::set<const Type*> seen;
  std::function<void(const Type*)> walk = [&](const Type* t) {
    if (t == nullptr || !seen.insert(t).second) return;
    if (t->kind == Type::Kind::kArray || t->kind == Type::Kind::kMap) {
      ASSERT_NE(t->elem, nullptr);
      walk(t->elem);
    }
    for (const Field& f : t->fields) {
      ASSERT_NE(f.type, nullptr) << t->name << "." << f.name;
      walk(f.type);
    }
  };
  walk(&Kind("apps", "v1", "Deployment"));
  EXPECT_GT(seen.size(), 100u);
}

// Every field Kubernetes' protobuf carries has its number: protobuf bodies decode by them. Only
// TypeMeta's fields travel outside the object's message.
TEST(SchemaTest, EveryFieldHasAProtobufNumber) {
  std::set<const Type*> seen;
  std::function<void(const Type*, const std::string&)> walk = [&](const Type* t,
                                                                 const std::string& path) {
    if (!seen.insert(t).second) return;
    if (t->elem != nullptr) walk(t->elem, path + "[]");
    // An embedded TypeMeta (at the root, and in Eviction's deleteOptions) has neither number.
    const Field* api_version = t->FindField("apiVersion");
    const Field* kind = t->FindField("kind");
    bool embeds_type_meta = api_version != nullptr && kind != nullptr &&
                            api_version->proto_number == 0 && kind->proto_number == 0;
    for (const Field& f : t->fields) {
      bool type_meta = embeds_type_meta && (&f == api_version || &f == kind);
      if (f.proto_number == 0 && !type_meta) {
        ADD_FAILURE() << t->name << "." << f.name << " (at " << path << ") has no proto number";
      }
      walk(f.type, path + "." + f.name);
    }
  };
  for (const Gvk& k : ServedKinds()) {
    seen.clear();
    walk(&Kind(k.group, k.version, k.kind), "");
  }
  const Type& deploy = Kind("apps", "v1", "Deployment");
  EXPECT_EQ(FieldAt(deploy, "spec.replicas")->proto_number, 1);
  EXPECT_EQ(FieldAt(deploy, "spec.template.spec.containers.ports.containerPort")->proto_number, 3);
  EXPECT_EQ(FieldAt(deploy, "metadata.managedFields")->proto_number, 17);
  // Inlined embeddings: Volume.volumeSource = 2, EphemeralContainer.ephemeralContainerCommon = 1,
  // Probe.handler = 1, ConfigMapKeySelector.localObjectReference = 1.
  const Type& pod = Kind("", "v1", "Pod");
  EXPECT_EQ(FieldAt(pod, "spec.volumes.name")->proto_number, 1);
  EXPECT_EQ(FieldAt(pod, "spec.volumes.configMap")->proto_number, 2019);
  EXPECT_EQ(FieldAt(pod, "spec.ephemeralContainers.name")->proto_number, 1001);
  EXPECT_EQ(FieldAt(pod, "spec.ephemeralContainers.targetContainerName")->proto_number, 2);
  EXPECT_EQ(FieldAt(pod, "spec.containers.livenessProbe.httpGet")->proto_number, 1002);
  EXPECT_EQ(FieldAt(pod, "spec.containers.livenessProbe.periodSeconds")->proto_number, 4);
  EXPECT_EQ(FieldAt(pod, "spec.containers.env.valueFrom.configMapKeyRef.name")->proto_number,
            1001);
  EXPECT_EQ(FieldAt(Kind("", "v1", "Service"), "spec.ports.targetPort")->proto_number, 4);
  EXPECT_EQ(FieldAt(Kind("", "v1", "PersistentVolume"), "spec.nfs")->proto_number, 2005);
}

TEST(SchemaTest, BuilderRejectsBrokenDefinitions) {
  EXPECT_EQ(internal::SchemaSourceError(internal::SchemaSource()), "");
  const std::string kHead =
      "package m io.example.v1\n"
      "type TypeMeta {\n  apiVersion string\n  kind string\n}\n"
      "type Item {\n  name string\n  value int32\n}\n";
  struct Case {
    std::string name;
    std::string text;
    std::string want;  // a substring of the error; "" when the text must build
  };
  const std::vector<Case> cases = {
      {"valid",
       "type Root {\n  TypeMeta\n  items []Item patchStrategy=merge patchMergeKey=name "
       "listType=map listMapKeys=name // comment\n}\nkind example v1 Root Root\n",
       ""},
      {"unknown type", "type Root {\n  x Bogus\n}\n", "line 11: unknown type Bogus"},
      {"merge key not a field",
       "type Root {\n  items []Item patchStrategy=merge patchMergeKey=nam\n}\n",
       "key nam is not a field"},
      {"merge without key", "type Root {\n  items []Item patchStrategy=merge\n}\n",
       "needs patchMergeKey"},
      {"map keys without map", "type Root {\n  items []Item listMapKeys=name\n}\n",
       "needs listType=map"},
      {"list metadata on scalar", "type Root {\n  x string listType=set\n}\n", "non-list"},
      {"bad attribute", "type Root {\n  items []Item listType=bag\n}\n", "bad attribute"},
      {"duplicate field", "type Root {\n  Item\n  name string\n}\n", "duplicate field name"},
      {"duplicate type", "type Item {\n}\n", "duplicate type"},
      {"unclosed", "type Root {\n  x string\n", "not closed"},
      {"self embedding", "type Root {\n  Root\n}\n", "embeds itself"},
      {"renamed int", "type Port int32\n", "cannot rename int32"},
      {"map key type", "type Root {\n  x map[int]string\n}\n", "map keys must be string"},
      {"kind without TypeMeta", "kind example v1 Item Item\n", "lacks apiVersion/kind"},
      {"duplicate kind", "type R {\n  TypeMeta\n}\nkind e v1 R R\nkind e v1 R R\n",
       "duplicate kind"},
      {"garbage", "typo Root {\n", "unexpected 'typo'"},
      {"proto numbers",
       "type Root {\n  TypeMeta\n  items []Item proto=1\n  Item proto=2\n}\n"
       "kind example v1 Root Root\n",
       ""},
      {"proto number zero", "type Root {\n  x string proto=0\n}\n", "bad attribute proto=0"},
      {"proto number too big", "type Root {\n  x string proto=1000\n}\n", "bad attribute"},
      {"shared proto number", "type Root {\n  a string proto=1\n  b string proto=1\n}\n",
       "fields a and b share protobuf number 1"},
      {"proto number of an embedding",
       "type In {\n  x string proto=1\n}\ntype Root {\n  a string proto=2\n  In proto=2\n}\n",
       "field a shares protobuf number 2 with an embedded struct"},
      {"nested numbered embeddings",
       "type A {\n  x string proto=1\n}\ntype B {\n  A proto=1\n}\n"
       "type Root {\n  B proto=3\n}\n",
       "nests another numbered embedding"},
      {"embedding attribute", "type Root {\n  Item listType=set\n}\n", "takes only proto=N"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string err = internal::SchemaSourceError(kHead + c.text);
    if (c.want.empty()) {
      EXPECT_EQ(err, "");
    } else {
      EXPECT_NE(err.find(c.want), std::string::npos) << err;
    }
  }
}

}  // namespace
}  // namespace mlkube::api
