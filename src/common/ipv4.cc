#include "common/ipv4.h"

#include <charconv>

#include <arpa/inet.h>

namespace mlkube {

std::optional<uint32_t> ParseIpv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::string Ipv4Net::ToString() const { return FormatIpv4(network) + "/" + std::to_string(prefix); }

Result<Ipv4Net> ParseIpv4Cidr(const std::string& cidr, const std::string& what) {
  auto bad = [&](const std::string& why) {
    return Status(Code::kInvalid, "invalid " + what + " \"" + cidr + "\": " + why);
  };
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return bad("want an IPv4 network like 10.88.0.0/16");
  auto ip = ParseIpv4(cidr.substr(0, slash));
  int prefix = -1;
  const char* end = cidr.data() + cidr.size();
  auto [p, ec] = std::from_chars(cidr.data() + slash + 1, end, prefix);
  if (!ip || ec != std::errc() || p != end || prefix < 0 || prefix > 32) {
    return bad("want an IPv4 network like 10.88.0.0/16");
  }
  Ipv4Net net;
  net.prefix = prefix;
  net.network = *ip & (prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix));
  return net;
}

}  // namespace mlkube
