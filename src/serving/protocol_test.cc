#include "serving/protocol.h"

#include <gtest/gtest.h>

namespace mlkube::serving {
namespace {

ModelConfig Config() {
  auto c = ParseModelConfig(Json::parse(R"({"backend": "torchscript", "max_batch_size": 4,
      "inputs": [{"name": "x", "datatype": "FP32", "shape": [2]}, {"name": "k", "datatype": "INT8", "shape": [1]}],
      "outputs": [{"name": "y", "datatype": "FP32", "shape": [1]}]})"));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

TEST(ServingProtocolTest, DecodesFlatAndNestedDataInConfigOrder) {
  auto t = DecodeV2Request(Json::parse(R"({"inputs": [
      {"name": "k", "datatype": "INT8", "shape": [2, 1], "data": [[1], [-2]]},
      {"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [1, 2.5, 3, 4]}]})"),
                           Config());
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].name, "x");
  EXPECT_EQ((*t)[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_FLOAT_EQ((*t)[0].As<float>()[1], 2.5f);
  EXPECT_EQ((*t)[1].As<int8_t>()[1], -2);
}

TEST(ServingProtocolTest, RejectsWhatTheModelCannotTake) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}]})", "expected input 'k'"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]},
                      {"name": "k", "datatype": "INT8", "shape": [1, 1], "data": [300]}]})",
       "element 0 (300) is not a INT8 value"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]},
                      {"name": "k", "datatype": "INT8", "shape": [1, 1], "data": [1.5]}]})",
       "element 0 (1.5) is not a INT8 value"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]},
                      {"name": "k", "datatype": "INT8", "shape": [2, 1], "data": [1, 2]}]})",
       "the inputs' batch sizes differ"},
      {R"({"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1, 2], "data": ["a", "b"]}]})",
       "datatype 'BYTES', the model takes FP32"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [0, 2], "data": []}]})",
       "shape [0,2] does not match the model's [-1,2]"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, -2], "data": []}]})",
       "'shape' must be a list of dimensions"},
      {R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [5, 2], "data": [1,2,3,4,5,6,7,8,9,10]}]})",
       "batch of 5 is over the model's maximum of 4"},
      {R"({"inputs": {"name": "x"}})", "the request has no 'inputs' list"},
      {R"([1, 2])", "the request body must be a JSON object"},
  };
  for (const auto& [body, message] : cases) {
    auto t = DecodeV2Request(Json::parse(body), Config());
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_EQ(t.status().code(), Code::kBadRequest);
    EXPECT_NE(t.status().message().find(message), std::string::npos) << t.status().message();
  }
}

TEST(ServingProtocolTest, EncodesV2AndV1) {
  Tensor y = Tensor::Of<float>("y", DataType::kFp32, {2, 1}, {0.25f, 0.75f});
  const Json v2 = EncodeV2Response("m", "3", "req", {y}, {"y"});
  EXPECT_EQ(v2, Json::parse(R"({"model_name": "m", "model_version": "3", "id": "req",
      "outputs": [{"name": "y", "datatype": "FP32", "shape": [2, 1], "data": [0.25, 0.75]}]})"));
  EXPECT_EQ(EncodeV1Response(y), Json::parse(R"({"predictions": [[0.25], [0.75]]})"));
  EXPECT_EQ(RequestedOutputs(Json::parse(R"({"outputs": [{"name": "z"}]})"), Config()).status().message(),
            "unexpected output 'z'");
}

TEST(ServingProtocolTest, ConfigErrorsNameTheField) {
  EXPECT_EQ(ParseModelConfig(Json::parse(R"({"backend": "onnx"})")).status().message(),
            "config.json: backend: must be \"torchscript\" or \"xgboost\", not \"onnx\"");
  EXPECT_EQ(ParseModelConfig(Json::parse(R"({"backend": "xgboost", "inputs": [{"name": "a", "datatype": "FP16", "shape": [1]}]})"))
                .status()
                .message(),
            "config.json: inputs[0].datatype: unsupported \"FP16\"");
  EXPECT_EQ(ParseModelConfig(Json::parse(R"({"backend": "xgboost", "max_batch_size": 0})")).status().message(),
            "config.json: max_batch_size: must be a positive integer");
}

}  // namespace
}  // namespace mlkube::serving
