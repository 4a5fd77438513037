// XGBoost models through its C API: model.json (or the binary formats XGBoost reads), one
// booster, dense float rows in, the booster's predictions out (probabilities for binary and
// multi-class objectives, values for regression).
#include <xgboost/c_api.h>

#include <cstring>

#include "api/json.h"
#include "serving/backend.h"

namespace mlkube::serving {

namespace {

class XgboostBackend : public Backend {
 public:
  XgboostBackend(BoosterHandle booster, ModelConfig config) : booster_(booster), config_(std::move(config)) {}
  ~XgboostBackend() override { XGBoosterFree(booster_); }

  Result<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs) override {
    if (inputs.size() != 1 || inputs[0].datatype != DataType::kFp32 || inputs[0].shape.size() != 2) {
      return Status(Code::kInvalid, "an XGBoost model takes one FP32 input of [rows, features]");
    }
    const Tensor& in = inputs[0];
    const Json array = {{"data", {reinterpret_cast<uintptr_t>(in.data.data()), true}},
                        {"shape", {in.shape[0], in.shape[1]}},
                        {"typestr", "<f4"},
                        {"version", 3}};
    // cache_id 0: no DMatrix cache, which single-row (and any in-place) prediction needs.
    static const std::string kConfig =
        R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": true, "cache_id": 0, "missing": NaN})";
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_, array.dump().c_str(), kConfig.c_str(), nullptr, &shape, &dims, &result) != 0) {
      return Status(Code::kInvalid, std::string("inference failed: ") + XGBGetLastError());
    }
    // strict_shape gives [rows, groups] (plus a tree dimension for some prediction types).
    std::vector<int64_t> out_shape(shape, shape + dims);
    int64_t count = 1;
    for (int64_t d : out_shape) count *= d;
    const TensorSpec& spec = config_.outputs[0];
    // A single-output model's [rows, 1] is [rows] when the configuration says so.
    if (spec.shape.size() + 1 < out_shape.size() && out_shape.back() == 1) out_shape.pop_back();
    Tensor out{spec.name, DataType::kFp32, out_shape, std::vector<std::byte>(count * sizeof(float))};
    std::memcpy(out.data.data(), result, out.data.size());
    return std::vector<Tensor>{std::move(out)};
  }

 private:
  BoosterHandle booster_;
  const ModelConfig config_;
};

}  // namespace

Result<std::unique_ptr<Backend>> LoadXgboost(const std::filesystem::path& file, const ModelConfig& config) {
  if (config.inputs.size() != 1 || config.inputs[0].datatype != DataType::kFp32 || config.outputs.size() != 1) {
    return Status(Code::kInvalid, "config.json: an XGBoost model has one FP32 input and one output");
  }
  BoosterHandle booster = nullptr;
  if (XGBoosterCreate(nullptr, 0, &booster) != 0) return Status(Code::kInternal, XGBGetLastError());
  if (XGBoosterLoadModel(booster, file.c_str()) != 0) {
    std::string why = XGBGetLastError();
    XGBoosterFree(booster);
    return Status(Code::kInvalid, file.string() + ": not an XGBoost model: " + why.substr(0, why.find('\n')));
  }
  XGBoosterSetParam(booster, "nthread", std::to_string(CpuLimit()).c_str());
  return std::unique_ptr<Backend>(new XgboostBackend(booster, config));
}

}  // namespace mlkube::serving
