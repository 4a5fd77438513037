// A test double of NVML (libnvidia-ml): the entry points mlkube loads, answering from the
// file named by $MLKUBE_FAKE_NVML, read at every call so a test can change the GPUs' state:
// one line per GPU, "<uuid> <utilization %> <memory used MiB> <memory total MiB>".

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Fake {
  std::string uuid;
  unsigned utilization = 0;
  unsigned long long used_mib = 0, total_mib = 0;
};

std::vector<Fake> Load() {
  std::vector<Fake> out;
  const char* path = std::getenv("MLKUBE_FAKE_NVML");
  if (!path) return out;
  std::ifstream in(path);
  Fake f;
  while (in >> f.uuid >> f.utilization >> f.used_mib >> f.total_mib) out.push_back(f);
  return out;
}

// A device handle is its index, plus one so it is never null.
bool Index(void* device, Fake* out) {
  const auto all = Load();
  const auto i = reinterpret_cast<size_t>(device) - 1;
  if (i >= all.size()) return false;
  *out = all[i];
  return true;
}

}  // namespace

extern "C" {

struct nvmlMemory_t {
  unsigned long long total, free, used;
};
struct nvmlUtilization_t {
  unsigned gpu, memory;
};

int nvmlInit_v2() { return std::getenv("MLKUBE_FAKE_NVML") ? 0 : 1; }
int nvmlShutdown() { return 0; }
int nvmlDeviceGetCount_v2(unsigned* count) {
  *count = static_cast<unsigned>(Load().size());
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  if (index >= Load().size()) return 2;
  *device = reinterpret_cast<void*>(static_cast<size_t>(index) + 1);
  return 0;
}
int nvmlDeviceGetUUID(void* device, char* buf, unsigned size) {
  Fake f;
  if (!Index(device, &f)) return 2;
  std::snprintf(buf, size, "%s", f.uuid.c_str());
  return 0;
}
int nvmlDeviceGetName(void* device, char* buf, unsigned size) {
  std::snprintf(buf, size, "Fake-GPU");
  return 0;
}
int nvmlDeviceGetMemoryInfo(void* device, nvmlMemory_t* memory) {
  Fake f;
  if (!Index(device, &f)) return 2;
  memory->total = f.total_mib << 20;
  memory->used = f.used_mib << 20;
  memory->free = memory->total - memory->used;
  return 0;
}
int nvmlDeviceGetMinorNumber(void*, unsigned*) { return 3; }  // NVML_ERROR_NOT_SUPPORTED: no device files
int nvmlDeviceGetUtilizationRates(void* device, nvmlUtilization_t* utilization) {
  Fake f;
  if (!Index(device, &f)) return 2;
  utilization->gpu = f.utilization;
  utilization->memory = 0;
  return 0;
}

}  // extern "C"
