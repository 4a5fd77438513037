#pragma once
// The few NVML entry points mlkube uses, loaded with dlopen: nothing NVIDIA is needed to
// build, and a host without the driver simply has no NVML. Used to discover the node's GPUs
// and to sample their utilisation and memory for the GPU metrics.
// Thread-safety: Devices may be called from one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlkube::agent {

class Nvml {
 public:
  // `library`: a path or soname; empty tries the loader's search path, then
  // /usr/local/nvidia/lib64 (where GPU hosts and images commonly install the driver). Null when
  // the library is absent or nvmlInit fails.
  static std::unique_ptr<Nvml> Open(const std::string& library);
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // The folder the library was loaded from (the driver's user-space libraries).
  const std::string& driver_dir() const { return driver_dir_; }

  struct Device {
    std::string uuid, name;
    int64_t memory_total = 0, memory_used = 0;  // bytes
    int minor = -1;                             // /dev/nvidia<minor>
    int utilization = -1;                       // percent of the last sample period; -1 unknown
  };
  std::vector<Device> Devices() const;

 private:
  Nvml() = default;
  void* lib_ = nullptr;
  std::string driver_dir_;
  struct Fns;
  std::unique_ptr<Fns> fns_;
};

}  // namespace mlkube::agent
