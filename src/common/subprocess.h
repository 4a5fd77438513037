#pragma once
// Runs a helper program (ip, for instance) to completion from a multi-threaded process:
// posix_spawn, stdin from a string, stdout and stderr captured.

#include <string>
#include <vector>

#include "common/status.h"

namespace mlkube {

struct CommandOutput {
  int exit_code = 0;
  std::string out, err;
};

// `argv[0]` is looked up on PATH. Fails only when it cannot be started.
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv, const std::string& input = "");
// As RunCommand, and a non-zero exit is an error carrying its stderr.
Status RunChecked(const std::vector<std::string>& argv, const std::string& input = "");

}  // namespace mlkube
