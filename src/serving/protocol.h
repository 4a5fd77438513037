#pragma once
// The request and response bodies of the protocols the server speaks, decoded into and
// encoded from tensors, checked against the model's configuration:
//   Open Inference Protocol v2: {"inputs": [{"name", "datatype", "shape", "data"}], "outputs"?}
//     -> {"model_name", "model_version", "outputs": [{"name", "datatype", "shape", "data"}]};
//   KServe v1: {"instances": [row, ...]} -> {"predictions": [row, ...]} (one-input models).
// `data` may be flat (row-major) or nested. Errors are BadRequest with a message for the
// protocol's {"error": ...} body.
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include "api/json.h"
#include "common/status.h"
#include "serving/model_config.h"
#include "serving/tensor.h"

namespace mlkube::serving {

// The inputs in the configuration's order, each [batch, ...shape] with one batch size for all.
Result<std::vector<Tensor>> DecodeV2Request(const Json& body, const ModelConfig& config);
// The outputs the request asked for (all when it named none); BadRequest for an unknown name.
Result<std::vector<std::string>> RequestedOutputs(const Json& body, const ModelConfig& config);
Json EncodeV2Response(const std::string& model, const std::string& version, const Json& id,
                      const std::vector<Tensor>& outputs, const std::vector<std::string>& wanted);

Result<std::vector<Tensor>> DecodeV1Request(const Json& body, const ModelConfig& config);
Json EncodeV1Response(const Tensor& output);

// A tensor's elements as JSON numbers (booleans for BOOL), flat and row-major.
Json TensorData(const Tensor& t);

}  // namespace mlkube::serving
