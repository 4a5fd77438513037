#pragma once
// Cgroups for pods and containers on either cgroup version. The agent keeps every cgroup it
// makes below one parent ("mlkube"): `<parent>/pod<uid>/<container>` — on v1 in each
// controller's hierarchy, on v2 in the unified one. A pod's limits are the sum of its
// containers', as the kubelet sets them, so a pod never outgrows what the scheduler counted.
// Thread-safety: the methods touch only the files they name; call them from any thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mlkube::agent {

struct CgroupLimits {
  std::optional<int64_t> memory_bytes;   // limits.memory: the kernel kills past it
  std::optional<int64_t> cpu_limit_milli;  // limits.cpu: CFS quota per 100 ms period
  int64_t cpu_request_milli = 0;         // requests.cpu: relative weight under contention
  std::optional<int64_t> pids;           // pids.max
  // Character devices the cgroup may not open ("195:1"), enforced by v1's devices controller;
  // v2's needs an eBPF program, so there the mount namespace hides them instead.
  std::vector<std::string> denied_char_devices;
};

// The kubelet's conversions (pkg/kubelet/cm/helpers_linux.go).
int64_t CpuSharesFromMilli(int64_t milli);
int64_t CpuWeightFromShares(int64_t shares);
int64_t CpuQuotaFromMilli(int64_t milli, int64_t period_us);

class Cgroups {
 public:
  enum class Version { kV1, kV2 };
  static constexpr int64_t kCpuPeriodUs = 100000;

  // Finds the host's layout under `mount` (normally /sys/fs/cgroup): v2 when the unified
  // hierarchy there has the memory controller, v1 when the controllers are mounted apart.
  static Result<std::unique_ptr<Cgroups>> Detect(const std::filesystem::path& mount = "/sys/fs/cgroup",
                                                 const std::string& parent = "mlkube");

  Version version() const { return version_; }

  // Creates `rel` (and its ancestors below the parent) and sets its limits.
  Status Create(const std::string& rel, const CgroupLimits& limits) const;
  // The files a process writes its pid into to join `rel`, one per hierarchy.
  std::vector<std::filesystem::path> ProcsFiles(const std::string& rel) const;
  // Pids now in `rel` and below it.
  std::vector<int> Pids(const std::string& rel) const;
  bool Exists(const std::string& rel) const;
  // SIGKILLs everything in `rel` without racing with forks: v2 cgroup.kill, v1 freeze, kill,
  // thaw.
  Status KillAll(const std::string& rel) const;
  // Removes `rel` and the cgroups below it once they are empty (kills what is left first).
  Status Remove(const std::string& rel) const;
  // Removes the parent cgroup itself if nothing is left below it (the kernel refuses otherwise),
  // so a node that stops with no pods leaves no cgroup behind.
  void RemoveParentIfEmpty() const;
  // How many times the kernel's OOM killer killed a process in `rel`.
  uint64_t OomKills(const std::string& rel) const;
  // CPU time used by `rel`, in nanoseconds, and its memory working set in bytes; nullopt when
  // the cgroup cannot be read (gone, or not made yet).
  std::optional<uint64_t> CpuUsageNanos(const std::string& rel) const;
  std::optional<uint64_t> MemoryWorkingSet(const std::string& rel) const;

  // The directories of `rel`, for tests and for the agent's own bookkeeping.
  std::vector<std::filesystem::path> Dirs(const std::string& rel) const;

 private:
  Cgroups(Version version, std::filesystem::path mount, std::string parent)
      : version_(version), mount_(std::move(mount)), parent_(std::move(parent)) {}
  std::filesystem::path Dir(const std::string& controller, const std::string& rel) const;
  Status EnableV2Controllers(const std::filesystem::path& dir) const;

  Version version_;
  std::filesystem::path mount_;
  std::string parent_;
};

}  // namespace mlkube::agent
