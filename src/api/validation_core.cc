// Rules for the core ("") group: Namespace, Pod, Node, Service, Endpoints, Event, ConfigMap,
// Secret, PersistentVolume, PersistentVolumeClaim, ServiceAccount and Binding.

#include <algorithm>
#include <map>
#include <set>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api::internal {

namespace {

const std::vector<std::string> kPortProtocols = {"SCTP", "TCP", "UDP"};
constexpr size_t kMaxSecretSize = 1024 * 1024;
constexpr const char* kImmutableWhenSetMsg = "field is immutable when `immutable` is set";

bool Contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::vector<std::string> StringList(const Json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const Json& v : array) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// Decoded length of standard base64 (newlines ignored, as Go's decoder does), or the offset of
// the first byte that is not base64.
struct Base64Check {
  bool ok;
  size_t decoded_size;
  size_t bad_offset;
};

Base64Check CheckBase64(std::string_view s) {
  size_t chars = 0;
  size_t padding = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r' || c == '\n') continue;
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      ++padding;
    } else if (!alpha || padding > 0) {
      return {false, 0, i};
    }
    ++chars;
  }
  if (chars % 4 != 0 || padding > 2) return {false, 0, s.size()};
  return {true, chars / 4 * 3 - padding, 0};
}

std::optional<std::string> DecodeBase64(std::string_view s) {
  if (!CheckBase64(s).ok) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : 63;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '=') continue;
    acc = (acc << 6) | static_cast<uint32_t>(value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Namespace

void ValidateNamespace(const Json& obj, const Json*, ErrorList& errs) {
  for (const Json& f : ArrayAt(ObjectAt(obj, "spec"), "finalizers")) {
    if (!f.is_string()) continue;
    Path p = Path("spec").Child("finalizers");
    ValidateQualifiedName(f.get<std::string>(), p, errs);
    ValidateKubeFinalizerName(f.get<std::string>(), p, errs);
  }
}

void ValidateNamespaceStatus(const Json& obj, const Json&, ErrorList& errs) {
  std::string phase = StringAt(ObjectAt(obj, "status"), "phase");
  Path p = Path("status").Child("Phase");
  if (!Find(ObjectAt(obj, "metadata"), "deletionTimestamp")) {
    if (phase != "Active") {
      errs.push_back(Invalid(p, phase, "may only be 'Active' if `deletionTimestamp` is empty"));
    }
  } else if (phase != "Terminating") {
    errs.push_back(
        Invalid(p, phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
}

// ---------------------------------------------------------------------------------------------
// Pod and Binding

void ValidatePod(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  ValidatePodSpec(spec, path, PodSpecOptions{.resource_is_pod = true}, errs);
  if (!old) {
    if (!ArrayAt(spec, "ephemeralContainers").empty()) {
      errs.push_back(Forbidden(path.Child("ephemeralContainers"), "cannot be set on create"));
    }
    if (HasString(spec, "nodeName") && !ArrayAt(spec, "schedulingGates").empty()) {
      errs.push_back(Forbidden(path.Child("nodeName"),
                               "cannot be set until all schedulingGates have been cleared"));
    }
    return;
  }
  ValidatePodUpdate(spec, ObjectAt(*old, "spec"), errs);
}

void ValidatePodStatusUpdate(const Json& obj, const Json& old, ErrorList& errs) {
  ValidatePodStatus(obj, old, errs);
}

void ValidateBinding(const Json& obj, const Json*, ErrorList& errs) {
  const Json& target = ObjectAt(obj, "target");
  std::string kind = StringAt(target, "kind");
  if (!kind.empty() && kind != "Node") {
    errs.push_back(NotSupported(Path("target").Child("kind"), kind, {"Node", "<empty>"}));
  }
  if (!HasString(target, "name")) errs.push_back(Required(Path("target").Child("name"), ""));
}

// ---------------------------------------------------------------------------------------------
// Node

void ValidateNodeResources(const Json& obj, ErrorList& errs) {
  const Json& status = ObjectAt(obj, "status");
  for (const char* list : {"capacity", "allocatable"}) {
    for (const auto& [name, value] : ObjectAt(status, list).items()) {
      // Kubernetes joins these paths with dots: status.capacity.cpu.
      Path p = Path("status").Child(list).Child(name);
      if (std::optional<Quantity> q = ParseQuantityAt(value, p, errs)) {
        ValidateResourceQuantityValue(name, *q, p, errs);
      }
    }
  }
}

void ValidateNodeTaints(const Json& taints, ErrorList& errs) {
  // Kubernetes reports node taints under metadata (metadata.taints[i]).
  Path path = Path("metadata").Child("taints");
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < taints.size(); ++i) {
    const Json& t = taints[i];
    Path p = path.Index(i);
    std::string key = StringAt(t, "key");
    std::string value = StringAt(t, "value");
    std::string effect = StringAt(t, "effect");
    ValidateLabelName(key, p.Child("key"), errs);
    std::vector<std::string> msgs = IsValidLabelValue(value);
    if (!msgs.empty()) {
      std::string joined;
      for (size_t m = 0; m < msgs.size(); ++m) joined += (m ? ";" : "") + msgs[m];
      errs.push_back(Invalid(p.Child("value"), value, joined));
    }
    ValidateTaintEffect(Json(effect), false, p.Child("effect"), errs);
    if (!seen.insert({key, effect}).second) {
      FieldError dup = Duplicate(p, t);
      dup.detail = "taints must be unique by key and effect pair";
      errs.push_back(std::move(dup));
    }
  }
}

void ValidateNode(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  ValidateNodeTaints(ArrayAt(spec, "taints"), errs);
  ValidateNodeResources(obj, errs);
  const Json& cidrs = ArrayAt(spec, "podCIDRs");
  Path cidr_path = Path("spec").Child("podCIDRs");
  std::set<std::string> seen;
  for (size_t i = 0; i < cidrs.size(); ++i) {
    std::string cidr = cidrs[i].is_string() ? cidrs[i].get<std::string>() : "";
    ValidateCIDR(cidr, cidr_path.Index(i), errs);
    if (cidrs.size() > 1 && !seen.insert(cidr).second) {
      errs.push_back(Duplicate(cidr_path.Index(i), cidr));
    }
  }
  if (cidrs.size() > 2) {
    errs.push_back(
        Invalid(cidr_path, cidrs, "may specify no more than one CIDR for each IP family"));
  }
  if (!old) return;
  const Json& old_spec = ObjectAt(*old, "spec");
  const Json& old_cidrs = ArrayAt(old_spec, "podCIDRs");
  if (!old_cidrs.empty() && StringList(old_cidrs) != StringList(cidrs)) {
    errs.push_back(
        Forbidden(cidr_path, "node updates may not change podCIDR except from \"\" to valid"));
  }
  std::string provider = StringAt(old_spec, "providerID");
  if (!provider.empty() && provider != StringAt(spec, "providerID")) {
    errs.push_back(Forbidden(Path("spec").Child("providerID"),
                             "node updates may not change providerID except from \"\" to valid"));
  }
  if (StringAt(spec, "externalID") != StringAt(old_spec, "externalID")) {
    errs.push_back(Forbidden(Path("spec").Child("externalID"), "may not be updated"));
  }
}

void ValidateNodeStatus(const Json& obj, const Json&, ErrorList& errs) {
  ValidateNodeResources(obj, errs);
  const Json& addresses = ArrayAt(ObjectAt(obj, "status"), "addresses");
  std::set<std::string> seen;
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (!seen.insert(Dump(addresses[i])).second) {
      errs.push_back(Duplicate(Path("status").Child("addresses").Index(i), addresses[i]));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Service

bool IsHeadless(const Json& spec) {
  std::vector<std::string> ips = StringList(ArrayAt(spec, "clusterIPs"));
  return ips.size() == 1 && ips[0] == "None";
}

void ValidateServicePort(const Json& port, bool require_name, std::set<std::string>& names,
                         const Path& path, ErrorList& errs) {
  std::string name = StringAt(port, "name");
  if (require_name && name.empty()) {
    errs.push_back(Required(path.Child("name"), ""));
  } else if (!name.empty()) {
    ValidateDNS1123Label(name, path.Child("name"), errs);
    if (!names.insert(name).second) errs.push_back(Duplicate(path.Child("name"), name));
  }
  int64_t number = IntAt(port, "port").value_or(0);
  for (auto& msg : IsValidPortNum(number)) errs.push_back(Invalid(path.Child("port"), number, msg));
  std::string protocol = StringAt(port, "protocol");
  if (protocol.empty()) {
    errs.push_back(Required(path.Child("protocol"), ""));
  } else if (!Contains(kPortProtocols, protocol)) {
    errs.push_back(NotSupported(path.Child("protocol"), protocol, kPortProtocols));
  }
  const Json* target = Find(port, "targetPort");
  ValidatePortNumOrName(target ? *target : Json(0), path.Child("targetPort"), errs);
  if (const Json* app = Find(port, "appProtocol"); app && app->is_string()) {
    ValidateQualifiedName(app->get<std::string>(), path.Child("appProtocol"), errs);
  }
}

void ValidateClusterIPs(const Json& spec, ErrorList& errs) {
  Path path("spec");
  Path ips_path = path.Child("clusterIPs");
  const Json& ips_json = ArrayAt(spec, "clusterIPs");
  std::vector<std::string> ips = StringList(ips_json);
  std::string cluster_ip = StringAt(spec, "clusterIP");
  if (!cluster_ip.empty()) {
    if (ips.empty()) {
      errs.push_back(Required(ips_path, ""));
    } else if (ips[0] != cluster_ip) {
      errs.push_back(Invalid(ips_path, ips_json, "first value must match `clusterIP`"));
    }
  } else if (!ips.empty()) {
    errs.push_back(Invalid(ips_path, ips_json, "must be empty when `clusterIP` is not specified"));
  }
  std::vector<std::string> families = StringList(ArrayAt(spec, "ipFamilies"));
  std::set<std::string> seen_families;
  for (size_t i = 0; i < families.size(); ++i) {
    Path p = path.Child("ipFamilies").Index(i);
    if (families[i] != "IPv4" && families[i] != "IPv6") {
      errs.push_back(NotSupported(p, families[i], {"IPv4", "IPv6"}));
    }
    if (!seen_families.insert(families[i]).second) errs.push_back(Duplicate(p, families[i]));
  }
  if (const Json* policy = Find(spec, "ipFamilyPolicy"); policy && policy->is_string()) {
    std::string v = policy->get<std::string>();
    if (v != "SingleStack" && v != "PreferDualStack" && v != "RequireDualStack") {
      errs.push_back(NotSupported(path.Child("ipFamilyPolicy"), v,
                                  {"PreferDualStack", "RequireDualStack", "SingleStack"}));
    }
  }
  bool invalid = false;
  for (size_t i = 0; i < ips.size(); ++i) {
    if (i == 0 && ips[i] == "None") {
      if (ips.size() > 1) {
        invalid = true;
        errs.push_back(Invalid(ips_path, ips_json, "'None' must be the first and only value"));
      }
      continue;
    }
    size_t before = errs.size();
    ValidateIP(ips[i], ips_path.Index(i), errs);
    invalid = invalid || errs.size() != before;
  }
  if (ips.size() > 2) errs.push_back(Invalid(ips_path, ips_json, "may only hold up to 2 values"));
  if (invalid) return;
  std::vector<IPFamily> ip_families;
  for (const std::string& ip : ips) {
    unsigned char buf[16];
    ip_families.push_back(ParseIP(ip, buf));
  }
  if (ips.size() > 1 && (ips.size() != 2 || ip_families[0] == ip_families[1])) {
    errs.push_back(
        Invalid(ips_path, ips_json, "may specify no more than one IP for each IP family"));
  }
  if (IsHeadless(spec)) return;
  for (size_t i = 0; i < ips.size() && i < families.size(); ++i) {
    std::string index = std::to_string(i);
    if (families[i] == "IPv4" && ip_families[i] == IPFamily::kV6) {
      errs.push_back(Invalid(ips_path.Index(i), ips[i],
                             "expected an IPv4 value as indicated by `ipFamilies[" + index + "]`"));
    }
    if (families[i] == "IPv6" && ip_families[i] != IPFamily::kV6) {
      errs.push_back(Invalid(ips_path.Index(i), ips[i],
                             "expected an IPv6 value as indicated by `ipFamilies[" + index + "]`"));
    }
  }
}

bool ExternallyAccessible(const Json& spec) {
  std::string type = StringAt(spec, "type");
  return type == "LoadBalancer" || type == "NodePort" ||
         (type == "ClusterIP" && !ArrayAt(spec, "externalIPs").empty());
}

bool NeedsHealthCheck(const Json& spec) {
  return StringAt(spec, "type") == "LoadBalancer" &&
         StringAt(spec, "externalTrafficPolicy") == "Local";
}

void ValidateServiceUpdate(const Json& spec, const Json& old_spec, ErrorList& errs) {
  Path path("spec");
  std::string type = StringAt(spec, "type");
  std::string old_type = StringAt(old_spec, "type");
  if (type != "ExternalName" && old_type != "ExternalName" &&
      !(IsHeadless(spec) && IsHeadless(old_spec))) {
    const Json& ips_json = ArrayAt(spec, "clusterIPs");
    std::vector<std::string> ips = StringList(ips_json);
    std::vector<std::string> old_ips = StringList(ArrayAt(old_spec, "clusterIPs"));
    Path ips_path = path.Child("clusterIPs");
    // An update that leaves clusterIP(s) out keeps the allocated ones (the server copies them
    // over, as Kubernetes' service REST does); only a different address is a change.
    if (!ips.empty()) {
      if (ips.size() == old_ips.size()) {
        for (size_t i = 0; i < ips.size(); ++i) {
          if (ips[i] != old_ips[i]) {
            errs.push_back(Invalid(ips_path.Index(i), ips_json, "may not change once set"));
          }
        }
      } else if (!old_ips.empty() && ips[0] != old_ips[0]) {
        errs.push_back(Invalid(ips_path.Index(0), ips_json, "may not change once set"));
      } else if (ips.size() == 1 && old_ips.size() > 1 &&
                 StringAt(spec, "ipFamilyPolicy") != "SingleStack") {
        errs.push_back(
            Invalid(path.Child("ipFamilyPolicy"),
                    Find(spec, "ipFamilyPolicy") ? *Find(spec, "ipFamilyPolicy") : Json(nullptr),
                    "must be set to 'SingleStack' when releasing the secondary "
                    "clusterIP"));
      }
    }
  }
  if (NeedsHealthCheck(spec) && NeedsHealthCheck(old_spec)) {
    std::optional<int64_t> hc = IntAt(spec, "healthCheckNodePort");
    if (hc && *hc != 0 && hc != IntAt(old_spec, "healthCheckNodePort")) {
      errs.push_back(Forbidden(path.Child("healthCheckNodePort"), kImmutableMsg));
    }
  }
  if (type == "LoadBalancer" && old_type == "LoadBalancer" &&
      !SemanticEqual(Find(spec, "loadBalancerClass"), Find(old_spec, "loadBalancerClass"))) {
    const Json* cls = Find(spec, "loadBalancerClass");
    errs.push_back(Invalid(path.Child("loadBalancerClass"), cls ? *cls : Json(nullptr),
                           "may not change once set"));
  }
}

void ValidateService(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  std::string type = StringAt(spec, "type");
  const Json& ports = ArrayAt(spec, "ports");
  bool headless = IsHeadless(spec);
  if (ports.empty() && !headless && type != "ExternalName") {
    errs.push_back(Required(path.Child("ports"), ""));
  }
  if (type == "LoadBalancer" || type == "NodePort") {
    if (headless) {
      errs.push_back(Invalid(path.Child("clusterIPs").Index(0), "None",
                             "may not be set to 'None' for " + type + " services"));
    }
  } else if (type == "ExternalName") {
    if (!ArrayAt(spec, "clusterIPs").empty()) {
      errs.push_back(
          Forbidden(path.Child("clusterIPs"), "may not be set for ExternalName services"));
    }
    if (!ArrayAt(spec, "ipFamilies").empty()) {
      errs.push_back(
          Forbidden(path.Child("ipFamilies"), "may not be set for ExternalName services"));
    }
    if (Find(spec, "ipFamilyPolicy")) {
      errs.push_back(
          Forbidden(path.Child("ipFamilyPolicy"), "may not be set for ExternalName services"));
    }
    std::string cname = StringAt(spec, "externalName");
    if (!cname.empty() && cname.back() == '.') cname.pop_back();
    if (!cname.empty()) {
      ValidateDNS1123Subdomain(cname, path.Child("externalName"), errs);
    } else {
      errs.push_back(Required(path.Child("externalName"), ""));
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    ValidateServicePort(ports[i], ports.size() > 1, names, path.Child("ports").Index(i), errs);
  }
  ValidateLabels(ObjectAt(spec, "selector"), path.Child("selector"), errs);
  std::string affinity = StringAt(spec, "sessionAffinity");
  if (affinity.empty()) {
    errs.push_back(Required(path.Child("sessionAffinity"), ""));
  } else if (affinity != "ClientIP" && affinity != "None") {
    errs.push_back(NotSupported(path.Child("sessionAffinity"), affinity, {"ClientIP", "None"}));
  }
  Path config_path = path.Child("sessionAffinityConfig");
  const Json* config = Find(spec, "sessionAffinityConfig");
  if (affinity == "ClientIP") {
    const Json* client_ip = config ? Find(*config, "clientIP") : nullptr;
    const Json* timeout = client_ip ? Find(*client_ip, "timeoutSeconds") : nullptr;
    std::string when = "when session affinity type is ClientIP";
    if (!config) {
      errs.push_back(Required(config_path, when));
    } else if (!client_ip) {
      errs.push_back(Required(config_path.Child("clientIP"), when));
    } else if (!timeout) {
      errs.push_back(Required(config_path.Child("clientIP").Child("timeoutSeconds"), when));
    } else if (std::optional<int64_t> t = AsInt(*timeout); t && (*t <= 0 || *t > 86400)) {
      errs.push_back(Invalid(config_path.Child("clientIP").Child("timeoutSeconds"), *t,
                             "must be greater than 0 and less than 86400"));
    }
  } else if (affinity == "None" && config) {
    errs.push_back(Forbidden(config_path, "must not be set when session affinity is None"));
  }
  if (type != "ExternalName") ValidateClusterIPs(spec, errs);
  const Json& external_ips = ArrayAt(spec, "externalIPs");
  for (size_t i = 0; i < external_ips.size(); ++i) {
    std::string ip = external_ips[i].is_string() ? external_ips[i].get<std::string>() : "";
    size_t before = errs.size();
    ValidateIP(ip, path.Child("externalIPs").Index(i), errs);
    if (errs.size() == before) ValidateNonSpecialIP(ip, path.Child("externalIPs").Index(i), errs);
  }
  static const std::vector<std::string> kTypes = {"ClusterIP", "ExternalName", "LoadBalancer",
                                                  "NodePort"};
  if (type.empty()) {
    errs.push_back(Required(path.Child("type"), ""));
  } else if (!Contains(kTypes, type)) {
    errs.push_back(NotSupported(path.Child("type"), type, kTypes));
  }
  std::set<std::pair<std::string, int64_t>> node_ports;
  std::set<std::pair<std::string, int64_t>> port_keys;
  for (size_t i = 0; i < ports.size(); ++i) {
    Path p = path.Child("ports").Index(i);
    std::string protocol = StringAt(ports[i], "protocol");
    int64_t node_port = IntAt(ports[i], "nodePort").value_or(0);
    if (node_port != 0) {
      if (type == "ClusterIP") {
        errs.push_back(
            Forbidden(p.Child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
      } else if (node_port < 1 || node_port > 65535) {
        // The configured range (--service-node-port-range) is the allocator's to check.
        errs.push_back(Invalid(p.Child("nodePort"), node_port, "must be between 1 and 65535, inclusive"));
      }
      if (!node_ports.insert({protocol, node_port}).second) {
        errs.push_back(Duplicate(p.Child("nodePort"), node_port));
      }
    }
    int64_t number = IntAt(ports[i], "port").value_or(0);
    if (!port_keys.insert({protocol, number}).second) {
      errs.push_back(Duplicate(p, Json{{"port", number}, {"protocol", protocol}}));
    }
  }
  const Json& ranges = ArrayAt(spec, "loadBalancerSourceRanges");
  if (!ranges.empty()) {
    // Kubernetes spells this path with a capital L.
    Path rp = path.Child("LoadBalancerSourceRanges");
    if (type != "LoadBalancer") {
      errs.push_back(Forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
    }
    for (size_t i = 0; i < ranges.size(); ++i) {
      std::string cidr = ranges[i].is_string() ? ranges[i].get<std::string>() : "";
      cidr.erase(0, cidr.find_first_not_of(" \t"));
      cidr.erase(cidr.find_last_not_of(" \t") + 1);
      ValidateCIDR(cidr, rp.Index(i), errs);
    }
  }
  if (Find(spec, "allocateLoadBalancerNodePorts") && type != "LoadBalancer") {
    errs.push_back(Forbidden(path.Child("allocateLoadBalancerNodePorts"),
                             "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type == "LoadBalancer" && !Find(spec, "allocateLoadBalancerNodePorts")) {
    errs.push_back(Required(Path("allocateLoadBalancerNodePorts"), ""));
  }
  if (const Json* cls = Find(spec, "loadBalancerClass"); cls && cls->is_string()) {
    if (type == "LoadBalancer") {
      ValidateQualifiedName(cls->get<std::string>(), path.Child("loadBalancerClass"), errs);
    } else {
      errs.push_back(Forbidden(path.Child("loadBalancerClass"),
                               "may only be used when `type` is 'LoadBalancer'"));
    }
  }
  std::string etp = StringAt(spec, "externalTrafficPolicy");
  if (!ExternallyAccessible(spec)) {
    if (!etp.empty()) {
      errs.push_back(Invalid(path.Child("externalTrafficPolicy"), etp,
                             "may only be set for externally-accessible services"));
    }
  } else if (etp.empty()) {
    errs.push_back(Required(path.Child("externalTrafficPolicy"), ""));
  } else if (etp != "Cluster" && etp != "Local") {
    errs.push_back(NotSupported(path.Child("externalTrafficPolicy"), etp, {"Cluster", "Local"}));
  }
  int64_t health = IntAt(spec, "healthCheckNodePort").value_or(0);
  if (!NeedsHealthCheck(spec) && health != 0) {
    errs.push_back(Invalid(path.Child("healthCheckNodePort"), health,
                           "may only be set when `type` is 'LoadBalancer' and "
                           "`externalTrafficPolicy` is 'Local'"));
  } else if (health != 0) {
    for (auto& msg : IsValidPortNum(health)) {
      errs.push_back(Invalid(path.Child("healthCheckNodePort"), health, msg));
    }
  }
  const Json* itp = Find(spec, "internalTrafficPolicy");
  if (!itp) {
    if (type == "NodePort" || type == "LoadBalancer" || type == "ClusterIP") {
      errs.push_back(Required(path.Child("internalTrafficPolicy"), ""));
    }
  } else if (itp->is_string() && *itp != "Cluster" && *itp != "Local") {
    errs.push_back(NotSupported(path.Child("internalTrafficPolicy"), *itp, {"Cluster", "Local"}));
  }
  if (const Json* td = Find(spec, "trafficDistribution");
      td && td->is_string() && *td != "PreferClose") {
    errs.push_back(NotSupported(path.Child("trafficDistribution"), *td, {"PreferClose"}));
  }
  if (old) ValidateServiceUpdate(spec, ObjectAt(*old, "spec"), errs);
}

void ValidateServiceStatus(const Json& obj, const Json&, ErrorList& errs) {
  const Json& ingress = ArrayAt(ObjectAt(ObjectAt(obj, "status"), "loadBalancer"), "ingress");
  Path path = Path("status").Child("loadBalancer").Child("ingress");
  for (size_t i = 0; i < ingress.size(); ++i) {
    if (HasString(ingress[i], "ip")) {
      ValidateIP(StringAt(ingress[i], "ip"), path.Index(i).Child("ip"), errs);
    }
    if (HasString(ingress[i], "hostname")) {
      std::string host = StringAt(ingress[i], "hostname");
      ValidateDNS1123Subdomain(host, path.Index(i).Child("hostname"), errs);
      unsigned char buf[16];
      if (ParseIP(host, buf) != IPFamily::kNone) {
        errs.push_back(Invalid(path.Index(i).Child("hostname"), host,
                               "must be a DNS name, not an IP address"));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Endpoints

void ValidateEndpointAddress(const Json& address, const Path& path, ErrorList& errs) {
  std::string ip = StringAt(address, "ip");
  ValidateIP(ip, path.Child("ip"), errs);
  if (HasString(address, "hostname")) {
    ValidateDNS1123Label(StringAt(address, "hostname"), path.Child("hostname"), errs);
  }
  if (const Json* node = Find(address, "nodeName"); node && node->is_string()) {
    ValidateNameWith(NameIsDNSSubdomain, node->get<std::string>(), path.Child("nodeName"), errs);
  }
  ValidateNonSpecialIP(ip, path.Child("ip"), errs);
}

void ValidateEndpointPort(const Json& port, bool require_name, const Path& path, ErrorList& errs) {
  std::string name = StringAt(port, "name");
  if (require_name && name.empty()) {
    errs.push_back(Required(path.Child("name"), ""));
  } else if (!name.empty()) {
    ValidateDNS1123Label(name, path.Child("name"), errs);
  }
  int64_t number = IntAt(port, "port").value_or(0);
  for (auto& msg : IsValidPortNum(number)) errs.push_back(Invalid(path.Child("port"), number, msg));
  std::string protocol = StringAt(port, "protocol");
  if (protocol.empty()) {
    errs.push_back(Required(path.Child("protocol"), ""));
  } else if (!Contains(kPortProtocols, protocol)) {
    errs.push_back(NotSupported(path.Child("protocol"), protocol, kPortProtocols));
  }
  if (const Json* app = Find(port, "appProtocol"); app && app->is_string()) {
    ValidateQualifiedName(app->get<std::string>(), path.Child("appProtocol"), errs);
  }
}

void ValidateEndpoints(const Json& obj, const Json*, ErrorList& errs) {
  const Json& subsets = ArrayAt(obj, "subsets");
  for (size_t i = 0; i < subsets.size(); ++i) {
    const Json& ss = subsets[i];
    Path p = Path("subsets").Index(i);
    const Json& addresses = ArrayAt(ss, "addresses");
    const Json& not_ready = ArrayAt(ss, "notReadyAddresses");
    if (addresses.empty() && not_ready.empty()) {
      errs.push_back(Required(p, "must specify `addresses` or `notReadyAddresses`"));
    }
    for (size_t a = 0; a < addresses.size(); ++a) {
      ValidateEndpointAddress(addresses[a], p.Child("addresses").Index(a), errs);
    }
    for (size_t a = 0; a < not_ready.size(); ++a) {
      ValidateEndpointAddress(not_ready[a], p.Child("notReadyAddresses").Index(a), errs);
    }
    const Json& ports = ArrayAt(ss, "ports");
    for (size_t j = 0; j < ports.size(); ++j) {
      ValidateEndpointPort(ports[j], ports.size() > 1, p.Child("ports").Index(j), errs);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Event

void ValidateEvent(const Json& obj, const Json*, ErrorList& errs) {
  std::string ns = StringAt(ObjectAt(obj, "metadata"), "namespace");
  std::string involved_ns = StringAt(ObjectAt(obj, "involvedObject"), "namespace");
  Path involved_path = Path("involvedObject").Child("namespace");
  const std::string mismatch = "does not match event.namespace";
  if (!HasString(obj, "eventTime")) {
    // Legacy events: the event lives in its object's namespace ("default" for cluster objects).
    if (involved_ns.empty()) {
      if (!ns.empty() && ns != "default") {
        errs.push_back(Invalid(involved_path, involved_ns, mismatch));
      }
    } else if (ns != involved_ns) {
      errs.push_back(Invalid(involved_path, involved_ns, mismatch));
    }
    return;
  }
  if (involved_ns.empty() && ns != "default" && ns != "kube-system") {
    errs.push_back(Invalid(involved_path, involved_ns, mismatch));
  }
  std::string controller = StringAt(obj, "reportingComponent");
  if (controller.empty()) errs.push_back(Required(Path("reportingComponent"), ""));
  ValidateQualifiedName(controller, Path("reportingComponent"), errs);
  struct Limit {
    const char* key;
    size_t max;
    bool required;
  };
  for (const Limit& l : {Limit{"reportingInstance", 128, true}, Limit{"action", 128, true},
                         Limit{"reason", 128, true}, Limit{"message", 1024, false}}) {
    std::string v = StringAt(obj, l.key);
    if (l.required && v.empty()) errs.push_back(Required(Path(l.key), ""));
    if (v.size() > l.max) {
      errs.push_back(
          Invalid(Path(l.key), "", "can have at most " + std::to_string(l.max) + " characters"));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ConfigMap and Secret

void ValidateConfigMap(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& data = ObjectAt(obj, "data");
  const Json& binary = ObjectAt(obj, "binaryData");
  size_t total = 0;
  for (const auto& [key, value] : data.items()) {
    Path p = Path("data").Key(key);
    for (auto& msg : IsConfigMapKey(key)) errs.push_back(Invalid(p, key, msg));
    if (binary.contains(key)) {
      errs.push_back(Invalid(p, key, "duplicate of key present in binaryData"));
    }
    if (value.is_string()) total += value.get_ref<const std::string&>().size();
  }
  for (const auto& [key, value] : binary.items()) {
    for (auto& msg : IsConfigMapKey(key)) {
      errs.push_back(Invalid(Path("binaryData").Key(key), key, msg));
    }
    if (value.is_string()) total += CheckBase64(value.get_ref<const std::string&>()).decoded_size;
  }
  if (total > kMaxSecretSize) errs.push_back(TooLong(Path(""), "", kMaxSecretSize));
  if (!old || !BoolAt(*old, "immutable")) return;
  if (!BoolAt(obj, "immutable")) errs.push_back(Forbidden(Path("immutable"), kImmutableWhenSetMsg));
  for (const char* key : {"data", "binaryData"}) {
    if (!SemanticEqual(Find(obj, key), Find(*old, key))) {
      errs.push_back(Forbidden(Path(key), kImmutableWhenSetMsg));
    }
  }
}

void ValidateSecret(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& data = ObjectAt(obj, "data");
  Path data_path("data");
  size_t total = 0;
  std::map<std::string, std::string> decoded;
  for (const auto& [key, value] : data.items()) {
    for (auto& msg : IsConfigMapKey(key)) errs.push_back(Invalid(data_path.Key(key), key, msg));
    if (!value.is_string()) continue;
    const std::string& text = value.get_ref<const std::string&>();
    Base64Check check = CheckBase64(text);
    if (!check.ok) {
      errs.push_back(
          Invalid(data_path.Key(key), "<secret contents redacted>",
                  "illegal base64 data at input byte " + std::to_string(check.bad_offset)));
      continue;
    }
    total += check.decoded_size;
    if (std::optional<std::string> d = DecodeBase64(text)) decoded[key] = *d;
  }
  if (total > kMaxSecretSize) errs.push_back(TooLong(data_path, "", kMaxSecretSize));
  std::string type = StringAt(obj, "type");
  auto require_json = [&](const char* key) {
    if (!data.contains(key)) {
      errs.push_back(Required(data_path.Key(key), ""));
      return;
    }
    auto it = decoded.find(key);
    if (it == decoded.end()) return;
    Json parsed = Json::parse(it->second, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      errs.push_back(Invalid(data_path.Key(key), "<secret contents redacted>",
                             "invalid character looking for beginning of value"));
    }
  };
  if (type == "kubernetes.io/service-account-token") {
    if (StringAt(ObjectAt(ObjectAt(obj, "metadata"), "annotations"),
                 "kubernetes.io/service-account.name")
            .empty()) {
      errs.push_back(Required(
          Path("metadata").Child("annotations").Key("kubernetes.io/service-account.name"), ""));
    }
  } else if (type == "kubernetes.io/dockercfg") {
    require_json(".dockercfg");
  } else if (type == "kubernetes.io/dockerconfigjson") {
    require_json(".dockerconfigjson");
  } else if (type == "kubernetes.io/basic-auth") {
    if (!data.contains("username") && !data.contains("password")) {
      errs.push_back(Required(data_path.Key("username"), ""));
      errs.push_back(Required(data_path.Key("password"), ""));
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (decoded["ssh-privatekey"].empty()) {
      errs.push_back(Required(data_path.Key("ssh-privatekey"), ""));
    }
  } else if (type == "kubernetes.io/tls") {
    for (const char* key : {"tls.crt", "tls.key"}) {
      if (!data.contains(key)) errs.push_back(Required(data_path.Key(key), ""));
    }
  }
  if (!old) return;
  std::string old_type = StringAt(*old, "type");
  if (type != old_type) errs.push_back(Invalid(Path("type"), type, kImmutableMsg));
  if (BoolAt(*old, "immutable")) {
    if (!BoolAt(obj, "immutable")) {
      errs.push_back(Forbidden(Path("immutable"), kImmutableWhenSetMsg));
    }
    if (!SemanticEqual(Find(obj, "data"), Find(*old, "data"))) {
      errs.push_back(Forbidden(Path("data"), kImmutableWhenSetMsg));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PersistentVolume and PersistentVolumeClaim

const std::vector<std::string> kAccessModes = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                               "ReadWriteOncePod"};

void ValidateAccessModes(const Json& spec, const Path& path, ErrorList& errs) {
  bool rwop = false;
  bool other = false;
  for (const Json& m : ArrayAt(spec, "accessModes")) {
    std::string mode = m.is_string() ? m.get<std::string>() : "";
    if (!Contains(kAccessModes, mode)) {
      errs.push_back(NotSupported(path, mode, kAccessModes));
    } else if (mode == "ReadWriteOncePod") {
      rwop = true;
    } else {
      other = true;
    }
  }
  if (rwop && other) {
    errs.push_back(Forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  }
}

void ValidateVolumeMode(const Json& spec, const Path& path, ErrorList& errs) {
  if (const Json* mode = Find(spec, "volumeMode");
      mode && mode->is_string() && *mode != "Block" && *mode != "Filesystem") {
    errs.push_back(NotSupported(path, *mode, {"Block", "Filesystem"}));
  }
}

void ValidateDataSource(const Json& ds, const Path& path, ErrorList& errs) {
  if (!HasString(ds, "name")) errs.push_back(Required(path.Child("name"), ""));
  std::string kind = StringAt(ds, "kind");
  if (kind.empty()) errs.push_back(Required(path.Child("kind"), ""));
  std::string group = StringAt(ds, "apiGroup");
  if (group.empty() && kind != "PersistentVolumeClaim") {
    errs.push_back(Invalid(path, kind,
                           "must be 'PersistentVolumeClaim' when referencing the default "
                           "apiGroup"));
  }
  if (!group.empty()) ValidateDNS1123Subdomain(group, path.Child("apiGroup"), errs);
}

// PersistentVolume sources in Kubernetes' order, with the path it reports an extra one at.
struct PVSource {
  const char* key;
  const char* forbidden_path;
};
constexpr PVSource kPVSources[] = {
    {"hostPath", "hostPath"},
    {"gcePersistentDisk", "gcePersistentDisk"},
    {"awsElasticBlockStore", "awsElasticBlockStore"},
    {"glusterfs", "glusterfs"},
    {"flocker", "flocker"},
    {"nfs", "nfs"},
    {"rbd", "rbd"},
    {"quobyte", "quobyte"},
    {"cephfs", "cephFS"},
    {"iscsi", "iscsi"},
    {"cinder", "cinder"},
    {"fc", "fc"},
    {"flexVolume", nullptr},  // never reported as extra
    {"azureFile", "azureFile"},
    {"vsphereVolume", "vsphereVolume"},
    {"photonPersistentDisk", "photonPersistentDisk"},
    {"portworxVolume", "portworxVolume"},
    {"azureDisk", "azureDisk"},
    {"scaleIO", "scaleIO"},
    {"local", "local"},
    {"storageos", "storageos"},
    {"csi", "csi"},
};

void ValidatePathWithoutBacksteps(const std::string& p, const Path& path, ErrorList& errs) {
  std::string s = "/" + p + "/";
  if (s.find("/../") != std::string::npos) {
    errs.push_back(Invalid(path, p, "must not contain '..'"));
  }
}

void ValidatePersistentVolume(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  Path path("spec");
  if (ArrayAt(spec, "accessModes").empty()) {
    errs.push_back(Required(path.Child("accessModes"), ""));
  }
  ValidateAccessModes(spec, path.Child("accessModes"), errs);
  const Json& capacity = ObjectAt(spec, "capacity");
  Path cap_path = path.Child("capacity");
  if (capacity.empty()) errs.push_back(Required(cap_path, ""));
  if (!capacity.contains("storage") || capacity.size() > 1) {
    errs.push_back(NotSupported(cap_path, capacity, {"storage"}));
  }
  for (const auto& [name, value] : capacity.items()) {
    Path p = cap_path.Key(name);
    std::optional<Quantity> q = ParseQuantityAt(value, p, errs);
    if (!q) continue;
    if (q->Value() < 0) errs.push_back(Invalid(p, q->Value(), "must be a valid resource quantity"));
    if (q->IsNegative() || q->IsZero()) {
      errs.push_back(Invalid(p, q->String(), "must be greater than zero"));
    }
  }
  std::string reclaim = StringAt(spec, "persistentVolumeReclaimPolicy");
  if (!reclaim.empty() && reclaim != "Delete" && reclaim != "Recycle" && reclaim != "Retain") {
    errs.push_back(NotSupported(path.Child("persistentVolumeReclaimPolicy"), reclaim,
                                {"Delete", "Recycle", "Retain"}));
  }
  bool node_affinity = false;
  if (const Json* na = Find(spec, "nodeAffinity")) {
    node_affinity = true;
    if (const Json* required = Find(*na, "required")) {
      ValidateNodeSelector(*required, path.Child("nodeAffinity").Child("required"), errs);
    } else {
      errs.push_back(Required(path.Child("nodeAffinity").Child("required"),
                              "must specify required node constraints"));
    }
  }
  int sources = 0;
  for (const PVSource& s : kPVSources) {
    const Json* src = Find(spec, s.key);
    if (!src) continue;
    if (sources > 0 && s.forbidden_path) {
      errs.push_back(
          Forbidden(path.Child(s.forbidden_path), "may not specify more than 1 volume type"));
      continue;
    }
    ++sources;
    Path sp = path.Child(s.key);
    std::string key = s.key;
    if (key == "hostPath" || key == "local") {
      std::string p = StringAt(*src, "path");
      if (p.empty()) {
        errs.push_back(Required(sp.Child("path"), ""));
      } else {
        ValidatePathWithoutBacksteps(p, sp.Child("path"), errs);
      }
      if (key == "local" && !node_affinity) {
        errs.push_back(Required(path.Child("nodeAffinity"), "Local volume requires node affinity"));
      }
    } else if (key == "nfs") {
      std::string p = StringAt(*src, "path");
      if (!HasString(*src, "server")) errs.push_back(Required(sp.Child("server"), ""));
      if (p.empty()) errs.push_back(Required(sp.Child("path"), ""));
      if (p.empty() || p.front() != '/') {
        errs.push_back(Invalid(sp.Child("path"), p, "must be an absolute path"));
      }
    } else if (key == "csi") {
      std::string driver = StringAt(*src, "driver");
      if (driver.empty()) errs.push_back(Required(sp.Child("driver"), ""));
      if (driver.size() > 63) errs.push_back(TooLong(sp.Child("driver"), "", 63));
      if (!driver.empty()) ValidateDNS1123Subdomain(driver, sp.Child("driver"), errs);
      if (!HasString(*src, "volumeHandle")) errs.push_back(Required(sp.Child("volumeHandle"), ""));
    }
  }
  if (sources == 0) errs.push_back(Required(path, "must specify a volume type"));
  if (const Json* hp = Find(spec, "hostPath"); hp && reclaim == "Recycle") {
    std::string host_path = StringAt(*hp, "path");
    bool root = !host_path.empty() && host_path.find_first_not_of('/') == std::string::npos;
    if (root) {
      errs.push_back(Forbidden(path.Child("persistentVolumeReclaimPolicy"),
                               "may not be 'recycle' for a hostPath mount of '/'"));
    }
  }
  if (HasString(spec, "storageClassName")) {
    ValidateNameWith(NameIsDNSSubdomain, StringAt(spec, "storageClassName"),
                     path.Child("storageClassName"), errs);
  }
  ValidateVolumeMode(spec, path.Child("volumeMode"), errs);
  if (!old) return;
  const Json& old_spec = ObjectAt(*old, "spec");
  Json source = Json::object();
  Json old_source = Json::object();
  for (const PVSource& s : kPVSources) {
    if (const Json* v = Find(spec, s.key)) source[s.key] = *v;
    if (const Json* v = Find(old_spec, s.key)) old_source[s.key] = *v;
  }
  if (!SemanticEqual(&source, &old_source)) {
    errs.push_back(Forbidden(
        Path("spec").Child("persistentvolumesource"),
        "spec.persistentvolumesource is immutable after creation\n" + Diff(old_source, source)));
  }
  ValidateImmutable(Find(spec, "volumeMode"), Find(old_spec, "volumeMode"), Path("volumeMode"),
                    errs);
  if (Find(old_spec, "nodeAffinity") &&
      !SemanticEqual(Find(spec, "nodeAffinity"), Find(old_spec, "nodeAffinity"))) {
    const Json* na = Find(spec, "nodeAffinity");
    errs.push_back(
        Invalid(Path("nodeAffinity"), na ? *na : Json(nullptr),
                std::string(kImmutableMsg) + ", except for updating from beta label to GA"));
  }
}

void ValidatePersistentVolumeClaim(const Json& obj, const Json* old, ErrorList& errs) {
  const Json& spec = ObjectAt(obj, "spec");
  ValidatePersistentVolumeClaimSpec(spec, Path("spec"), errs);
  if (!old) return;
  const Json& old_spec = ObjectAt(*old, "spec");
  Json now = spec;
  Json before = old_spec;
  // A claim may be bound (volumeName set) once.
  if (!HasString(old_spec, "volumeName")) {
    if (const Json* v = Find(spec, "volumeName")) {
      before["volumeName"] = *v;
    } else {
      before.erase("volumeName");
    }
  }
  // Setting a storage class on a claim that had none (or only the beta annotation) is allowed.
  std::string beta = StringAt(ObjectAt(ObjectAt(*old, "metadata"), "annotations"),
                              "volume.beta.kubernetes.io/storage-class");
  if (Find(spec, "storageClassName") && !Find(old_spec, "storageClassName") &&
      (beta.empty() || StringAt(spec, "storageClassName") == beta)) {
    now.erase("storageClassName");
  }
  const Json& old_status = ObjectAt(*old, "status");
  bool bound = StringAt(old_status, "phase") == "Bound";
  const Json* new_storage = Find(ObjectAt(ObjectAt(spec, "resources"), "requests"), "storage");
  const Json* old_storage = Find(ObjectAt(ObjectAt(old_spec, "resources"), "requests"), "storage");
  if (bound) {
    Json& requests = EnsureObject(EnsureObject(now, "resources"), "requests");
    if (old_storage) {
      requests["storage"] = *old_storage;
    } else {
      requests.erase("storage");
    }
    if (const Json* v = Find(old_spec, "volumeAttributesClassName")) {
      now["volumeAttributesClassName"] = *v;
    } else {
      now.erase("volumeAttributesClassName");
    }
  }
  if (!SemanticEqual(&now, &before)) {
    errs.push_back(Forbidden(Path("spec"),
                             "spec is immutable after creation except resources.requests and "
                             "volumeAttributesClassName for bound claims\n" +
                                 Diff(before, now)));
  }
  std::optional<Quantity> new_size = new_storage ? ToQuantity(*new_storage) : std::nullopt;
  std::optional<Quantity> old_size = old_storage ? ToQuantity(*old_storage) : std::nullopt;
  if (new_size && old_size && new_size->Cmp(*old_size) < 0) {
    Path p = Path("spec").Child("resources").Child("requests").Child("storage");
    const Json* cap = Find(ObjectAt(old_status, "capacity"), "storage");
    std::optional<Quantity> capacity = cap ? ToQuantity(*cap) : std::nullopt;
    // With a recorded capacity a user may lower a failed expansion back towards it, but volumes
    // never shrink below what they already are.
    if (capacity) {
      if (new_size->Cmp(*capacity) <= 0) {
        errs.push_back(Forbidden(p, "field can not be less than status.capacity"));
      }
    } else {
      errs.push_back(Forbidden(p, "field can not be less than previous value"));
    }
  }
  ValidateImmutable(Find(spec, "volumeMode"), Find(old_spec, "volumeMode"), Path("volumeMode"),
                    errs);
}

void ValidatePersistentVolumeClaimStatus(const Json& obj, const Json&, ErrorList& errs) {
  for (const auto& [name, value] : ObjectAt(ObjectAt(obj, "status"), "capacity").items()) {
    Path p = Path("status").Child("capacity").Key(name);
    std::optional<Quantity> q = ParseQuantityAt(value, p, errs);
    if (q && q->Value() < 0) {
      errs.push_back(Invalid(p, q->Value(), "must be a valid resource quantity"));
    }
  }
}

void ValidateNothing(const Json&, const Json*, ErrorList&) {}

const KindRules kCoreRules[] = {
    {"", "Namespace", Scope::kCluster, NameIsDNSLabel, ValidateNamespace, ValidateNamespaceStatus},
    {"", "Pod", Scope::kNamespaced, NameIsDNSSubdomain, ValidatePod, ValidatePodStatusUpdate},
    {"", "Node", Scope::kCluster, NameIsDNSSubdomain, ValidateNode, ValidateNodeStatus},
    {"", "Service", Scope::kNamespaced, NameIsDNS1035Label, ValidateService, ValidateServiceStatus},
    {"", "Endpoints", Scope::kNamespaced, NameIsDNSSubdomain, ValidateEndpoints, nullptr},
    {"", "Event", Scope::kNamespaced, NameIsDNSSubdomain, ValidateEvent, nullptr},
    {"", "ConfigMap", Scope::kNamespaced, NameIsDNSSubdomain, ValidateConfigMap, nullptr},
    {"", "Secret", Scope::kNamespaced, NameIsDNSSubdomain, ValidateSecret, nullptr},
    {"", "PersistentVolume", Scope::kCluster, NameIsDNSSubdomain, ValidatePersistentVolume,
     nullptr},
    {"", "PersistentVolumeClaim", Scope::kNamespaced, NameIsDNSSubdomain,
     ValidatePersistentVolumeClaim, ValidatePersistentVolumeClaimStatus},
    {"", "ServiceAccount", Scope::kNamespaced, NameIsDNSSubdomain, ValidateNothing, nullptr},
    {"", "Binding", Scope::kNamespaced, nullptr, ValidateBinding, nullptr},
};

}  // namespace

void ValidatePersistentVolumeClaimSpec(const Json& spec, const Path& path, ErrorList& errs) {
  if (ArrayAt(spec, "accessModes").empty()) {
    errs.push_back(Required(path.Child("accessModes"), "at least 1 access mode is required"));
  }
  if (const Json* selector = Find(spec, "selector")) {
    ValidateLabelSelector(*selector, path.Child("selector"), errs);
  }
  ValidateAccessModes(spec, path.Child("accessModes"), errs);
  // Kubernetes reports the storage request at spec.resources[storage].
  Path storage_path = path.Child("resources").Key("storage");
  const Json* storage = Find(ObjectAt(ObjectAt(spec, "resources"), "requests"), "storage");
  if (!storage) {
    errs.push_back(Required(storage_path, ""));
  } else if (std::optional<Quantity> q = ParseQuantityAt(*storage, storage_path, errs)) {
    if (q->IsNegative() || q->IsZero()) {
      errs.push_back(Invalid(storage_path, q->String(), "must be greater than zero"));
    } else {
      ValidateResourceQuantityValue("storage", *q, storage_path, errs);
    }
  }
  if (HasString(spec, "storageClassName")) {
    ValidateNameWith(NameIsDNSSubdomain, StringAt(spec, "storageClassName"),
                     path.Child("storageClassName"), errs);
  }
  ValidateVolumeMode(spec, path.Child("volumeMode"), errs);
  const Json* ds = Find(spec, "dataSource");
  const Json* ds_ref = Find(spec, "dataSourceRef");
  if (ds) ValidateDataSource(*ds, path.Child("dataSource"), errs);
  if (ds_ref) {
    ValidateDataSource(*ds_ref, path.Child("dataSourceRef"), errs);
    if (HasString(*ds_ref, "namespace")) {
      ValidateNameWith(NameIsDNSLabel, StringAt(*ds_ref, "namespace"),
                       path.Child("dataSourceRef").Child("namespace"), errs);
    }
  }
  if (ds_ref && HasString(*ds_ref, "namespace")) {
    if (ds) {
      errs.push_back(Invalid(path, path.Child("dataSource").str(),
                             "may not be specified when dataSourceRef.namespace is specified"));
    }
  } else if (ds && ds_ref) {
    bool same = StringAt(*ds, "apiGroup") == StringAt(*ds_ref, "apiGroup") &&
                StringAt(*ds, "kind") == StringAt(*ds_ref, "kind") &&
                StringAt(*ds, "name") == StringAt(*ds_ref, "name");
    if (!same)
      errs.push_back(Invalid(path, path.Child("dataSource").str(), "must match dataSourceRef"));
  }
}

const KindRules* FindCoreRules(std::string_view kind) {
  for (const KindRules& r : kCoreRules) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

}  // namespace mlkube::api::internal
