#pragma once
// What runs a model version: a backend loaded from the version's directory. One Infer call
// is one batch: every input in the configuration's order, each with the batch dimension
// first; the outputs likewise, in the configuration's order.
// Thread-safety: Infer may be called from several threads at once.

#include <filesystem>
#include <memory>
#include <vector>

#include "common/status.h"
#include "serving/model_config.h"
#include "serving/tensor.h"

namespace mlkube::serving {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs) = 0;
};

// The file a backend loads from a version directory: model.pt (TorchScript), model.json
// (XGBoost).
std::filesystem::path ModelFile(const std::filesystem::path& version_dir, const ModelConfig& config);

// Loads the version with the backend its configuration names. Errors are Invalid and say why
// the file could not be used.
Result<std::unique_ptr<Backend>> LoadBackend(const std::filesystem::path& version_dir, const ModelConfig& config);

// The backends, each in a file of its own (libtorch's headers alone take ~20 s to compile).
Result<std::unique_ptr<Backend>> LoadTorchScript(const std::filesystem::path& file, const ModelConfig& config);
Result<std::unique_ptr<Backend>> LoadXgboost(const std::filesystem::path& file, const ModelConfig& config);

// The CPUs this process may use: its cgroup's CPU limit (v1 cfs quota/period or v2 cpu.max),
// rounded up, else the CPUs it may run on. Sizes the backends' thread pools.
int CpuLimit();

}  // namespace mlkube::serving
