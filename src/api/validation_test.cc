#include "api/validation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlkube::api {
namespace {

// ---------------------------------------------------------------------------------------------
// Kubernetes' messages, spelled out once.

const std::string kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kDNS1035Msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const std::string kQualifiedNameRegex =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string kQuantityFormat =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const std::string kPodUpdateMsg =
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)\n";

// ---------------------------------------------------------------------------------------------
// Valid objects of every kind; each case patches one of them (JSON merge patch).

Json Base(const std::string& group, const std::string& kind) {
  const Json pod_spec = Json::parse(R"({"containers": [{"name": "app", "image": "nginx:1.25"}]})");
  const Json tmpl = {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", pod_spec}};
  const Json meta = {{"name", "web"}, {"namespace", "default"}};
  const Json cluster_meta = {{"name", "web"}};
  if (group.empty()) {
    if (kind == "Pod") return {{"metadata", meta}, {"spec", pod_spec}};
    if (kind == "Namespace") return {{"metadata", cluster_meta}};
    if (kind == "Node") return {{"metadata", cluster_meta}, {"spec", Json::object()}};
    if (kind == "Service") {
      return {{"metadata", meta},
              {"spec", {{"selector", {{"app", "web"}}}, {"ports", {{{"port", 80}}}}}}};
    }
    if (kind == "Endpoints") {
      return {{"metadata", meta},
              {"subsets", {{{"addresses", {{{"ip", "10.1.2.3"}}}}, {"ports", {{{"port", 80}}}}}}}};
    }
    if (kind == "Event") {
      return {{"metadata", {{"name", "web.1"}, {"namespace", "default"}}},
              {"involvedObject", {{"kind", "Pod"}, {"name", "web"}, {"namespace", "default"}}},
              {"reason", "Started"}};
    }
    if (kind == "ConfigMap") return {{"metadata", meta}, {"data", {{"key", "value"}}}};
    if (kind == "Secret") return {{"metadata", meta}, {"data", {{"key", "dmFsdWU="}}}};
    if (kind == "PersistentVolume") {
      return {{"metadata", cluster_meta},
              {"spec",
               {{"capacity", {{"storage", "1Gi"}}},
                {"accessModes", {"ReadWriteOnce"}},
                {"hostPath", {{"path", "/data"}}}}}};
    }
    if (kind == "PersistentVolumeClaim") {
      return {{"metadata", meta},
              {"spec",
               {{"accessModes", {"ReadWriteOnce"}},
                {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}};
    }
    if (kind == "ServiceAccount") return {{"metadata", meta}};
    if (kind == "Binding")
      return {{"metadata", meta}, {"target", {{"kind", "Node"}, {"name", "n1"}}}};
  }
  if (group == "apps") {
    return {{"metadata", meta},
            {"spec", {{"selector", {{"matchLabels", {{"app", "web"}}}}}, {"template", tmpl}}}};
  }
  if (group == "batch") {
    Json job_tmpl = tmpl;
    job_tmpl["spec"]["restartPolicy"] = "Never";
    if (kind == "Job") {
      Json job_meta = meta;
      job_meta["uid"] = "1234-5678";
      return {{"metadata", job_meta}, {"spec", {{"template", job_tmpl}}}};
    }
    return {{"metadata", meta},
            {"spec",
             {{"schedule", "*/5 * * * *"}, {"jobTemplate", {{"spec", {{"template", job_tmpl}}}}}}}};
  }
  if (kind == "HorizontalPodAutoscaler") {
    return {
        {"metadata", meta},
        {"spec",
         {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web"}}},
          {"maxReplicas", 5}}}};
  }
  if (kind == "Scale") return {{"metadata", meta}, {"spec", {{"replicas", 2}}}};
  if (kind == "EndpointSlice") {
    return {{"metadata", meta},
            {"addressType", "IPv4"},
            {"endpoints", {{{"addresses", {"10.1.2.3"}}}}},
            {"ports", {{{"port", 80}}}}};
  }
  if (kind == "Lease") {
    return {{"metadata", meta}, {"spec", {{"holderIdentity", "a"}, {"leaseDurationSeconds", 15}}}};
  }
  if (kind == "PriorityClass") return {{"metadata", cluster_meta}, {"value", 1000}};
  if (kind == "StorageClass") {
    return {{"metadata", cluster_meta}, {"provisioner", "rancher.io/local-path"}};
  }
  ADD_FAILURE() << "no base object for " << group << "/" << kind;
  return Json::object();
}

Json Make(const std::string& group, const std::string& kind, const std::string& patch) {
  Json obj = Base(group, kind);
  if (!patch.empty()) obj.merge_patch(Json::parse(patch));
  ApplyDefaults(group, kind, obj);
  return obj;
}

std::string Describe(const ErrorList& errs) {
  std::string out;
  for (const auto& e : errs) out += "\n  [" + std::string(e.Reason()) + "] " + e.Error();
  return out.empty() ? " (no errors)" : out;
}

enum class Match { kExact, kPrefix, kSuffix };

struct Case {
  std::string name;
  std::string group;
  std::string kind;
  std::string patch;   // merge patch on the valid object (the old one, for updates)
  std::string update;  // merge patch turning the old object into the new one ("" for creates)
  std::string field;
  std::string reason;
  std::string body;  // FieldError::Body()
  Match match = Match::kExact;
};

bool Matches(const FieldError& e, const Case& c) {
  if (e.field != c.field || e.Reason() != c.reason) return false;
  std::string body = e.Body();
  switch (c.match) {
    case Match::kExact:
      return body == c.body;
    case Match::kPrefix:
      return body.rfind(c.body, 0) == 0;
    case Match::kSuffix:
      return body.size() >= c.body.size() &&
             body.compare(body.size() - c.body.size(), c.body.size(), c.body) == 0;
  }
  return false;
}

void ExpectError(const Case& c, const ErrorList& errs) {
  bool found = false;
  for (const auto& e : errs) found = found || Matches(e, c);
  EXPECT_TRUE(found) << c.name << ": want [" << c.reason << "] " << c.field << ": " << c.body
                     << "\n got:" << Describe(errs);
}

// ---------------------------------------------------------------------------------------------

TEST(ValidationTest, ValidObjectsHaveNoErrors) {
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"", "Pod"},
      {"", "Namespace"},
      {"", "Node"},
      {"", "Service"},
      {"", "Endpoints"},
      {"", "Event"},
      {"", "ConfigMap"},
      {"", "Secret"},
      {"", "PersistentVolume"},
      {"", "PersistentVolumeClaim"},
      {"", "ServiceAccount"},
      {"", "Binding"},
      {"apps", "Deployment"},
      {"apps", "ReplicaSet"},
      {"batch", "Job"},
      {"batch", "CronJob"},
      {"autoscaling", "HorizontalPodAutoscaler"},
      {"autoscaling", "Scale"},
      {"discovery.k8s.io", "EndpointSlice"},
      {"coordination.k8s.io", "Lease"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"storage.k8s.io", "StorageClass"},
  };
  for (const auto& [group, kind] : kinds) {
    Json obj = Make(group, kind, "");
    ErrorList errs = ValidateCreate(group, kind, obj);
    EXPECT_TRUE(errs.empty()) << group << "/" << kind << Describe(errs) << "\n" << obj.dump(2);
    EXPECT_TRUE(ValidateUpdate(group, kind, obj, obj).empty())
        << group << "/" << kind << Describe(ValidateUpdate(group, kind, obj, obj));
  }
}

TEST(ValidationTest, CreateRules) {
  const std::string long_name(254, 'a');
  const std::string long_value(64, 'v');
  const std::string huge_annotation(256 * 1024, 'x');
  const std::string job_name(60, 'j');
  const std::string cron_name(53, 'c');
  const std::vector<Case> cases = {
      // ---- metadata
      {"name required", "", "Pod", R"({"metadata":{"name":null}})", "", "metadata.name",
       "FieldValueRequired", "Required value: name or generateName is required"},
      {"name subdomain", "", "Pod", R"({"metadata":{"name":"Bad_Name"}})", "", "metadata.name",
       "FieldValueInvalid", "Invalid value: \"Bad_Name\": " + kSubdomainMsg},
      {"name too long", "", "Pod", R"({"metadata":{"name":")" + long_name + R"("}})", "",
       "metadata.name", "FieldValueInvalid",
       "Invalid value: \"" + long_name + "\": must be no more than 253 characters"},
      {"generateName", "", "Pod", R"({"metadata":{"name":null,"generateName":"Web-"}})", "",
       "metadata.generateName", "FieldValueInvalid", "Invalid value: \"Web-\": " + kSubdomainMsg},
      {"namespace required", "", "Pod", R"({"metadata":{"namespace":null}})", "",
       "metadata.namespace", "FieldValueRequired", "Required value"},
      {"namespace forbidden", "", "Node", R"({"metadata":{"namespace":"default"}})", "",
       "metadata.namespace", "FieldValueForbidden", "Forbidden: not allowed on this type"},
      {"namespace name label", "", "Namespace", R"({"metadata":{"name":"my.ns"}})", "",
       "metadata.name", "FieldValueInvalid", "Invalid value: \"my.ns\": must not contain dots"},
      {"service name dns1035", "", "Service", R"({"metadata":{"name":"1web"}})", "",
       "metadata.name", "FieldValueInvalid", "Invalid value: \"1web\": " + kDNS1035Msg},
      {"label key", "", "Pod", R"({"metadata":{"labels":{"-bad":"x"}}})", "", "metadata.labels",
       "FieldValueInvalid", "Invalid value: \"-bad\": name part " + kQualifiedNameRegex},
      {"label key prefix", "", "Pod", R"({"metadata":{"labels":{"/x":"y"}}})", "",
       "metadata.labels", "FieldValueInvalid",
       "Invalid value: \"/x\": prefix part must be non-empty"},
      {"label value", "", "Pod", R"({"metadata":{"labels":{"app":"-bad"}}})", "", "metadata.labels",
       "FieldValueInvalid", "Invalid value: \"-bad\": " + kLabelValueMsg},
      {"label value length", "", "Pod",
       R"({"metadata":{"labels":{"app":")" + long_value + R"("}}})", "", "metadata.labels",
       "FieldValueInvalid",
       "Invalid value: \"" + long_value + "\": must be no more than 63 characters"},
      {"annotation key", "", "Pod", R"({"metadata":{"annotations":{"a/b/c":"x"}}})", "",
       "metadata.annotations", "FieldValueInvalid",
       "Invalid value: \"a/b/c\": a qualified name " + kQualifiedNameRegex +
           " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
      {"annotation size", "", "Pod",
       R"({"metadata":{"annotations":{"big":")" + huge_annotation + R"("}}})", "",
       "metadata.annotations", "FieldValueTooLong", "Too long: may not be more than 262144 bytes"},
      {"finalizer name", "", "Pod", R"({"metadata":{"finalizers":["bad"]}})", "",
       "metadata.finalizers[0]", "FieldValueInvalid",
       "Invalid value: \"bad\": name is neither a standard finalizer name nor is it fully "
       "qualified"},
      {"owner reference", "", "Pod",
       R"({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs"}]}})",
       "", "metadata.ownerReferences.uid", "FieldValueInvalid",
       "Invalid value: \"\": must not be empty"},

      // ---- pod spec
      {"containers required", "", "Pod", R"({"spec":{"containers":[]}})", "", "spec.containers",
       "FieldValueRequired", "Required value"},
      {"image required", "", "Pod", R"({"spec":{"containers":[{"name":"app"}]}})", "",
       "spec.containers[0].image", "FieldValueRequired", "Required value"},
      {"container name", "", "Pod", R"({"spec":{"containers":[{"name":"App","image":"x"}]}})", "",
       "spec.containers[0].name", "FieldValueInvalid", "Invalid value: \"App\": " + kLabelMsg},
      {"container name unique", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x"},{"name":"app","image":"y"}]}})", "",
       "spec.containers[1].name", "FieldValueDuplicate", "Duplicate value: \"app\""},
      {"container port range", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","ports":[{"containerPort":70000}]}]}})",
       "", "spec.containers[0].ports[0].containerPort", "FieldValueInvalid",
       "Invalid value: 70000: must be between 1 and 65535, inclusive"},
      {"container port required", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","ports":[{"name":"http"}]}]}})", "",
       "spec.containers[0].ports[0].containerPort", "FieldValueRequired", "Required value"},
      {"port protocol", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","ports":[{"containerPort":80,"protocol":"HTTP"}]}]}})",
       "", "spec.containers[0].ports[0].protocol", "FieldValueNotSupported",
       "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
      {"port name length", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","ports":[{"containerPort":80,"name":"a-very-long-port-name"}]}]}})",
       "", "spec.containers[0].ports[0].name", "FieldValueInvalid",
       "Invalid value: \"a-very-long-port-name\": must be no more than 15 characters"},
      {"port name unique", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","ports":[{"containerPort":80,"name":"http"},{"containerPort":81,"name":"http"}]}]}})",
       "", "spec.containers[0].ports[1].name", "FieldValueDuplicate", "Duplicate value: \"http\""},
      {"env name", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","env":[{"name":"A=B","value":"1"}]}]}})",
       "", "spec.containers[0].env[0].name", "FieldValueInvalid",
       "Invalid value: \"A=B\": a valid environment variable name must consist only of printable "
       "ASCII characters other than '='"},
      {"env name required", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","env":[{"value":"1"}]}]}})", "",
       "spec.containers[0].env[0].name", "FieldValueRequired", "Required value"},
      {"env valueFrom fieldPath", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","env":[{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"spec.restartPolicy"}}}]}]}})",
       "", "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", "FieldValueNotSupported",
       "Unsupported value: \"spec.restartPolicy\": supported values: \"metadata.name\", "
       "\"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", "
       "\"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", "
       "\"status.podIPs\""},
      {"env valueFrom empty", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","env":[{"name":"A","valueFrom":{}}]}]}})",
       "", "spec.containers[0].env[0].valueFrom", "FieldValueInvalid",
       "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, "
       "`configMapKeyRef` or `secretKeyRef`"},
      {"volumeMount volume", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","volumeMounts":[{"name":"missing","mountPath":"/data"}]}]}})",
       "", "spec.containers[0].volumeMounts[0].name", "FieldValueNotFound",
       "Not found: \"missing\""},
      {"volumeMount path unique", "", "Pod",
       R"({"spec":{"volumes":[{"name":"a"},{"name":"b"}],"containers":[{"name":"app","image":"x","volumeMounts":[{"name":"a","mountPath":"/d"},{"name":"b","mountPath":"/d"}]}]}})",
       "", "spec.containers[0].volumeMounts[1].mountPath", "FieldValueInvalid",
       "Invalid value: \"/d\": must be unique"},
      {"volume name unique", "", "Pod",
       R"({"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"a","emptyDir":{}}]}})", "",
       "spec.volumes[1].name", "FieldValueDuplicate", "Duplicate value: \"a\""},
      {"volume one source", "", "Pod",
       R"({"spec":{"volumes":[{"name":"a","emptyDir":{},"hostPath":{"path":"/x"}}]}})", "",
       "spec.volumes[0].hostPath", "FieldValueForbidden",
       "Forbidden: may not specify more than 1 volume type"},
      {"volume secret name", "", "Pod", R"({"spec":{"volumes":[{"name":"a","secret":{}}]}})", "",
       "spec.volumes[0].secret.secretName", "FieldValueRequired", "Required value"},
      {"volume pvc claimName", "", "Pod",
       R"({"spec":{"volumes":[{"name":"a","persistentVolumeClaim":{}}]}})", "",
       "spec.volumes[0].persistentVolumeClaim.claimName", "FieldValueRequired", "Required value"},
      {"volumeMount subPath", "", "Pod",
       R"({"spec":{"volumes":[{"name":"a"}],"containers":[{"name":"app","image":"x","volumeMounts":[{"name":"a","mountPath":"/d","subPath":"../etc"}]}]}})",
       "", "spec.containers[0].volumeMounts.subPath", "FieldValueInvalid",
       "Invalid value: \"../etc\": must not contain '..'"},
      {"envFrom source", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","envFrom":[{"prefix":"P_"}]}]}})", "",
       "spec.containers[0].envFrom", "FieldValueInvalid",
       "Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"},
      {"configMapKeyRef key", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","env":[{"name":"A","valueFrom":{"configMapKeyRef":{"name":"cfg"}}}]}]}})",
       "", "spec.containers[0].env[0].valueFrom.configMapKeyRef.key", "FieldValueRequired",
       "Required value"},
      {"restartPolicy", "", "Pod", R"({"spec":{"restartPolicy":"Sometimes"}})", "",
       "spec.restartPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""},
      {"dnsPolicy", "", "Pod", R"({"spec":{"dnsPolicy":"Google"}})", "", "spec.dnsPolicy",
       "FieldValueNotSupported",
       "Unsupported value: \"Google\": supported values: \"ClusterFirstWithHostNet\", "
       "\"ClusterFirst\", \"Default\", \"None\""},
      {"dnsConfig for None", "", "Pod", R"({"spec":{"dnsPolicy":"None"}})", "", "spec.dnsConfig",
       "FieldValueRequired", "Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
      {"probe threshold", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","livenessProbe":{"tcpSocket":{"port":80},"failureThreshold":-1}}]}})",
       "", "spec.containers[0].livenessProbe.failureThreshold", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"probe handler required", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","readinessProbe":{"periodSeconds":5}}]}})",
       "", "spec.containers[0].readinessProbe", "FieldValueRequired",
       "Required value: must specify a handler type"},
      {"probe one handler", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","livenessProbe":{"exec":{"command":["true"]},"httpGet":{"port":80}}}]}})",
       "", "spec.containers[0].livenessProbe.httpGet", "FieldValueForbidden",
       "Forbidden: may not specify more than 1 handler type"},
      {"liveness successThreshold", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","livenessProbe":{"tcpSocket":{"port":80},"successThreshold":2}}]}})",
       "", "spec.containers[0].livenessProbe.successThreshold", "FieldValueInvalid",
       "Invalid value: 2: must be 1"},
      {"probe port name", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","readinessProbe":{"httpGet":{"port":"8080"}}}]}})",
       "", "spec.containers[0].readinessProbe.httpGet.port", "FieldValueInvalid",
       "Invalid value: \"8080\": must contain at least one letter (a-z)"},
      {"quantity format", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"memory":"lots"}}}]}})",
       "", "spec.containers[0].resources.limits[memory]", "FieldValueInvalid",
       "Invalid value: \"lots\": " + kQuantityFormat},
      {"quantity suffix", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"memory":"2GG"}}}]}})",
       "", "spec.containers[0].resources.limits[memory]", "FieldValueInvalid",
       "Invalid value: \"2GG\": unable to parse quantity's suffix"},
      {"quantity negative", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"requests":{"memory":"-1"}}}]}})",
       "", "spec.containers[0].resources.requests[memory]", "FieldValueInvalid",
       "Invalid value: \"-1\": must be greater than or equal to 0"},
      {"request above limit", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"cpu":"1"},"requests":{"cpu":"2"}}}]}})",
       "", "spec.containers[0].resources.requests", "FieldValueInvalid",
       "Invalid value: \"2\": must be less than or equal to cpu limit of 1"},
      {"request above limit numbers", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"cpu":0.5},"requests":{"cpu":1}}}]}})",
       "", "spec.containers[0].resources.requests", "FieldValueInvalid",
       "Invalid value: \"1\": must be less than or equal to cpu limit of 500m"},
      {"gpu whole", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"nvidia.com/gpu":"0.5"}}}]}})",
       "", "spec.containers[0].resources.limits[nvidia.com/gpu]", "FieldValueInvalid",
       "Invalid value: \"500m\": must be an integer"},
      {"gpu not overcommitted", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"nvidia.com/gpu":1},"requests":{"nvidia.com/gpu":2}}}]}})",
       "", "spec.containers[0].resources.requests", "FieldValueInvalid",
       "Invalid value: \"2\": must be equal to nvidia.com/gpu limit of 1"},
      {"gpu needs limit", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"requests":{"nvidia.com/gpu":1}}}]}})",
       "", "spec.containers[0].resources.limits", "FieldValueRequired",
       "Required value: Limit must be set for non overcommitable resources"},
      {"resource name", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"gpu":1}}}]}})",
       "", "spec.containers[0].resources.limits[gpu]", "FieldValueInvalid",
       "Invalid value: \"gpu\": must be a standard resource type or fully qualified"},
      {"resource name for containers", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":"x","resources":{"limits":{"pods":1}}}]}})",
       "", "spec.containers[0].resources.limits[pods]", "FieldValueInvalid",
       "Invalid value: \"pods\": must be a standard resource for containers"},
      {"nodeSelector", "", "Pod", R"({"spec":{"nodeSelector":{"disk":"-ssd"}}})", "",
       "spec.nodeSelector", "FieldValueInvalid", "Invalid value: \"-ssd\": " + kLabelValueMsg},
      {"toleration operator", "", "Pod",
       R"({"spec":{"tolerations":[{"key":"gpu","operator":"Maybe"}]}})", "",
       "spec.tolerations[0].operator", "FieldValueNotSupported",
       "Unsupported value: \"Maybe\": supported values: \"Equal\", \"Exists\""},
      {"toleration exists value", "", "Pod",
       R"({"spec":{"tolerations":[{"key":"gpu","operator":"Exists","value":"x"}]}})", "",
       "spec.tolerations[0].operator", "FieldValueInvalid",
       "Invalid value: \"x\": value must be empty when `operator` is 'Exists'"},
      {"toleration empty key", "", "Pod", R"({"spec":{"tolerations":[{"operator":"Equal"}]}})", "",
       "spec.tolerations[0].operator", "FieldValueInvalid",
       "Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match "
       "all values and all keys\""},
      {"toleration effect", "", "Pod",
       R"({"spec":{"tolerations":[{"key":"gpu","operator":"Exists","effect":"Never"}]}})", "",
       "spec.tolerations[0].effect", "FieldValueNotSupported",
       "Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", "
       "\"NoExecute\""},
      {"toleration seconds", "", "Pod",
       R"({"spec":{"tolerations":[{"key":"gpu","operator":"Exists","effect":"NoSchedule","tolerationSeconds":5}]}})",
       "", "spec.tolerations[0].effect", "FieldValueInvalid",
       "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"},
      {"affinity operator", "", "Pod",
       R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"gpu","operator":"Equals","values":["a"]}]}]}}}}})",
       "",
       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
       "nodeSelectorTerms[0].matchExpressions[0].operator",
       "FieldValueInvalid", "Invalid value: \"Equals\": not a valid selector operator"},
      {"affinity In values", "", "Pod",
       R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"gpu","operator":"In"}]}]}}}}})",
       "",
       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
       "nodeSelectorTerms[0].matchExpressions[0].values",
       "FieldValueRequired",
       "Required value: must be specified when `operator` is 'In' or 'NotIn'"},
      {"affinity Gt values", "", "Pod",
       R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"mem","operator":"Gt","values":["1","2"]}]}]}}}}})",
       "",
       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
       "nodeSelectorTerms[0].matchExpressions[0].values",
       "FieldValueRequired",
       "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"},
      {"affinity Exists values", "", "Pod",
       R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"gpu","operator":"Exists","values":["a"]}]}]}}}}})",
       "",
       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
       "nodeSelectorTerms[0].matchExpressions[0].values",
       "FieldValueForbidden",
       "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"},
      {"affinity terms", "", "Pod",
       R"({"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}}}}})",
       "",
       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
       "nodeSelectorTerms",
       "FieldValueRequired", "Required value: must have at least one node selector term"},
      {"pod affinity topologyKey", "", "Pod",
       R"({"spec":{"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"app":"web"}}}]}}}})",
       "",
       "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
       "topologyKey",
       "FieldValueRequired", "Required value: can not be empty"},
      {"terminationGracePeriodSeconds", "", "Pod",
       R"({"spec":{"terminationGracePeriodSeconds":-1}})", "", "spec.terminationGracePeriodSeconds",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
      {"activeDeadlineSeconds", "", "Pod", R"({"spec":{"activeDeadlineSeconds":0}})", "",
       "spec.activeDeadlineSeconds", "FieldValueInvalid",
       "Invalid value: 0: must be between 1 and 2147483647, inclusive"},
      {"hostNetwork hostPort", "", "Pod",
       R"({"spec":{"hostNetwork":true,"containers":[{"name":"app","image":"x","ports":[{"containerPort":80,"hostPort":8080}]}]}})",
       "", "spec.containers[0].ports[0].hostPort", "FieldValueInvalid",
       "Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"},
      {"hostPort conflict", "", "Pod",
       R"({"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"hostPort":8080}]},{"name":"b","image":"x","ports":[{"containerPort":81,"hostPort":8080}]}]}})",
       "", "spec.containers[1].ports[0].hostPort", "FieldValueDuplicate",
       "Duplicate value: \"TCP//8080\""},
      {"ephemeral containers on create", "", "Pod",
       R"({"spec":{"ephemeralContainers":[{"name":"debug","image":"busybox"}]}})", "",
       "spec.ephemeralContainers", "FieldValueForbidden", "Forbidden: cannot be set on create"},
      {"image whitespace", "", "Pod",
       R"({"spec":{"containers":[{"name":"app","image":" nginx"}]}})", "",
       "spec.containers[0].image", "FieldValueInvalid",
       "Invalid value: \" nginx\": must not have leading or trailing whitespace"},
      {"init container probes", "", "Pod",
       R"({"spec":{"initContainers":[{"name":"init","image":"x","livenessProbe":{"tcpSocket":{"port":80}}}]}})",
       "", "spec.initContainers[0].livenessProbe", "FieldValueForbidden",
       "Forbidden: may not be set for init containers without restartPolicy=Always"},
      {"init container name clash", "", "Pod",
       R"({"spec":{"initContainers":[{"name":"app","image":"x"}]}})", "",
       "spec.initContainers[0].name", "FieldValueDuplicate", "Duplicate value: \"app\""},
      {"scheduling gate", "", "Pod", R"({"spec":{"schedulingGates":[{"name":"a"},{"name":"a"}]}})",
       "", "spec.schedulingGates[1]", "FieldValueDuplicate", "Duplicate value: \"a\""},

      // ---- Deployment / ReplicaSet
      {"deployment selector required", "apps", "Deployment", R"({"spec":{"selector":null}})", "",
       "spec.selector", "FieldValueRequired", "Required value"},
      {"deployment selector match", "apps", "Deployment",
       R"({"spec":{"selector":{"matchLabels":{"app":"api"}}}})", "",
       "spec.template.metadata.labels", "FieldValueInvalid",
       "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"},
      {"deployment empty selector", "apps", "Deployment",
       R"({"spec":{"selector":{"matchLabels":null}}})", "", "spec.selector", "FieldValueInvalid",
       "Invalid value: {}: empty selector is invalid for deployment"},
      {"deployment selector operator", "apps", "Deployment",
       R"({"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"Is","values":["web"]}]}}})",
       "", "spec.selector.matchExpressions[0].operator", "FieldValueInvalid",
       "Invalid value: \"Is\": not a valid selector operator"},
      {"deployment replicas", "apps", "Deployment", R"({"spec":{"replicas":-1}})", "",
       "spec.replicas", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"deployment strategy type", "apps", "Deployment",
       R"({"spec":{"strategy":{"type":"BlueGreen"}}})", "", "spec.strategy",
       "FieldValueNotSupported",
       "Unsupported value: {\"type\":\"BlueGreen\"}: supported values: \"Recreate\", "
       "\"RollingUpdate\""},
      {"deployment recreate rollingUpdate", "apps", "Deployment",
       R"({"spec":{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}}}})", "",
       "spec.strategy.rollingUpdate", "FieldValueForbidden",
       "Forbidden: may not be specified when strategy `type` is 'Recreate'"},
      {"deployment zero surge and unavailable", "apps", "Deployment",
       R"({"spec":{"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}}})", "",
       "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid",
       "Invalid value: 0: may not be 0 when `maxSurge` is 0"},
      {"deployment percent", "apps", "Deployment",
       R"({"spec":{"strategy":{"rollingUpdate":{"maxSurge":"lots"}}}})", "",
       "spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid",
       "Invalid value: \"lots\": a valid percent string must be a numeric string followed by an "
       "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"},
      {"deployment unavailable over 100%", "apps", "Deployment",
       R"({"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":"150%"}}}})", "",
       "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid",
       "Invalid value: \"150%\": must not be greater than 100%"},
      {"deployment surge negative", "apps", "Deployment",
       R"({"spec":{"strategy":{"rollingUpdate":{"maxSurge":-1}}}})", "",
       "spec.strategy.rollingUpdate.maxSurge", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"deployment revisionHistoryLimit", "apps", "Deployment",
       R"({"spec":{"revisionHistoryLimit":-1}})", "", "spec.revisionHistoryLimit",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
      {"deployment progressDeadlineSeconds", "apps", "Deployment",
       R"({"spec":{"progressDeadlineSeconds":10,"minReadySeconds":20}})", "",
       "spec.progressDeadlineSeconds", "FieldValueInvalid",
       "Invalid value: 10: must be greater than minReadySeconds"},
      {"deployment restartPolicy", "apps", "Deployment",
       R"({"spec":{"template":{"spec":{"restartPolicy":"Never"}}}})", "",
       "spec.template.spec.restartPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Never\": supported values: \"Always\""},
      {"deployment template labels", "apps", "Deployment",
       R"({"spec":{"template":{"metadata":{"labels":{"app":"web","tier":"-x"}}}}})", "",
       "spec.template.labels", "FieldValueInvalid", "Invalid value: \"-x\": " + kLabelValueMsg},
      {"deployment template image", "apps", "Deployment",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"app"}]}}}})", "",
       "spec.template.spec.containers[0].image", "FieldValueRequired", "Required value"},
      {"replicaset selector match", "apps", "ReplicaSet",
       R"({"spec":{"selector":{"matchLabels":{"app":"api"}}}})", "",
       "spec.template.metadata.labels", "FieldValueInvalid",
       "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"},
      {"replicaset replicas", "apps", "ReplicaSet", R"({"spec":{"replicas":-2}})", "",
       "spec.replicas", "FieldValueInvalid",
       "Invalid value: -2: must be greater than or equal to 0"},

      // ---- Job
      {"job parallelism", "batch", "Job", R"({"spec":{"parallelism":-1}})", "", "spec.parallelism",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
      {"job completions", "batch", "Job", R"({"spec":{"completions":-1}})", "", "spec.completions",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
      {"job backoffLimit", "batch", "Job", R"({"spec":{"backoffLimit":-1}})", "",
       "spec.backoffLimit", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"job activeDeadlineSeconds", "batch", "Job", R"({"spec":{"activeDeadlineSeconds":-5}})", "",
       "spec.activeDeadlineSeconds", "FieldValueInvalid",
       "Invalid value: -5: must be greater than or equal to 0"},
      {"job ttl", "batch", "Job", R"({"spec":{"ttlSecondsAfterFinished":-1}})", "",
       "spec.ttlSecondsAfterFinished", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"job completionMode", "batch", "Job", R"({"spec":{"completionMode":"Random"}})", "",
       "spec.completionMode", "FieldValueNotSupported",
       "Unsupported value: \"Random\": supported values: \"NonIndexed\", \"Indexed\""},
      {"job indexed completions", "batch", "Job",
       R"({"spec":{"completionMode":"Indexed","parallelism":2}})", "", "spec.completions",
       "FieldValueRequired", "Required value: when completion mode is Indexed"},
      {"job backoffLimitPerIndex", "batch", "Job", R"({"spec":{"backoffLimitPerIndex":1}})", "",
       "spec.backoffLimitPerIndex", "FieldValueInvalid",
       "Invalid value: 1: requires indexed completion mode"},
      {"job restartPolicy default", "batch", "Job",
       R"({"spec":{"template":{"spec":{"restartPolicy":null}}}})", "",
       "spec.template.spec.restartPolicy", "FieldValueRequired",
       "Required value: valid values: \"OnFailure\", \"Never\""},
      {"job restartPolicy", "batch", "Job",
       R"({"spec":{"template":{"spec":{"restartPolicy":"Sometimes"}}}})", "",
       "spec.template.spec.restartPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Sometimes\": supported values: \"OnFailure\", \"Never\""},
      {"job failure policy action", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"action":"Restart","onExitCodes":{"operator":"In","values":[1]}}]}}})",
       "", "spec.podFailurePolicy.rules[0].action", "FieldValueNotSupported",
       "Unsupported value: \"Restart\": supported values: \"Count\", \"FailIndex\", \"FailJob\", "
       "\"Ignore\""},
      {"job failure policy action required", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"onExitCodes":{"operator":"In","values":[1]}}]}}})",
       "", "spec.podFailurePolicy.rules[0].action", "FieldValueRequired",
       "Required value: valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]"},
      {"job exit code operator", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"action":"FailJob","onExitCodes":{"operator":"Equals","values":[1]}}]}}})",
       "", "spec.podFailurePolicy.rules[0].onExitCodes.operator", "FieldValueNotSupported",
       "Unsupported value: \"Equals\": supported values: \"In\", \"NotIn\""},
      {"job exit code zero", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"action":"FailJob","onExitCodes":{"operator":"In","values":[0,1]}}]}}})",
       "", "spec.podFailurePolicy.rules[0].onExitCodes.values[0]", "FieldValueInvalid",
       "Invalid value: 0: must not be 0 for the In operator"},
      {"job exit codes ordered", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"action":"FailJob","onExitCodes":{"operator":"NotIn","values":[3,1]}}]}}})",
       "", "spec.podFailurePolicy.rules[0].onExitCodes.values", "FieldValueInvalid",
       "Invalid value: [3,1]: must be ordered"},
      {"job exit code container", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"action":"FailJob","onExitCodes":{"containerName":"other","operator":"In","values":[1]}}]}}})",
       "", "spec.podFailurePolicy.rules[0].onExitCodes.containerName", "FieldValueInvalid",
       "Invalid value: \"other\": must be one of the container or initContainer names in the pod "
       "template"},
      {"job pod condition status", "batch", "Job",
       R"({"spec":{"podFailurePolicy":{"rules":[{"action":"Ignore","onPodConditions":[{"type":"DisruptionTarget","status":"Maybe"}]}]}}})",
       "", "spec.podFailurePolicy.rules[0].onPodConditions[0].status", "FieldValueNotSupported",
       "Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\""},
      {"job failure policy restartPolicy", "batch", "Job",
       R"({"spec":{"template":{"spec":{"restartPolicy":"OnFailure"}},"podFailurePolicy":{"rules":[{"action":"FailJob","onExitCodes":{"operator":"In","values":[1]}}]}}})",
       "", "spec.template.spec.restartPolicy", "FieldValueInvalid",
       "Invalid value: \"OnFailure\": only \"Never\" is supported when podFailurePolicy is "
       "specified"},
      {"job podReplacementPolicy", "batch", "Job", R"({"spec":{"podReplacementPolicy":"Always"}})",
       "", "spec.podReplacementPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Always\": supported values: \"Failed\", \"TerminatingOrFailed\""},
      {"job indexed hostname", "batch", "Job",
       R"({"metadata":{"name":")" + job_name +
           R"("},"spec":{"completionMode":"Indexed","completions":1000}})",
       "", "metadata.name", "FieldValueInvalid",
       "Invalid value: \"" + job_name +
           "\": will not able to create pod with invalid DNS label: " + job_name + "-999"},
      {"job manual selector", "batch", "Job",
       R"({"spec":{"manualSelector":true,"selector":{"matchLabels":{"app":"api"}}}})", "",
       "spec.template.metadata.labels", "FieldValueInvalid",
       "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"},
      {"job generated selector", "batch", "Job",
       R"({"spec":{"selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"other"}}}})",
       "", "spec.selector", "FieldValueInvalid",
       "Invalid value: {\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"other\"}}: "
       "`selector` not auto-generated"},

      // ---- CronJob
      {"cronjob schedule", "batch", "CronJob", R"({"spec":{"schedule":"bad"}})", "",
       "spec.schedule", "FieldValueInvalid",
       "Invalid value: \"bad\": expected exactly 5 fields, found 1: [bad]"},
      {"cronjob schedule range", "batch", "CronJob", R"({"spec":{"schedule":"61 * * * *"}})", "",
       "spec.schedule", "FieldValueInvalid", "Invalid value: \"61 * * * *\": ", Match::kPrefix},
      {"cronjob schedule required", "batch", "CronJob", R"({"spec":{"schedule":null}})", "",
       "spec.schedule", "FieldValueRequired", "Required value"},
      {"cronjob TZ", "batch", "CronJob", R"({"spec":{"schedule":"TZ=UTC 0 * * * *"}})", "",
       "spec.schedule", "FieldValueInvalid",
       "Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone "
       "field instead"},
      {"cronjob timeZone", "batch", "CronJob", R"({"spec":{"timeZone":"Mars/Olympus_Mons"}})", "",
       "spec.timeZone", "FieldValueInvalid",
       "Invalid value: \"Mars/Olympus_Mons\": unknown time zone Mars/Olympus_Mons"},
      {"cronjob timeZone Local", "batch", "CronJob", R"({"spec":{"timeZone":"Local"}})", "",
       "spec.timeZone", "FieldValueInvalid",
       "Invalid value: \"Local\": timeZone must be an explicit time zone as defined in "
       "https://www.iana.org/time-zones"},
      {"cronjob concurrencyPolicy", "batch", "CronJob",
       R"({"spec":{"concurrencyPolicy":"Sometimes"}})", "", "spec.concurrencyPolicy",
       "FieldValueNotSupported",
       "Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""},
      {"cronjob startingDeadlineSeconds", "batch", "CronJob",
       R"({"spec":{"startingDeadlineSeconds":-1}})", "", "spec.startingDeadlineSeconds",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
      {"cronjob history", "batch", "CronJob", R"({"spec":{"successfulJobsHistoryLimit":-1}})", "",
       "spec.successfulJobsHistoryLimit", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"cronjob name length", "batch", "CronJob", R"({"metadata":{"name":")" + cron_name + R"("}})",
       "", "metadata.name", "FieldValueInvalid",
       "Invalid value: \"" + cron_name + "\": must be no more than 52 characters"},
      {"cronjob job restartPolicy", "batch", "CronJob",
       R"({"spec":{"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":null}}}}}})", "",
       "spec.jobTemplate.spec.template.spec.restartPolicy", "FieldValueRequired",
       "Required value: valid values: \"OnFailure\", \"Never\""},
      {"cronjob job selector", "batch", "CronJob",
       R"({"spec":{"jobTemplate":{"spec":{"selector":{"matchLabels":{"app":"web"}}}}}})", "",
       "spec.jobTemplate.spec.selector", "FieldValueInvalid",
       "Invalid value: {\"matchLabels\":{\"app\":\"web\"}}: `selector` will be auto-generated"},
      {"cronjob job backoffLimit", "batch", "CronJob",
       R"({"spec":{"jobTemplate":{"spec":{"backoffLimit":-1}}}})", "",
       "spec.jobTemplate.spec.backoffLimit", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},

      // ---- Service
      {"service ports required", "", "Service", R"({"spec":{"ports":[]}})", "", "spec.ports",
       "FieldValueRequired", "Required value"},
      {"service port range", "", "Service", R"({"spec":{"ports":[{"port":0}]}})", "",
       "spec.ports[0].port", "FieldValueInvalid",
       "Invalid value: 0: must be between 1 and 65535, inclusive"},
      {"service port names required", "", "Service",
       R"({"spec":{"ports":[{"port":80},{"port":443}]}})", "", "spec.ports[0].name",
       "FieldValueRequired", "Required value"},
      {"service port names unique", "", "Service",
       R"({"spec":{"ports":[{"name":"web","port":80},{"name":"web","port":443}]}})", "",
       "spec.ports[1].name", "FieldValueDuplicate", "Duplicate value: \"web\""},
      {"service duplicate port", "", "Service",
       R"({"spec":{"ports":[{"name":"a","port":80},{"name":"b","port":80}]}})", "", "spec.ports[1]",
       "FieldValueDuplicate", "Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}"},
      {"service protocol", "", "Service", R"({"spec":{"ports":[{"port":80,"protocol":"HTTP"}]}})",
       "", "spec.ports[0].protocol", "FieldValueNotSupported",
       "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
      {"service targetPort name", "", "Service",
       R"({"spec":{"ports":[{"port":80,"targetPort":"8080"}]}})", "", "spec.ports[0].targetPort",
       "FieldValueInvalid", "Invalid value: \"8080\": must contain at least one letter (a-z)"},
      {"service type", "", "Service", R"({"spec":{"type":"Magic"}})", "", "spec.type",
       "FieldValueNotSupported",
       "Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", "
       "\"LoadBalancer\", \"NodePort\""},
      {"service clusterIP", "", "Service", R"({"spec":{"clusterIP":"10.0.0"}})", "",
       "spec.clusterIPs[0]", "FieldValueInvalid",
       "Invalid value: \"10.0.0\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"},
      {"service nodePort range", "", "Service",
       R"({"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":70000}]}})", "",
       "spec.ports[0].nodePort", "FieldValueInvalid",
       "Invalid value: 70000: must be between 1 and 65535, inclusive"},
      {"service nodePort on ClusterIP", "", "Service",
       R"({"spec":{"ports":[{"port":80,"nodePort":30080}]}})", "", "spec.ports[0].nodePort",
       "FieldValueForbidden", "Forbidden: may not be used when `type` is 'ClusterIP'"},
      {"service sessionAffinity", "", "Service", R"({"spec":{"sessionAffinity":"Sticky"}})", "",
       "spec.sessionAffinity", "FieldValueNotSupported",
       "Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\""},
      {"service headless NodePort", "", "Service",
       R"({"spec":{"type":"NodePort","clusterIP":"None"}})", "", "spec.clusterIPs[0]",
       "FieldValueInvalid",
       "Invalid value: \"None\": may not be set to 'None' for NodePort services"},
      {"service externalName", "", "Service", R"({"spec":{"type":"ExternalName","ports":null}})",
       "", "spec.externalName", "FieldValueRequired", "Required value"},
      {"service selector", "", "Service", R"({"spec":{"selector":{"app":"-x"}}})", "",
       "spec.selector", "FieldValueInvalid", "Invalid value: \"-x\": " + kLabelValueMsg},
      {"service externalTrafficPolicy", "", "Service",
       R"({"spec":{"externalTrafficPolicy":"Local"}})", "", "spec.externalTrafficPolicy",
       "FieldValueInvalid",
       "Invalid value: \"Local\": may only be set for externally-accessible services"},

      // ---- PersistentVolumeClaim / PersistentVolume
      {"pvc accessModes", "", "PersistentVolumeClaim", R"({"spec":{"accessModes":[]}})", "",
       "spec.accessModes", "FieldValueRequired",
       "Required value: at least 1 access mode is required"},
      {"pvc accessMode value", "", "PersistentVolumeClaim",
       R"({"spec":{"accessModes":["ReadWriteSometimes"]}})", "", "spec.accessModes",
       "FieldValueNotSupported",
       "Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", "
       "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\""},
      {"pvc storage required", "", "PersistentVolumeClaim",
       R"({"spec":{"resources":{"requests":null}}})", "", "spec.resources[storage]",
       "FieldValueRequired", "Required value"},
      {"pvc storage positive", "", "PersistentVolumeClaim",
       R"({"spec":{"resources":{"requests":{"storage":"0"}}}})", "", "spec.resources[storage]",
       "FieldValueInvalid", "Invalid value: \"0\": must be greater than zero"},
      {"pvc volumeMode", "", "PersistentVolumeClaim", R"({"spec":{"volumeMode":"Raw"}})", "",
       "spec.volumeMode", "FieldValueNotSupported",
       "Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\""},
      {"pv source", "", "PersistentVolume", R"({"spec":{"hostPath":null}})", "", "spec",
       "FieldValueRequired", "Required value: must specify a volume type"},
      {"pv two sources", "", "PersistentVolume", R"({"spec":{"nfs":{"server":"nfs","path":"/x"}}})",
       "", "spec.nfs", "FieldValueForbidden", "Forbidden: may not specify more than 1 volume type"},
      {"pv reclaim policy", "", "PersistentVolume",
       R"({"spec":{"persistentVolumeReclaimPolicy":"Keep"}})", "",
       "spec.persistentVolumeReclaimPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\""},
      {"pv capacity", "", "PersistentVolume", R"({"spec":{"capacity":null}})", "", "spec.capacity",
       "FieldValueRequired", "Required value"},

      // ---- ConfigMap / Secret / Namespace / Node / Endpoints
      {"configmap key", "", "ConfigMap", R"({"data":{"bad key":"x"}})", "", "data[bad key]",
       "FieldValueInvalid",
       "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, "
       "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
       "validation is '[-._a-zA-Z0-9]+')"},
      {"secret key", "", "Secret", R"({"data":{"..":"eA=="}})", "", "data[..]", "FieldValueInvalid",
       "Invalid value: \"..\": must not be '..'"},
      {"secret base64", "", "Secret", R"({"data":{"key":"not base64!"}})", "", "data[key]",
       "FieldValueInvalid",
       "Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 3"},
      {"secret dockerconfigjson", "", "Secret",
       R"({"type":"kubernetes.io/dockerconfigjson","data":{"key":null}})", "",
       "data[.dockerconfigjson]", "FieldValueRequired", "Required value"},
      {"secret tls", "", "Secret", R"({"type":"kubernetes.io/tls"})", "", "data[tls.crt]",
       "FieldValueRequired", "Required value"},
      {"namespace finalizer", "", "Namespace", R"({"spec":{"finalizers":["bad"]}})", "",
       "spec.finalizers", "FieldValueInvalid",
       "Invalid value: \"bad\": name is neither a standard finalizer name nor is it fully "
       "qualified"},
      {"node taint effect", "", "Node",
       R"({"spec":{"taints":[{"key":"gpu","effect":"Sometimes"}]}})", "",
       "metadata.taints[0].effect", "FieldValueNotSupported",
       "Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", "
       "\"PreferNoSchedule\", \"NoExecute\""},
      {"node taint effect required", "", "Node", R"({"spec":{"taints":[{"key":"gpu"}]}})", "",
       "metadata.taints[0].effect", "FieldValueRequired", "Required value"},
      {"node taint key", "", "Node",
       R"({"spec":{"taints":[{"key":"-gpu","effect":"NoSchedule"}]}})", "",
       "metadata.taints[0].key", "FieldValueInvalid",
       "Invalid value: \"-gpu\": name part " + kQualifiedNameRegex},
      {"node capacity", "", "Node", R"({"status":{"capacity":{"nvidia.com/gpu":"1.5"}}})", "",
       "status.capacity.nvidia.com/gpu", "FieldValueInvalid",
       "Invalid value: \"1500m\": must be an integer"},
      {"endpoints ip", "", "Endpoints",
       R"({"subsets":[{"addresses":[{"ip":"10.1.2"}],"ports":[{"port":80}]}]})", "",
       "subsets[0].addresses[0].ip", "FieldValueInvalid",
       "Invalid value: \"10.1.2\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"},
      {"endpoints loopback", "", "Endpoints",
       R"({"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"port":80}]}]})", "",
       "subsets[0].addresses[0].ip", "FieldValueInvalid",
       "Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"},
      {"endpoints addresses", "", "Endpoints", R"({"subsets":[{"ports":[{"port":80}]}]})", "",
       "subsets[0]", "FieldValueRequired",
       "Required value: must specify `addresses` or `notReadyAddresses`"},
      {"event namespace", "", "Event", R"({"involvedObject":{"namespace":"other"}})", "",
       "involvedObject.namespace", "FieldValueInvalid",
       "Invalid value: \"other\": does not match event.namespace"},
      {"binding target", "", "Binding", R"({"target":{"name":null}})", "", "target.name",
       "FieldValueRequired", "Required value"},

      // ---- other groups
      {"endpointslice addressType", "discovery.k8s.io", "EndpointSlice",
       R"({"addressType":"IPv5"})", "", "addressType", "FieldValueNotSupported",
       "Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""},
      {"endpointslice address", "discovery.k8s.io", "EndpointSlice",
       R"({"endpoints":[{"addresses":["10.1.2.999"]}]})", "", "endpoints[0].addresses[0]",
       "FieldValueInvalid", "Invalid value: \"10.1.2.999\": must be a valid IPv4 address"},
      {"endpointslice addresses", "discovery.k8s.io", "EndpointSlice",
       R"({"endpoints":[{"addresses":[]}]})", "", "endpoints[0].addresses", "FieldValueRequired",
       "Required value: must contain at least 1 address"},
      {"lease duration", "coordination.k8s.io", "Lease", R"({"spec":{"leaseDurationSeconds":0}})",
       "", "spec.leaseDurationSeconds", "FieldValueInvalid",
       "Invalid value: 0: must be greater than 0"},
      {"priorityclass value", "scheduling.k8s.io", "PriorityClass", R"({"value":2000000000})", "",
       "value", "FieldValueForbidden",
       "Forbidden: maximum allowed value of a user defined priority is 1000000000"},
      {"priorityclass system name", "scheduling.k8s.io", "PriorityClass",
       R"({"metadata":{"name":"system-gpu"}})", "", "metadata.name", "FieldValueForbidden",
       "Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
       "error: system-gpu is not a known system priority class"},
      {"priorityclass preemption", "scheduling.k8s.io", "PriorityClass",
       R"({"preemptionPolicy":"Always"})", "", "preemptionPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Always\": supported values: \"PreemptLowerPriority\", \"Never\""},
      {"storageclass provisioner", "storage.k8s.io", "StorageClass", R"({"provisioner":null})", "",
       "provisioner", "FieldValueRequired", "Required value"},
      {"storageclass reclaim", "storage.k8s.io", "StorageClass", R"({"reclaimPolicy":"Recycle"})",
       "", "reclaimPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\""},
      {"storageclass binding mode", "storage.k8s.io", "StorageClass",
       R"({"volumeBindingMode":"Later"})", "", "volumeBindingMode", "FieldValueNotSupported",
       "Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\""},
      {"hpa maxReplicas", "autoscaling", "HorizontalPodAutoscaler", R"({"spec":{"maxReplicas":0}})",
       "", "spec.maxReplicas", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"},
      {"hpa min above max", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"minReplicas":6}})", "", "spec.maxReplicas", "FieldValueInvalid",
       "Invalid value: 5: must be greater than or equal to `minReplicas`"},
      {"hpa minReplicas", "autoscaling", "HorizontalPodAutoscaler", R"({"spec":{"minReplicas":0}})",
       "", "spec.minReplicas", "FieldValueInvalid",
       "Invalid value: 0: must be greater than or equal to 1"},
      {"hpa target name", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"scaleTargetRef":{"name":null}}})", "", "spec.scaleTargetRef.name",
       "FieldValueRequired", "Required value"},
      {"hpa target kind", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"scaleTargetRef":{"kind":"a/b"}}})", "", "spec.scaleTargetRef.kind",
       "FieldValueInvalid", "Invalid value: \"a/b\": may not contain '/'"},
      {"hpa metric type", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"metrics":[{"type":"Magic"}]}})", "", "spec.metrics[0].type",
       "FieldValueNotSupported",
       "Unsupported value: \"Magic\": supported values: \"ContainerResource\", \"External\", "
       "\"Object\", \"Pods\", \"Resource\""},
      {"hpa resource target", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization"}}}]}})",
       "", "spec.metrics[0].resource.target.averageUtilization", "FieldValueRequired",
       "Required value: must set either a target raw value or a target utilization"},
      {"hpa target type", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Percent","averageUtilization":50}}}]}})",
       "", "spec.metrics[0].resource.target.type", "FieldValueInvalid",
       "Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue"},
      {"hpa metric source", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"metrics":[{"type":"Resource"}]}})", "", "spec.metrics[0].resource",
       "FieldValueRequired",
       "Required value: must populate information for the given metric source"},
      {"hpa two sources", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}},"pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}}]}})",
       "", "spec.metrics[0].pods", "FieldValueForbidden",
       "Forbidden: must populate the given metric source only"},
      {"hpa policy period", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"behavior":{"scaleUp":{"policies":[{"type":"Pods","value":4,"periodSeconds":1801}]}}}})",
       "", "spec.behavior.scaleUp.policies[0].periodSeconds", "FieldValueInvalid",
       "Invalid value: 1801: must be less than or equal to 1800"},
      {"hpa policy value", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"behavior":{"scaleDown":{"policies":[{"type":"Percent","value":0,"periodSeconds":60}]}}}})",
       "", "spec.behavior.scaleDown.policies[0].value", "FieldValueInvalid",
       "Invalid value: 0: must be greater than zero"},
      {"hpa policy type", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"behavior":{"scaleDown":{"policies":[{"type":"Nodes","value":1,"periodSeconds":60}]}}}})",
       "", "spec.behavior.scaleDown.policies[0].type", "FieldValueNotSupported",
       "Unsupported value: \"Nodes\": supported values: \"Percent\", \"Pods\""},
      {"hpa selectPolicy", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"behavior":{"scaleUp":{"selectPolicy":"Best"}}}})", "",
       "spec.behavior.scaleUp.selectPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Best\": supported values: \"Disabled\", \"Max\", \"Min\""},
      {"hpa stabilization", "autoscaling", "HorizontalPodAutoscaler",
       R"({"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":4000}}}})", "",
       "spec.behavior.scaleDown.stabilizationWindowSeconds", "FieldValueInvalid",
       "Invalid value: 4000: must be less than or equal to 3600"},
      {"scale replicas", "autoscaling", "Scale", R"({"spec":{"replicas":-1}})", "", "spec.replicas",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
  };
  for (const Case& c : cases) {
    Json obj = Make(c.group, c.kind, c.patch);
    ExpectError(c, ValidateCreate(c.group, c.kind, obj));
  }
}

TEST(ValidationTest, UpdateRules) {
  const std::vector<Case> cases = {
      {"name immutable", "", "ConfigMap", "", R"({"metadata":{"name":"other"}})", "metadata.name",
       "FieldValueInvalid", "Invalid value: \"other\": field is immutable"},
      {"uid immutable", "", "ConfigMap", R"({"metadata":{"uid":"a"}})",
       R"({"metadata":{"uid":"b"}})", "metadata.uid", "FieldValueInvalid",
       "Invalid value: \"b\": field is immutable"},
      {"pod spec immutable", "", "Pod", "",
       R"({"spec":{"containers":[{"name":"app","image":"nginx:1.25","ports":[{"containerPort":80}]}]}})",
       "spec", "FieldValueForbidden", kPodUpdateMsg, Match::kPrefix},
      {"pod containers added", "", "Pod", "",
       R"({"spec":{"containers":[{"name":"app","image":"nginx:1.25"},{"name":"b","image":"x"}]}})",
       "spec.containers", "FieldValueForbidden",
       "Forbidden: pod updates may not add or remove containers"},
      {"pod image required", "", "Pod", "",
       R"({"spec":{"containers":[{"name":"app","image":""}]}})", "spec.containers[0].image",
       "FieldValueRequired", "Required value"},
      {"pod activeDeadlineSeconds raised", "", "Pod", R"({"spec":{"activeDeadlineSeconds":100}})",
       R"({"spec":{"activeDeadlineSeconds":200}})", "spec.activeDeadlineSeconds",
       "FieldValueInvalid", "Invalid value: 200: must be less than or equal to previous value"},
      {"pod activeDeadlineSeconds removed", "", "Pod", R"({"spec":{"activeDeadlineSeconds":100}})",
       R"({"spec":{"activeDeadlineSeconds":null}})", "spec.activeDeadlineSeconds",
       "FieldValueInvalid",
       "Invalid value: null: must not update from a positive integer to nil value"},
      {"pod toleration removed", "", "Pod",
       R"({"spec":{"tolerations":[{"key":"gpu","operator":"Exists"}]}})",
       R"({"spec":{"tolerations":[]}})", "spec.tolerations", "FieldValueForbidden",
       "Forbidden: existing toleration can not be modified except its tolerationSeconds"},
      {"pod scheduling gate added", "", "Pod", "",
       R"({"spec":{"schedulingGates":[{"name":"example.com/quota"}]}})",
       "spec.schedulingGates[0].name", "FieldValueForbidden",
       "Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/quota'"},
      {"deployment selector immutable", "apps", "Deployment", "",
       R"({"spec":{"selector":{"matchLabels":{"app":"web","v":"2"}},"template":{"metadata":{"labels":{"app":"web","v":"2"}}}}})",
       "spec.selector", "FieldValueInvalid", ": field is immutable", Match::kSuffix},
      {"replicaset selector immutable", "apps", "ReplicaSet", "",
       R"({"spec":{"selector":{"matchLabels":{"app":"web","v":"2"}},"template":{"metadata":{"labels":{"app":"web","v":"2"}}}}})",
       "spec.selector", "FieldValueInvalid", ": field is immutable", Match::kSuffix},
      {"job template immutable", "batch", "Job", "",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}})",
       "spec.template", "FieldValueInvalid", ": field is immutable", Match::kSuffix},
      {"job selector immutable", "batch", "Job", "",
       R"({"spec":{"selector":{"matchLabels":{"app":"web"}},"manualSelector":true}})",
       "spec.selector", "FieldValueInvalid", ": field is immutable", Match::kSuffix},
      {"job completions immutable", "batch", "Job", "", R"({"spec":{"completions":3}})",
       "spec.completions", "FieldValueInvalid", "Invalid value: 3: field is immutable"},
      {"job indexed completions", "batch", "Job",
       R"({"spec":{"completionMode":"Indexed","completions":2,"parallelism":2}})",
       R"({"spec":{"completions":4}})", "spec.completions", "FieldValueInvalid",
       "Invalid value: 4: can only be modified in tandem with spec.parallelism"},
      {"service clusterIP", "", "Service", R"({"spec":{"clusterIP":"10.0.0.1"}})",
       R"({"spec":{"clusterIP":"10.0.0.2","clusterIPs":["10.0.0.2"]}})", "spec.clusterIPs[0]",
       "FieldValueInvalid", "Invalid value: [\"10.0.0.2\"]: may not change once set"},
      {"pvc unbound storage", "", "PersistentVolumeClaim", "",
       R"({"spec":{"resources":{"requests":{"storage":"2Gi"}}}})", "spec", "FieldValueForbidden",
       "Forbidden: spec is immutable after creation except resources.requests and "
       "volumeAttributesClassName for bound claims\n",
       Match::kPrefix},
      {"pvc shrink", "", "PersistentVolumeClaim",
       R"({"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})",
       R"({"spec":{"resources":{"requests":{"storage":"512Mi"}}}})",
       "spec.resources.requests.storage", "FieldValueForbidden",
       "Forbidden: field can not be less than status.capacity"},
      {"pvc accessModes", "", "PersistentVolumeClaim", R"({"status":{"phase":"Bound"}})",
       R"({"spec":{"accessModes":["ReadWriteMany"]}})", "spec", "FieldValueForbidden",
       "Forbidden: spec is immutable after creation", Match::kPrefix},
      {"pv source", "", "PersistentVolume", "", R"({"spec":{"hostPath":{"path":"/other"}}})",
       "spec.persistentvolumesource", "FieldValueForbidden",
       "Forbidden: spec.persistentvolumesource is immutable after creation\n", Match::kPrefix},
      {"configmap immutable data", "", "ConfigMap", R"({"immutable":true})",
       R"({"data":{"key":"other"}})", "data", "FieldValueForbidden",
       "Forbidden: field is immutable when `immutable` is set"},
      {"configmap immutable flag", "", "ConfigMap", R"({"immutable":true})",
       R"({"immutable":false})", "immutable", "FieldValueForbidden",
       "Forbidden: field is immutable when `immutable` is set"},
      {"secret immutable data", "", "Secret", R"({"immutable":true})",
       R"({"data":{"key":"b3RoZXI="}})", "data", "FieldValueForbidden",
       "Forbidden: field is immutable when `immutable` is set"},
      {"secret type", "", "Secret", R"({"data":{"username":"dQ=="}})",
       R"({"type":"kubernetes.io/basic-auth"})", "type", "FieldValueInvalid",
       "Invalid value: \"kubernetes.io/basic-auth\": field is immutable"},
      {"node podCIDR", "", "Node", R"({"spec":{"podCIDRs":["10.244.0.0/24"]}})",
       R"({"spec":{"podCIDRs":["10.244.1.0/24"]}})", "spec.podCIDRs", "FieldValueForbidden",
       "Forbidden: node updates may not change podCIDR except from \"\" to valid"},
      {"priorityclass value", "scheduling.k8s.io", "PriorityClass", "", R"({"value":5})", "value",
       "FieldValueForbidden", "Forbidden: may not be changed in an update."},
      {"storageclass provisioner", "storage.k8s.io", "StorageClass", "",
       R"({"provisioner":"example.com/other"})", "provisioner", "FieldValueForbidden",
       "Forbidden: updates to provisioner are forbidden."},
      {"endpointslice addressType", "discovery.k8s.io", "EndpointSlice", "",
       R"({"addressType":"IPv6","endpoints":[{"addresses":["2001:db8::1"]}]})", "addressType",
       "FieldValueInvalid", "Invalid value: \"IPv6\": field is immutable"},
  };
  for (const Case& c : cases) {
    Json old = Make(c.group, c.kind, c.patch);
    Json now = old;
    now.merge_patch(Json::parse(c.update));
    ApplyDefaults(c.group, c.kind, now);
    ExpectError(c, ValidateUpdate(c.group, c.kind, now, old));
  }
}

TEST(ValidationTest, AllowedUpdates) {
  struct Allowed {
    std::string name, group, kind, patch, update;
  };
  const std::vector<Allowed> cases = {
      {"pod image", "", "Pod", "",
       R"({"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}})"},
      {"pod toleration added", "", "Pod", "",
       R"({"spec":{"tolerations":[{"key":"gpu","operator":"Exists"}]}})"},
      {"pod deadline lowered", "", "Pod", R"({"spec":{"activeDeadlineSeconds":100}})",
       R"({"spec":{"activeDeadlineSeconds":50}})"},
      {"pod gate removed", "", "Pod", R"({"spec":{"schedulingGates":[{"name":"example.com/q"}]}})",
       R"({"spec":{"schedulingGates":null}})"},
      {"pod labels", "", "Pod", "", R"({"metadata":{"labels":{"tier":"fe"}}})"},
      {"deployment replicas and template", "apps", "Deployment", "",
       R"({"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}})"},
      {"suspended job node selector", "batch", "Job", R"({"spec":{"suspend":true}})",
       R"({"spec":{"template":{"spec":{"nodeSelector":{"gpu":"a100"}}}}})"},
      {"job parallelism", "batch", "Job", "", R"({"spec":{"parallelism":4}})"},
      {"cronjob long name kept", "batch", "CronJob", "", R"({"spec":{"suspend":true}})"},
      {"service without clusterIP keeps it", "", "Service", R"({"spec":{"clusterIP":"10.0.0.1"}})",
       R"({"spec":{"clusterIP":null,"clusterIPs":null}})"},
      {"pvc bound expansion", "", "PersistentVolumeClaim",
       R"({"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})",
       R"({"spec":{"resources":{"requests":{"storage":"5Gi"}}}})"},
      {"pvc binds volume", "", "PersistentVolumeClaim", "", R"({"spec":{"volumeName":"pv-1"}})"},
      {"configmap data", "", "ConfigMap", "", R"({"data":{"key":"other"}})"},
      {"uid filled by server", "", "ConfigMap", R"({"metadata":{"uid":"a"}})",
       R"({"metadata":{"uid":null}})"},
  };
  for (const Allowed& c : cases) {
    Json old = Make(c.group, c.kind, c.patch);
    Json now = old;
    now.merge_patch(Json::parse(c.update));
    ApplyDefaults(c.group, c.kind, now);
    ErrorList errs = ValidateUpdate(c.group, c.kind, now, old);
    EXPECT_TRUE(errs.empty()) << c.name << Describe(errs);
  }
}

TEST(ValidationTest, StatusRules) {
  const std::vector<Case> cases = {
      {"pod phase", "", "Pod", "", R"({"status":{"phase":"Done"}})", "status.phase",
       "FieldValueNotSupported",
       "Unsupported value: \"Done\": supported values: \"Pending\", \"Running\", \"Succeeded\", "
       "\"Failed\", \"Unknown\""},
      {"pod nodeName", "", "Pod", "", R"({"spec":{"nodeName":"n1"}})", "status.nodeName",
       "FieldValueForbidden", "Forbidden: may not be changed directly"},
      {"pod podIPs", "", "Pod", "", R"({"status":{"podIPs":[{"ip":"10.0.0"}]}})",
       "status.podIPs[0]", "FieldValueInvalid",
       "Invalid value: \"10.0.0\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"},
      {"pod container revived", "", "Pod",
       R"({"spec":{"restartPolicy":"Never"},"status":{"containerStatuses":[{"name":"app","state":{"terminated":{"exitCode":0}}}]}})",
       R"({"status":{"containerStatuses":[{"name":"app","state":{"running":{}}}]}})",
       "status.containerStatuses[0].state", "FieldValueForbidden",
       "Forbidden: may not be transitioned to non-terminated state"},
      {"deployment ready replicas", "apps", "Deployment", "",
       R"({"status":{"replicas":2,"readyReplicas":3}})", "status.readyReplicas",
       "FieldValueInvalid", "Invalid value: 3: cannot be greater than status.replicas"},
      {"replicaset replicas", "apps", "ReplicaSet", "", R"({"status":{"replicas":-1}})",
       "status.replicas", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"job active", "batch", "Job", "", R"({"status":{"active":-1}})", "status.active",
       "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"},
      {"namespace phase", "", "Namespace", "", R"({"status":{"phase":"Terminating"}})",
       "status.Phase", "FieldValueInvalid",
       "Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"},
      {"hpa status", "autoscaling", "HorizontalPodAutoscaler", "",
       R"({"status":{"desiredReplicas":-1}})", "status.desiredReplicas", "FieldValueInvalid",
       "Invalid value: -1: must be greater than or equal to 0"},
  };
  for (const Case& c : cases) {
    Json old = Make(c.group, c.kind, c.patch);
    Json now = old;
    now.merge_patch(Json::parse(c.update));
    ExpectError(c, ValidateStatusUpdate(c.group, c.kind, now, old));
  }
}

TEST(ValidationTest, GenerateNameWithoutNameIsAccepted) {
  Json pod = Make("", "Pod", R"({"metadata":{"name":null,"generateName":"web-"}})");
  EXPECT_TRUE(ValidateCreate("", "Pod", pod).empty()) << Describe(ValidateCreate("", "Pod", pod));
}

TEST(ValidationTest, UnknownKindsGetMetadataRules) {
  Json obj = {{"metadata", {{"name", "Bad_Name"}, {"labels", {{"a", "-b"}}}}}};
  ErrorList errs = ValidateCreate("example.com", "Widget", obj);
  ASSERT_EQ(errs.size(), 2u) << Describe(errs);
  EXPECT_EQ(errs[0].field, "metadata.name");
  EXPECT_EQ(errs[1].field, "metadata.labels");
}

TEST(ValidationTest, InvalidStatusReadsLikeKubectl) {
  Json pod = Make("", "Pod", R"({"spec":{"containers":[{"name":"app"}]}})");
  ErrorList errs = ValidateCreate("", "Pod", pod);
  ASSERT_EQ(errs.size(), 1u) << Describe(errs);
  Status s = InvalidStatus("", "Pod", "web", errs);
  EXPECT_EQ(s.message(), "Pod \"web\" is invalid: spec.containers[0].image: Required value");
}

// Values of the wrong JSON type are the schema layer's to report; defaulting and validation
// must neither throw nor crash on them.
TEST(ValidationTest, WrongTypesNeverThrow) {
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"", "Pod"},
      {"", "Service"},
      {"", "Secret"},
      {"", "Namespace"},
      {"", "Node"},
      {"", "PersistentVolumeClaim"},
      {"", "PersistentVolume"},
      {"", "ConfigMap"},
      {"", "Endpoints"},
      {"", "Event"},
      {"", "Binding"},
      {"apps", "Deployment"},
      {"apps", "ReplicaSet"},
      {"batch", "Job"},
      {"batch", "CronJob"},
      {"autoscaling", "HorizontalPodAutoscaler"},
      {"discovery.k8s.io", "EndpointSlice"},
      {"storage.k8s.io", "StorageClass"},
      {"scheduling.k8s.io", "PriorityClass"},
  };
  const std::vector<std::string> junk = {
      R"({"metadata":5,"spec":"x"})",
      R"({"metadata":{"name":7,"labels":[1],"annotations":"a"},"spec":{"containers":{"a":1},"template":3,"ports":"80","selector":[],"jobTemplate":[1]}})",
      R"({"spec":{"containers":[1,"a",null,{"name":5,"image":[],"ports":[3,{"containerPort":"80"}],"resources":{"limits":[],"requests":{"cpu":{}}},"env":[{"name":1,"valueFrom":3}],"livenessProbe":"x"}],"volumes":[1,{"name":[]}],"tolerations":{},"affinity":[]}})",
      R"({"spec":{"template":{"metadata":{"labels":{"a":1}},"spec":{"containers":[{"name":"a","image":"b","volumeMounts":[1]}]}},"selector":{"matchLabels":{"a":1},"matchExpressions":[1,{"operator":5}]},"strategy":[],"schedule":5,"metrics":[1,{"resource":5}],"behavior":{"scaleUp":[]}}})",
      R"({"data":[1],"stringData":{"a":1},"subsets":[1,{"addresses":[1]}],"endpoints":"x","ports":[{"port":"a"}],"addressType":1,"status":{"capacity":[],"phase":1}})",
      R"([1,2,3])",
      R"("just a string")",
  };
  for (const auto& [group, kind] : kinds) {
    for (const std::string& text : junk) {
      Json obj = Json::parse(text);
      Json old = obj;
      EXPECT_NO_THROW(ApplyDefaults(group, kind, obj)) << kind << " " << text;
      EXPECT_NO_THROW(ValidateCreate(group, kind, obj)) << kind << " " << text;
      EXPECT_NO_THROW(ValidateUpdate(group, kind, obj, old)) << kind << " " << text;
      EXPECT_NO_THROW(ValidateStatusUpdate(group, kind, obj, old)) << kind << " " << text;
      for (const FieldError& e : ValidateCreate(group, kind, obj)) {
        EXPECT_NE(e.type, ErrorType::kInternal) << kind << " " << text << ": " << e.Error();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Name validators.

TEST(NameValidatorsTest, KubernetesMessages) {
  EXPECT_TRUE(IsDNS1123Subdomain("my.app-1").empty());
  EXPECT_EQ(IsDNS1123Subdomain("My.App"), std::vector<std::string>{kSubdomainMsg});
  EXPECT_EQ(IsDNS1123Subdomain(std::string(254, 'a')),
            (std::vector<std::string>{"must be no more than 253 characters"}));
  EXPECT_TRUE(IsDNS1123Label("web-1").empty());
  EXPECT_EQ(IsDNS1123Label("web.1"), std::vector<std::string>{"must not contain dots"});
  EXPECT_EQ(IsDNS1123Label("-web"), std::vector<std::string>{kLabelMsg});
  EXPECT_EQ(IsDNS1123Label(std::string(64, 'a')),
            (std::vector<std::string>{"must be no more than 63 characters"}));
  EXPECT_TRUE(IsDNS1035Label("web").empty());
  EXPECT_EQ(IsDNS1035Label("1web"), std::vector<std::string>{kDNS1035Msg});
  EXPECT_TRUE(IsQualifiedName("example.com/My_Name.1").empty());
  EXPECT_EQ(IsQualifiedName(""), (std::vector<std::string>{"name part must be non-empty",
                                                           "name part " + kQualifiedNameRegex}));
  EXPECT_EQ(IsQualifiedName("Example.com/x"),
            std::vector<std::string>{"prefix part " + kSubdomainMsg});
  EXPECT_EQ(IsQualifiedName(std::string(64, 'a')),
            (std::vector<std::string>{"name part must be no more than 63 characters"}));
  EXPECT_TRUE(IsValidLabelValue("").empty());
  EXPECT_TRUE(IsValidLabelValue("v1.2_3-x").empty());
  EXPECT_EQ(IsValidLabelValue("a b"), std::vector<std::string>{kLabelValueMsg});
}

// ---------------------------------------------------------------------------------------------
// Defaults.

Json Defaulted(const std::string& group, const std::string& kind, const std::string& patch) {
  return Make(group, kind, patch);
}

Json At(const Json& obj, const std::string& pointer) {
  Json::json_pointer p(pointer);
  return obj.contains(p) ? obj.at(p) : Json();
}

TEST(DefaultsTest, Pod) {
  Json pod = Defaulted("", "Pod", R"({"spec":{"containers":[
      {"name":"a","image":"nginx","ports":[{"containerPort":80}],
       "resources":{"limits":{"cpu":"1","memory":"1Gi"}},
       "livenessProbe":{"httpGet":{"port":80}},
       "env":[{"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]},
      {"name":"b","image":"nginx:1.25"},
      {"name":"c","image":"nginx:latest"},
      {"name":"d","image":"nginx@sha256:0123"},
      {"name":"e","image":"localhost:5000/app"},
      {"name":"f","image":"registry.local:5000/team/app:v2"}],
     "volumes":[{"name":"scratch"},{"name":"s","secret":{"secretName":"x"}}]}})");
  EXPECT_EQ(At(pod, "/spec/restartPolicy"), "Always");
  EXPECT_EQ(At(pod, "/spec/dnsPolicy"), "ClusterFirst");
  EXPECT_EQ(At(pod, "/spec/schedulerName"), "default-scheduler");
  EXPECT_EQ(At(pod, "/spec/terminationGracePeriodSeconds"), 30);
  EXPECT_EQ(At(pod, "/spec/securityContext"), Json::object());
  EXPECT_EQ(At(pod, "/spec/enableServiceLinks"), true);
  EXPECT_EQ(At(pod, "/spec/serviceAccountName"), "default");
  EXPECT_EQ(At(pod, "/spec/serviceAccount"), "default");
  EXPECT_EQ(At(pod, "/spec/containers/0/imagePullPolicy"), "Always");
  EXPECT_EQ(At(pod, "/spec/containers/1/imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(At(pod, "/spec/containers/2/imagePullPolicy"), "Always");
  EXPECT_EQ(At(pod, "/spec/containers/3/imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(At(pod, "/spec/containers/4/imagePullPolicy"), "Always");
  EXPECT_EQ(At(pod, "/spec/containers/5/imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(At(pod, "/spec/containers/0/terminationMessagePath"), "/dev/termination-log");
  EXPECT_EQ(At(pod, "/spec/containers/0/terminationMessagePolicy"), "File");
  EXPECT_EQ(At(pod, "/spec/containers/0/ports/0/protocol"), "TCP");
  EXPECT_EQ(At(pod, "/spec/containers/0/livenessProbe"),
            Json::parse(R"({"httpGet":{"port":80,"path":"/","scheme":"HTTP"},"timeoutSeconds":1,
                            "periodSeconds":10,"successThreshold":1,"failureThreshold":3})"));
  EXPECT_EQ(At(pod, "/spec/containers/0/env/0/valueFrom/fieldRef/apiVersion"), "v1");
  EXPECT_EQ(At(pod, "/spec/containers/0/resources/requests"),
            Json::parse(R"({"cpu":"1","memory":"1Gi"})"));
  EXPECT_EQ(At(pod, "/spec/volumes/0/emptyDir"), Json::object());
  EXPECT_EQ(At(pod, "/spec/volumes/1/secret/defaultMode"), 420);
  EXPECT_TRUE(ValidateCreate("", "Pod", pod).empty()) << Describe(ValidateCreate("", "Pod", pod));
}

TEST(DefaultsTest, HostNetworkPodPorts) {
  Json pod = Defaulted(
      "", "Pod",
      R"({"spec":{"hostNetwork":true,"containers":[{"name":"a","image":"x","ports":[{"containerPort":8080}]}]}})");
  EXPECT_EQ(At(pod, "/spec/containers/0/ports/0/hostPort"), 8080);
}

TEST(DefaultsTest, TemplatesGetPodSpecDefaultsOnly) {
  Json d = Defaulted("apps", "Deployment",
                     R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"x",
                         "resources":{"limits":{"cpu":"1"}}}]}}}})");
  EXPECT_EQ(At(d, "/spec/replicas"), 1);
  EXPECT_EQ(
      At(d, "/spec/strategy"),
      Json::parse(
          R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}})"));
  EXPECT_EQ(At(d, "/spec/revisionHistoryLimit"), 10);
  EXPECT_EQ(At(d, "/spec/progressDeadlineSeconds"), 600);
  EXPECT_EQ(At(d, "/spec/template/spec/restartPolicy"), "Always");
  EXPECT_EQ(At(d, "/spec/template/spec/terminationGracePeriodSeconds"), 30);
  EXPECT_EQ(At(d, "/spec/template/spec/containers/0/imagePullPolicy"), "Always");
  // Pod-only defaults stay off templates, as in Kubernetes.
  EXPECT_TRUE(At(d, "/spec/template/spec/enableServiceLinks").is_null());
  EXPECT_TRUE(At(d, "/spec/template/spec/serviceAccountName").is_null());
  EXPECT_TRUE(At(d, "/spec/template/spec/containers/0/resources/requests").is_null());

  Json recreate = Defaulted("apps", "Deployment", R"({"spec":{"strategy":{"type":"Recreate"}}})");
  EXPECT_EQ(At(recreate, "/spec/strategy"), Json::parse(R"({"type":"Recreate"})"));
  EXPECT_EQ(At(Defaulted("apps", "ReplicaSet", ""), "/spec/replicas"), 1);
}

TEST(DefaultsTest, Job) {
  Json job = Defaulted("batch", "Job", "");
  EXPECT_EQ(At(job, "/spec/parallelism"), 1);
  EXPECT_EQ(At(job, "/spec/completions"), 1);
  EXPECT_EQ(At(job, "/spec/backoffLimit"), 6);
  EXPECT_EQ(At(job, "/spec/completionMode"), "NonIndexed");
  EXPECT_EQ(At(job, "/spec/suspend"), false);
  EXPECT_EQ(At(job, "/spec/podReplacementPolicy"), "TerminatingOrFailed");
  EXPECT_EQ(At(job, "/spec/selector"),
            Json::parse(R"({"matchLabels":{"batch.kubernetes.io/controller-uid":"1234-5678"}})"));
  EXPECT_EQ(At(job, "/spec/template/metadata/labels"), Json::parse(R"({
      "app":"web","batch.kubernetes.io/controller-uid":"1234-5678",
      "batch.kubernetes.io/job-name":"web","controller-uid":"1234-5678","job-name":"web"})"));
  EXPECT_EQ(At(job, "/metadata/labels"), Json::parse(R"({"app":"web"})"));
  EXPECT_TRUE(ValidateCreate("batch", "Job", job).empty())
      << Describe(ValidateCreate("batch", "Job", job));

  Json unlabeled = Defaulted("batch", "Job", R"({"spec":{"template":{"metadata":null}}})");
  EXPECT_EQ(At(unlabeled, "/metadata/labels/job-name"), "web");

  Json queue = Defaulted("batch", "Job", R"({"spec":{"parallelism":3}})");
  EXPECT_EQ(At(queue, "/spec/parallelism"), 3);
  EXPECT_TRUE(At(queue, "/spec/completions").is_null());

  Json per_index = Defaulted(
      "batch", "Job",
      R"({"spec":{"completionMode":"Indexed","completions":3,"backoffLimitPerIndex":1}})");
  EXPECT_EQ(At(per_index, "/spec/backoffLimit"), 2147483647);

  Json failure = Defaulted("batch", "Job", R"({"spec":{"podFailurePolicy":{"rules":[
      {"action":"Ignore","onPodConditions":[{"type":"DisruptionTarget"}]}]}}})");
  EXPECT_EQ(At(failure, "/spec/podReplacementPolicy"), "Failed");
  EXPECT_EQ(At(failure, "/spec/podFailurePolicy/rules/0/onPodConditions/0/status"), "True");

  Json manual =
      Defaulted("batch", "Job",
                R"({"spec":{"manualSelector":true,"selector":{"matchLabels":{"app":"web"}}}})");
  EXPECT_EQ(At(manual, "/spec/selector"), Json::parse(R"({"matchLabels":{"app":"web"}})"));
  EXPECT_TRUE(At(manual, "/spec/template/metadata/labels/job-name").is_null());
}

TEST(DefaultsTest, CronJob) {
  Json cj = Defaulted("batch", "CronJob", "");
  EXPECT_EQ(At(cj, "/spec/concurrencyPolicy"), "Allow");
  EXPECT_EQ(At(cj, "/spec/suspend"), false);
  EXPECT_EQ(At(cj, "/spec/successfulJobsHistoryLimit"), 3);
  EXPECT_EQ(At(cj, "/spec/failedJobsHistoryLimit"), 1);
  EXPECT_EQ(At(cj, "/spec/jobTemplate/spec/template/spec/dnsPolicy"), "ClusterFirst");
  // Job defaults belong to Jobs: the controller's new Job gets them when it is created.
  EXPECT_TRUE(At(cj, "/spec/jobTemplate/spec/backoffLimit").is_null());
}

TEST(DefaultsTest, Service) {
  Json svc = Defaulted("", "Service", "");
  EXPECT_EQ(At(svc, "/spec/type"), "ClusterIP");
  EXPECT_EQ(At(svc, "/spec/sessionAffinity"), "None");
  EXPECT_EQ(At(svc, "/spec/ports/0"),
            Json::parse(R"({"port":80,"protocol":"TCP","targetPort":80})"));
  EXPECT_EQ(At(svc, "/spec/internalTrafficPolicy"), "Cluster");
  EXPECT_EQ(At(svc, "/spec/ipFamilyPolicy"), "SingleStack");
  EXPECT_EQ(At(svc, "/spec/ipFamilies"), Json::parse(R"(["IPv4"])"));
  EXPECT_TRUE(At(svc, "/spec/externalTrafficPolicy").is_null());

  Json node_port =
      Defaulted("", "Service", R"({"spec":{"type":"NodePort","clusterIP":"10.0.0.9"}})");
  EXPECT_EQ(At(node_port, "/spec/externalTrafficPolicy"), "Cluster");
  EXPECT_EQ(At(node_port, "/spec/clusterIPs"), Json::parse(R"(["10.0.0.9"])"));

  Json lb = Defaulted("", "Service", R"({"spec":{"type":"LoadBalancer"}})");
  EXPECT_EQ(At(lb, "/spec/allocateLoadBalancerNodePorts"), true);

  Json sticky = Defaulted("", "Service", R"({"spec":{"sessionAffinity":"ClientIP"}})");
  EXPECT_EQ(At(sticky, "/spec/sessionAffinityConfig/clientIP/timeoutSeconds"), 10800);
  EXPECT_TRUE(ValidateCreate("", "Service", sticky).empty());
}

TEST(DefaultsTest, SecretNamespaceAndStorage) {
  Json secret = Defaulted("", "Secret", R"({"stringData":{"password":"hello","key":"x"}})");
  EXPECT_EQ(At(secret, "/data/password"), "aGVsbG8=");
  EXPECT_EQ(At(secret, "/data/key"), "eA==");
  EXPECT_TRUE(At(secret, "/stringData").is_null());
  EXPECT_EQ(At(secret, "/type"), "Opaque");

  Json ns = Defaulted("", "Namespace", "");
  EXPECT_EQ(At(ns, "/spec/finalizers"), Json::parse(R"(["kubernetes"])"));
  EXPECT_EQ(At(ns, "/status/phase"), "Active");
  EXPECT_EQ(At(ns, "/metadata/labels/kubernetes.io~1metadata.name"), "web");
  // The namespace controller's removal of the finalizer sticks.
  Json finalized = ns;
  finalized["spec"]["finalizers"] = Json::array();
  ApplyDefaults("", "Namespace", finalized);
  EXPECT_EQ(At(finalized, "/spec/finalizers"), Json::array());

  Json pvc = Defaulted("", "PersistentVolumeClaim", "");
  EXPECT_EQ(At(pvc, "/spec/volumeMode"), "Filesystem");
  EXPECT_EQ(At(pvc, "/status/phase"), "Pending");
  Json pv = Defaulted("", "PersistentVolume", "");
  EXPECT_EQ(At(pv, "/spec/persistentVolumeReclaimPolicy"), "Retain");
  EXPECT_EQ(At(pv, "/spec/volumeMode"), "Filesystem");
  EXPECT_EQ(At(pv, "/spec/hostPath/type"), "");

  Json sc = Defaulted("storage.k8s.io", "StorageClass", "");
  EXPECT_EQ(At(sc, "/reclaimPolicy"), "Delete");
  EXPECT_EQ(At(sc, "/volumeBindingMode"), "Immediate");
  EXPECT_EQ(At(Defaulted("scheduling.k8s.io", "PriorityClass", ""), "/preemptionPolicy"),
            "PreemptLowerPriority");
  Json node = Defaulted("", "Node", R"({"status":{"capacity":{"cpu":"4"}}})");
  EXPECT_EQ(At(node, "/status/allocatable"), Json::parse(R"({"cpu":"4"})"));
  EXPECT_EQ(At(Defaulted("", "Endpoints", ""), "/subsets/0/ports/0/protocol"), "TCP");
  Json slice = Defaulted("discovery.k8s.io", "EndpointSlice", "");
  EXPECT_EQ(At(slice, "/ports/0"), Json::parse(R"({"name":"","port":80,"protocol":"TCP"})"));
}

TEST(DefaultsTest, HorizontalPodAutoscaler) {
  Json hpa = Defaulted("autoscaling", "HorizontalPodAutoscaler", "");
  EXPECT_EQ(At(hpa, "/spec/minReplicas"), 1);
  EXPECT_EQ(At(hpa, "/spec/metrics"), Json::parse(R"([{"type":"Resource","resource":{"name":"cpu",
      "target":{"type":"Utilization","averageUtilization":80}}}])"));
  EXPECT_TRUE(At(hpa, "/spec/behavior").is_null());

  Json with_behavior =
      Defaulted("autoscaling", "HorizontalPodAutoscaler",
                R"({"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}}})");
  EXPECT_EQ(At(with_behavior, "/spec/behavior"), Json::parse(R"({
      "scaleUp":{"stabilizationWindowSeconds":0,"selectPolicy":"Max","policies":[
        {"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent","value":100,"periodSeconds":15}]},
      "scaleDown":{"stabilizationWindowSeconds":60,"selectPolicy":"Max","policies":[
        {"type":"Percent","value":100,"periodSeconds":15}]}})"));
  EXPECT_TRUE(ValidateCreate("autoscaling", "HorizontalPodAutoscaler", with_behavior).empty());
}

TEST(DefaultsTest, Idempotent) {
  for (const auto& [group, kind] : std::vector<std::pair<std::string, std::string>>{
           {"", "Pod"},
           {"", "Service"},
           {"", "Namespace"},
           {"", "Secret"},
           {"apps", "Deployment"},
           {"batch", "Job"},
           {"batch", "CronJob"},
           {"autoscaling", "HorizontalPodAutoscaler"}}) {
    Json once = Make(group, kind, "");
    Json twice = once;
    ApplyDefaults(group, kind, twice);
    EXPECT_EQ(once, twice) << kind;
  }
}

}  // namespace
}  // namespace mlkube::api
