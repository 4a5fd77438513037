#include "serving/model_config.h"

namespace mlkube::serving {

namespace {

Status Bad(const std::string& field, const std::string& what) {
  return Status(Code::kInvalid, "config.json: " + field + ": " + what);
}

Result<std::vector<TensorSpec>> Specs(const Json& config, const char* key) {
  const Json& list = Member(config, key);
  if (!list.is_array() || list.empty()) return Bad(key, "must list at least one tensor");
  std::vector<TensorSpec> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    TensorSpec spec;
    spec.name = StringMember(list[i], "name");
    if (spec.name.empty()) return Bad(field + ".name", "required");
    const std::string type = StringMember(list[i], "datatype");
    if (!ParseDataType(type, &spec.datatype)) return Bad(field + ".datatype", "unsupported \"" + type + "\"");
    const Json& shape = Member(list[i], "shape");
    if (!shape.is_array()) return Bad(field + ".shape", "must be a list of dimensions");
    for (const Json& d : shape) {
      if (!d.is_number_integer() || d.get<int64_t>() <= 0) return Bad(field + ".shape", "dimensions must be positive");
      spec.shape.push_back(d.get<int64_t>());
    }
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

Result<ModelConfig> ParseModelConfig(const Json& config) {
  if (!config.is_object()) return Bad("", "not a JSON object");
  ModelConfig c;
  c.backend = StringMember(config, "backend");
  if (c.backend != "torchscript" && c.backend != "xgboost") {
    return Bad("backend", "must be \"torchscript\" or \"xgboost\", not \"" + c.backend + "\"");
  }
  if (const Json& m = Member(config, "max_batch_size"); !m.is_null()) {
    if (!m.is_number_integer() || m.get<int64_t>() < 1) return Bad("max_batch_size", "must be a positive integer");
    c.max_batch_size = m.get<int64_t>();
  }
  if (const Json& b = Member(config, "dynamic_batching"); !b.is_null()) {
    if (!b.is_object()) return Bad("dynamic_batching", "must be an object");
    c.dynamic_batching = true;
    if (const Json& d = Member(b, "max_queue_delay_microseconds"); !d.is_null()) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > 10'000'000) {
        return Bad("dynamic_batching.max_queue_delay_microseconds", "must be an integer from 0 to 10000000");
      }
      c.max_queue_delay_us = d.get<int64_t>();
    }
  }
  if (const Json& n = Member(config, "instances"); !n.is_null()) {
    if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > 64) {
      return Bad("instances", "must be an integer from 1 to 64");
    }
    c.instances = static_cast<int>(n.get<int64_t>());
  }
  ASSIGN_OR_RETURN(c.inputs, Specs(config, "inputs"));
  ASSIGN_OR_RETURN(c.outputs, Specs(config, "outputs"));
  return c;
}

}  // namespace mlkube::serving
