#pragma once
// Reads container logs written in the CRI format ("<RFC3339Nano> <stream> <F|P> <text>") and
// answers `kubectl logs` with the kubelet's options: tailLines, sinceSeconds/sinceTime,
// timestamps, limitBytes and follow.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "apiserver/http.h"

namespace mlkube::agent {

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> limit_bytes;
  std::optional<std::chrono::system_clock::time_point> since;
};

// Parses the log subresource's query parameters; an error is the API's 400 message.
std::optional<std::string> ParseLogOptions(const apiserver::HttpRequest& req, LogOptions* out);

// Writes the log at `path` to `out`. With follow it keeps sending what is appended until
// `running()` turns false and the file is drained, or the client goes away.
void ServeLogFile(const std::filesystem::path& path, const LogOptions& options,
                  const std::function<bool()>& running, apiserver::Responder& out);

}  // namespace mlkube::agent
