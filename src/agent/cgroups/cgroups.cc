#include "agent/cgroups/cgroups.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "common/files.h"

namespace mlkube::agent {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Controllers the agent uses on v1, each its own hierarchy (or a shared one behind a symlink).
constexpr const char* kV1Controllers[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"};

uint64_t StatField(const std::string& text, std::string_view name) {
  std::istringstream in(text);
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == name) return value;
  }
  return 0;
}

std::optional<uint64_t> ReadNumber(const fs::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  return std::strtoull(text->c_str(), nullptr, 10);
}

// Children first, so each rmdir finds its directory empty of cgroups.
void CollectDepthFirst(const fs::path& dir, std::vector<fs::path>& out) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) CollectDepthFirst(entry.path(), out);
  }
  out.push_back(dir);
}

}  // namespace

int64_t CpuSharesFromMilli(int64_t milli) {
  constexpr int64_t kMinShares = 2, kMaxShares = 262144;
  if (milli <= 0) return kMinShares;
  return std::clamp<int64_t>(milli * 1024 / 1000, kMinShares, kMaxShares);
}

int64_t CpuWeightFromShares(int64_t shares) {
  // The OCI runtimes' mapping of [2, 262144] onto v2's [1, 10000].
  return 1 + ((std::clamp<int64_t>(shares, 2, 262144) - 2) * 9999) / 262142;
}

int64_t CpuQuotaFromMilli(int64_t milli, int64_t period_us) {
  constexpr int64_t kMinQuotaUs = 1000;
  return std::max(kMinQuotaUs, milli * period_us / 1000);
}

Result<std::unique_ptr<Cgroups>> Cgroups::Detect(const fs::path& mount, const std::string& parent) {
  auto controllers = ReadFile(mount / "cgroup.controllers");
  if (controllers.ok() && controllers->find("memory") != std::string::npos) {
    std::unique_ptr<Cgroups> c(new Cgroups(Version::kV2, mount, parent));
    RETURN_IF_ERROR(c->EnableV2Controllers(mount));
    std::error_code ec;
    fs::create_directories(mount / parent, ec);
    if (ec) return Status(Code::kInternal, "cannot create " + (mount / parent).string() + ": " + ec.message());
    RETURN_IF_ERROR(c->EnableV2Controllers(mount / parent));
    return c;
  }
  if (fs::exists(mount / "memory" / "memory.limit_in_bytes")) {
    std::unique_ptr<Cgroups> c(new Cgroups(Version::kV1, mount, parent));
    for (const char* ctl : kV1Controllers) {
      if (!fs::exists(mount / ctl)) {
        return Status(Code::kInternal, std::string("cgroup v1 controller ") + ctl +
                                           " is not mounted under " + mount.string());
      }
    }
    return c;
  }
  return Status(Code::kInternal, "no usable cgroup hierarchy under " + mount.string() +
                                     " (neither v2 with the memory controller nor v1)");
}

// A v2 cgroup may hand controllers to its children only while it has no processes of its own
// (the "no internal processes" rule). At the root of a container's cgroup namespace the
// agent itself may sit there; it then moves everything into a leaf, as kind's entrypoint does.
Status Cgroups::EnableV2Controllers(const fs::path& dir) const {
  auto available = ReadFile(dir / "cgroup.controllers");
  if (!available.ok()) return available.status();
  std::string want;
  for (const char* ctl : {"cpu", "memory", "pids"}) {
    if (available->find(ctl) != std::string::npos) want += std::string(want.empty() ? "+" : " +") + ctl;
  }
  Status st = WriteKnob(dir / "cgroup.subtree_control", want);
  if (st.ok() || errno != EBUSY) return st;
  const fs::path leaf = dir / "init.scope";
  std::error_code ec;
  fs::create_directories(leaf, ec);
  auto procs = ReadFile(dir / "cgroup.procs");
  if (procs.ok()) {
    std::istringstream in(*procs);
    for (std::string pid; in >> pid;) (void)WriteKnob(leaf / "cgroup.procs", pid);
  }
  return WriteKnob(dir / "cgroup.subtree_control", want);
}

fs::path Cgroups::Dir(const std::string& controller, const std::string& rel) const {
  fs::path base = version_ == Version::kV2 ? mount_ : mount_ / controller;
  return rel.empty() ? base / parent_ : base / parent_ / rel;
}

std::vector<fs::path> Cgroups::Dirs(const std::string& rel) const {
  if (version_ == Version::kV2) return {Dir("", rel)};
  std::vector<fs::path> out;
  std::set<fs::path> seen;
  for (const char* ctl : kV1Controllers) {
    std::error_code ec;
    fs::path real = fs::canonical(mount_ / ctl, ec);
    if (ec || !seen.insert(real).second) continue;  // cpu and cpuacct may share a hierarchy
    out.push_back(Dir(ctl, rel));
  }
  return out;
}

bool Cgroups::Exists(const std::string& rel) const {
  return fs::exists(Dir(version_ == Version::kV2 ? "" : "memory", rel));
}

Status Cgroups::Create(const std::string& rel, const CgroupLimits& limits) const {
  std::error_code ec;
  for (const fs::path& dir : Dirs(rel)) {
    fs::create_directories(dir, ec);
    if (ec) return Status(Code::kInternal, "cannot create cgroup " + dir.string() + ": " + ec.message());
  }
  const int64_t shares = CpuSharesFromMilli(limits.cpu_request_milli);
  if (version_ == Version::kV2) {
    // Every ancestor below the parent must hand the controllers down.
    fs::path dir = Dir("", "");
    for (const auto& part : fs::path(rel).parent_path()) {
      if (part.empty()) continue;
      dir /= part;
      RETURN_IF_ERROR(EnableV2Controllers(dir));
    }
    const fs::path d = Dir("", rel);
    RETURN_IF_ERROR(WriteKnob(d / "memory.max", limits.memory_bytes
                                                    ? std::to_string(*limits.memory_bytes)
                                                    : "max"));
    if (fs::exists(d / "memory.swap.max")) (void)WriteKnob(d / "memory.swap.max", "0");
    RETURN_IF_ERROR(WriteKnob(
        d / "cpu.max", (limits.cpu_limit_milli
                            ? std::to_string(CpuQuotaFromMilli(*limits.cpu_limit_milli, kCpuPeriodUs))
                            : std::string("max")) +
                           " " + std::to_string(kCpuPeriodUs)));
    RETURN_IF_ERROR(WriteKnob(d / "cpu.weight", std::to_string(CpuWeightFromShares(shares))));
    RETURN_IF_ERROR(WriteKnob(d / "pids.max", limits.pids ? std::to_string(*limits.pids) : "max"));
    return Status::Ok();
  }
  RETURN_IF_ERROR(WriteKnob(Dir("memory", rel) / "memory.limit_in_bytes",
                            limits.memory_bytes ? std::to_string(*limits.memory_bytes) : "-1"));
  const fs::path cpu = Dir("cpu", rel);
  RETURN_IF_ERROR(WriteKnob(cpu / "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
  RETURN_IF_ERROR(WriteKnob(
      cpu / "cpu.cfs_quota_us",
      limits.cpu_limit_milli ? std::to_string(CpuQuotaFromMilli(*limits.cpu_limit_milli, kCpuPeriodUs))
                             : "-1"));
  RETURN_IF_ERROR(WriteKnob(cpu / "cpu.shares", std::to_string(shares)));
  RETURN_IF_ERROR(WriteKnob(Dir("pids", rel) / "pids.max",
                            limits.pids ? std::to_string(*limits.pids) : "max"));
  for (const std::string& dev : limits.denied_char_devices) {
    RETURN_IF_ERROR(WriteKnob(Dir("devices", rel) / "devices.deny", "c " + dev + " rwm"));
  }
  return Status::Ok();
}

std::vector<fs::path> Cgroups::ProcsFiles(const std::string& rel) const {
  std::vector<fs::path> out;
  for (const fs::path& dir : Dirs(rel)) out.push_back(dir / "cgroup.procs");
  return out;
}

std::vector<int> Cgroups::Pids(const std::string& rel) const {
  std::vector<fs::path> dirs;
  CollectDepthFirst(Dir(version_ == Version::kV2 ? "" : "pids", rel), dirs);
  std::vector<int> pids;
  for (const fs::path& dir : dirs) {
    auto procs = ReadFile(dir / "cgroup.procs");
    if (!procs.ok()) continue;
    std::istringstream in(*procs);
    for (int pid; in >> pid;) pids.push_back(pid);
  }
  return pids;
}

Status Cgroups::KillAll(const std::string& rel) const {
  if (!Exists(rel)) return Status::Ok();
  if (version_ == Version::kV2) {
    const fs::path kill = Dir("", rel) / "cgroup.kill";
    if (fs::exists(kill)) return WriteKnob(kill, "1");
  } else {
    // Frozen processes cannot fork, so one pass over the list kills them all.
    const fs::path freezer = Dir("freezer", rel);
    RETURN_IF_ERROR(WriteKnob(freezer / "freezer.state", "FROZEN"));
    for (int i = 0; i < 200; ++i) {
      auto state = ReadFile(freezer / "freezer.state");
      if (!state.ok() || state->rfind("FROZEN", 0) == 0) break;
      std::this_thread::sleep_for(1ms);
    }
    for (int pid : Pids(rel)) ::kill(pid, SIGKILL);
    return WriteKnob(freezer / "freezer.state", "THAWED");
  }
  for (int pid : Pids(rel)) ::kill(pid, SIGKILL);  // v2 kernels before 5.14
  return Status::Ok();
}

Status Cgroups::Remove(const std::string& rel) const {
  if (!Exists(rel) && version_ == Version::kV2) return Status::Ok();
  if (!Pids(rel).empty()) RETURN_IF_ERROR(KillAll(rel));
  for (const fs::path& top : Dirs(rel)) {
    std::vector<fs::path> dirs;
    if (!fs::exists(top)) continue;
    CollectDepthFirst(top, dirs);
    for (const fs::path& dir : dirs) {
      // Killed processes leave their cgroup a moment after the signal.
      for (int i = 0; ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
        if (i == 500) {
          return Status(Code::kInternal, "cannot remove cgroup " + dir.string() + ": " + std::strerror(errno));
        }
        std::this_thread::sleep_for(2ms);
      }
    }
  }
  return Status::Ok();
}

void Cgroups::RemoveParentIfEmpty() const {
  for (const fs::path& dir : Dirs("")) ::rmdir(dir.c_str());
}

uint64_t Cgroups::OomKills(const std::string& rel) const {
  if (version_ == Version::kV2) {
    auto events = ReadFile(Dir("", rel) / "memory.events");
    return events.ok() ? StatField(*events, "oom_kill") : 0;
  }
  auto control = ReadFile(Dir("memory", rel) / "memory.oom_control");
  return control.ok() ? StatField(*control, "oom_kill") : 0;
}

std::optional<uint64_t> Cgroups::CpuUsageNanos(const std::string& rel) const {
  if (version_ == Version::kV2) {
    auto stat = ReadFile(Dir("", rel) / "cpu.stat");
    if (!stat.ok()) return std::nullopt;
    return StatField(*stat, "usage_usec") * 1000;
  }
  return ReadNumber(Dir("cpuacct", rel) / "cpuacct.usage");
}

std::optional<uint64_t> Cgroups::MemoryWorkingSet(const std::string& rel) const {
  // As cAdvisor: usage less the inactive file cache the kernel can drop at will.
  std::optional<uint64_t> usage;
  uint64_t inactive;
  if (version_ == Version::kV2) {
    usage = ReadNumber(Dir("", rel) / "memory.current");
    auto stat = ReadFile(Dir("", rel) / "memory.stat");
    inactive = stat.ok() ? StatField(*stat, "inactive_file") : 0;
  } else {
    usage = ReadNumber(Dir("memory", rel) / "memory.usage_in_bytes");
    auto stat = ReadFile(Dir("memory", rel) / "memory.stat");
    inactive = stat.ok() ? StatField(*stat, "total_inactive_file") : 0;
  }
  if (!usage) return std::nullopt;
  return *usage > inactive ? *usage - inactive : 0;
}

}  // namespace mlkube::agent
