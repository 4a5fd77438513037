// mlkube: one binary for the API server, the node agent and a kubectl-like CLI.

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <malloc.h>

#include "agent/runtime/exec.h"
#include "agent/runtime/shim.h"
#include "cli/commands.h"

namespace mlkube::cli {

void Die(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  std::exit(1);
}

}  // namespace mlkube::cli

int main(int argc, char** argv) {
  // The container shim is internal (the agent starts it) and should cost as little as can be:
  // it skips the CLI altogether.
  if (argc == 2 && std::strcmp(argv[1], "shim-launcher") == 0) return mlkube::agent::RunShimLauncher();
  if (argc >= 5 && std::strcmp(argv[1], "nsexec") == 0) return mlkube::agent::RunNsExec(argc, argv);
  // Peers and helper processes that go away must not take the server with them.
  std::signal(SIGPIPE, SIG_IGN);
  // glibc gives a busy process up to 8 malloc arenas per core, each holding its freed memory
  // apart: the agent with 100 idle pods used 50 MiB instead of 36 before this.
  mallopt(M_ARENA_MAX, static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u)));
  CLI::App app{"mlkube: Kubernetes-style ML workloads from one binary"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (-n, --kubeconfig) may follow the verb, as with kubectl
  app.set_version_flag("--version", std::string("mlkube ") + MLKUBE_VERSION);
  mlkube::cli::AddServerCommand(app);
  mlkube::cli::AddAgentCommand(app);
  mlkube::cli::AddClientCommands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
