#include "agent/resolv_conf.h"

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

const char kHost[] = "# host\nnameserver 10.255.255.53\nnameserver 1.1.1.1\nsearch corp.example\noptions edns0 timeout:2\n";

Json Pod(Json spec) { return {{"metadata", {{"name", "p"}, {"namespace", "ml"}}}, {"spec", spec}}; }

TEST(ResolvConfTest, PoliciesAsTheKubeletWritesThem) {
  struct Case {
    Json spec;
    std::string want;
  };
  const std::string cluster =
      "nameserver 10.88.0.1\nsearch ml.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n";
  const std::string host = "nameserver 10.255.255.53\nnameserver 1.1.1.1\nsearch corp.example\noptions edns0 timeout:2\n";
  for (const Case& c : std::vector<Case>{
           {Json::object(), cluster},
           {{{"dnsPolicy", "ClusterFirst"}}, cluster},
           {{{"dnsPolicy", "ClusterFirst"}, {"hostNetwork", true}}, host},
           {{{"dnsPolicy", "ClusterFirstWithHostNet"}, {"hostNetwork", true}}, cluster},
           {{{"dnsPolicy", "Default"}}, host},
           {{{"dnsPolicy", "None"},
             {"dnsConfig",
              {{"nameservers", {"192.0.2.53"}}, {"searches", {"a.example"}}, {"options", {{{"name", "ndots"}, {"value", "2"}}}}}}},
            "nameserver 192.0.2.53\nsearch a.example\noptions ndots:2\n"},
           {{{"dnsConfig", {{"nameservers", {"192.0.2.53"}}, {"options", {{{"name", "ndots"}, {"value", "1"}}, {{"name", "rotate"}}}}}}},
            "nameserver 10.88.0.1\nnameserver 192.0.2.53\nsearch ml.svc.cluster.local svc.cluster.local cluster.local "
            "corp.example\noptions ndots:1 rotate\n"},
       }) {
    EXPECT_EQ(PodResolvConf(Pod(c.spec), kHost, "10.88.0.1", "cluster.local"), c.want) << c.spec.dump();
  }
}

}  // namespace
}  // namespace mlkube::agent
