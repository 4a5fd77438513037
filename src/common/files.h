#pragma once
// Small file helpers with errors as Status: the agent reads and writes many tiny files
// (cgroup knobs, state records) and each failure must say which file and why.

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlkube {

Result<std::string> ReadFile(const std::filesystem::path& path);
// Writes `data` with one write(2), without truncating or creating: how kernel knobs
// (cgroup files) take a value.
Status WriteKnob(const std::filesystem::path& path, std::string_view data);
// Replaces `path` with `data`: a temporary file, then rename, so readers see the old content or
// the new one, never a torn file. With `durable` the data is fsynced first, so it also survives
// power loss; state that only matters while the machine stays up (a node's runtime state)
// does without that cost.
enum class Sync { kDurable, kNoSync };
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, Sync sync = Sync::kDurable);

}  // namespace mlkube
