#include "agent/env.h"

#include <cctype>

#include "api/quantity.h"
#include "common/base64.h"
#include "common/files.h"

namespace mlkube::agent {

namespace {

// metadata.labels['app'] -> labels, app
bool Subscript(const std::string& path, const std::string& prefix, std::string* key) {
  if (path.rfind(prefix + "['", 0) != 0 || path.size() < prefix.size() + 4 || path.substr(path.size() - 2) != "']") {
    return false;
  }
  *key = path.substr(prefix.size() + 2, path.size() - prefix.size() - 4);
  return true;
}

Result<std::string> FieldRef(const EnvInputs& in, const Json& ref) {
  const Json& pod = *in.pod;
  const Json& meta = Member(pod, "metadata");
  const Json& spec = Member(pod, "spec");
  const std::string path = StringMember(ref, "fieldPath");
  std::string key;
  if (path == "metadata.name") return StringMember(meta, "name");
  if (path == "metadata.namespace") return StringMember(meta, "namespace");
  if (path == "metadata.uid") return StringMember(meta, "uid");
  if (path == "spec.nodeName") return StringMember(spec, "nodeName");
  if (path == "spec.serviceAccountName") return StringMember(spec, "serviceAccountName");
  if (path == "status.hostIP" || path == "status.hostIPs") return in.host_ip;
  if (path == "status.podIP" || path == "status.podIPs") return in.pod_ip;
  if (path == "metadata.labels" || path == "metadata.annotations") {
    const Json& map = Member(meta, path == "metadata.labels" ? "labels" : "annotations");
    std::string out;
    if (map.is_object()) {
      for (const auto& [k, v] : map.items()) {
        out += k + "=" + Json(v.is_string() ? v.get<std::string>() : "").dump() + "\n";
      }
    }
    return out;
  }
  if (Subscript(path, "metadata.labels", &key)) {
    const Json& labels = Member(meta, "labels");
    return labels.is_object() ? StringMember(labels, key.c_str()) : "";
  }
  if (Subscript(path, "metadata.annotations", &key)) {
    const Json& ann = Member(meta, "annotations");
    return ann.is_object() ? StringMember(ann, key.c_str()) : "";
  }
  return Status(Code::kInvalid, "unsupported fieldPath: " + path);
}

Result<std::string> ResourceFieldRef(const EnvInputs& in, const Json& ref) {
  const std::string resource = StringMember(ref, "resource");
  auto dot = resource.find('.');
  if (dot == std::string::npos) return Status(Code::kInvalid, "unsupported resource: " + resource);
  const std::string kind = resource.substr(0, dot), name = resource.substr(dot + 1);
  const Json& res = Member(*in.container, "resources");
  const Json& list = res.is_object() ? Member(res, kind.c_str()) : Json();
  std::string text = list.is_object() ? StringMember(list, name.c_str()) : "";
  // An unset limit reads as the node's allocatable, as the kubelet fills it in.
  if (text.empty() && kind == "limits" && name == "cpu") text = std::to_string(in.node_cpu_milli) + "m";
  if (text.empty() && kind == "limits" && name == "memory") text = std::to_string(in.node_memory_bytes);
  if (text.empty()) text = "0";
  auto value = api::Quantity::Parse(text);
  if (!value.ok()) return value.status();
  std::string divisor_text = StringMember(ref, "divisor");
  if (divisor_text.empty()) divisor_text = "1";
  auto divisor = api::Quantity::Parse(divisor_text);
  if (!divisor.ok() || divisor->IsZero()) return Status(Code::kInvalid, "invalid divisor " + divisor_text);
  // Rounded up, as the kubelet's ExtractContainerResourceValue does.
  const int64_t v = value->MilliValue(), d = divisor->MilliValue();
  return std::to_string((v + d - 1) / d);
}

Result<Json> Lookup(const EnvInputs& in, const std::string& kind, const std::string& name,
                    bool optional, bool* missing) {
  auto obj = in.lookup ? in.lookup(kind, name) : Result<Json>(Status(Code::kNotFound, ""));
  *missing = false;
  if (obj.ok()) return obj;
  if (obj.status().code() != Code::kNotFound) return obj.status();
  if (optional) {
    *missing = true;
    return Json();
  }
  return Status(Code::kNotFound, (kind == "ConfigMap" ? "configmap \"" : "secret \"") + name + "\" not found");
}

// The data of a ConfigMap or Secret as strings (a Secret's values decoded).
std::map<std::string, std::string> DataOf(const std::string& kind, const Json& obj) {
  std::map<std::string, std::string> out;
  const Json& data = Member(obj, "data");
  if (data.is_object()) {
    for (const auto& [k, v] : data.items()) {
      if (v.is_string()) out[k] = kind == "Secret" ? Base64Decode(v.get<std::string>()).value_or("") : v.get<std::string>();
    }
  }
  if (kind == "Secret") {
    const Json& plain = Member(obj, "stringData");
    if (plain.is_object()) {
      for (const auto& [k, v] : plain.items()) {
        if (v.is_string()) out[k] = v;
      }
    }
  }
  return out;
}

void Set(EnvList& env, std::map<std::string, std::string>& vars, const std::string& name,
         const std::string& value) {
  if (vars.count(name)) {
    for (auto& [n, v] : env) {
      if (n == name) v = value;
    }
  } else {
    env.emplace_back(name, value);
  }
  vars[name] = value;
}

}  // namespace

Result<std::string> FieldRefValue(const EnvInputs& in, const Json& ref) { return FieldRef(in, ref); }
Result<std::string> ResourceFieldRefValue(const EnvInputs& in, const Json& ref) {
  return ResourceFieldRef(in, ref);
}

std::vector<std::pair<std::string, std::string>> ServiceLinkEnv(const Json& services) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!services.is_array()) return out;
  auto upper = [](std::string s) {
    for (char& c : s) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  for (const Json& svc : services) {
    const Json& spec = Member(svc, "spec");
    const std::string ip = StringMember(spec, "clusterIP");
    const Json& ports = Member(spec, "ports");
    if (ip.empty() || ip == "None" || !ports.is_array() || ports.empty()) continue;
    const std::string name = upper(StringMember(Member(svc, "metadata"), "name"));
    out.emplace_back(name + "_SERVICE_HOST", ip);
    out.emplace_back(name + "_SERVICE_PORT", std::to_string(ports[0].value("port", 0)));
    for (const Json& p : ports) {
      if (!StringMember(p, "name").empty()) {
        out.emplace_back(name + "_SERVICE_PORT_" + upper(StringMember(p, "name")), std::to_string(p.value("port", 0)));
      }
    }
    std::string proto0 = StringMember(ports[0], "protocol");
    if (proto0.empty()) proto0 = "TCP";
    std::string lower0 = proto0;
    for (char& c : lower0) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(name + "_PORT", lower0 + "://" + ip + ":" + std::to_string(ports[0].value("port", 0)));
    for (const Json& p : ports) {
      std::string proto = StringMember(p, "protocol");
      if (proto.empty()) proto = "TCP";
      std::string lower = proto;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string port = std::to_string(p.value("port", 0));
      const std::string prefix = name + "_PORT_" + port + "_" + proto;
      out.emplace_back(prefix, lower + "://" + ip + ":" + port);
      out.emplace_back(prefix + "_PROTO", lower);
      out.emplace_back(prefix + "_PORT", port);
      out.emplace_back(prefix + "_ADDR", ip);
    }
  }
  return out;
}

std::string ExpandVars(std::string_view s, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    if (s[i + 1] == '$') {  // $$ is a literal $
      out += '$';
      ++i;
      continue;
    }
    if (s[i + 1] == '(') {
      auto close = s.find(')', i + 2);
      if (close != std::string_view::npos) {
        std::string name(s.substr(i + 2, close - i - 2));
        auto it = vars.find(name);
        if (it != vars.end()) {
          out += it->second;
        } else {
          out += std::string(s.substr(i, close - i + 1));
        }
        i = close;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

Result<EnvList> ResolveEnv(const EnvInputs& in) {
  EnvList env;
  std::map<std::string, std::string> vars;
  for (const auto& [k, v] : in.base) Set(env, vars, k, v);
  const Json& c = *in.container;
  const Json& env_from = Member(c, "envFrom");
  if (env_from.is_array()) {
    for (const Json& source : env_from) {
      const std::string prefix = StringMember(source, "prefix");
      for (const char* kind : {"ConfigMap", "Secret"}) {
        const Json& ref = Member(source, kind == std::string("ConfigMap") ? "configMapRef" : "secretRef");
        if (!ref.is_object()) continue;
        bool missing = false;
        ASSIGN_OR_RETURN(Json obj, Lookup(in, kind, StringMember(ref, "name"), ref.value("optional", false), &missing));
        if (missing) continue;
        for (const auto& [k, v] : DataOf(kind, obj)) Set(env, vars, prefix + k, v);
      }
    }
  }
  const Json& list = Member(c, "env");
  if (list.is_array()) {
    for (const Json& e : list) {
      const std::string name = StringMember(e, "name");
      const Json& from = Member(e, "valueFrom");
      if (!from.is_object()) {
        Set(env, vars, name, ExpandVars(StringMember(e, "value"), vars));
        continue;
      }
      std::string value;
      if (const Json& f = Member(from, "fieldRef"); f.is_object()) {
        ASSIGN_OR_RETURN(value, FieldRef(in, f));
      } else if (const Json& r = Member(from, "resourceFieldRef"); r.is_object()) {
        ASSIGN_OR_RETURN(value, ResourceFieldRef(in, r));
      } else {
        const bool is_cm = Member(from, "configMapKeyRef").is_object();
        const Json& ref = Member(from, is_cm ? "configMapKeyRef" : "secretKeyRef");
        if (!ref.is_object()) continue;
        const std::string kind = is_cm ? "ConfigMap" : "Secret";
        const bool optional = ref.value("optional", false);
        bool missing = false;
        ASSIGN_OR_RETURN(Json obj, Lookup(in, kind, StringMember(ref, "name"), optional, &missing));
        if (missing) continue;
        auto data = DataOf(kind, obj);
        auto it = data.find(StringMember(ref, "key"));
        if (it == data.end()) {
          if (optional) continue;
          return Status(Code::kNotFound, "couldn't find key " + StringMember(ref, "key") + " in " + kind + " " +
                                             StringMember(Member(*in.pod, "metadata"), "namespace") + "/" + StringMember(ref, "name"));
        }
        value = it->second;
      }
      Set(env, vars, name, value);
    }
  }
  return env;
}

std::vector<std::string> CommandLine(const Json& container, const EnvList& env) {
  std::map<std::string, std::string> vars(env.begin(), env.end());
  std::vector<std::string> out;
  for (const char* key : {"command", "args"}) {
    const Json& list = Member(container, key);
    if (!list.is_array()) continue;
    for (const Json& a : list) {
      if (a.is_string()) out.push_back(ExpandVars(a.get<std::string>(), vars));
    }
  }
  if (!Member(container, "command").is_array() || Member(container, "command").empty()) return {};
  return out;
}

}  // namespace mlkube::agent
