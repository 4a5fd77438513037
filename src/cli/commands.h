#pragma once
// The `mlkube` subcommands. Each Add*Command registers one on the root CLI11 app.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace mlkube::cli {

void AddServerCommand(CLI::App& app);
void AddAgentCommand(CLI::App& app);
void AddClientCommands(CLI::App& app);

// Prints `error: <message>` (or the server's message) and exits 1, as kubectl does.
[[noreturn]] void Die(const Status& status);
std::filesystem::path DefaultDataDir();

}  // namespace mlkube::cli
