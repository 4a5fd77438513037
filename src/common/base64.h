#pragma once
// Standard base64 (RFC 4648, with padding), as Kubernetes writes Secret data and kubeconfigs.

#include <optional>
#include <string>
#include <string_view>

namespace mlkube {

std::string Base64Encode(std::string_view data);
// nullopt when `text` is not valid base64. Whitespace is not allowed, as in Go's decoder.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace mlkube
