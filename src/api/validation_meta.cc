// Format validators (names, label keys and values, ports, IPs), object metadata, label selectors
// and semantic equality, worded as k8s.io/apimachinery words them.

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "api/validation.h"
#include "api/validation_internal.h"

namespace mlkube::api {
namespace internal {

// ---------------------------------------------------------------------------------------------
// JSON access.

const Json* Find(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json& ObjectAt(const Json& obj, std::string_view key) {
  static const Json kEmpty = Json::object();
  const Json* v = Find(obj, key);
  return v && v->is_object() ? *v : kEmpty;
}

const Json& ArrayAt(const Json& obj, std::string_view key) {
  static const Json kEmpty = Json::array();
  const Json* v = Find(obj, key);
  return v && v->is_array() ? *v : kEmpty;
}

std::string StringAt(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

bool HasString(const Json& obj, std::string_view key) { return !StringAt(obj, key).empty(); }

std::optional<int64_t> AsInt(const Json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned()) {
      uint64_t u = value.get<uint64_t>();
      return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
    }
    return value.get<int64_t>();
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::optional<int64_t> IntAt(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v ? AsInt(*v) : std::nullopt;
}

bool BoolAt(const Json& obj, std::string_view key) {
  const Json* v = Find(obj, key);
  return v && v->is_boolean() && v->get<bool>();
}

Labels StringMap(const Json& obj) {
  Labels out;
  if (!obj.is_object()) return out;
  for (const auto& [k, v] : obj.items()) {
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  }
  return out;
}

Json& EnsureObject(Json& obj, std::string_view key) {
  if (!obj.is_object()) obj = Json::object();
  std::string k(key);
  Json& v = obj[k];
  if (!v.is_object()) v = Json::object();
  return v;
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------------
// Messages.

std::string InclusiveRangeError(int64_t lo, int64_t hi) {
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", inclusive";
}

std::string MaxLenError(size_t length) {
  return "must be no more than " + std::to_string(length) + " characters";
}

namespace {

// Kubernetes' RegexError: the examples are joined with " or " after a trailing ", ", which is
// where the well-known double space comes from.
std::string RegexError(std::string msg, std::string_view re,
                       std::initializer_list<std::string_view> examples) {
  if (examples.size() == 0)
    return msg + " (regex used for validation is '" + std::string(re) + "')";
  msg += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) msg += " or ";
    first = false;
    msg += "'" + std::string(e) + "', ";
  }
  msg += "regex used for validation is '" + std::string(re) + "')";
  return msg;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesDNS1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

bool MatchesDNS1123Subdomain(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!MatchesDNS1123Label(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// [a-z]([-a-z0-9]*[a-z0-9])?
bool MatchesDNS1035Label(std::string_view s) {
  return MatchesDNS1123Label(s) && s.front() >= 'a' && s.front() <= 'z';
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

constexpr const char* kDNS1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr const char* kDNS1123LabelErr =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr const char* kDNS1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr const char* kDNS1123SubdomainErr =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr const char* kDNS1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr const char* kDNS1035LabelErr =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr const char* kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr const char* kQualifiedNameErr =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr const char* kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr const char* kLabelValueErr =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";

// generateName prefixes may end in '-'; Kubernetes checks them with the dash masked (and, as it
// does, by dropping the last two characters before appending 'a').
std::string MaskTrailingDash(std::string_view name) {
  if (name.size() > 1 && name.back() == '-')
    return std::string(name.substr(0, name.size() - 2)) + "a";
  return std::string(name);
}

std::vector<std::string> HasChDirPrefix(std::string_view value) {
  if (value == ".") return {"must not be '.'"};
  if (value == "..") return {"must not be '..'"};
  if (value.substr(0, 2) == "..") return {"must not start with '..'"};
  return {};
}

}  // namespace

std::vector<std::string> NameIsDNSSubdomain(std::string_view value, bool prefix) {
  return IsDNS1123Subdomain(prefix ? MaskTrailingDash(value) : std::string(value));
}
std::vector<std::string> NameIsDNSLabel(std::string_view value, bool prefix) {
  return IsDNS1123Label(prefix ? MaskTrailingDash(value) : std::string(value));
}
std::vector<std::string> NameIsDNS1035Label(std::string_view value, bool prefix) {
  return IsDNS1035Label(prefix ? MaskTrailingDash(value) : std::string(value));
}

std::vector<std::string> IsConfigMapKey(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(MaxLenError(253));
  bool ok = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return IsAlnum(c) || c == '-' || c == '.' || c == '_';
  });
  if (!ok) {
    errs.push_back(
        RegexError("a valid config key must consist of alphanumeric characters, '-', "
                   "'_' or '.'",
                   "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  for (auto& m : HasChDirPrefix(value)) errs.push_back(std::move(m));
  return errs;
}

std::vector<std::string> IsValidPortName(std::string_view port) {
  std::vector<std::string> errs;
  if (port.size() > 15) errs.push_back(MaxLenError(15));
  bool charset = !port.empty() && std::all_of(port.begin(), port.end(),
                                              [](char c) { return IsLowerAlnum(c) || c == '-'; });
  if (!charset) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (std::none_of(port.begin(), port.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    errs.push_back("must contain at least one letter (a-z)");
  }
  if (port.find("--") != std::string_view::npos) {
    errs.push_back("must not contain consecutive hyphens");
  }
  if (!port.empty() && (port.front() == '-' || port.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<std::string> IsValidPortNum(int64_t port) {
  if (port >= 1 && port <= 65535) return {};
  return {InclusiveRangeError(1, 65535)};
}

std::vector<std::string> IsValidPercent(std::string_view value) {
  bool ok =
      value.size() >= 2 && value.back() == '%' &&
      std::all_of(value.begin(), value.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
  if (ok) return {};
  return {RegexError("a valid percent string must be a numeric string followed by an ending '%'",
                     "[0-9]+%", {"1%", "93%"})};
}

std::vector<std::string> IsRelaxedEnvVarName(std::string_view value) {
  std::vector<std::string> errs;
  if (value.empty()) errs.push_back("environment variable name must be non-empty");
  for (unsigned char c : value) {
    if (c > 0x7e || c < 0x20 || c == '=') {
      errs.push_back(
          "a valid environment variable name must consist only of printable ASCII characters "
          "other than '='");
      break;
    }
  }
  return errs;
}

std::vector<std::string> IsValidPathSegmentName(std::string_view value) {
  if (value == ".") return {"may not be '.'"};
  if (value == "..") return {"may not be '..'"};
  std::vector<std::string> errs;
  if (value.find('/') != std::string_view::npos) errs.push_back("may not contain '/'");
  if (value.find('%') != std::string_view::npos) errs.push_back("may not contain '%'");
  return errs;
}

std::vector<std::string> IsHTTPHeaderName(std::string_view value) {
  bool ok = !value.empty() &&
            std::all_of(value.begin(), value.end(), [](char c) { return IsAlnum(c) || c == '-'; });
  if (ok) return {};
  return {RegexError("a valid HTTP header must consist of alphanumeric characters or '-'",
                     "[-A-Za-z0-9]+", {"X-Header-Name"})};
}

IPFamily ParseIP(std::string_view value, unsigned char out[16]) {
  if (value.empty() || value.size() > 64) return IPFamily::kNone;
  std::string s(value);
  unsigned char v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    std::memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    std::memcpy(out + 12, v4, 4);
    return IPFamily::kV4;
  }
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) return IPFamily::kV6;
  return IPFamily::kNone;
}

namespace {

bool IsV4Mapped(const unsigned char ip[16]) {
  static const unsigned char kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(ip, kPrefix, 12) == 0;
}

}  // namespace

void ValidateIP(std::string_view value, const Path& path, ErrorList& errs) {
  unsigned char ip[16];
  if (ParseIP(value, ip) == IPFamily::kNone) {
    errs.push_back(Invalid(path, std::string(value),
                           "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  }
}

void ValidateNonSpecialIP(std::string_view value, const Path& path, ErrorList& errs) {
  unsigned char ip[16];
  if (ParseIP(value, ip) == IPFamily::kNone) {
    errs.push_back(Invalid(path, std::string(value), "must be a valid IP address"));
    return;
  }
  std::string v(value);
  bool v4 = IsV4Mapped(ip);
  const unsigned char* a = ip + 12;
  bool unspecified = v4 ? (a[0] | a[1] | a[2] | a[3]) == 0
                        : std::all_of(ip, ip + 16, [](unsigned char b) { return b == 0; });
  bool loopback =
      v4 ? a[0] == 127
         : std::all_of(ip, ip + 15, [](unsigned char b) { return b == 0; }) && ip[15] == 1;
  bool link_local_unicast =
      v4 ? (a[0] == 169 && a[1] == 254) : (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80);
  bool link_local_multicast =
      v4 ? (a[0] == 224 && a[1] == 0 && a[2] == 0) : (ip[0] == 0xff && (ip[1] & 0x0f) == 0x02);
  if (unspecified) errs.push_back(Invalid(path, v, "may not be unspecified (" + v + ")"));
  if (loopback) {
    errs.push_back(Invalid(path, v, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
  }
  if (link_local_unicast) {
    errs.push_back(
        Invalid(path, v, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
  }
  if (link_local_multicast) {
    errs.push_back(
        Invalid(path, v, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
  }
}

void ValidateCIDR(std::string_view value, const Path& path, ErrorList& errs) {
  size_t slash = value.find('/');
  bool ok = false;
  if (slash != std::string_view::npos) {
    unsigned char ip[16];
    IPFamily fam = ParseIP(value.substr(0, slash), ip);
    std::string_view bits = value.substr(slash + 1);
    int max = fam == IPFamily::kV4 ? 32 : 128;
    if (fam != IPFamily::kNone && !bits.empty() && bits.size() <= 3 &&
        std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      ok = std::stoi(std::string(bits)) <= max;
    }
  }
  if (!ok) {
    errs.push_back(Invalid(path, std::string(value),
                           "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
  }
}

void ValidateFullyQualifiedDomainName(std::string_view value, const Path& path, ErrorList& errs) {
  if (value.empty()) {
    errs.push_back(Required(path, ""));
    return;
  }
  std::string name(value);
  if (name.back() == '.') name.pop_back();
  std::vector<std::string> msgs = IsDNS1123Subdomain(name);
  if (!msgs.empty()) {
    std::string joined;
    for (size_t i = 0; i < msgs.size(); ++i) joined += (i ? "," : "") + msgs[i];
    errs.push_back(Invalid(path, name, joined));
    return;
  }
  if (name.find('.') == std::string::npos) {
    errs.push_back(
        Invalid(path, name, "should be a domain with at least two segments separated by dots"));
    return;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    std::string label =
        name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::vector<std::string> label_msgs = IsDNS1123Label(label);
    if (!label_msgs.empty()) {
      std::string joined;
      for (size_t i = 0; i < label_msgs.size(); ++i) joined += (i ? "," : "") + label_msgs[i];
      errs.push_back(Invalid(path, label, joined));
      return;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Field validators.

void ValidateNameWith(NameFn fn, std::string_view value, const Path& path, ErrorList& errs) {
  for (auto& msg : fn(value, false)) errs.push_back(Invalid(path, std::string(value), msg));
}

void ValidateDNS1123Label(std::string_view value, const Path& path, ErrorList& errs) {
  for (auto& msg : IsDNS1123Label(value)) errs.push_back(Invalid(path, std::string(value), msg));
}

void ValidateDNS1123Subdomain(std::string_view value, const Path& path, ErrorList& errs) {
  for (auto& msg : IsDNS1123Subdomain(value)) {
    errs.push_back(Invalid(path, std::string(value), msg));
  }
}

void ValidateQualifiedName(std::string_view value, const Path& path, ErrorList& errs) {
  for (auto& msg : IsQualifiedName(value)) errs.push_back(Invalid(path, std::string(value), msg));
}

void ValidateNonnegativeAt(const Json& obj, std::string_view key, const Path& parent,
                           ErrorList& errs) {
  std::optional<int64_t> v = IntAt(obj, key);
  if (v && *v < 0) errs.push_back(Invalid(parent.Child(key), *v, kNonNegativeMsg));
}

void ValidateLabelName(std::string_view key, const Path& path, ErrorList& errs) {
  ValidateQualifiedName(key, path, errs);
}

void ValidateLabels(const Json& labels, const Path& path, ErrorList& errs) {
  if (!labels.is_object()) return;
  for (const auto& [k, v] : labels.items()) {
    ValidateLabelName(k, path, errs);
    if (!v.is_string()) continue;
    std::string value = v.get<std::string>();
    for (auto& msg : IsValidLabelValue(value)) errs.push_back(Invalid(path, value, msg));
  }
}

void ValidateAnnotations(const Json& annotations, const Path& path, ErrorList& errs) {
  if (!annotations.is_object()) return;
  size_t total = 0;
  for (const auto& [k, v] : annotations.items()) {
    // Annotation keys are case-insensitive qualified names.
    std::string lower = k;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (auto& msg : IsQualifiedName(lower)) errs.push_back(Invalid(path, k, msg));
    total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
  }
  constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;
  if (total > kTotalAnnotationSizeLimit) {
    errs.push_back(TooLong(path, "", kTotalAnnotationSizeLimit));
  }
}

void ValidateLabelSelector(const Json& selector, const Path& path, ErrorList& errs) {
  if (!selector.is_object()) return;
  ValidateLabels(ObjectAt(selector, "matchLabels"), path.Child("matchLabels"), errs);
  const Json& exprs = ArrayAt(selector, "matchExpressions");
  for (size_t i = 0; i < exprs.size(); ++i) {
    const Json& e = exprs[i];
    Path p = path.Child("matchExpressions").Index(i);
    std::string op = StringAt(e, "operator");
    const Json& values = ArrayAt(e, "values");
    if (op == "In" || op == "NotIn") {
      if (values.empty()) {
        errs.push_back(
            Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) {
        errs.push_back(Forbidden(p.Child("values"),
                                 "may not be specified when `operator` is 'Exists' or "
                                 "'DoesNotExist'"));
      }
    } else {
      errs.push_back(Invalid(p.Child("operator"), op, "not a valid selector operator"));
    }
    ValidateLabelName(StringAt(e, "key"), p.Child("key"), errs);
    for (size_t j = 0; j < values.size(); ++j) {
      if (!values[j].is_string()) continue;
      std::string v = values[j].get<std::string>();
      for (auto& msg : IsValidLabelValue(v)) {
        errs.push_back(Invalid(p.Child("values").Index(j), v, msg));
      }
    }
  }
}

void ValidatePortNumOrName(const Json& port, const Path& path, ErrorList& errs) {
  if (std::optional<int64_t> n = AsInt(port)) {
    for (auto& msg : IsValidPortNum(*n)) errs.push_back(Invalid(path, *n, msg));
  } else if (port.is_string()) {
    std::string name = port.get<std::string>();
    for (auto& msg : IsValidPortName(name)) errs.push_back(Invalid(path, name, msg));
  }
}

void ValidateImmutable(const Json* value, const Json* old, const Path& path, ErrorList& errs) {
  if (!SemanticEqual(value, old)) {
    errs.push_back(Invalid(path, value ? *value : Json(nullptr), kImmutableMsg));
  }
}

// ---------------------------------------------------------------------------------------------
// Object metadata.

namespace {

bool IsStandardFinalizerName(std::string_view name) {
  return name == "kubernetes" || name == "orphan" || name == "foregroundDeletion";
}

// A version is present in "v1" and "apps/v1"; "", "apps/" and "a/b/c" have none.
bool HasVersion(std::string_view api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return !api_version.empty();
  std::string_view version = api_version.substr(slash + 1);
  return !version.empty() && version.find('/') == std::string_view::npos;
}

void ValidateOwnerReferences(const Json& refs, const Path& path, ErrorList& errs) {
  if (!refs.is_array()) return;
  std::string first_controller;
  for (const Json& ref : refs) {
    // Kubernetes reports these at the list path, without an index.
    if (!HasVersion(StringAt(ref, "apiVersion"))) {
      errs.push_back(Invalid(path.Child("apiVersion"), StringAt(ref, "apiVersion"),
                             "version must not be empty"));
    }
    if (!HasString(ref, "kind")) {
      errs.push_back(Invalid(path.Child("kind"), StringAt(ref, "kind"), "must not be empty"));
    }
    if (!HasString(ref, "name")) {
      errs.push_back(Invalid(path.Child("name"), StringAt(ref, "name"), "must not be empty"));
    }
    if (!HasString(ref, "uid")) {
      errs.push_back(Invalid(path.Child("uid"), StringAt(ref, "uid"), "must not be empty"));
    }
    if (BoolAt(ref, "controller")) {
      std::string name = StringAt(ref, "kind") + "/" + StringAt(ref, "name");
      if (!first_controller.empty()) {
        errs.push_back(Invalid(path, refs,
                               "Only one reference can have Controller set to true. Found "
                               "\"true\" in references for " +
                                   first_controller + " and " + name));
      } else {
        first_controller = name;
      }
    }
  }
}

void ValidateFinalizers(const Json& finalizers, const Path& path, ErrorList& errs) {
  if (!finalizers.is_array()) return;
  bool orphan = false;
  bool foreground = false;
  for (size_t i = 0; i < finalizers.size(); ++i) {
    if (!finalizers[i].is_string()) continue;
    std::string f = finalizers[i].get<std::string>();
    ValidateQualifiedName(f, path, errs);
    ValidateKubeFinalizerName(f, path.Index(i), errs);
    orphan = orphan || f == "orphan";
    foreground = foreground || f == "foregroundDeletion";
  }
  if (orphan && foreground) {
    errs.push_back(
        Invalid(path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"));
  }
}

void ValidateMetaCommon(const Json& meta, ErrorList& errs) {
  Path path("metadata");
  ValidateNonnegativeAt(meta, "generation", path, errs);
  ValidateLabels(ObjectAt(meta, "labels"), path.Child("labels"), errs);
  ValidateAnnotations(ObjectAt(meta, "annotations"), path.Child("annotations"), errs);
  ValidateOwnerReferences(ArrayAt(meta, "ownerReferences"), path.Child("ownerReferences"), errs);
  ValidateFinalizers(ArrayAt(meta, "finalizers"), path.Child("finalizers"), errs);
}

}  // namespace

void ValidateKubeFinalizerName(std::string_view name, const Path& path, ErrorList& errs) {
  if (name.find('/') == std::string_view::npos && !IsStandardFinalizerName(name)) {
    errs.push_back(Invalid(path, std::string(name),
                           "name is neither a standard finalizer name nor is it fully qualified"));
  }
}

void ValidateObjectMeta(const Json& obj, Scope scope, NameFn name_fn, ErrorList& errs) {
  const Json& meta = ObjectAt(obj, "metadata");
  Path path("metadata");
  std::string generate_name = StringAt(meta, "generateName");
  std::string name = StringAt(meta, "name");
  if (!generate_name.empty()) {
    for (auto& msg : name_fn(generate_name, true)) {
      errs.push_back(Invalid(path.Child("generateName"), generate_name, msg));
    }
  }
  if (name.empty()) {
    // With generateName the server picks the name after validation of the prefix.
    if (generate_name.empty()) {
      errs.push_back(Required(path.Child("name"), "name or generateName is required"));
    }
  } else {
    ValidateNameWith(name_fn, name, path.Child("name"), errs);
  }
  std::string ns = StringAt(meta, "namespace");
  if (scope == Scope::kNamespaced) {
    if (ns.empty()) {
      errs.push_back(Required(path.Child("namespace"), ""));
    } else {
      ValidateNameWith(NameIsDNSLabel, ns, path.Child("namespace"), errs);
    }
  } else if (scope == Scope::kCluster && !ns.empty()) {
    errs.push_back(Forbidden(path.Child("namespace"), "not allowed on this type"));
  }
  ValidateMetaCommon(meta, errs);
}

void ValidateObjectMetaUpdate(const Json& obj, const Json& old, ErrorList& errs) {
  const Json& meta = ObjectAt(obj, "metadata");
  const Json& old_meta = ObjectAt(old, "metadata");
  Path path("metadata");
  for (const char* key : {"name", "namespace"}) {
    if (StringAt(meta, key) != StringAt(old_meta, key)) {
      errs.push_back(Invalid(path.Child(key), StringAt(meta, key), kImmutableMsg));
    }
  }
  // The server fills a missing uid/creationTimestamp from the stored object, as Kubernetes'
  // BeforeUpdate does, so only a different value is a change.
  for (const char* key : {"uid", "creationTimestamp", "deletionTimestamp"}) {
    std::string now = StringAt(meta, key);
    if (!now.empty() && now != StringAt(old_meta, key)) {
      errs.push_back(Invalid(path.Child(key), now, kImmutableMsg));
    }
  }
  if (Find(old_meta, "deletionTimestamp")) {
    std::set<std::string> old_finalizers;
    for (const Json& f : ArrayAt(old_meta, "finalizers")) {
      if (f.is_string()) old_finalizers.insert(f.get<std::string>());
    }
    std::vector<std::string> added;
    for (const Json& f : ArrayAt(meta, "finalizers")) {
      if (f.is_string() && !old_finalizers.count(f.get<std::string>())) {
        added.push_back(f.get<std::string>());
      }
    }
    if (!added.empty()) {
      std::string list;
      for (size_t i = 0; i < added.size(); ++i) list += (i ? ", \"" : "\"") + added[i] + "\"";
      errs.push_back(Forbidden(path.Child("finalizers"),
                               "no new finalizers can be added if the object is being deleted, "
                               "found new finalizers []string{" +
                                   list + "}"));
    }
  }
  ValidateMetaCommon(meta, errs);
}

// ---------------------------------------------------------------------------------------------
// Semantic equality and diffs.

namespace {

// Drops null members and empty arrays, which Go decodes to the same nil values as absent ones.
Json Normalize(const Json& v) {
  if (v.is_object()) {
    Json out = Json::object();
    for (const auto& [k, child] : v.items()) {
      if (child.is_null() || (child.is_array() && child.empty())) continue;
      out[k] = Normalize(child);
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const Json& child : v) out.push_back(Normalize(child));
    return out;
  }
  return v;
}

bool IsAbsent(const Json* v) { return !v || v->is_null() || (v->is_array() && v->empty()); }

void DiffInto(const Json* old, const Json* now, const std::string& path,
              std::vector<std::string>& lines) {
  if (SemanticEqual(old, now) || lines.size() > 40) return;
  auto child_path = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (old && now && old->is_object() && now->is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, _] : old->items()) keys.insert(k);
    for (const auto& [k, _] : now->items()) keys.insert(k);
    for (const std::string& k : keys) DiffInto(Find(*old, k), Find(*now, k), child_path(k), lines);
    return;
  }
  if (old && now && old->is_array() && now->is_array() && old->size() == now->size()) {
    for (size_t i = 0; i < old->size(); ++i) {
      DiffInto(&(*old)[i], &(*now)[i], path + "[" + std::to_string(i) + "]", lines);
    }
    return;
  }
  if (!IsAbsent(old)) lines.push_back("-\t" + path + ": " + Dump(*old));
  if (!IsAbsent(now)) lines.push_back("+\t" + path + ": " + Dump(*now));
}

}  // namespace

bool SemanticEqual(const Json* a, const Json* b) {
  if (IsAbsent(a) || IsAbsent(b)) return IsAbsent(a) && IsAbsent(b);
  return Normalize(*a) == Normalize(*b);
}

std::string Diff(const Json& old, const Json& now) {
  std::vector<std::string> lines;
  DiffInto(&old, &now, "", lines);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

}  // namespace internal

// ---------------------------------------------------------------------------------------------
// Public name validators.

using internal::MaxLenError;

std::vector<std::string> IsDNS1123Subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(MaxLenError(253));
  if (!internal::MatchesDNS1123Subdomain(value)) {
    errs.push_back(internal::RegexError(internal::kDNS1123SubdomainErr,
                                        internal::kDNS1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> IsDNS1123Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(MaxLenError(63));
  if (!internal::MatchesDNS1123Label(value)) {
    if (internal::MatchesDNS1123Subdomain(value)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(internal::RegexError(internal::kDNS1123LabelErr, internal::kDNS1123LabelFmt,
                                          {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> IsDNS1035Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(MaxLenError(63));
  if (!internal::MatchesDNS1035Label(value)) {
    errs.push_back(internal::RegexError(internal::kDNS1035LabelErr, internal::kDNS1035LabelFmt,
                                        {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> IsQualifiedName(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      return {"a qualified name " +
              internal::RegexError(internal::kQualifiedNameErr, internal::kQualifiedNameFmt,
                                   {"MyName", "my.name", "123-abc"}) +
              " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (auto& msg : IsDNS1123Subdomain(prefix)) errs.push_back("prefix part " + msg);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + MaxLenError(63));
  }
  if (!internal::MatchesQualifiedNamePart(name)) {
    errs.push_back("name part " + internal::RegexError(internal::kQualifiedNameErr,
                                                       internal::kQualifiedNameFmt,
                                                       {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(MaxLenError(63));
  if (!value.empty() && !internal::MatchesQualifiedNamePart(value)) {
    errs.push_back(internal::RegexError(internal::kLabelValueErr, internal::kLabelValueFmt,
                                        {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

}  // namespace mlkube::api
