// libFuzzer target over the model server's request decoding: the body of an Open Inference
// Protocol v2 infer request and of a KServe v1 predict request, against a model configuration
// that is itself decoded from the input's first part; then the encoders over whatever decoded.
// Any crash, sanitizer report or escaped exception is a bug.
//
// Input: byte 0 picks the protocol; the rest splits at the first NUL into a config.json and a
// request body (a built-in configuration when the first part does not parse).

#include <cstddef>
#include <cstdint>
#include <string>

#include "serving/model_config.h"
#include "serving/protocol.h"

using namespace mlkube;
using namespace mlkube::serving;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool v1 = data[0] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = rest.find('\0');
  const std::string_view config_text = nul == std::string_view::npos ? "" : rest.substr(0, nul);
  const std::string_view body_text = nul == std::string_view::npos ? rest : rest.substr(nul + 1);

  static const ModelConfig kDefault = *ParseModelConfig(Json::parse(R"({"backend": "torchscript", "max_batch_size": 8,
      "inputs": [{"name": "input", "datatype": "FP32", "shape": [4]}, {"name": "mask", "datatype": "BOOL", "shape": [2, 2]}],
      "outputs": [{"name": "out", "datatype": "INT64", "shape": [3]}]})"));
  ModelConfig config = kDefault;
  const Json config_json = Json::parse(config_text, nullptr, /*allow_exceptions=*/false);
  if (!config_json.is_discarded()) {
    if (auto parsed = ParseModelConfig(config_json); parsed.ok()) config = *parsed;
  }
  const Json body = Json::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  auto inputs = v1 ? DecodeV1Request(body, config) : DecodeV2Request(body, config);
  if (!inputs.ok()) return 0;
  // What decoded is well formed: its sizes agree, and it encodes back.
  for (const Tensor& t : *inputs) {
    if (t.data.size() != static_cast<size_t>(t.ElementCount()) * ElementSize(t.datatype)) __builtin_trap();
  }
  auto wanted = RequestedOutputs(body, config);
  (void)EncodeV2Response("m", "1", Member(body, "id"), *inputs, wanted.ok() ? *wanted : std::vector<std::string>{});
  (void)EncodeV1Response(inputs->front());
  return 0;
}
