#pragma once
// IPv4 addresses and networks as host-order integers: what the pod network, the service IP
// allocator and the service proxy compute with.

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace mlkube {

struct Ipv4Net {
  uint32_t network = 0;  // host order, host bits zero
  int prefix = 32;

  uint32_t Size() const { return prefix == 0 ? 0xffffffffu : uint32_t{1} << (32 - prefix); }
  uint32_t Last() const { return network + (Size() - 1); }  // the broadcast address
  bool Contains(uint32_t ip) const { return ip >= network && ip <= Last(); }
  std::string ToString() const;
};

std::optional<uint32_t> ParseIpv4(const std::string& text);
std::string FormatIpv4(uint32_t host_order);
// "10.88.0.0/16"; `what` names the setting in the error ("pod CIDR", "service CIDR").
Result<Ipv4Net> ParseIpv4Cidr(const std::string& cidr, const std::string& what);

}  // namespace mlkube
