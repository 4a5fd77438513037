#pragma once
// A model's configuration, REPO/<model>/config.json, shared by its versions:
//   {"backend": "torchscript" | "xgboost",
//    "max_batch_size": 64,
//    "inputs":  [{"name": "input", "datatype": "FP32", "shape": [64]}],
//    "outputs": [{"name": "output", "datatype": "FP32", "shape": [10]}],
//    "dynamic_batching": {"max_queue_delay_microseconds": 500},
//    "instances": 2}
// Shapes leave out the batch dimension, which every request tensor has first (1 to
// max_batch_size rows), as Triton's configurations do. With dynamic_batching, concurrent
// requests are merged into batches (batcher.h); without it each runs alone. `instances` is how
// many run at once (default: one batch at a time, using every CPU the cgroup allows; without
// batching, as many as come, one CPU each).

#include <cstdint>
#include <string>
#include <vector>

#include "api/json.h"
#include "common/status.h"
#include "serving/tensor.h"

namespace mlkube::serving {

struct TensorSpec {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;  // without the batch dimension
};

struct ModelConfig {
  std::string backend;
  int64_t max_batch_size = 64;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  bool dynamic_batching = false;
  int64_t max_queue_delay_us = 0;
  int instances = 0;  // 0: the default above
};

// Errors are Invalid, naming the field: "config.json: inputs[0].datatype: unsupported \"FP16\"".
Result<ModelConfig> ParseModelConfig(const Json& config);

}  // namespace mlkube::serving
