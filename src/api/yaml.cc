#include "api/yaml.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>

namespace mlkube::api {

namespace {

bool IsNullScalar(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// Types a plain (unquoted) scalar the way the YAML 1.1/1.2 core schema sigs.k8s.io/yaml uses.
Json PlainScalar(const std::string& s) {
  if (IsNullScalar(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  const char* digits = (*b == '+' || *b == '-') ? b + 1 : b;
  if (digits < e && std::all_of(digits, e, [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t v;
    auto [p, ec] = std::from_chars(*b == '+' ? b + 1 : b, e, v);
    if (ec == std::errc() && p == e) return v;
    uint64_t u;
    auto [p2, ec2] = std::from_chars(b, e, u);
    if (ec2 == std::errc() && p2 == e) return u;
  }
  // Floats: digits with a '.' or an exponent (YAML 1.2 core), plus .inf/.nan.
  bool looks_float = digits < e && (std::isdigit(static_cast<unsigned char>(*digits)) || *digits == '.');
  if (looks_float && s.find_first_not_of("+-0123456789.eE") == std::string::npos &&
      s.find_first_of(".eE") != std::string::npos) {
    double d;
    auto [p, ec] = std::from_chars(b, e, d);
    if (ec == std::errc() && p == e && std::isfinite(d)) return d;
  }
  return s;
}

Json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      return n.Tag() == "!" ? Json(n.Scalar()) : PlainScalar(n.Scalar());
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& item : n) a.push_back(ToJson(item));
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = ToJson(kv.second);
      return o;
    }
  }
  return nullptr;
}

Status YamlError(const YAML::Exception& e) {
  return Status(Code::kBadRequest, "error converting YAML to JSON: yaml: line " +
                                       std::to_string(e.mark.line + 1) + ": " + e.msg);
}

// A string that YAML would read back as something else (a number, bool, null...) or that has
// characters needing quotes.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  if (!PlainScalar(s).is_string()) return true;
  // Plain scalars may hold ':' and '#' except where YAML would read a key or a comment.
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':') {
    return true;
  }
  if (std::string("[]{}#&*!|>'\"%@`,").find(s.front()) != std::string::npos) return true;
  if ((s.front() == '-' || s.front() == '?' || s.front() == ':') &&
      (s.size() == 1 || s[1] == ' ')) {
    return true;
  }
  if (s.find_first_of("\t\r") != std::string::npos) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  static const char* kSpecial[] = {"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO",
                                   "on", "On", "ON", "off", "Off", "OFF"};
  for (const char* k : kSpecial) {
    if (s == k) return true;
  }
  return false;
}

void Emit(YAML::Emitter& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      if (j.empty()) {  // `{}` as kubectl prints it, not an empty block
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        out << YAML::Key;
        if (NeedsQuotes(k)) out << YAML::DoubleQuoted;
        out << k << YAML::Value;
        Emit(out, v);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      if (j.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const auto& v : j) Emit(out, v);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      // A literal block keeps exactly one final newline ("|"), so only such strings use it.
      if (s.find('\n') != std::string::npos && s.back() == '\n' &&
          (s.size() < 2 || s[s.size() - 2] != '\n')) {
        out << YAML::Literal << s;
      } else if (NeedsQuotes(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case Json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << j.dump();
  }
}

}  // namespace

Result<Json> YamlToJson(std::string_view yaml) {
  try {
    Json j = ToJson(YAML::Load(std::string(yaml)));
    // yaml-cpp passes invalid UTF-8 through; JSON (and everything after decoding) cannot hold it.
    (void)j.dump();
    return j;
  } catch (const YAML::Exception& e) {
    return YamlError(e);
  } catch (const Json::exception& e) {
    return Status(Code::kBadRequest, "error converting YAML to JSON: invalid UTF-8 in the document");
  }
}

Result<std::vector<Json>> YamlDocumentsToJson(std::string_view yaml) {
  try {
    std::vector<Json> docs;
    for (const auto& n : YAML::LoadAll(std::string(yaml))) {
      Json j = ToJson(n);
      (void)j.dump();  // rejects invalid UTF-8, as YamlToJson does
      if (!j.is_null()) docs.push_back(std::move(j));
    }
    return docs;
  } catch (const YAML::Exception& e) {
    return YamlError(e);
  } catch (const Json::exception& e) {
    return Status(Code::kBadRequest, "error converting YAML to JSON: invalid UTF-8 in the document");
  }
}

std::string JsonToYaml(const Json& json) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  Emit(out, json);
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') s.push_back('\n');
  return s;
}

}  // namespace mlkube::api
