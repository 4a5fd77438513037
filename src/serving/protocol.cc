#include "serving/protocol.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace mlkube::serving {

namespace {

Status Bad(const std::string& message) { return Status(Code::kBadRequest, message); }

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Appends the numbers of a (possibly nested) array, row-major; false at anything else.
bool Flatten(const Json& v, std::vector<const Json*>* out, int depth = 0) {
  if (!v.is_array()) {
    if (depth == 0) return false;
    out->push_back(&v);
    return true;
  }
  if (depth > 32) return false;
  for (const Json& e : v) {
    if (!Flatten(e, out, depth + 1)) return false;
  }
  return true;
}

template <typename T>
bool PutInteger(const Json& v, std::byte* dst) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    const T x = static_cast<T>(u);
    std::memcpy(dst, &x, sizeof x);
    return true;
  }
  const int64_t i = v.get<int64_t>();
  if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) || i > static_cast<int64_t>(std::numeric_limits<T>::max())) {
    return false;
  }
  const T x = static_cast<T>(i);
  std::memcpy(dst, &x, sizeof x);
  return true;
}

// Writes one JSON element as `type`; false when it is not a value of that type.
bool Put(const Json& v, DataType type, std::byte* dst) {
  switch (type) {
    case DataType::kFp32: {
      if (!v.is_number()) return false;
      const float x = static_cast<float>(v.get<double>());
      std::memcpy(dst, &x, sizeof x);
      return true;
    }
    case DataType::kFp64: {
      if (!v.is_number()) return false;
      const double x = v.get<double>();
      std::memcpy(dst, &x, sizeof x);
      return true;
    }
    case DataType::kBool: {
      if (!v.is_boolean()) return false;
      const uint8_t x = v.get<bool>() ? 1 : 0;
      std::memcpy(dst, &x, 1);
      return true;
    }
    case DataType::kInt8: return PutInteger<int8_t>(v, dst);
    case DataType::kInt16: return PutInteger<int16_t>(v, dst);
    case DataType::kInt32: return PutInteger<int32_t>(v, dst);
    case DataType::kInt64: return PutInteger<int64_t>(v, dst);
    case DataType::kUint8: return PutInteger<uint8_t>(v, dst);
  }
  return false;
}

// Fills `t` (shape and datatype set) from JSON data, checking the element count and types.
Status Fill(Tensor& t, const Json& data) {
  std::vector<const Json*> elements;
  if (!Flatten(data, &elements)) return Bad("input '" + t.name + "': data must be an array of " + DataTypeName(t.datatype) + " values");
  const int64_t want = t.ElementCount();
  if (static_cast<int64_t>(elements.size()) != want) {
    return Bad("input '" + t.name + "': shape " + ShapeText(t.shape) + " holds " + std::to_string(want) +
               " elements, the data has " + std::to_string(elements.size()));
  }
  const size_t size = ElementSize(t.datatype);
  t.data.resize(elements.size() * size);
  for (size_t i = 0; i < elements.size(); ++i) {
    if (!Put(*elements[i], t.datatype, t.data.data() + i * size)) {
      return Bad("input '" + t.name + "': element " + std::to_string(i) + " (" + elements[i]->dump() + ") is not a " +
                 DataTypeName(t.datatype) + " value");
    }
  }
  return Status::Ok();
}

// Checks a request tensor's shape against its spec: [batch, ...spec.shape], 1 <= batch <= max.
Status CheckShape(const Tensor& t, const TensorSpec& spec, int64_t max_batch) {
  std::vector<int64_t> want = {-1};
  want.insert(want.end(), spec.shape.begin(), spec.shape.end());
  bool ok = t.shape.size() == want.size() && !t.shape.empty() && t.shape[0] >= 1;
  for (size_t i = 1; ok && i < want.size(); ++i) ok = t.shape[i] == want[i];
  if (!ok) return Bad("input '" + t.name + "': shape " + ShapeText(t.shape) + " does not match the model's " + ShapeText(want));
  if (t.shape[0] > max_batch) {
    return Bad("input '" + t.name + "': batch of " + std::to_string(t.shape[0]) + " is over the model's maximum of " +
               std::to_string(max_batch));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Tensor>> DecodeV2Request(const Json& body, const ModelConfig& config) {
  if (!body.is_object()) return Bad("the request body must be a JSON object");
  const Json& inputs = Member(body, "inputs");
  if (!inputs.is_array()) return Bad("the request has no 'inputs' list");
  std::vector<Tensor> out(config.inputs.size());
  std::vector<bool> seen(config.inputs.size());
  for (const Json& in : inputs) {
    const std::string name = StringMember(in, "name");
    size_t i = 0;
    while (i < config.inputs.size() && config.inputs[i].name != name) ++i;
    if (i == config.inputs.size()) return Bad("unexpected input '" + name + "'");
    if (seen[i]) return Bad("input '" + name + "' given twice");
    seen[i] = true;
    const TensorSpec& spec = config.inputs[i];
    Tensor& t = out[i];
    t.name = name;
    const std::string type = StringMember(in, "datatype");
    if (!ParseDataType(type, &t.datatype) || t.datatype != spec.datatype) {
      return Bad("input '" + name + "': datatype " + (type.empty() ? "missing" : "'" + type + "'") + ", the model takes " +
                 DataTypeName(spec.datatype));
    }
    const Json& shape = Member(in, "shape");
    if (!shape.is_array()) return Bad("input '" + name + "': 'shape' must be a list of dimensions");
    for (const Json& d : shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 31)) {
        return Bad("input '" + name + "': 'shape' must be a list of dimensions");
      }
      t.shape.push_back(d.get<int64_t>());
    }
    RETURN_IF_ERROR(CheckShape(t, spec, config.max_batch_size));
    RETURN_IF_ERROR(Fill(t, Member(in, "data")));
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) return Bad("expected input '" + config.inputs[i].name + "'");
    if (out[i].shape[0] != out[0].shape[0]) return Bad("the inputs' batch sizes differ");
  }
  return out;
}

Result<std::vector<std::string>> RequestedOutputs(const Json& body, const ModelConfig& config) {
  std::vector<std::string> wanted;
  const Json& outputs = Member(body, "outputs");
  if (!outputs.is_null() && !outputs.is_array()) return Bad("'outputs' must be a list");
  for (const Json& o : ArrayMember(body, "outputs")) {
    const std::string name = StringMember(o, "name");
    bool known = false;
    for (const TensorSpec& s : config.outputs) known = known || s.name == name;
    if (!known) return Bad("unexpected output '" + name + "'");
    wanted.push_back(name);
  }
  if (wanted.empty()) {
    for (const TensorSpec& s : config.outputs) wanted.push_back(s.name);
  }
  return wanted;
}

Json TensorData(const Tensor& t) {
  Json data = Json::array();
  const int64_t n = t.ElementCount();
  for (int64_t i = 0; i < n; ++i) {
    switch (t.datatype) {
      case DataType::kFp32: data.push_back(t.As<float>()[i]); break;
      case DataType::kFp64: data.push_back(t.As<double>()[i]); break;
      case DataType::kBool: data.push_back(t.As<uint8_t>()[i] != 0); break;
      case DataType::kInt8: data.push_back(t.As<int8_t>()[i]); break;
      case DataType::kInt16: data.push_back(t.As<int16_t>()[i]); break;
      case DataType::kInt32: data.push_back(t.As<int32_t>()[i]); break;
      case DataType::kInt64: data.push_back(t.As<int64_t>()[i]); break;
      case DataType::kUint8: data.push_back(t.As<uint8_t>()[i]); break;
    }
  }
  return data;
}

Json EncodeV2Response(const std::string& model, const std::string& version, const Json& id,
                      const std::vector<Tensor>& outputs, const std::vector<std::string>& wanted) {
  Json out = Json::array();
  for (const std::string& name : wanted) {
    for (const Tensor& t : outputs) {
      if (t.name != name) continue;
      out.push_back({{"name", t.name}, {"datatype", DataTypeName(t.datatype)}, {"shape", t.shape}, {"data", TensorData(t)}});
    }
  }
  Json body = {{"model_name", model}, {"model_version", version}, {"outputs", out}};
  if (!id.is_null()) body["id"] = id;
  return body;
}

Result<std::vector<Tensor>> DecodeV1Request(const Json& body, const ModelConfig& config) {
  if (!body.is_object()) return Bad("the request body must be a JSON object");
  const Json& instances = Member(body, "instances");
  if (!instances.is_array() || instances.empty()) return Bad("the request has no 'instances' list");
  if (config.inputs.size() != 1) return Bad("the v1 protocol serves models of one input; use /v2/models/.../infer");
  const TensorSpec& spec = config.inputs[0];
  Tensor t{spec.name, spec.datatype, {static_cast<int64_t>(instances.size())}, {}};
  t.shape.insert(t.shape.end(), spec.shape.begin(), spec.shape.end());
  RETURN_IF_ERROR(CheckShape(t, spec, config.max_batch_size));
  if (Status filled = Fill(t, instances); !filled.ok()) {
    // Fill speaks of the batch's shape, which is the model's: say which instance is off.
    const int64_t per_row = t.ElementCount() / std::max<int64_t>(1, t.shape[0]);
    for (size_t i = 0; i < instances.size(); ++i) {
      std::vector<const Json*> values;
      if (Flatten(instances[i], &values) && static_cast<int64_t>(values.size()) != per_row) {
        return Bad("instance " + std::to_string(i) + " has " + std::to_string(values.size()) + " values; input '" +
                   spec.name + "' takes " + ShapeText(spec.shape) + " (" + std::to_string(per_row) + " values)");
      }
    }
    return filled;
  }
  return std::vector<Tensor>{std::move(t)};
}

Json EncodeV1Response(const Tensor& output) {
  const Json flat = TensorData(output);
  const int64_t rows = output.shape.empty() ? 1 : output.shape[0];
  const int64_t per_row = rows == 0 ? 0 : output.ElementCount() / rows;
  Json predictions = Json::array();
  for (int64_t r = 0; r < rows; ++r) {
    if (output.shape.size() <= 1) {
      predictions.push_back(flat[r]);
      continue;
    }
    Json row = Json::array();
    for (int64_t i = 0; i < per_row; ++i) row.push_back(flat[r * per_row + i]);
    predictions.push_back(std::move(row));
  }
  return {{"predictions", predictions}};
}

}  // namespace mlkube::serving
