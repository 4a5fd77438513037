#pragma once
// What a container's processes may do as root, as containerd (Kubernetes' usual runtime)
// decides it: a default set of capabilities, changed by the container's
// securityContext.capabilities (add, then drop; "ALL" in either), all of them when privileged;
// and a /proc whose kernel knobs are read-only and whose host-wide files are masked.
//
// A container with no capability beyond the default set cannot change its pod's network
// namespace (addresses, routes, firewall rules, and with /proc/sys read-only, sysctls), which
// is what lets the agent hand a finished pod's namespace to the next pod.

#include <cstdint>
#include <string>
#include <vector>

#include "api/json.h"
#include "common/status.h"

namespace mlkube::agent {

// A set of capabilities, bit N for capability number N (linux/capability.h).
using CapabilitySet = uint64_t;

// containerd's (and Docker's) default: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
CapabilitySet DefaultCapabilities();
CapabilitySet AllCapabilities();

// The container's capabilities from its securityContext; an unknown name is an error in the
// runtime's words. Names may carry the CAP_ prefix or not, as the runtimes accept.
Result<CapabilitySet> ContainerCapabilities(const Json& container);
bool Privileged(const Json& container);

// "CAP_CHOWN", ... for a set, and back.
std::vector<std::string> CapabilityNames(CapabilitySet caps);
Result<CapabilitySet> ParseCapabilities(const std::vector<std::string>& names);

// In a process about to exec a container's command, as root: the command and everything it
// starts can hold no capability outside `caps` (the bounding set), none is inherited or ambient.
// The calling process keeps its own until exec (it may still need to setuid). Returns "" or
// what failed.
std::string LimitCapabilities(CapabilitySet caps);
// What a running process was limited to, and who it runs as, read from /proc/PID/status:
// kubectl exec's command gets its container's.
struct ProcessLimits {
  CapabilitySet bounding = 0;
  bool no_new_privileges = false;
  uint32_t uid = 0, gid = 0;     // effective
  std::vector<uint32_t> groups;  // supplementary
};
Result<ProcessLimits> LimitsOf(int pid);

// In a container's mount namespace with its /proc mounted: the kernel knobs (/proc/sys and
// the like) read-only and the host-wide files masked, as the runtimes' defaults do for every
// container that is not privileged. Returns "" or what failed.
std::string ProtectProc();

}  // namespace mlkube::agent
