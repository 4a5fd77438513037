#pragma once
// GPUs on this node: discovered through NVML (loaded with dlopen, so a host without the NVIDIA
// driver simply has none) or declared for machines without GPUs (--fake-gpus N, or an
// inventory file), and allocated whole to pods. Allocations are checkpointed to disk, as the
// kubelet's device manager does, so an agent restart never hands a GPU to two pods.
// Thread-safety: GpuAllocator is internally locked.

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::agent {

struct Gpu {
  std::string uuid;     // "GPU-…", as CUDA_VISIBLE_DEVICES accepts it
  std::string product;  // "NVIDIA H100 80GB HBM3"
  int64_t memory_mib = 0;
  int minor = -1;  // /dev/nvidia<minor>; -1 for declared GPUs
  // Where the driver's user-space libraries live (NVML's folder), so pods given this GPU can
  // load libcuda as the NVIDIA container toolkit arranges; empty for declared GPUs.
  std::string driver_dir;
};

// Every GPU NVML reports; empty (not an error) when the library or driver is absent.
// `library` is the path or soname to dlopen; empty tries the loader's search path, then
// /usr/local/nvidia/lib64 (where GPU hosts and images commonly install the driver).
std::vector<Gpu> DiscoverNvmlGpus(const std::string& library = "");
// `count` declared GPUs for scheduling and tests.
std::vector<Gpu> FakeGpus(int count, const std::string& node_name);
// An inventory file: a JSON list of {"uuid", "product", "memoryMiB"}.
Result<std::vector<Gpu>> GpusFromInventory(const std::filesystem::path& path);

// The node labels GPU Feature Discovery sets (nvidia.com/gpu.product, .count, .memory).
std::map<std::string, std::string> GpuLabels(const std::vector<Gpu>& gpus);

class GpuAllocator {
 public:
  GpuAllocator(std::vector<Gpu> gpus, std::filesystem::path checkpoint);
  // Reads the checkpoint; allocations of GPUs that no longer exist are dropped.
  Status Load();

  const std::vector<Gpu>& gpus() const { return gpus_; }
  // Gives `pod_uid` `count` GPUs (the same ones again if it already has them).
  Result<std::vector<Gpu>> Allocate(const std::string& pod_uid, int count);
  std::vector<Gpu> Of(const std::string& pod_uid) const;
  void Release(const std::string& pod_uid);
  // Releases every allocation whose pod is not in `live` (pods deleted while the agent was down).
  void Retain(const std::vector<std::string>& live);
  int Free() const;

 private:
  Status Save() const;  // under mu_

  const std::vector<Gpu> gpus_;
  const std::filesystem::path checkpoint_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> by_pod_;  // pod uid -> GPU uuids
};

}  // namespace mlkube::agent
