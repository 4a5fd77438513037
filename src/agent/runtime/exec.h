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

// `pid` is the container's main process (host PID namespace). Output beyond `max_output`
// bytes is dropped.
Result<ExecOutput> ExecInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                   const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                   size_t max_output = 10 * 1024);

}  // namespace mlkube::agent
