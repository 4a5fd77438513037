// Pod specs: containers, volumes, probes, scheduling constraints and security settings, as
// Kubernetes' pkg/apis/core/validation checks them for Pods and every pod template.

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api::internal {

namespace {

constexpr int64_t kMaxInt32 = INT32_MAX;
constexpr const char* kFileModeMsg = "must be a number between 0 and 0777 (octal), both inclusive";
const std::vector<std::string> kPortProtocols = {"SCTP", "TCP", "UDP"};

bool Contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// ---------------------------------------------------------------------------------------------
// Paths inside containers and volumes.

void ValidatePathNoBacksteps(std::string_view target, const Path& path, ErrorList& errs) {
  size_t start = 0;
  while (start <= target.size()) {
    size_t slash = target.find_first_of("/\\", start);
    std::string_view part =
        target.substr(start, slash == std::string_view::npos ? target.npos : slash - start);
    if (part == "..") {
      errs.push_back(Invalid(path, std::string(target), "must not contain '..'"));
      return;
    }
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

void ValidateLocalDescendingPath(std::string_view target, const Path& path, ErrorList& errs) {
  if (!target.empty() && target.front() == '/') {
    errs.push_back(Invalid(path, std::string(target), "must be a relative path"));
  }
  ValidatePathNoBacksteps(target, path, errs);
}

void ValidateLocalNonReservedPath(std::string_view target, const Path& path, ErrorList& errs) {
  ValidateLocalDescendingPath(target, path, errs);
  if (target.substr(0, 2) == ".." && target.substr(0, 3) != "../") {
    errs.push_back(Invalid(path, std::string(target), "must not start with '..'"));
  }
}

void ValidateFileMode(const Json& obj, std::string_view key, const Path& parent, ErrorList& errs) {
  std::optional<int64_t> mode = IntAt(obj, key);
  if (mode && (*mode > 0777 || *mode < 0)) {
    errs.push_back(Invalid(parent.Child(key), *mode, kFileModeMsg));
  }
}

void ValidateKeyToPaths(const Json& items, const Path& path, ErrorList& errs) {
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& kp = items[i];
    Path p = path.Index(i);
    if (!HasString(kp, "key")) errs.push_back(Required(p.Child("key"), ""));
    if (!HasString(kp, "path")) errs.push_back(Required(p.Child("path"), ""));
    ValidateLocalNonReservedPath(StringAt(kp, "path"), p.Child("path"), errs);
    ValidateFileMode(kp, "mode", p, errs);
  }
}

// ---------------------------------------------------------------------------------------------
// Downward API references (env valueFrom and downwardAPI volumes).

const std::vector<std::string> kEnvFieldPaths = {"metadata.name",
                                                 "metadata.namespace",
                                                 "metadata.uid",
                                                 "spec.nodeName",
                                                 "spec.serviceAccountName",
                                                 "status.hostIP",
                                                 "status.hostIPs",
                                                 "status.podIP",
                                                 "status.podIPs"};
const std::vector<std::string> kVolumeFieldPaths = {"metadata.annotations", "metadata.labels",
                                                    "metadata.name", "metadata.namespace",
                                                    "metadata.uid"};
const std::vector<std::string> kResourceFieldPaths = {
    "limits.cpu",   "limits.ephemeral-storage",   "limits.memory",
    "requests.cpu", "requests.ephemeral-storage", "requests.memory"};

// "metadata.labels['app']" splits into path and subscript.
bool SplitSubscriptedPath(std::string_view field_path, std::string* path, std::string* subscript) {
  if (field_path.size() < 2 || field_path.substr(field_path.size() - 2) != "']") return false;
  std::string_view s = field_path.substr(0, field_path.size() - 2);
  size_t open = s.find("['");
  if (open == std::string_view::npos || open == 0) return false;
  *path = std::string(s.substr(0, open));
  *subscript = std::string(s.substr(open + 2));
  return true;
}

void ValidateObjectFieldSelector(const Json& fs, const std::vector<std::string>& expressions,
                                 const Path& path, ErrorList& errs) {
  std::string api_version = StringAt(fs, "apiVersion");
  std::string field_path = StringAt(fs, "fieldPath");
  if (api_version.empty()) {
    errs.push_back(Required(path.Child("apiVersion"), ""));
    return;
  }
  if (field_path.empty()) {
    errs.push_back(Required(path.Child("fieldPath"), ""));
    return;
  }
  static const std::set<std::string, std::less<>> kConvertible = {
      "metadata.annotations", "metadata.labels", "metadata.name",      "metadata.namespace",
      "metadata.uid",         "spec.nodeName",   "spec.restartPolicy", "spec.serviceAccountName",
      "spec.schedulerName",   "status.phase",    "status.hostIP",      "status.hostIPs",
      "status.podIP",         "status.podIPs"};
  std::string base;
  std::string subscript;
  bool subscripted = SplitSubscriptedPath(field_path, &base, &subscript);
  std::string conversion_error;
  if (api_version != "v1") {
    conversion_error = "unsupported pod version: " + api_version;
  } else if (subscripted && base != "metadata.annotations" && base != "metadata.labels") {
    conversion_error = "field label does not support subscript: " + field_path;
  } else if (!subscripted && !kConvertible.count(field_path) && field_path != "spec.host") {
    conversion_error = "field label not supported: " + field_path;
  }
  if (!conversion_error.empty()) {
    errs.push_back(Invalid(path.Child("fieldPath"), field_path,
                           "error converting fieldPath: " + conversion_error));
    return;
  }
  if (subscripted) {
    if (base == "metadata.annotations") {
      std::transform(subscript.begin(), subscript.end(), subscript.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    ValidateQualifiedName(subscript, path, errs);
    return;
  }
  std::string internal_path = field_path == "spec.host" ? "spec.nodeName" : field_path;
  if (!Contains(expressions, internal_path)) {
    errs.push_back(NotSupported(path.Child("fieldPath"), internal_path, expressions));
  }
}

void ValidateContainerResourceFieldSelector(const Json& fs, bool volume, const Path& path,
                                            ErrorList& errs) {
  std::string resource = StringAt(fs, "resource");
  if (volume && !HasString(fs, "containerName")) {
    errs.push_back(Required(path.Child("containerName"), ""));
  } else if (resource.empty()) {
    errs.push_back(Required(path.Child("resource"), ""));
  } else if (!Contains(kResourceFieldPaths, resource) &&
             resource.rfind("requests.hugepages-", 0) != 0 &&
             resource.rfind("limits.hugepages-", 0) != 0) {
    errs.push_back(NotSupported(path.Child("resource"), resource, kResourceFieldPaths));
  }
  const Json* divisor = Find(fs, "divisor");
  std::optional<Quantity> d = divisor ? ToQuantity(*divisor) : std::nullopt;
  if (!d || d->IsZero()) return;
  static const std::set<std::string, std::less<>> kBytes = {
      "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"};
  std::string text = d->String();
  if (resource == "limits.cpu" || resource == "requests.cpu") {
    if (text != "1m" && text != "1") {
      errs.push_back(Invalid(path.Child("divisor"), resource,
                             "only divisor's values 1m and 1 are supported with the cpu resource"));
    }
  } else if ((resource == "limits.memory" || resource == "requests.memory") &&
             !kBytes.count(text)) {
    errs.push_back(Invalid(path.Child("divisor"), resource,
                           "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, "
                           "1Pi, 1Ei are supported with the memory resource"));
  }
}

void ValidateKeySelector(const Json& s, const Path& path, ErrorList& errs) {
  ValidateNameWith(NameIsDNSSubdomain, StringAt(s, "name"), path.Child("name"), errs);
  std::string key = StringAt(s, "key");
  if (key.empty()) {
    errs.push_back(Required(path.Child("key"), ""));
  } else {
    for (auto& msg : IsConfigMapKey(key)) errs.push_back(Invalid(path.Child("key"), key, msg));
  }
}

// ---------------------------------------------------------------------------------------------
// Containers.

void ValidateContainerPorts(const Json& ports, const Path& path, ErrorList& errs) {
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    const Json& port = ports[i];
    Path p = path.Index(i);
    std::string name = StringAt(port, "name");
    if (!name.empty()) {
      std::vector<std::string> msgs = IsValidPortName(name);
      if (!msgs.empty()) {
        for (auto& msg : msgs) errs.push_back(Invalid(p.Child("name"), name, msg));
      } else if (names.count(name)) {
        errs.push_back(Duplicate(p.Child("name"), name));
      } else {
        names.insert(name);
      }
    }
    const Json* cp = Find(port, "containerPort");
    std::optional<int64_t> container_port = cp ? AsInt(*cp) : std::nullopt;
    if (!cp || (container_port && *container_port == 0)) {
      errs.push_back(Required(p.Child("containerPort"), ""));
    } else if (container_port) {
      for (auto& msg : IsValidPortNum(*container_port)) {
        errs.push_back(Invalid(p.Child("containerPort"), *container_port, msg));
      }
    }
    std::optional<int64_t> host_port = IntAt(port, "hostPort");
    if (host_port && *host_port != 0) {
      for (auto& msg : IsValidPortNum(*host_port)) {
        errs.push_back(Invalid(p.Child("hostPort"), *host_port, msg));
      }
    }
    std::string protocol = StringAt(port, "protocol");
    if (protocol.empty()) {
      errs.push_back(Required(p.Child("protocol"), ""));
    } else if (!Contains(kPortProtocols, protocol)) {
      errs.push_back(NotSupported(p.Child("protocol"), protocol, kPortProtocols));
    }
  }
}

void ValidateEnv(const Json& env, const Path& path, ErrorList& errs) {
  for (size_t i = 0; i < env.size(); ++i) {
    const Json& ev = env[i];
    Path p = path.Index(i);
    std::string name = StringAt(ev, "name");
    if (name.empty()) {
      errs.push_back(Required(p.Child("name"), ""));
    } else {
      for (auto& msg : IsRelaxedEnvVarName(name)) {
        errs.push_back(Invalid(p.Child("name"), name, msg));
      }
    }
    const Json* from = Find(ev, "valueFrom");
    if (!from || !from->is_object()) continue;
    Path fp = p.Child("valueFrom");
    int sources = 0;
    if (const Json* f = Find(*from, "fieldRef")) {
      ++sources;
      ValidateObjectFieldSelector(*f, kEnvFieldPaths, fp.Child("fieldRef"), errs);
    }
    if (const Json* f = Find(*from, "resourceFieldRef")) {
      ++sources;
      ValidateContainerResourceFieldSelector(*f, false, fp.Child("resourceFieldRef"), errs);
    }
    if (const Json* f = Find(*from, "configMapKeyRef")) {
      ++sources;
      ValidateKeySelector(*f, fp.Child("configMapKeyRef"), errs);
    }
    if (const Json* f = Find(*from, "secretKeyRef")) {
      ++sources;
      ValidateKeySelector(*f, fp.Child("secretKeyRef"), errs);
    }
    if (sources == 0) {
      errs.push_back(Invalid(fp, "",
                             "must specify one of: `fieldRef`, `resourceFieldRef`, "
                             "`configMapKeyRef` or `secretKeyRef`"));
    } else if (HasString(ev, "value")) {
      errs.push_back(Invalid(fp, "", "may not be specified when `value` is not empty"));
    } else if (sources > 1) {
      errs.push_back(Invalid(fp, "", "may not have more than one field specified at a time"));
    }
  }
}

void ValidateEnvFrom(const Json& env_from, const Path& path, ErrorList& errs) {
  for (size_t i = 0; i < env_from.size(); ++i) {
    const Json& ev = env_from[i];
    Path p = path.Index(i);
    std::string prefix = StringAt(ev, "prefix");
    if (!prefix.empty()) {
      for (auto& msg : IsRelaxedEnvVarName(prefix)) {
        errs.push_back(Invalid(p.Child("prefix"), prefix, msg));
      }
    }
    int sources = 0;
    for (const char* key : {"configMapRef", "secretRef"}) {
      const Json* ref = Find(ev, key);
      if (!ref) continue;
      ++sources;
      std::string name = StringAt(*ref, "name");
      if (name.empty()) {
        errs.push_back(Required(p.Child(key).Child("name"), ""));
      } else {
        for (auto& msg : NameIsDNSSubdomain(name, true)) {
          errs.push_back(Invalid(p.Child(key).Child("name"), name, msg));
        }
      }
    }
    // Kubernetes reports these at the list, not the entry.
    if (sources == 0) {
      errs.push_back(Invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
    } else if (sources > 1) {
      errs.push_back(Invalid(path, "", "may not have more than one field specified at a time"));
    }
  }
}

void ValidateVolumeMounts(const Json& mounts, const std::map<std::string, Json>& volumes,
                          const Json& container, const Path& path, ErrorList& errs) {
  std::set<std::string> mount_points;
  for (size_t i = 0; i < mounts.size(); ++i) {
    const Json& m = mounts[i];
    Path p = path.Index(i);
    std::string name = StringAt(m, "name");
    std::string mount_path = StringAt(m, "mountPath");
    if (name.empty()) errs.push_back(Required(p.Child("name"), ""));
    if (!volumes.count(name)) errs.push_back(FieldNotFound(p.Child("name"), name));
    if (mount_path.empty()) errs.push_back(Required(p.Child("mountPath"), ""));
    if (mount_points.count(mount_path)) {
      errs.push_back(Invalid(p.Child("mountPath"), mount_path, "must be unique"));
    }
    mount_points.insert(mount_path);
    std::string sub_path = StringAt(m, "subPath");
    std::string sub_path_expr = StringAt(m, "subPathExpr");
    // Kubernetes reports subPath problems at the list path.
    if (!sub_path.empty()) ValidateLocalDescendingPath(sub_path, path.Child("subPath"), errs);
    if (!sub_path_expr.empty()) {
      if (!sub_path.empty()) {
        errs.push_back(Invalid(p.Child("subPathExpr"), sub_path_expr,
                               "subPathExpr and subPath are mutually exclusive"));
      }
      ValidateLocalDescendingPath(sub_path_expr, path.Child("subPathExpr"), errs);
    }
    if (const Json* prop = Find(m, "mountPropagation"); prop && prop->is_string()) {
      std::string mode = prop->get<std::string>();
      static const std::vector<std::string> kModes = {"Bidirectional", "HostToContainer", "None"};
      if (!Contains(kModes, mode)) {
        errs.push_back(NotSupported(path.Child("mountPropagation"), mode, kModes));
      }
      bool privileged = BoolAt(ObjectAt(container, "securityContext"), "privileged");
      if (mode == "Bidirectional" && !privileged) {
        errs.push_back(Forbidden(path.Child("mountPropagation"),
                                 "Bidirectional mount propagation is available only to privileged "
                                 "containers"));
      }
    }
  }
}

void ValidatePullPolicy(const Json& container, const Path& path, ErrorList& errs) {
  static const std::vector<std::string> kPolicies = {"Always", "IfNotPresent", "Never"};
  std::string policy = StringAt(container, "imagePullPolicy");
  if (policy.empty()) {
    errs.push_back(Required(path, ""));
  } else if (!Contains(kPolicies, policy)) {
    errs.push_back(NotSupported(path, policy, kPolicies));
  }
}

void ValidateIDRange(const Json& obj, std::string_view key, const Path& parent, ErrorList& errs) {
  std::optional<int64_t> id = IntAt(obj, key);
  if (id && (*id < 0 || *id > 0xffffffffLL)) {
    errs.push_back(Invalid(parent.Child(key), *id, InclusiveRangeError(0, 0xffffffffLL)));
  }
}

void ValidateContainerSecurityContext(const Json& sc, const Path& path, ErrorList& errs) {
  if (!sc.is_object()) return;
  ValidateIDRange(sc, "runAsUser", path, errs);
  ValidateIDRange(sc, "runAsGroup", path, errs);
  const Json* ape = Find(sc, "allowPrivilegeEscalation");
  if (ape && ape->is_boolean() && !ape->get<bool>() && BoolAt(sc, "privileged")) {
    errs.push_back(Invalid(path, sc,
                           "cannot set `allowPrivilegeEscalation` to false and `privileged` to "
                           "true"));
  }
}

// Validation common to regular, init and ephemeral containers.
void ValidateContainerCommon(const Json& c, const std::map<std::string, Json>& volumes,
                             const Path& path, ErrorList& errs) {
  std::string name = StringAt(c, "name");
  if (name.empty()) {
    errs.push_back(Required(path.Child("name"), ""));
  } else {
    ValidateDNS1123Label(name, path.Child("name"), errs);
  }
  if (StringAt(c, "image").empty()) errs.push_back(Required(path.Child("image"), ""));
  std::string tmp = StringAt(c, "terminationMessagePolicy");
  if (tmp.empty()) {
    errs.push_back(Required(path.Child("terminationMessagePolicy"), ""));
  } else if (tmp != "File" && tmp != "FallbackToLogsOnError") {
    errs.push_back(NotSupported(path.Child("terminationMessagePolicy"), tmp,
                                {"File", "FallbackToLogsOnError"}));
  }
  ValidateContainerPorts(ArrayAt(c, "ports"), path.Child("ports"), errs);
  ValidateEnv(ArrayAt(c, "env"), path.Child("env"), errs);
  ValidateEnvFrom(ArrayAt(c, "envFrom"), path.Child("envFrom"), errs);
  ValidateVolumeMounts(ArrayAt(c, "volumeMounts"), volumes, c, path.Child("volumeMounts"), errs);
  ValidatePullPolicy(c, path.Child("imagePullPolicy"), errs);
  ValidateResourceRequirements(ObjectAt(c, "resources"), path.Child("resources"), errs);
  ValidateContainerSecurityContext(ObjectAt(c, "securityContext"), path.Child("securityContext"),
                                   errs);
}

// ---------------------------------------------------------------------------------------------
// Probes and lifecycle handlers.

void ValidateHandler(const Json& handler, bool lifecycle, std::optional<int64_t> grace_period,
                     const Path& path, ErrorList& errs) {
  int handlers = 0;
  auto take = [&](const char* key) -> const Json* {
    const Json* h = Find(handler, key);
    if (!h) return nullptr;
    if (handlers > 0) {
      errs.push_back(Forbidden(path.Child(key), "may not specify more than 1 handler type"));
      return nullptr;
    }
    ++handlers;
    return h;
  };
  if (const Json* exec = take("exec")) {
    if (ArrayAt(*exec, "command").empty()) {
      errs.push_back(Required(path.Child("exec").Child("command"), ""));
    }
  }
  if (const Json* http = take("httpGet")) {
    Path p = path.Child("httpGet");
    if (!HasString(*http, "path")) errs.push_back(Required(p.Child("path"), ""));
    const Json* port = Find(*http, "port");
    ValidatePortNumOrName(port ? *port : Json(0), p.Child("port"), errs);
    std::string scheme = StringAt(*http, "scheme");
    if (scheme != "HTTP" && scheme != "HTTPS") {
      errs.push_back(NotSupported(p.Child("scheme"), scheme, {"HTTP", "HTTPS"}));
    }
    for (const Json& header : ArrayAt(*http, "httpHeaders")) {
      std::string name = StringAt(header, "name");
      for (auto& msg : IsHTTPHeaderName(name)) {
        errs.push_back(Invalid(p.Child("httpHeaders"), name, msg));
      }
    }
  }
  if (const Json* tcp = take("tcpSocket")) {
    const Json* port = Find(*tcp, "port");
    ValidatePortNumOrName(port ? *port : Json(0), path.Child("tcpSocket").Child("port"), errs);
  }
  if (!lifecycle) {
    if (const Json* grpc = take("grpc")) {
      ValidatePortNumOrName(Json(IntAt(*grpc, "port").value_or(0)),
                            path.Child("grpc").Child("port"), errs);
    }
  } else if (const Json* sleep = take("sleep")) {
    int64_t seconds = IntAt(*sleep, "seconds").value_or(0);
    if (grace_period && (seconds <= 0 || seconds > *grace_period)) {
      errs.push_back(
          Invalid(path.Child("sleep"), seconds,
                  "must be greater than 0 and less than terminationGracePeriodSeconds (" +
                      std::to_string(*grace_period) +
                      "). Enable AllowPodLifecycleSleepActionZeroValue feature gate for "
                      "zero sleep."));
    }
  }
  if (handlers == 0) errs.push_back(Required(path, "must specify a handler type"));
}

enum class ProbeKind { kLiveness, kReadiness, kStartup };

void ValidateProbe(const Json* probe, ProbeKind kind, std::optional<int64_t> grace_period,
                   const Path& path, ErrorList& errs) {
  if (!probe || !probe->is_object()) return;
  ValidateHandler(*probe, false, grace_period, path, errs);
  for (const char* key : {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                          "successThreshold", "failureThreshold"}) {
    ValidateNonnegativeAt(*probe, key, path, errs);
  }
  std::optional<int64_t> tgps = IntAt(*probe, "terminationGracePeriodSeconds");
  if (kind == ProbeKind::kReadiness) {
    if (Find(*probe, "terminationGracePeriodSeconds")) {
      errs.push_back(Invalid(path.Child("terminationGracePeriodSeconds"),
                             *Find(*probe, "terminationGracePeriodSeconds"),
                             "must not be set for readinessProbes"));
    }
  } else {
    if (tgps && *tgps <= 0) {
      errs.push_back(
          Invalid(path.Child("terminationGracePeriodSeconds"), *tgps, "must be greater than 0"));
    }
    std::optional<int64_t> success = IntAt(*probe, "successThreshold");
    if (success && *success != 1) {
      errs.push_back(Invalid(path.Child("successThreshold"), *success, "must be 1"));
    }
  }
}

void ValidateProbesAndLifecycle(const Json& c, std::optional<int64_t> grace_period,
                                const Path& path, ErrorList& errs) {
  const Json& lifecycle = ObjectAt(c, "lifecycle");
  for (const char* key : {"postStart", "preStop"}) {
    if (const Json* h = Find(lifecycle, key)) {
      ValidateHandler(*h, true, grace_period, path.Child("lifecycle").Child(key), errs);
    }
  }
  ValidateProbe(Find(c, "livenessProbe"), ProbeKind::kLiveness, grace_period,
                path.Child("livenessProbe"), errs);
  ValidateProbe(Find(c, "readinessProbe"), ProbeKind::kReadiness, grace_period,
                path.Child("readinessProbe"), errs);
  ValidateProbe(Find(c, "startupProbe"), ProbeKind::kStartup, grace_period,
                path.Child("startupProbe"), errs);
}

// Two containers may not claim the same host port (protocol/hostIP/port).
void CheckHostPortConflicts(const Json& containers, size_t first, size_t count, const Path& path,
                            ErrorList& errs) {
  std::set<std::string> seen;
  for (size_t ci = first; ci < first + count && ci < containers.size(); ++ci) {
    const Json& ports = ArrayAt(containers[ci], "ports");
    for (size_t pi = 0; pi < ports.size(); ++pi) {
      int64_t host_port = IntAt(ports[pi], "hostPort").value_or(0);
      if (host_port == 0) continue;
      std::string key = StringAt(ports[pi], "protocol") + "/" + StringAt(ports[pi], "hostIP") +
                        "/" + std::to_string(host_port);
      if (!seen.insert(key).second) {
        errs.push_back(Duplicate(path.Index(ci).Child("ports").Index(pi).Child("hostPort"), key));
      }
    }
  }
}

void ValidateContainers(const Json& spec, const std::map<std::string, Json>& volumes,
                        std::optional<int64_t> grace_period, const Path& path, ErrorList& errs) {
  const Json& containers = ArrayAt(spec, "containers");
  if (containers.empty()) {
    errs.push_back(Required(path, ""));
    return;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < containers.size(); ++i) {
    const Json& c = containers[i];
    Path p = path.Index(i);
    ValidateContainerCommon(c, volumes, p, errs);
    std::string name = StringAt(c, "name");
    if (!names.insert(name).second) errs.push_back(Duplicate(p.Child("name"), name));
    ValidateProbesAndLifecycle(c, grace_period, p, errs);
    if (Find(c, "restartPolicy")) {
      errs.push_back(Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"));
    }
  }
  CheckHostPortConflicts(containers, 0, containers.size(), path, errs);
}

void ValidateInitContainers(const Json& spec, const std::map<std::string, Json>& volumes,
                            std::optional<int64_t> grace_period, const Path& path,
                            ErrorList& errs) {
  std::set<std::string> names;
  for (const Json& c : ArrayAt(spec, "containers")) names.insert(StringAt(c, "name"));
  const Json& inits = ArrayAt(spec, "initContainers");
  for (size_t i = 0; i < inits.size(); ++i) {
    const Json& c = inits[i];
    Path p = path.Index(i);
    ValidateContainerCommon(c, volumes, p, errs);
    bool restart_always = false;
    if (const Json* rp = Find(c, "restartPolicy"); rp && rp->is_string()) {
      std::string policy = rp->get<std::string>();
      if (policy != "Always")
        errs.push_back(NotSupported(p.Child("restartPolicy"), policy, {"Always"}));
      restart_always = policy == "Always";
    }
    std::string name = StringAt(c, "name");
    if (names.count(name)) {
      errs.push_back(Duplicate(p.Child("name"), name));
    } else if (!name.empty()) {
      names.insert(name);
    }
    // Init containers run one by one, so only ports within one of them can conflict.
    CheckHostPortConflicts(inits, i, 1, path, errs);
    if (restart_always) {
      ValidateProbesAndLifecycle(c, grace_period, p, errs);
    } else {
      for (const char* key : {"lifecycle", "livenessProbe", "readinessProbe", "startupProbe"}) {
        if (Find(c, key)) {
          errs.push_back(Forbidden(p.Child(key),
                                   "may not be set for init containers without "
                                   "restartPolicy=Always"));
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Volumes.

struct VolumeSourceKind {
  const char* key;
  const char* forbidden_path;  // Kubernetes' own spelling in "more than 1 volume type" errors
};

// In Kubernetes' order, which decides which of two sources is reported as the extra one.
constexpr VolumeSourceKind kVolumeSources[] = {
    {"emptyDir", "emptyDir"},
    {"hostPath", "hostPath"},
    {"gitRepo", "gitRepo"},
    {"gcePersistentDisk", "gcePersistentDisk"},
    {"awsElasticBlockStore", "awsElasticBlockStore"},
    {"secret", "secret"},
    {"nfs", "nfs"},
    {"iscsi", "iscsi"},
    {"glusterfs", "glusterfs"},
    {"flocker", "flocker"},
    {"persistentVolumeClaim", "persistentVolumeClaim"},
    {"rbd", "rbd"},
    {"cinder", "cinder"},
    {"cephfs", "cephFS"},
    {"quobyte", "quobyte"},
    {"downwardAPI", "downwarAPI"},
    {"fc", "fc"},
    {"flexVolume", "flexVolume"},
    {"configMap", "configMap"},
    {"azureFile", "azureFile"},
    {"vsphereVolume", "vsphereVolume"},
    {"photonPersistentDisk", "photonPersistentDisk"},
    {"portworxVolume", "portworxVolume"},
    {"azureDisk", "azureDisk"},
    {"storageos", "storageos"},
    {"projected", "projected"},
    {"scaleIO", "scaleIO"},
    {"csi", "csi"},
    {"ephemeral", "ephemeral"},
    {"image", "image"},
};

void ValidateDownwardAPIFile(const Json& file, const Path& path, ErrorList& errs) {
  if (!HasString(file, "path")) errs.push_back(Required(path.Child("path"), ""));
  ValidateLocalNonReservedPath(StringAt(file, "path"), path.Child("path"), errs);
  const Json* field_ref = Find(file, "fieldRef");
  const Json* resource_ref = Find(file, "resourceFieldRef");
  if (field_ref) {
    ValidateObjectFieldSelector(*field_ref, kVolumeFieldPaths, path.Child("fieldRef"), errs);
    if (resource_ref) {
      errs.push_back(Invalid(path, "resource",
                             "fieldRef and resourceFieldRef can not be specified simultaneously"));
    }
  } else if (resource_ref) {
    ValidateContainerResourceFieldSelector(*resource_ref, true, path.Child("resourceFieldRef"),
                                           errs);
  } else {
    errs.push_back(Required(path, "one of fieldRef and resourceFieldRef is required"));
  }
  ValidateFileMode(file, "mode", path, errs);
}

void ValidateProjectedSources(const Json& projected, const Path& path, ErrorList& errs) {
  std::set<std::string> paths;
  const Json& sources = ArrayAt(projected, "sources");
  auto add_path = [&](const std::string& p, const Json& bad) {
    if (p.empty()) return;
    if (!paths.insert(p).second) errs.push_back(Invalid(path, bad, "conflicting duplicate paths"));
  };
  for (size_t i = 0; i < sources.size(); ++i) {
    const Json& src = sources[i];
    Path sp = path.Child("sources").Index(i);
    int kinds = 0;
    for (const char* key : {"secret", "configMap"}) {
      const Json* s = Find(src, key);
      if (!s) continue;
      ++kinds;
      if (!HasString(*s, "name")) errs.push_back(Required(sp.Child(key).Child("name"), ""));
      const Json& items = ArrayAt(*s, "items");
      ValidateKeyToPaths(items, sp.Child(key).Child("items"), errs);
      for (const Json& kp : items) add_path(StringAt(kp, "path"), StringAt(*s, "name"));
    }
    if (const Json* d = Find(src, "downwardAPI")) {
      ++kinds;
      for (const Json& file : ArrayAt(*d, "items")) {
        ValidateDownwardAPIFile(file, sp.Child("downwardAPI"), errs);
        add_path(StringAt(file, "path"), StringAt(file, "path"));
      }
    }
    if (const Json* t = Find(src, "serviceAccountToken")) {
      ++kinds;
      int64_t expiration = IntAt(*t, "expirationSeconds").value_or(0);
      Path tp = sp.Child("serviceAccountToken");
      if (expiration < 600) {
        errs.push_back(Invalid(tp.Child("expirationSeconds"), expiration,
                               "may not specify a duration less than 10 minutes"));
      }
      if (expiration > (int64_t{1} << 32)) {
        errs.push_back(Invalid(tp.Child("expirationSeconds"), expiration,
                               "may not specify a duration larger than 2^32 seconds"));
      }
      if (!HasString(*t, "path")) {
        errs.push_back(Required(path.Child("path"), ""));
      } else {
        ValidateLocalNonReservedPath(StringAt(*t, "path"), path.Child("path"), errs);
      }
    }
    if (Find(src, "clusterTrustBundle")) ++kinds;
    if (kinds > 1) {
      errs.push_back(Forbidden(sp, "may not specify more than 1 volume type per source"));
    }
  }
}

void ValidateCSIDriverName(const std::string& driver, const Path& path, ErrorList& errs) {
  if (driver.empty()) errs.push_back(Required(path, ""));
  if (driver.size() > 63) errs.push_back(TooLong(path, "", 63));
  std::string lower = driver;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (auto& msg : IsDNS1123Subdomain(lower)) errs.push_back(Invalid(path, driver, msg));
}

void ValidateVolumeSourceDetails(std::string_view key, const Json& src, const Path& path,
                                 ErrorList& errs) {
  if (key == "emptyDir") {
    const Json* limit = Find(src, "sizeLimit");
    std::optional<Quantity> q = limit ? ToQuantity(*limit) : std::nullopt;
    if (q && q->IsNegative()) {
      errs.push_back(
          Forbidden(path.Child("sizeLimit"), "SizeLimit field must be a valid resource quantity"));
    }
  } else if (key == "hostPath") {
    if (!HasString(src, "path")) {
      errs.push_back(Required(path.Child("path"), ""));
      return;
    }
    ValidatePathNoBacksteps(StringAt(src, "path"), path.Child("path"), errs);
    static const std::vector<std::string> kTypes = {
        "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
        "File", "FileOrCreate", "Socket"};
    if (const Json* type = Find(src, "type");
        type && type->is_string() && !Contains(kTypes, type->get<std::string>())) {
      errs.push_back(NotSupported(path.Child("type"), *type, kTypes));
    }
  } else if (key == "secret") {
    if (!HasString(src, "secretName")) errs.push_back(Required(path.Child("secretName"), ""));
    ValidateFileMode(src, "defaultMode", path, errs);
    ValidateKeyToPaths(ArrayAt(src, "items"), path.Child("items"), errs);
  } else if (key == "configMap") {
    if (!HasString(src, "name")) errs.push_back(Required(path.Child("name"), ""));
    ValidateFileMode(src, "defaultMode", path, errs);
    ValidateKeyToPaths(ArrayAt(src, "items"), path.Child("items"), errs);
  } else if (key == "persistentVolumeClaim") {
    if (!HasString(src, "claimName")) errs.push_back(Required(path.Child("claimName"), ""));
  } else if (key == "nfs") {
    std::string nfs_path = StringAt(src, "path");
    if (!HasString(src, "server")) errs.push_back(Required(path.Child("server"), ""));
    if (nfs_path.empty()) errs.push_back(Required(path.Child("path"), ""));
    if (nfs_path.empty() || nfs_path.front() != '/') {
      errs.push_back(Invalid(path.Child("path"), nfs_path, "must be an absolute path"));
    }
  } else if (key == "downwardAPI") {
    ValidateFileMode(src, "defaultMode", path, errs);
    for (const Json& file : ArrayAt(src, "items")) ValidateDownwardAPIFile(file, path, errs);
  } else if (key == "projected") {
    ValidateFileMode(src, "defaultMode", path, errs);
    ValidateProjectedSources(src, path, errs);
  } else if (key == "csi") {
    ValidateCSIDriverName(StringAt(src, "driver"), path.Child("driver"), errs);
  } else if (key == "ephemeral") {
    const Json* tmpl = Find(src, "volumeClaimTemplate");
    if (!tmpl) {
      errs.push_back(Required(path.Child("volumeClaimTemplate"), ""));
      return;
    }
    Path tp = path.Child("volumeClaimTemplate");
    const Json& meta = ObjectAt(*tmpl, "metadata");
    ValidateAnnotations(ObjectAt(meta, "annotations"), tp.Child("metadata").Child("annotations"),
                        errs);
    ValidateLabels(ObjectAt(meta, "labels"), tp.Child("metadata").Child("labels"), errs);
    ValidatePersistentVolumeClaimSpec(ObjectAt(*tmpl, "spec"), tp.Child("spec"), errs);
  }
}

// Returns the volumes that validated, by name, for volumeMounts to refer to.
std::map<std::string, Json> ValidateVolumes(const Json& volumes, const Path& path,
                                            ErrorList& errs) {
  std::map<std::string, Json> valid;
  std::set<std::string> names;
  for (size_t i = 0; i < volumes.size(); ++i) {
    const Json& vol = volumes[i];
    Path p = path.Index(i);
    ErrorList el;
    int sources = 0;
    for (const VolumeSourceKind& kind : kVolumeSources) {
      const Json* src = Find(vol, kind.key);
      if (!src) continue;
      if (sources > 0) {
        el.push_back(
            Forbidden(p.Child(kind.forbidden_path), "may not specify more than 1 volume type"));
        continue;
      }
      ++sources;
      ValidateVolumeSourceDetails(kind.key, *src, p.Child(kind.key), el);
    }
    if (sources == 0) el.push_back(Required(p, "must specify a volume type"));
    std::string name = StringAt(vol, "name");
    if (name.empty()) {
      el.push_back(Required(p.Child("name"), ""));
    } else {
      ValidateDNS1123Label(name, p.Child("name"), el);
    }
    if (names.count(name)) el.push_back(Duplicate(p.Child("name"), name));
    if (el.empty()) {
      names.insert(name);
      valid.emplace(name, vol);
    } else {
      errs.insert(errs.end(), el.begin(), el.end());
    }
  }
  return valid;
}

// ---------------------------------------------------------------------------------------------
// Scheduling constraints.

void ValidateNodeSelectorRequirement(const Json& req, bool allow_invalid_values, const Path& path,
                                     ErrorList& errs) {
  std::string op = StringAt(req, "operator");
  const Json& values = ArrayAt(req, "values");
  if (op == "In" || op == "NotIn") {
    if (values.empty()) {
      errs.push_back(
          Required(path.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
    }
  } else if (op == "Exists" || op == "DoesNotExist") {
    if (!values.empty()) {
      errs.push_back(Forbidden(path.Child("values"),
                               "may not be specified when `operator` is 'Exists' or "
                               "'DoesNotExist'"));
    }
  } else if (op == "Gt" || op == "Lt") {
    if (values.size() != 1) {
      errs.push_back(Required(path.Child("values"),
                              "must be specified single value when `operator` is 'Lt' or 'Gt'"));
    }
  } else {
    errs.push_back(Invalid(path.Child("operator"), op, "not a valid selector operator"));
  }
  ValidateLabelName(StringAt(req, "key"), path.Child("key"), errs);
  if (allow_invalid_values) return;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].is_string()) continue;
    std::string v = values[i].get<std::string>();
    for (auto& msg : IsValidLabelValue(v)) {
      errs.push_back(Invalid(path.Child("values").Index(i), v, msg));
    }
  }
}

void ValidateNodeFieldSelectorRequirement(const Json& req, const Path& path, ErrorList& errs) {
  std::string op = StringAt(req, "operator");
  const Json& values = ArrayAt(req, "values");
  if (op == "In" || op == "NotIn") {
    if (values.size() != 1) {
      errs.push_back(Required(path.Child("values"),
                              "must be only one value when `operator` is 'In' or 'NotIn' for node "
                              "field selector"));
    }
  } else {
    errs.push_back(Invalid(path.Child("operator"), op, "not a valid selector operator"));
  }
  std::string key = StringAt(req, "key");
  if (key != "metadata.name") {
    errs.push_back(Invalid(path.Child("key"), key, "not a valid field selector key"));
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].is_string()) {
      ValidateNameWith(NameIsDNSSubdomain, values[i].get<std::string>(),
                       path.Child("values").Index(i), errs);
    }
  }
}

void ValidateNodeSelectorTerm(const Json& term, bool allow_invalid_values, const Path& path,
                              ErrorList& errs) {
  const Json& exprs = ArrayAt(term, "matchExpressions");
  for (size_t j = 0; j < exprs.size(); ++j) {
    ValidateNodeSelectorRequirement(exprs[j], allow_invalid_values,
                                    path.Child("matchExpressions").Index(j), errs);
  }
  const Json& fields = ArrayAt(term, "matchFields");
  for (size_t j = 0; j < fields.size(); ++j) {
    ValidateNodeFieldSelectorRequirement(fields[j], path.Child("matchFields").Index(j), errs);
  }
}

void ValidateWeight(const Json& term, const Path& path, ErrorList& errs) {
  int64_t weight = IntAt(term, "weight").value_or(0);
  if (weight <= 0 || weight > 100) {
    errs.push_back(Invalid(path.Child("weight"), weight, "must be in the range 1-100"));
  }
}

void ValidatePodAffinityTerm(const Json& term, const Path& path, ErrorList& errs) {
  ValidateLabelSelector(ObjectAt(term, "labelSelector"), path.Child("labelSelector"), errs);
  ValidateLabelSelector(ObjectAt(term, "namespaceSelector"), path.Child("namespaceSelector"), errs);
  for (const Json& ns : ArrayAt(term, "namespaces")) {
    if (ns.is_string()) {
      ValidateNameWith(NameIsDNSLabel, ns.get<std::string>(), path.Child("namespace"), errs);
    }
  }
  std::string topology_key = StringAt(term, "topologyKey");
  if (topology_key.empty()) {
    errs.push_back(Required(path.Child("topologyKey"), "can not be empty"));
  }
  ValidateLabelName(topology_key, path.Child("topologyKey"), errs);
}

void ValidatePodAffinityTerms(const Json& affinity, const Path& path, ErrorList& errs) {
  const Json& required = ArrayAt(affinity, "requiredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < required.size(); ++i) {
    ValidatePodAffinityTerm(
        required[i], path.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i), errs);
  }
  const Json& preferred = ArrayAt(affinity, "preferredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < preferred.size(); ++i) {
    Path p = path.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i);
    ValidateWeight(preferred[i], p, errs);
    ValidatePodAffinityTerm(ObjectAt(preferred[i], "podAffinityTerm"), p.Child("podAffinityTerm"),
                            errs);
  }
}

void ValidateAffinity(const Json& affinity, const Path& path, ErrorList& errs) {
  if (const Json* na = Find(affinity, "nodeAffinity")) {
    Path np = path.Child("nodeAffinity");
    if (const Json* req = Find(*na, "requiredDuringSchedulingIgnoredDuringExecution")) {
      ValidateNodeSelector(*req, np.Child("requiredDuringSchedulingIgnoredDuringExecution"), errs);
    }
    const Json& preferred = ArrayAt(*na, "preferredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < preferred.size(); ++i) {
      Path p = np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i);
      ValidateWeight(preferred[i], p, errs);
      // Preferred terms may name label values no node has yet.
      ValidateNodeSelectorTerm(ObjectAt(preferred[i], "preference"), true, p.Child("preference"),
                               errs);
    }
  }
  if (const Json* pa = Find(affinity, "podAffinity")) {
    ValidatePodAffinityTerms(*pa, path.Child("podAffinity"), errs);
  }
  if (const Json* paa = Find(affinity, "podAntiAffinity")) {
    ValidatePodAffinityTerms(*paa, path.Child("podAntiAffinity"), errs);
  }
}

void ValidateTopologySpreadConstraints(const Json& constraints, const Path& path, ErrorList& errs) {
  for (size_t i = 0; i < constraints.size(); ++i) {
    const Json& c = constraints[i];
    Path p = path.Index(i);
    int64_t max_skew = IntAt(c, "maxSkew").value_or(0);
    if (max_skew <= 0) {
      errs.push_back(Invalid(p.Child("maxSkew"), max_skew, "must be greater than zero"));
    }
    std::string key = StringAt(c, "topologyKey");
    if (key.empty()) errs.push_back(Required(p.Child("topologyKey"), "can not be empty"));
    std::string action = StringAt(c, "whenUnsatisfiable");
    if (action != "DoNotSchedule" && action != "ScheduleAnyway") {
      errs.push_back(
          NotSupported(p.Child("whenUnsatisfiable"), action, {"DoNotSchedule", "ScheduleAnyway"}));
    }
    for (size_t j = i + 1; j < constraints.size(); ++j) {
      if (StringAt(constraints[j], "topologyKey") == key &&
          StringAt(constraints[j], "whenUnsatisfiable") == action) {
        errs.push_back(Duplicate(p.Child("{topologyKey, whenUnsatisfiable}"),
                                 "{" + key + ", " + action + "}"));
        break;
      }
    }
    if (std::optional<int64_t> min_domains = IntAt(c, "minDomains")) {
      if (*min_domains <= 0) {
        errs.push_back(Invalid(p.Child("minDomains"), *min_domains, "must be greater than 0"));
      } else if (action != "DoNotSchedule") {
        errs.push_back(
            Invalid(p.Child("minDomains"), *min_domains,
                    "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not " + action));
      }
    }
    ValidateLabelSelector(ObjectAt(c, "labelSelector"), p.Child("labelSelector"), errs);
  }
}

// ---------------------------------------------------------------------------------------------
// Pod-level settings.

void ValidateDNSConfig(const Json& spec, const Path& path, ErrorList& errs) {
  const Json* config = Find(spec, "dnsConfig");
  if (StringAt(spec, "dnsPolicy") == "None") {
    if (!config) {
      errs.push_back(Required(path, "must provide `dnsConfig` when `dnsPolicy` is None"));
      return;
    }
    if (ArrayAt(*config, "nameservers").empty()) {
      errs.push_back(Required(path.Child("nameservers"),
                              "must provide at least one DNS nameserver when `dnsPolicy` is None"));
      return;
    }
  }
  if (!config) return;
  const Json& nameservers = ArrayAt(*config, "nameservers");
  if (nameservers.size() > 3) {
    errs.push_back(
        Invalid(path.Child("nameservers"), nameservers, "must not have more than 3 nameservers"));
  }
  for (size_t i = 0; i < nameservers.size(); ++i) {
    if (nameservers[i].is_string()) {
      ValidateIP(nameservers[i].get<std::string>(), path.Child("nameservers").Index(i), errs);
    }
  }
  const Json& searches = ArrayAt(*config, "searches");
  if (searches.size() > 32) {
    errs.push_back(
        Invalid(path.Child("searches"), searches, "must not have more than 32 search paths"));
  }
  size_t chars = searches.empty() ? 0 : searches.size() - 1;
  for (const Json& s : searches)
    chars += s.is_string() ? s.get_ref<const std::string&>().size() : 0;
  if (chars > 2048) {
    errs.push_back(Invalid(path.Child("searches"), searches,
                           "must not have more than 2048 characters (including spaces) in the "
                           "search list"));
  }
  for (size_t i = 0; i < searches.size(); ++i) {
    if (!searches[i].is_string()) continue;
    std::string search = searches[i].get<std::string>();
    if (!search.empty() && search.back() == '.') search.pop_back();
    ValidateDNS1123Subdomain(search, path.Child("searches").Index(i), errs);
  }
  const Json& options = ArrayAt(*config, "options");
  for (size_t i = 0; i < options.size(); ++i) {
    if (!HasString(options[i], "name")) {
      errs.push_back(Required(path.Child("options").Index(i), "must not be empty"));
    }
  }
}

void ValidatePodSecurityContext(const Json& spec, const Path& path, ErrorList& errs) {
  const Json& sc = ObjectAt(spec, "securityContext");
  ValidateIDRange(sc, "fsGroup", path, errs);
  ValidateIDRange(sc, "runAsUser", path, errs);
  ValidateIDRange(sc, "runAsGroup", path, errs);
  const Json& groups = ArrayAt(sc, "supplementalGroups");
  for (size_t i = 0; i < groups.size(); ++i) {
    std::optional<int64_t> gid = AsInt(groups[i]);
    if (gid && (*gid < 0 || *gid > 0xffffffffLL)) {
      errs.push_back(Invalid(path.Child("supplementalGroups").Index(i), *gid,
                             InclusiveRangeError(0, 0xffffffffLL)));
    }
  }
  if (BoolAt(sc, "shareProcessNamespace") && BoolAt(spec, "hostPID")) {
    errs.push_back(Invalid(path.Child("shareProcessNamespace"), true,
                           "ShareProcessNamespace and HostPID cannot both be enabled"));
  }
  std::set<std::string> sysctls;
  const Json& list = ArrayAt(sc, "sysctls");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string name = StringAt(list[i], "name");
    Path p = path.Child("sysctls").Index(i).Child("name");
    if (name.empty()) {
      errs.push_back(Required(p, ""));
    } else if (!sysctls.insert(name).second) {
      errs.push_back(Duplicate(p, name));
    }
  }
}

void ValidateHostNetworkPorts(const Json& spec, const Path& path, bool resource_is_pod,
                              ErrorList& errs) {
  if (!BoolAt(spec, "hostNetwork")) return;
  const Json& containers = ArrayAt(spec, "containers");
  for (size_t i = 0; i < containers.size(); ++i) {
    const Json& ports = ArrayAt(containers[i], "ports");
    for (size_t j = 0; j < ports.size(); ++j) {
      int64_t hp = IntAt(ports[j], "hostPort").value_or(0);
      int64_t cp = IntAt(ports[j], "containerPort").value_or(0);
      // Templates may leave hostPort unset: it is filled from containerPort on the Pod.
      if ((resource_is_pod || hp != 0) && hp != cp) {
        errs.push_back(
            Invalid(path.Child("containers").Index(i).Child("ports").Index(j).Child("hostPort"), hp,
                    "must match `containerPort` when `hostNetwork` is true"));
      }
    }
  }
}

void ValidateImageWhitespace(const Json& containers, const Path& path, ErrorList& errs) {
  for (size_t i = 0; i < containers.size(); ++i) {
    std::string image = StringAt(containers[i], "image");
    if (image.empty()) continue;
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    if (is_space(image.front()) || is_space(image.back())) {
      errs.push_back(Invalid(path.Index(i).Child("image"), image,
                             "must not have leading or trailing whitespace"));
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool HasVolumeSource(const Json& volume) {
  return std::any_of(std::begin(kVolumeSources), std::end(kVolumeSources),
                     [&](const VolumeSourceKind& k) { return Find(volume, k.key) != nullptr; });
}

void ValidateTaintEffect(const Json& effect, bool allow_empty, const Path& path, ErrorList& errs) {
  std::string e = effect.is_string() ? effect.get<std::string>() : "";
  if (!allow_empty && e.empty()) {
    errs.push_back(Required(path, ""));
    return;
  }
  if (e != "NoSchedule" && e != "PreferNoSchedule" && e != "NoExecute") {
    errs.push_back(NotSupported(path, e, {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
  }
}

void ValidateTolerations(const Json& tolerations, const Path& path, ErrorList& errs) {
  if (!tolerations.is_array()) return;
  for (size_t i = 0; i < tolerations.size(); ++i) {
    const Json& t = tolerations[i];
    Path p = path.Index(i);
    std::string key = StringAt(t, "key");
    std::string op = StringAt(t, "operator");
    std::string value = StringAt(t, "value");
    std::string effect = StringAt(t, "effect");
    if (!key.empty()) ValidateLabelName(key, p.Child("key"), errs);
    if (key.empty() && op != "Exists") {
      errs.push_back(Invalid(p.Child("operator"), op,
                             "operator must be Exists when `key` is empty, which means \"match all "
                             "values and all keys\""));
    }
    if (Find(t, "tolerationSeconds") && effect != "NoExecute") {
      errs.push_back(Invalid(p.Child("effect"), effect,
                             "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op == "Equal" || op.empty()) {
      std::vector<std::string> msgs = IsValidLabelValue(value);
      if (!msgs.empty()) {
        std::string joined;
        for (size_t m = 0; m < msgs.size(); ++m) joined += (m ? ";" : "") + msgs[m];
        errs.push_back(Invalid(p.Child("operator"), value, joined));
      }
    } else if (op == "Exists") {
      if (!value.empty()) {
        errs.push_back(
            Invalid(p.Child("operator"), value, "value must be empty when `operator` is 'Exists'"));
      }
    } else {
      errs.push_back(NotSupported(p.Child("operator"), op, {"Equal", "Exists"}));
    }
    if (!effect.empty()) ValidateTaintEffect(Json(effect), true, p.Child("effect"), errs);
  }
}

void ValidateNodeSelector(const Json& selector, const Path& path, ErrorList& errs) {
  const Json& terms = ArrayAt(selector, "nodeSelectorTerms");
  if (terms.empty()) {
    errs.push_back(
        Required(path.Child("nodeSelectorTerms"), "must have at least one node selector term"));
    return;
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    ValidateNodeSelectorTerm(terms[i], false, path.Child("nodeSelectorTerms").Index(i), errs);
  }
}

std::optional<bool> SelectorMatches(const Json* selector, const Labels& labels) {
  // A missing selector selects nothing, as metav1.LabelSelectorAsSelector(nil) does.
  if (!selector) return false;
  Result<LabelSelector> parsed = LabelSelector::FromJson(*selector);
  if (!parsed.ok()) return std::nullopt;
  return parsed->Matches(labels);
}

void ValidatePodSpec(const Json& spec, const Path& path, const PodSpecOptions& opts,
                     ErrorList& errs) {
  std::optional<int64_t> grace_period = IntAt(spec, "terminationGracePeriodSeconds");
  if (!Find(spec, "terminationGracePeriodSeconds")) {
    errs.push_back(Required(path.Child("terminationGracePeriodSeconds"), ""));
  } else if (grace_period && *grace_period < 0) {
    errs.push_back(
        Invalid(path.Child("terminationGracePeriodSeconds"), *grace_period, kNonNegativeMsg));
  }
  std::map<std::string, Json> volumes =
      ValidateVolumes(ArrayAt(spec, "volumes"), path.Child("volumes"), errs);
  ValidateContainers(spec, volumes, grace_period, path.Child("containers"), errs);
  ValidateInitContainers(spec, volumes, grace_period, path.Child("initContainers"), errs);
  ValidateHostNetworkPorts(spec, path, opts.resource_is_pod, errs);

  std::string restart_policy = StringAt(spec, "restartPolicy");
  if (restart_policy.empty()) {
    errs.push_back(Required(path.Child("restartPolicy"), ""));
  } else if (restart_policy != "Always" && restart_policy != "OnFailure" &&
             restart_policy != "Never") {
    errs.push_back(NotSupported(path.Child("restartPolicy"), restart_policy,
                                {"Always", "OnFailure", "Never"}));
  }
  std::string dns_policy = StringAt(spec, "dnsPolicy");
  static const std::vector<std::string> kDNSPolicies = {"ClusterFirstWithHostNet", "ClusterFirst",
                                                        "Default", "None"};
  if (dns_policy.empty()) {
    errs.push_back(Required(path.Child("dnsPolicy"), ""));
  } else if (!Contains(kDNSPolicies, dns_policy)) {
    errs.push_back(NotSupported(path.Child("dnsPolicy"), dns_policy, kDNSPolicies));
  }
  ValidateLabels(ObjectAt(spec, "nodeSelector"), path.Child("nodeSelector"), errs);
  ValidatePodSecurityContext(spec, path.Child("securityContext"), errs);
  const Json& pull_secrets = ArrayAt(spec, "imagePullSecrets");
  for (size_t i = 0; i < pull_secrets.size(); ++i) {
    const Json& s = pull_secrets[i];
    if (!s.is_object() || s.size() != static_cast<size_t>(s.contains("name") ? 1 : 0)) {
      errs.push_back(Invalid(path.Child("imagePullSecrets").Index(i), s, "only name may be set"));
    }
  }
  ValidateAffinity(ObjectAt(spec, "affinity"), path.Child("affinity"), errs);
  ValidateDNSConfig(spec, path.Child("dnsConfig"), errs);
  const Json& gates = ArrayAt(spec, "readinessGates");
  for (size_t i = 0; i < gates.size(); ++i) {
    ValidateQualifiedName(StringAt(gates[i], "conditionType"),
                          path.Child("readinessGates").Index(i).Child("conditionType"), errs);
  }
  std::set<std::string> scheduling_gates;
  const Json& sgates = ArrayAt(spec, "schedulingGates");
  for (size_t i = 0; i < sgates.size(); ++i) {
    std::string name = StringAt(sgates[i], "name");
    ValidateQualifiedName(name, path.Child("schedulingGates").Index(i), errs);
    if (!scheduling_gates.insert(name).second) {
      errs.push_back(Duplicate(path.Child("schedulingGates").Index(i), name));
    }
  }
  ValidateTopologySpreadConstraints(ArrayAt(spec, "topologySpreadConstraints"),
                                    path.Child("topologySpreadConstraints"), errs);
  for (const char* key : {"serviceAccountName", "nodeName", "priorityClassName"}) {
    if (HasString(spec, key)) {
      ValidateNameWith(NameIsDNSSubdomain, StringAt(spec, key), path.Child(key), errs);
    }
  }
  if (std::optional<int64_t> ads = IntAt(spec, "activeDeadlineSeconds")) {
    if (*ads < 1 || *ads > kMaxInt32) {
      errs.push_back(
          Invalid(path.Child("activeDeadlineSeconds"), *ads, InclusiveRangeError(1, kMaxInt32)));
    }
  }
  for (const char* key : {"hostname", "subdomain"}) {
    if (HasString(spec, key)) ValidateDNS1123Label(StringAt(spec, key), path.Child(key), errs);
  }
  ValidateTolerations(ArrayAt(spec, "tolerations"), path.Child("tolerations"), errs);
  const Json& aliases = ArrayAt(spec, "hostAliases");
  for (size_t i = 0; i < aliases.size(); ++i) {
    Path p = path.Child("hostAliases").Index(i);
    ValidateIP(StringAt(aliases[i], "ip"), p.Child("ip"), errs);
    const Json& hostnames = ArrayAt(aliases[i], "hostnames");
    for (size_t j = 0; j < hostnames.size(); ++j) {
      if (hostnames[j].is_string()) {
        ValidateDNS1123Subdomain(hostnames[j].get<std::string>(), p.Child("hostnames").Index(j),
                                 errs);
      }
    }
  }
  if (const Json* rc = Find(spec, "runtimeClassName"); rc && rc->is_string()) {
    ValidateNameWith(NameIsDNSSubdomain, rc->get<std::string>(), path.Child("runtimeClassName"),
                     errs);
  }
  if (const Json* pp = Find(spec, "preemptionPolicy"); pp && pp->is_string()) {
    std::string policy = pp->get<std::string>();
    if (policy.empty()) {
      errs.push_back(Required(path.Child("preemptionPolicy"), ""));
    } else if (policy != "PreemptLowerPriority" && policy != "Never") {
      errs.push_back(
          NotSupported(path.Child("preemptionPolicy"), policy, {"PreemptLowerPriority", "Never"}));
    }
  }
  if (const Json* os = Find(spec, "os")) {
    std::string name = StringAt(*os, "name");
    if (name.empty()) {
      errs.push_back(Required(path.Child("os").Child("name"), ""));
    } else if (name != "linux" && name != "windows") {
      errs.push_back(NotSupported(path.Child("os").Child("name"), name, {"linux", "windows"}));
    }
  }
  if (opts.resource_is_pod) {
    ValidateImageWhitespace(ArrayAt(spec, "containers"), path.Child("containers"), errs);
    ValidateImageWhitespace(ArrayAt(spec, "initContainers"), path.Child("initContainers"), errs);
  }
}

void ValidatePodTemplateSpec(const Json& tmpl, const Path& path, ErrorList& errs) {
  const Json& meta = ObjectAt(tmpl, "metadata");
  // Kubernetes reports template labels at `<template>.labels`, not `.metadata.labels`.
  ValidateLabels(ObjectAt(meta, "labels"), path.Child("labels"), errs);
  ValidateAnnotations(ObjectAt(meta, "annotations"), path.Child("annotations"), errs);
  const Json& spec = ObjectAt(tmpl, "spec");
  ValidatePodSpec(spec, path.Child("spec"), PodSpecOptions{}, errs);
  if (!ArrayAt(spec, "ephemeralContainers").empty()) {
    errs.push_back(Forbidden(path.Child("spec").Child("ephemeralContainers"),
                             "ephemeral containers not allowed in pod template"));
  }
}

// ---------------------------------------------------------------------------------------------
// Pod updates and status.

namespace {

constexpr const char* kPodUpdateMsg =
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)";

// Returns true when the container list lengths differ, after which nothing else is checked.
bool ValidateContainerUpdates(const Json& now, const Json& old, const Path& path, ErrorList& errs) {
  if (now.size() != old.size()) {
    errs.push_back(Forbidden(path, "pod updates may not add or remove containers"));
    return true;
  }
  for (size_t i = 0; i < now.size(); ++i) {
    std::string image = StringAt(now[i], "image");
    if (image.empty()) errs.push_back(Required(path.Index(i).Child("image"), ""));
  }
  ValidateImageWhitespace(now, path, errs);
  return false;
}

bool SameTolerationIgnoringSeconds(const Json& a, const Json& b) {
  Json x = a.is_object() ? a : Json::object();
  Json y = b.is_object() ? b : Json::object();
  x.erase("tolerationSeconds");
  y.erase("tolerationSeconds");
  return SemanticEqual(&x, &y);
}

}  // namespace

void ValidatePodUpdate(const Json& spec, const Json& old_spec, ErrorList& errs) {
  Path path("spec");
  if (ValidateContainerUpdates(ArrayAt(spec, "containers"), ArrayAt(old_spec, "containers"),
                               path.Child("containers"), errs)) {
    return;
  }
  if (ValidateContainerUpdates(ArrayAt(spec, "initContainers"), ArrayAt(old_spec, "initContainers"),
                               path.Child("initContainers"), errs)) {
    return;
  }
  // activeDeadlineSeconds may be set, or lowered, never raised or removed.
  std::optional<int64_t> ads = IntAt(spec, "activeDeadlineSeconds");
  std::optional<int64_t> old_ads = IntAt(old_spec, "activeDeadlineSeconds");
  if (ads) {
    if (*ads < 0 || *ads > kMaxInt32) {
      errs.push_back(
          Invalid(path.Child("activeDeadlineSeconds"), *ads, InclusiveRangeError(0, kMaxInt32)));
      return;
    }
    if (old_ads && *old_ads < *ads) {
      errs.push_back(Invalid(path.Child("activeDeadlineSeconds"), *ads,
                             "must be less than or equal to previous value"));
      return;
    }
  } else if (old_ads) {
    errs.push_back(Invalid(path.Child("activeDeadlineSeconds"), nullptr,
                           "must not update from a positive integer to nil value"));
  }
  const Json& tolerations = ArrayAt(spec, "tolerations");
  for (const Json& old_t : ArrayAt(old_spec, "tolerations")) {
    bool found = std::any_of(tolerations.begin(), tolerations.end(), [&](const Json& t) {
      return SameTolerationIgnoringSeconds(old_t, t);
    });
    if (!found) {
      errs.push_back(Forbidden(path.Child("tolerations"),
                               "existing toleration can not be modified except its "
                               "tolerationSeconds"));
      break;
    }
  }
  std::set<std::string> old_gates;
  for (const Json& g : ArrayAt(old_spec, "schedulingGates")) old_gates.insert(StringAt(g, "name"));
  const Json& gates = ArrayAt(spec, "schedulingGates");
  for (size_t i = 0; i < gates.size(); ++i) {
    std::string name = StringAt(gates[i], "name");
    if (!old_gates.count(name)) {
      errs.push_back(
          Forbidden(path.Child("schedulingGates").Index(i).Child("name"),
                    "only deletion is allowed, but found new scheduling gate '" + name + "'"));
    }
  }

  // Everything else must be unchanged: overwrite the mutable fields with their old values and
  // compare what is left.
  Json munged = spec.is_object() ? spec : Json::object();
  for (const char* list : {"containers", "initContainers"}) {
    const Json& old_list = ArrayAt(old_spec, list);
    if (Json* now_list = munged.contains(list) ? &munged[list] : nullptr;
        now_list && now_list->is_array()) {
      for (size_t i = 0; i < now_list->size() && i < old_list.size(); ++i) {
        Json& c = (*now_list)[i];
        if (!c.is_object()) continue;
        if (const Json* img = Find(old_list[i], "image")) {
          c["image"] = *img;
        } else {
          c.erase("image");
        }
      }
    }
  }
  for (const char* key : {"activeDeadlineSeconds", "schedulingGates", "tolerations"}) {
    if (const Json* v = Find(old_spec, key)) {
      munged[key] = *v;
    } else {
      munged.erase(key);
    }
  }
  std::optional<int64_t> old_tgps = IntAt(old_spec, "terminationGracePeriodSeconds");
  if (old_tgps && *old_tgps < 0 && IntAt(munged, "terminationGracePeriodSeconds") == 1) {
    munged["terminationGracePeriodSeconds"] = *old_tgps;
  }
  // Pods still waiting on scheduling gates may gain node selectors and node affinity.
  if (!ArrayAt(old_spec, "schedulingGates").empty()) {
    const Json& old_selector = ObjectAt(old_spec, "nodeSelector");
    const Json& selector = ObjectAt(munged, "nodeSelector");
    for (const auto& [k, v] : old_selector.items()) {
      const Json* now = Find(selector, k);
      if (!now || *now != v) {
        errs.push_back(Invalid(path.Child("nodeSelector"), selector,
                               "only additions to spec.nodeSelector are allowed (no mutations or "
                               "deletions)"));
        break;
      }
    }
    if (const Json* v = Find(old_spec, "nodeSelector")) {
      munged["nodeSelector"] = *v;
    } else {
      munged.erase("nodeSelector");
    }
    const Json* old_na = Find(ObjectAt(old_spec, "affinity"), "nodeAffinity");
    if (munged.contains("affinity") && munged["affinity"].is_object()) {
      Json& affinity = munged["affinity"];
      if (old_na) {
        affinity["nodeAffinity"] = *old_na;
      } else {
        affinity.erase("nodeAffinity");
      }
      if (affinity.empty() && !Find(old_spec, "affinity")) munged.erase("affinity");
    }
  }
  if (!SemanticEqual(&munged, &old_spec)) {
    errs.push_back(Forbidden(path, std::string(kPodUpdateMsg) + "\n" + Diff(old_spec, munged)));
  }
}

void ValidatePodStatus(const Json& pod, const Json& old, ErrorList& errs) {
  const Json& status = ObjectAt(pod, "status");
  const Json& old_status = ObjectAt(old, "status");
  Path path("status");
  if (const Json* phase = Find(status, "phase"); phase && phase->is_string()) {
    static const std::vector<std::string> kPhases = {"Pending", "Running", "Succeeded", "Failed",
                                                     "Unknown"};
    if (!Contains(kPhases, phase->get<std::string>())) {
      errs.push_back(NotSupported(path.Child("phase"), *phase, kPhases));
    }
  }
  const Json& conditions = ArrayAt(status, "conditions");
  for (size_t i = 0; i < conditions.size(); ++i) {
    std::string type = StringAt(conditions[i], "type");
    if (type == "PodScheduled" || type == "Ready" || type == "Initialized") continue;
    // Kubernetes reports condition types under metadata.
    ValidateQualifiedName(type, Path("metadata").Child("conditions").Index(i).Child("Type"), errs);
  }
  if (StringAt(ObjectAt(pod, "spec"), "nodeName") != StringAt(ObjectAt(old, "spec"), "nodeName")) {
    errs.push_back(Forbidden(path.Child("nodeName"), "may not be changed directly"));
  }
  std::string nominated = StringAt(status, "nominatedNodeName");
  if (!nominated.empty() && nominated != StringAt(old_status, "nominatedNodeName")) {
    ValidateNameWith(NameIsDNSSubdomain, nominated, path.Child("nominatedNodeName"), errs);
  }
  std::string old_qos = StringAt(old_status, "qosClass");
  if (!old_qos.empty() && StringAt(status, "qosClass") != old_qos) {
    errs.push_back(Invalid(path.Child("qosClass"), StringAt(status, "qosClass"), kImmutableMsg));
  }
  // Containers that finished for good (per the restart policy) may not come back to life.
  std::string restart_policy = StringAt(ObjectAt(old, "spec"), "restartPolicy");
  if (restart_policy != "Always") {
    const Json& now_statuses = ArrayAt(status, "containerStatuses");
    const Json& old_statuses = ArrayAt(old_status, "containerStatuses");
    for (size_t i = 0; i < old_statuses.size(); ++i) {
      const Json* terminated = Find(ObjectAt(old_statuses[i], "state"), "terminated");
      if (!terminated) continue;
      if (IntAt(*terminated, "exitCode").value_or(0) != 0 && restart_policy == "OnFailure") {
        continue;
      }
      std::string name = StringAt(old_statuses[i], "name");
      for (const Json& s : now_statuses) {
        if (StringAt(s, "name") == name && !Find(ObjectAt(s, "state"), "terminated")) {
          errs.push_back(Forbidden(path.Child("containerStatuses").Index(i).Child("state"),
                                   "may not be transitioned to non-terminated state"));
        }
      }
    }
  }
  for (const char* list : {"podIPs", "hostIPs"}) {
    const Json& ips = ArrayAt(status, list);
    Path lp = path.Child(list);
    std::set<std::string> seen;
    int v4 = 0;
    int v6 = 0;
    for (size_t i = 0; i < ips.size(); ++i) {
      std::string ip = StringAt(ips[i], "ip");
      ValidateIP(ip, lp.Index(i), errs);
      unsigned char buf[16];
      IPFamily fam = ParseIP(ip, buf);
      v4 += fam == IPFamily::kV4;
      v6 += fam == IPFamily::kV6;
      if (ips.size() > 1 && !seen.insert(ip).second) errs.push_back(Duplicate(lp.Index(i), ips[i]));
    }
    if (ips.size() > 1 && (v4 > 1 || v6 > 1)) {
      errs.push_back(Invalid(lp, ips, "may specify no more than one IP for each IP family"));
    }
  }
  const Json& host_ips = ArrayAt(status, "hostIPs");
  if (!host_ips.empty() && StringAt(host_ips[0], "ip") != StringAt(status, "hostIP")) {
    errs.push_back(Invalid(path.Child("hostIPs").Index(0).Child("ip"), StringAt(host_ips[0], "ip"),
                           "must be equal to `hostIP`"));
  }
}

}  // namespace mlkube::api::internal
