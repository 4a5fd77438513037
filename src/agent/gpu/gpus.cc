#include "agent/gpu/gpus.h"

#include <algorithm>
#include <set>

#include <dlfcn.h>
#include <link.h>

#include "common/files.h"

namespace mlkube::agent {

namespace {

// The few NVML entry points used, declared here so no NVIDIA header is needed to build.
using nvmlDevice_t = void*;
struct NvmlMemory {
  unsigned long long total, free, used;
};
constexpr int kNvmlSuccess = 0;
using InitFn = int (*)();
using CountFn = int (*)(unsigned*);
using HandleFn = int (*)(unsigned, nvmlDevice_t*);
using StringFn = int (*)(nvmlDevice_t, char*, unsigned);
using MemoryFn = int (*)(nvmlDevice_t, NvmlMemory*);
using MinorFn = int (*)(nvmlDevice_t, unsigned*);

}  // namespace

std::vector<Gpu> DiscoverNvmlGpus(const std::string& library) {
  void* lib = nullptr;
  if (!library.empty()) {
    lib = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  } else {
    for (const char* candidate : {"libnvidia-ml.so.1", "/usr/local/nvidia/lib64/libnvidia-ml.so.1"}) {
      if ((lib = ::dlopen(candidate, RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    }
  }
  if (lib == nullptr) return {};
  std::string driver_dir;
  if (link_map* map = nullptr; ::dlinfo(lib, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
    driver_dir = std::filesystem::path(map->l_name).parent_path().string();
  }
  auto sym = [&](const char* name) { return ::dlsym(lib, name); };
  auto init = reinterpret_cast<InitFn>(sym("nvmlInit_v2"));
  auto shutdown = reinterpret_cast<InitFn>(sym("nvmlShutdown"));
  auto count_fn = reinterpret_cast<CountFn>(sym("nvmlDeviceGetCount_v2"));
  auto handle_fn = reinterpret_cast<HandleFn>(sym("nvmlDeviceGetHandleByIndex_v2"));
  auto uuid_fn = reinterpret_cast<StringFn>(sym("nvmlDeviceGetUUID"));
  auto name_fn = reinterpret_cast<StringFn>(sym("nvmlDeviceGetName"));
  auto memory_fn = reinterpret_cast<MemoryFn>(sym("nvmlDeviceGetMemoryInfo"));
  auto minor_fn = reinterpret_cast<MinorFn>(sym("nvmlDeviceGetMinorNumber"));
  std::vector<Gpu> out;
  if (init && count_fn && handle_fn && uuid_fn && name_fn && init() == kNvmlSuccess) {
    unsigned n = 0;
    if (count_fn(&n) == kNvmlSuccess) {
      for (unsigned i = 0; i < n; ++i) {
        nvmlDevice_t dev = nullptr;
        if (handle_fn(i, &dev) != kNvmlSuccess) continue;
        char buf[96] = {0};
        Gpu g;
        if (uuid_fn(dev, buf, sizeof buf) == kNvmlSuccess) g.uuid = buf;
        if (name_fn(dev, buf, sizeof buf) == kNvmlSuccess) g.product = buf;
        NvmlMemory mem{};
        if (memory_fn && memory_fn(dev, &mem) == kNvmlSuccess) g.memory_mib = mem.total >> 20;
        unsigned minor = 0;
        if (minor_fn && minor_fn(dev, &minor) == kNvmlSuccess) g.minor = static_cast<int>(minor);
        g.driver_dir = driver_dir;
        if (!g.uuid.empty()) out.push_back(std::move(g));
      }
    }
    if (shutdown) shutdown();
  }
  ::dlclose(lib);
  return out;
}

std::vector<Gpu> FakeGpus(int count, const std::string& node_name) {
  std::vector<Gpu> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({"GPU-fake-" + node_name + "-" + std::to_string(i), "Fake-GPU", 16384, -1});
  }
  return out;
}

Result<std::vector<Gpu>> GpusFromInventory(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return Status(Code::kInvalid, path.string() + ": expected a JSON list of GPUs");
  std::vector<Gpu> out;
  std::set<std::string> seen;
  for (const Json& g : j) {
    if (!g.is_object() || !g.contains("uuid") || !g["uuid"].is_string()) {
      return Status(Code::kInvalid, path.string() + ": every GPU needs a \"uuid\" string");
    }
    Gpu gpu{g["uuid"], g.value("product", "Unknown-GPU"), g.value("memoryMiB", int64_t{0}), -1};
    if (!seen.insert(gpu.uuid).second) {
      return Status(Code::kInvalid, path.string() + ": duplicate GPU uuid " + gpu.uuid);
    }
    out.push_back(std::move(gpu));
  }
  return out;
}

std::map<std::string, std::string> GpuLabels(const std::vector<Gpu>& gpus) {
  if (gpus.empty()) return {};
  std::string product = gpus.front().product;
  // Label values allow [A-Za-z0-9._-]: GPU Feature Discovery writes spaces as dashes.
  std::replace_if(product.begin(), product.end(),
                  [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'); },
                  '-');
  return {{"nvidia.com/gpu.present", "true"},
          {"nvidia.com/gpu.product", product.substr(0, 63)},
          {"nvidia.com/gpu.count", std::to_string(gpus.size())},
          {"nvidia.com/gpu.memory", std::to_string(gpus.front().memory_mib)}};
}

GpuAllocator::GpuAllocator(std::vector<Gpu> gpus, std::filesystem::path checkpoint)
    : gpus_(std::move(gpus)), checkpoint_(std::move(checkpoint)) {}

Status GpuAllocator::Load() {
  std::lock_guard lock(mu_);
  auto text = ReadFile(checkpoint_);
  if (!text.ok()) return text.status().code() == Code::kNotFound ? Status::Ok() : text.status();
  Json j = Json::parse(*text, nullptr, false);
  if (!j.is_object()) return Status(Code::kInternal, "corrupt GPU checkpoint " + checkpoint_.string());
  std::set<std::string> known;
  for (const Gpu& g : gpus_) known.insert(g.uuid);
  for (const auto& [pod, uuids] : j.items()) {
    for (const Json& u : uuids) {
      if (u.is_string() && known.count(u)) by_pod_[pod].push_back(u);
    }
  }
  return Status::Ok();
}

Status GpuAllocator::Save() const {
  Json j = Json::object();
  for (const auto& [pod, uuids] : by_pod_) j[pod] = uuids;
  return WriteFileAtomic(checkpoint_, j.dump(), Sync::kNoSync);
}

Result<std::vector<Gpu>> GpuAllocator::Allocate(const std::string& pod_uid, int count) {
  std::lock_guard lock(mu_);
  std::vector<Gpu> mine;
  if (auto it = by_pod_.find(pod_uid); it != by_pod_.end()) {
    for (const Gpu& g : gpus_) {
      if (std::find(it->second.begin(), it->second.end(), g.uuid) != it->second.end()) mine.push_back(g);
    }
    if (static_cast<int>(mine.size()) == count) return mine;
    mine.clear();
    by_pod_.erase(it);
  }
  if (count == 0) return mine;
  std::set<std::string> taken;
  for (const auto& [pod, uuids] : by_pod_) taken.insert(uuids.begin(), uuids.end());
  std::vector<std::string> uuids;
  for (const Gpu& g : gpus_) {
    if (static_cast<int>(mine.size()) == count) break;
    if (taken.count(g.uuid)) continue;
    mine.push_back(g);
    uuids.push_back(g.uuid);
  }
  const int available = static_cast<int>(gpus_.size() - taken.size());
  if (static_cast<int>(mine.size()) < count) {
    // The kubelet's wording (devicemanager: "requested number of devices unavailable").
    return Status(Code::kForbidden, "Allocate failed due to requested number of devices unavailable for "
                                    "nvidia.com/gpu. Requested: " + std::to_string(count) +
                                    ", Available: " + std::to_string(available) + ", which is unexpected");
  }
  by_pod_[pod_uid] = uuids;
  RETURN_IF_ERROR(Save());  // durable before the pod may use them
  return mine;
}

std::vector<Gpu> GpuAllocator::Of(const std::string& pod_uid) const {
  std::lock_guard lock(mu_);
  std::vector<Gpu> out;
  auto it = by_pod_.find(pod_uid);
  if (it == by_pod_.end()) return out;
  for (const Gpu& g : gpus_) {
    if (std::find(it->second.begin(), it->second.end(), g.uuid) != it->second.end()) out.push_back(g);
  }
  return out;
}

void GpuAllocator::Release(const std::string& pod_uid) {
  std::lock_guard lock(mu_);
  if (by_pod_.erase(pod_uid)) (void)Save();
}

void GpuAllocator::Retain(const std::vector<std::string>& live) {
  std::lock_guard lock(mu_);
  std::set<std::string> keep(live.begin(), live.end());
  bool changed = std::erase_if(by_pod_, [&](const auto& kv) { return !keep.count(kv.first); }) > 0;
  if (changed) (void)Save();
}

int GpuAllocator::Free() const {
  std::lock_guard lock(mu_);
  size_t used = 0;
  for (const auto& [pod, uuids] : by_pod_) used += uuids.size();
  return static_cast<int>(gpus_.size() - used);
}

}  // namespace mlkube::agent
