#include "serving/backend.h"

#include <sched.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace mlkube::serving {

std::filesystem::path ModelFile(const std::filesystem::path& version_dir, const ModelConfig& config) {
  return version_dir / (config.backend == "torchscript" ? "model.pt" : "model.json");
}

Result<std::unique_ptr<Backend>> LoadBackend(const std::filesystem::path& version_dir, const ModelConfig& config) {
  const std::filesystem::path file = ModelFile(version_dir, config);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Status(Code::kInvalid, file.string() + ": no such model file");
  }
  if (config.backend == "torchscript") return LoadTorchScript(file, config);
  return LoadXgboost(file, config);
}

namespace {

std::string ReadSmall(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The directory of this process's cgroup in `hierarchy` ("" for v2), from /proc/self/cgroup.
std::string OwnCgroup(const std::string& controller) {
  std::istringstream lines(ReadSmall("/proc/self/cgroup"));
  for (std::string line; std::getline(lines, line);) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    if (controllers == controller || ("," + controllers + ",").find("," + controller + ",") != std::string::npos) {
      return line.substr(b + 1);
    }
  }
  return "";
}

}  // namespace

int CpuLimit() {
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  double limit = 0;
  // v2: "max 100000" or "150000 100000" in the cgroup's cpu.max.
  std::istringstream v2(ReadSmall("/sys/fs/cgroup" + OwnCgroup("") + "/cpu.max"));
  std::string quota;
  double period = 0;
  if (v2 >> quota >> period && quota != "max" && period > 0) limit = std::stod(quota) / period;
  if (limit <= 0) {
    // v1: the cpu controller's cfs quota and period (-1: no limit).
    const std::string dir = "/sys/fs/cgroup/cpu" + OwnCgroup("cpu");
    const std::string q = ReadSmall(dir + "/cpu.cfs_quota_us"), p = ReadSmall(dir + "/cpu.cfs_period_us");
    if (!q.empty() && !p.empty() && std::stod(q) > 0 && std::stod(p) > 0) limit = std::stod(q) / std::stod(p);
  }
  if (limit > 0) cpus = std::min(cpus, static_cast<int>(std::ceil(limit)));
  return std::max(cpus, 1);
}

}  // namespace mlkube::serving
