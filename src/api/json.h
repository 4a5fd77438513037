#pragma once
// Objects travel through mlkube as JSON documents, as in Kubernetes' unstructured types: the schema
// (api/schema.h) says what fields exist, defaults/validation say what they mean.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace mlkube {
using Json = nlohmann::json;

// Lookups in objects as clients send them, which may lack the member or not be objects at all:
// Member() is then null, StringMember() "".
inline const Json& Member(const Json& j, std::string_view key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

inline std::string StringMember(const Json& j, std::string_view key) {
  const Json& v = Member(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

// The member when it is an array, else an empty one (to iterate without checking).
inline const Json& ArrayMember(const Json& j, std::string_view key) {
  static const Json kEmpty = Json::array();
  const Json& v = Member(j, key);
  return v.is_array() ? v : kEmpty;
}

}  // namespace mlkube
