#include "agent/gpu/nvml.h"

#include <dlfcn.h>
#include <link.h>

#include <filesystem>

namespace mlkube::agent {

namespace {

// NVML's types, declared here so no NVIDIA header is needed to build.
using nvmlDevice_t = void*;
struct NvmlMemory {
  unsigned long long total, free, used;
};
struct NvmlUtilization {
  unsigned gpu, memory;
};
constexpr int kNvmlSuccess = 0;

}  // namespace

struct Nvml::Fns {
  int (*init)() = nullptr;
  int (*shutdown)() = nullptr;
  int (*count)(unsigned*) = nullptr;
  int (*handle)(unsigned, nvmlDevice_t*) = nullptr;
  int (*uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
  int (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  int (*memory)(nvmlDevice_t, NvmlMemory*) = nullptr;
  int (*minor)(nvmlDevice_t, unsigned*) = nullptr;
  int (*utilization)(nvmlDevice_t, NvmlUtilization*) = nullptr;
};

std::unique_ptr<Nvml> Nvml::Open(const std::string& library) {
  void* lib = nullptr;
  if (!library.empty()) {
    lib = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  } else {
    for (const char* candidate : {"libnvidia-ml.so.1", "/usr/local/nvidia/lib64/libnvidia-ml.so.1"}) {
      if ((lib = ::dlopen(candidate, RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    }
  }
  if (lib == nullptr) return nullptr;
  std::unique_ptr<Nvml> n(new Nvml());
  n->lib_ = lib;
  n->fns_ = std::make_unique<Fns>();
  if (link_map* map = nullptr; ::dlinfo(lib, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
    n->driver_dir_ = std::filesystem::path(map->l_name).parent_path().string();
  }
  Fns& f = *n->fns_;
  auto sym = [&](auto& fn, const char* symbol) { fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, symbol)); };
  sym(f.init, "nvmlInit_v2");
  sym(f.shutdown, "nvmlShutdown");
  sym(f.count, "nvmlDeviceGetCount_v2");
  sym(f.handle, "nvmlDeviceGetHandleByIndex_v2");
  sym(f.uuid, "nvmlDeviceGetUUID");
  sym(f.name, "nvmlDeviceGetName");
  sym(f.memory, "nvmlDeviceGetMemoryInfo");
  sym(f.minor, "nvmlDeviceGetMinorNumber");
  sym(f.utilization, "nvmlDeviceGetUtilizationRates");
  if (!f.init || !f.count || !f.handle || !f.uuid || f.init() != kNvmlSuccess) {
    f.shutdown = nullptr;  // never initialised: nothing to shut down
    return nullptr;
  }
  return n;
}

Nvml::~Nvml() {
  if (fns_ && fns_->shutdown) fns_->shutdown();
  if (lib_) ::dlclose(lib_);
}

std::vector<Nvml::Device> Nvml::Devices() const {
  const Fns& f = *fns_;
  std::vector<Device> out;
  unsigned n = 0;
  if (f.count(&n) != kNvmlSuccess) return out;
  for (unsigned i = 0; i < n; ++i) {
    nvmlDevice_t dev = nullptr;
    if (f.handle(i, &dev) != kNvmlSuccess) continue;
    Device d;
    char buf[96] = {0};
    if (f.uuid(dev, buf, sizeof buf) == kNvmlSuccess) d.uuid = buf;
    if (f.name && f.name(dev, buf, sizeof buf) == kNvmlSuccess) d.name = buf;
    NvmlMemory mem{};
    if (f.memory && f.memory(dev, &mem) == kNvmlSuccess) {
      d.memory_total = static_cast<int64_t>(mem.total);
      d.memory_used = static_cast<int64_t>(mem.used);
    }
    unsigned minor = 0;
    if (f.minor && f.minor(dev, &minor) == kNvmlSuccess) d.minor = static_cast<int>(minor);
    NvmlUtilization u{};
    if (f.utilization && f.utilization(dev, &u) == kNvmlSuccess) d.utilization = static_cast<int>(u.gpu);
    if (!d.uuid.empty()) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace mlkube::agent
