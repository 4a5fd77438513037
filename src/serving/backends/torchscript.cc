// TorchScript models through libtorch: model.pt as saved by torch.jit.save, run in inference
// mode on the CPU (or the GPU the pod was given, when libtorch has CUDA and one is visible).
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <mutex>

#include "serving/backend.h"

namespace mlkube::serving {

namespace {

bool ToTorch(DataType t, at::ScalarType* out) {
  switch (t) {
    case DataType::kFp32: *out = at::kFloat; return true;
    case DataType::kFp64: *out = at::kDouble; return true;
    case DataType::kInt32: *out = at::kInt; return true;
    case DataType::kInt64: *out = at::kLong; return true;
    case DataType::kInt16: *out = at::kShort; return true;
    case DataType::kInt8: *out = at::kChar; return true;
    case DataType::kUint8: *out = at::kByte; return true;
    case DataType::kBool: *out = at::kBool; return true;
  }
  return false;
}

class TorchScriptBackend : public Backend {
 public:
  TorchScriptBackend(torch::jit::Module module, ModelConfig config, at::Device device)
      : module_(std::move(module)), config_(std::move(config)), device_(device) {}

  Result<std::vector<Tensor>> Infer(const std::vector<Tensor>& inputs) override {
    try {
      c10::InferenceMode guard;
      std::vector<torch::jit::IValue> args;
      for (const Tensor& in : inputs) {
        at::ScalarType type;
        if (!ToTorch(in.datatype, &type)) return Status(Code::kInvalid, "unsupported datatype");
        // from_blob does not copy: the request's bytes are the tensor until it moves to the device.
        at::Tensor t = torch::from_blob(const_cast<std::byte*>(in.data.data()), in.shape, at::TensorOptions(type));
        args.emplace_back(device_.is_cpu() ? t : t.to(device_));
      }
      torch::jit::IValue result = module_.forward(args);
      std::vector<at::Tensor> outs;
      if (result.isTensor()) {
        outs.push_back(result.toTensor());
      } else if (result.isTuple()) {
        for (const auto& e : result.toTuple()->elements()) outs.push_back(e.toTensor());
      } else if (result.isTensorList()) {
        for (const at::Tensor& e : result.toTensorList()) outs.push_back(e);
      } else {
        return Status(Code::kInternal, "the model returned neither a tensor nor a tuple of tensors");
      }
      if (outs.size() != config_.outputs.size()) {
        return Status(Code::kInternal, "the model returned " + std::to_string(outs.size()) + " outputs, the configuration names " +
                                           std::to_string(config_.outputs.size()));
      }
      std::vector<Tensor> out;
      for (size_t i = 0; i < outs.size(); ++i) {
        const TensorSpec& spec = config_.outputs[i];
        at::ScalarType type;
        ToTorch(spec.datatype, &type);
        at::Tensor t = outs[i].to(at::kCPU, type).contiguous();
        Tensor o{spec.name, spec.datatype, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()),
                 std::vector<std::byte>(t.nbytes())};
        std::memcpy(o.data.data(), t.data_ptr(), t.nbytes());
        out.push_back(std::move(o));
      }
      return out;
    } catch (const c10::Error& e) {
      return Status(Code::kInvalid, std::string("inference failed: ") + e.what_without_backtrace());
    } catch (const std::exception& e) {
      return Status(Code::kInvalid, std::string("inference failed: ") + e.what());
    }
  }

 private:
  torch::jit::Module module_;
  const ModelConfig config_;
  const at::Device device_;
};

}  // namespace

Result<std::unique_ptr<Backend>> LoadTorchScript(const std::filesystem::path& file, const ModelConfig& config) {
  static std::once_flag threads;
  // The CPUs the cgroup lets this process use (not the host's cores), shared among the
  // instances that run at once: one thread each when there are as many instances as CPUs.
  std::call_once(threads, [&] { at::set_num_threads(std::max(1, CpuLimit() / std::max(config.instances, 1))); });
  try {
    const at::Device device = torch::cuda::is_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    torch::jit::Module module = torch::jit::load(file.string(), device);
    module.eval();
    return std::unique_ptr<Backend>(new TorchScriptBackend(std::move(module), config, device));
  } catch (const c10::Error& e) {
    return Status(Code::kInvalid, file.string() + ": not a TorchScript model: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Status(Code::kInvalid, file.string() + ": " + e.what());
  }
}

}  // namespace mlkube::serving
