#include "agent/gpu/gpus.h"

#include <algorithm>
#include <set>

#include "agent/gpu/nvml.h"
#include "common/files.h"

namespace mlkube::agent {

std::vector<Gpu> DiscoverNvmlGpus(const std::string& library) {
  std::vector<Gpu> out;
  auto nvml = Nvml::Open(library);
  if (!nvml) return out;
  for (const Nvml::Device& d : nvml->Devices()) {
    out.push_back({d.uuid, d.name, d.memory_total >> 20, d.minor, nvml->driver_dir()});
  }
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
