#include "agent/runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/files.h"

namespace mlkube::agent {

namespace {

// Indexed by capability number, as linux/capability.h numbers them.
constexpr std::array<const char*, 41> kNames = {
    "CHOWN",           "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",      "FSETID",          "KILL",
    "SETGID",          "SETUID",       "SETPCAP",         "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN",       "NET_RAW",      "IPC_LOCK",        "IPC_OWNER",   "SYS_MODULE",      "SYS_RAWIO",
    "SYS_CHROOT",      "SYS_PTRACE",   "SYS_PACCT",       "SYS_ADMIN",   "SYS_BOOT",        "SYS_NICE",
    "SYS_RESOURCE",    "SYS_TIME",     "SYS_TTY_CONFIG",  "MKNOD",       "LEASE",           "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",      "MAC_OVERRIDE",    "MAC_ADMIN",   "SYSLOG",          "WAKE_ALARM",
    "BLOCK_SUSPEND",   "AUDIT_READ",   "PERFMON",         "BPF",         "CHECKPOINT_RESTORE"};

constexpr CapabilitySet Bit(int cap) { return CapabilitySet{1} << cap; }

Result<int> Number(std::string name) {
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("CAP_", 0) == 0) name = name.substr(4);
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i]) return static_cast<int>(i);
  }
  return Status(Code::kInvalid, "unknown capability \"CAP_" + name + "\"");
}

bool IsAll(const Json& name) {
  if (!name.is_string()) return false;
  std::string n = name.get<std::string>();
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return n == "ALL" || n == "CAP_ALL";
}

bool HasAll(const Json& list) { return list.is_array() && std::any_of(list.begin(), list.end(), IsAll); }

}  // namespace

CapabilitySet DefaultCapabilities() {
  CapabilitySet s = 0;
  for (int cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID,
                  CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,
                  CAP_AUDIT_WRITE}) {
    s |= Bit(cap);
  }
  return s;
}

CapabilitySet AllCapabilities() { return Bit(static_cast<int>(kNames.size())) - 1; }

bool Privileged(const Json& container) {
  const Json& p = Member(Member(container, "securityContext"), "privileged");
  return p.is_boolean() && p.get<bool>();
}

Result<CapabilitySet> ContainerCapabilities(const Json& container) {
  if (Privileged(container)) return AllCapabilities();
  const Json& caps = Member(Member(container, "securityContext"), "capabilities");
  const Json& add = Member(caps, "add");
  const Json& drop = Member(caps, "drop");
  // As containerd reads them: "ALL" first, so that `add: [ALL], drop: [CHOWN]` is everything
  // but CHOWN; then the names added, then the names dropped.
  CapabilitySet s = DefaultCapabilities();
  if (HasAll(add)) s = AllCapabilities();
  if (HasAll(drop)) s = 0;
  for (const auto& [list, adding] : {std::pair<const Json*, bool>{&add, true}, {&drop, false}}) {
    if (!list->is_array()) continue;
    for (const Json& n : *list) {
      if (!n.is_string() || IsAll(n)) continue;
      ASSIGN_OR_RETURN(int cap, Number(n.get<std::string>()));
      s = adding ? (s | Bit(cap)) : (s & ~Bit(cap));
    }
  }
  return s;
}

std::vector<std::string> CapabilityNames(CapabilitySet caps) {
  std::vector<std::string> names;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (caps & Bit(static_cast<int>(i))) names.push_back(std::string("CAP_") + kNames[i]);
  }
  return names;
}

Result<CapabilitySet> ParseCapabilities(const std::vector<std::string>& names) {
  CapabilitySet s = 0;
  for (const std::string& n : names) {
    ASSIGN_OR_RETURN(int cap, Number(n));
    s |= Bit(cap);
  }
  return s;
}

std::string LimitCapabilities(CapabilitySet caps) {
  // Capabilities this kernel has beyond our table are dropped as well: the loop ends where
  // the kernel says the numbers end.
  for (int cap = 0; cap < 64; ++cap) {
    if (cap < static_cast<int>(kNames.size()) && (caps & Bit(cap))) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;
      return "cannot drop capability " + std::to_string(cap) + ": " + std::strerror(errno);
    }
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return std::string("cannot clear ambient capabilities: ") + std::strerror(errno);
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return std::string("capget: ") + std::strerror(errno);
  for (auto& d : data) d.inheritable = 0;
  if (::syscall(SYS_capset, &header, data) != 0) return std::string("capset: ") + std::strerror(errno);
  return "";
}

Result<ProcessLimits> LimitsOf(int pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  ASSIGN_OR_RETURN(std::string status, ReadFile(path));
  const size_t bnd = status.find("\nCapBnd:"), nnp = status.find("\nNoNewPrivs:");
  if (bnd == std::string::npos || nnp == std::string::npos) return Status(Code::kInternal, "unexpected " + path);
  ProcessLimits limits;
  limits.bounding = static_cast<CapabilitySet>(std::strtoull(status.c_str() + bnd + 8, nullptr, 16));
  limits.no_new_privileges = std::strtol(status.c_str() + nnp + 12, nullptr, 10) == 1;
  // "Uid:\treal\teffective\tsaved\tfs", likewise Gid; "Groups:\t1 2 3".
  for (const auto& [field, out] : {std::pair<const char*, uint32_t*>{"\nUid:", &limits.uid}, {"\nGid:", &limits.gid}}) {
    const size_t at = status.find(field);
    if (at == std::string::npos) return Status(Code::kInternal, "unexpected " + path);
    std::istringstream in(status.substr(at + 5, status.find('\n', at + 1) - at - 5));
    uint32_t real = 0;
    in >> real >> *out;
  }
  if (const size_t at = status.find("\nGroups:"); at != std::string::npos) {
    std::istringstream in(status.substr(at + 8, status.find('\n', at + 1) - at - 8));
    for (uint32_t g; in >> g;) limits.groups.push_back(g);
  }
  return limits;
}

std::string ProtectProc() {
  // containerd's defaults (readonlyPaths, maskedPaths).
  for (const char* path : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    if (::access(path, F_OK) != 0) continue;
    if (::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
        ::mount(nullptr, path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      return std::string("cannot make ") + path + " read-only: " + std::strerror(errno);
    }
  }
  for (const char* path : {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                           "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi"}) {
    struct stat st {};
    if (::stat(path, &st) != 0) continue;
    const int rc = S_ISDIR(st.st_mode) ? ::mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
                                       : ::mount("/dev/null", path, nullptr, MS_BIND, nullptr);
    if (rc != 0) return std::string("cannot mask ") + path + ": " + std::strerror(errno);
  }
  return "";
}

}  // namespace mlkube::agent
