#pragma once
// The container shim: one small process per running container (like containerd's shim or
// conmon) that is the container's parent. It starts the container in its cgroups and
// namespaces, writes its output to the log file in the CRI format the kubelet uses, and records
// how it ended. Because the shim, not the agent, waits for the container, containers keep
// running and their exit codes are kept when the agent (or the whole server) restarts.
//
// The agent starts one with StartShim(), through the shim launcher, and StartShim returns once
// the container's command has been exec'd (or failed to be).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/runtime/capabilities.h"
#include "api/json.h"
#include "common/status.h"

namespace mlkube::agent {

struct Mount {
  std::string source;  // host path
  std::string target;  // path inside the container
  bool read_only = false;
};

// Everything the shim needs; written by the agent as `<state_dir>/spec.json`.
struct ContainerSpec {
  std::vector<std::string> argv;  // command + args, $(VAR) already expanded
  std::vector<std::string> env;   // "NAME=value"
  std::string working_dir;
  std::optional<uint32_t> uid, gid;
  // The capabilities its processes may hold (unset: all of the agent's), whether they may gain
  // privileges through exec (setuid binaries, file capabilities), and whether /proc's kernel
  // knobs are read-only and its host-wide files masked. See capabilities.h.
  std::optional<CapabilitySet> capabilities = DefaultCapabilities();
  bool no_new_privileges = false;
  bool protect_proc = true;
  std::vector<std::string> cgroup_procs;  // cgroup.procs files to join, one per hierarchy
  std::string net_namespace;  // a bind-mounted netns to join; empty: the host's network
  std::string hostname;       // set in a UTS namespace of its own; empty: the host's
  bool pid_namespace = true;  // the container is PID 1 of a namespace of its own
  // The host's filesystems seen through a private writable layer (an overlay whose upper
  // layer is a tmpfs of the container's own mount namespace): writes vanish with the container.
  bool private_root = true;
  std::vector<Mount> mounts;  // bind mounts (volumes, /etc/hosts) at paths inside the container
  std::vector<std::string> hidden_devices;  // device nodes masked with /dev/null (others' GPUs)
  // Host paths the container must not see through its private root: the agent's and the API
  // server's state and credentials. An empty read-only tmpfs covers a directory, /dev/null a file.
  std::vector<std::string> masked_paths;
  std::filesystem::path log_path;
  int64_t log_max_bytes = 10 << 20;  // the kubelet's containerLogMaxSize default
  int log_max_files = 5;             // containerLogMaxFiles
  std::filesystem::path state_dir;   // exit.json and the shim's own log go here
};

Json ToJson(const ContainerSpec& spec);
Result<ContainerSpec> ContainerSpecFromJson(const Json& j);

// How a container ended, as the shim recorded it in `<state_dir>/exit.json`.
struct ContainerExit {
  int exit_code = 0;
  int signal = 0;  // the signal that killed it, or 0
  std::string started_at, finished_at;  // RFC 3339
  std::string reason;   // "" or ContainerCannotRun when the command could not be exec'd
  std::string message;
};
Result<ContainerExit> ReadContainerExit(const std::filesystem::path& state_dir);

struct StartedContainer {
  int shim_pid = 0;
  int pid = 0;  // the container's main process, in the host's PID namespace
  std::string started_at;
};

// Starts `mlkube shim` for `spec` (writing the spec to its state dir) and waits until the
// container's command has been exec'd. A command that cannot run still yields a shim that
// records the failure in exit.json, so the agent learns of it the same way as of any exit.
Result<StartedContainer> StartShim(const std::filesystem::path& self_exe, const ContainerSpec& spec,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// `mlkube shim-launcher`, which the agent starts with a socket at kLauncherFd: forks a shim
// (RunShim) for each spec path the agent sends, with the descriptor that comes with it as the
// shim's standard output. Returns when the agent closes its end.
constexpr int kLauncherFd = 3;
int RunShimLauncher();
// A shim's life, in a process of its own; returns the process exit code.
int RunShim(const std::string& spec_path);

}  // namespace mlkube::agent
