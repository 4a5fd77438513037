#pragma once
// Wall-clock helpers in the forms the API uses (RFC 3339, UTC, second precision).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mlkube {

std::string FormatRfc3339(std::chrono::system_clock::time_point t);
// With nanoseconds, as container log lines are stamped ("2026-11-26T23:55:01.123456789Z").
std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t);
// As Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000"), which some events use.
std::string FormatRfc1123z(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view s);
// A random RFC 4122 version-4 UUID, as metadata.uid.
std::string NewUuid();
// n characters from Kubernetes' generateName alphabet (no vowels, no look-alikes).
std::string RandomSuffix(size_t n);

}  // namespace mlkube
