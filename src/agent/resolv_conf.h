#pragma once
// A pod's /etc/resolv.conf, as the kubelet writes it from spec.dnsPolicy and spec.dnsConfig:
//   ClusterFirst (the default)  the cluster DNS, search <ns>.svc.<zone> svc.<zone> <zone> and
//                               the host's search domains, options ndots:5
//                               (a hostNetwork pod gets the host's instead, as Default)
//   ClusterFirstWithHostNet     ClusterFirst, hostNetwork or not
//   Default                     the host's resolv.conf
//   None                        dnsConfig alone
// dnsConfig's nameservers and searches are appended, its options override by name; at most 3
// nameservers and 32 search domains are kept, as glibc reads no more.

#include <string>

#include "api/json.h"

namespace mlkube::agent {

std::string PodResolvConf(const Json& pod, const std::string& host_resolv_conf, const std::string& cluster_dns,
                          const std::string& cluster_domain);

}  // namespace mlkube::agent
