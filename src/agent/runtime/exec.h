#pragma once
// Runs a command inside a running container: in its cgroups and all its namespaces (mount,
// PID, network, UTS, IPC), with its environment — what exec probes and `kubectl exec` need.

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace mlkube::agent {

struct ExecOutput {
  int exit_code = 0;
  std::string output;  // stdout and stderr, interleaved as written
  bool timed_out = false;
};

// A command started in a container: its process (in the host's PID namespace: the helper that
// waits for it inside) and the pipes to its standard streams.
struct ExecProcess {
  int pid = -1;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // stderr_fd is -1 when merged into stdout
  int terminal_fd = -1;  // with a terminal: the pty's master, for resizing it (the caller's to close)
};

enum class ExecStreams {
  kPipes,     // stdin, stdout and stderr apart
  kMerged,    // stderr joins stdout
  kTerminal,  // a pseudo-terminal for all three, which becomes the command's controlling tty
};

// Starts `argv` in the container whose main process is `pid`.
Result<ExecProcess> SpawnInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                     const std::vector<std::string>& argv, ExecStreams streams);
// Sets a terminal's size (kubectl's resize messages).
void ResizeTerminal(int terminal_fd, int width, int height);
// The helper SpawnInContainer runs (`mlkube nsexec PID [--cgroup-procs FILE]... [--tty] -- CMD...`):
// joins the cgroups and namespaces of PID and runs CMD there with its environment, exiting with
// CMD's exit code (126 when it cannot join).
int RunNsExec(int argc, char** argv);
// Waits for a spawned command; its exit code (128 + signal when killed).
int WaitExec(const ExecProcess& p);

// Runs `argv` to completion (exec probes). `pid` is the container's main process (host PID
// namespace). Output beyond `max_output` bytes is dropped.
Result<ExecOutput> ExecInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                   const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                   size_t max_output = 10 * 1024);

}  // namespace mlkube::agent
