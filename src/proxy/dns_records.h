#pragma once
// The cluster's DNS zone, as the Kubernetes DNS specification defines it, computed from
// Services and EndpointSlices (pure, so the naming rules are tested without a resolver):
//
//   <svc>.<ns>.svc.<zone>               A      the cluster IP; for a headless Service the
//                                              ready endpoints' addresses
//   <hostname>.<svc>.<ns>.svc.<zone>    A      an endpoint of a headless Service that has a
//                                              hostname (pods with spec.subdomain = <svc>, such
//                                              as an Indexed Job's); others get their address
//                                              with dashes as a name
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV  per named port: the Service name, or each
//                                              endpoint of a headless Service
//   <svc>.<ns>.svc.<zone>               CNAME  an ExternalName Service's externalName
//   <a-b-c-d>.<ns>.pod.<zone>           A      any pod address (answered without a table)
//
// A name in the zone that holds none of the asked type answers NOERROR with no records (so
// an AAAA query does not make the A records disappear); an unknown name is NXDOMAIN.
// Thread-safety: a built DnsZone is immutable; share it between threads freely.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/json.h"

namespace mlkube::proxy {

struct SrvRecord {
  int port = 0;
  std::string target;  // a name in the zone, with the final dot
  bool operator==(const SrvRecord&) const = default;
};

struct DnsAnswer {
  enum Kind { kNotInZone, kNameError, kFound } kind = kNotInZone;
  std::vector<std::string> a;  // addresses
  std::string cname;           // with the final dot
  std::vector<SrvRecord> srv;
};

class DnsZone {
 public:
  explicit DnsZone(std::string zone = "cluster.local") : zone_(std::move(zone)) {}
  static DnsZone Build(const std::vector<Json>& services, const std::vector<Json>& slices, const std::string& zone);

  // `name` is lower-case and ends in a dot; `type` is "A", "AAAA", "SRV", "CNAME", ...
  DnsAnswer Lookup(const std::string& name, const std::string& type) const;
  const std::string& zone() const { return zone_; }
  // False for a zone not built from the cluster yet (answers in it would be wrong, not empty).
  bool built() const { return built_; }

 private:
  void Add(const std::string& name);  // records the name and its ancestors in the zone

  std::string zone_;
  bool built_ = false;
  std::set<std::string> names_;
  std::map<std::string, std::vector<std::string>> a_;
  std::map<std::string, std::string> cname_;
  std::map<std::string, std::vector<SrvRecord>> srv_;
};

}  // namespace mlkube::proxy
