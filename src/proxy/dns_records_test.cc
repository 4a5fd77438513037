#include "proxy/dns_records.h"

#include <gtest/gtest.h>

namespace mlkube::proxy {
namespace {

Json Service(const std::string& name, Json spec) {
  return {{"metadata", {{"name", name}, {"namespace", "ml"}}}, {"spec", spec}};
}

Json Slice(const std::string& service, Json ports, Json endpoints) {
  return {{"metadata", {{"namespace", "ml"}, {"labels", {{"kubernetes.io/service-name", service}}}}},
          {"addressType", "IPv4"},
          {"ports", ports},
          {"endpoints", endpoints}};
}

DnsZone Zone() {
  std::vector<Json> services = {
      Service("model-service", {{"type", "ClusterIP"},
                                {"clusterIP", "10.96.0.20"},
                                {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}),
      Service("train", {{"type", "ClusterIP"}, {"clusterIP", "None"}}),
      Service("docs", {{"type", "ExternalName"}, {"externalName", "example.com"}}),
  };
  std::vector<Json> slices = {Slice(
      "train", {{{"name", "nccl"}, {"port", 29500}, {"protocol", "TCP"}}},
      {{{"addresses", {"10.88.0.7"}}, {"hostname", "train-0"}, {"conditions", {{"ready", true}}}},
       {{"addresses", {"10.88.0.8"}}, {"conditions", {{"ready", true}}}},
       {{"addresses", {"10.88.0.9"}}, {"hostname", "train-2"}, {"conditions", {{"ready", false}}}}})};
  return DnsZone::Build(services, slices, "cluster.local");
}

TEST(DnsZoneTest, ServicesResolveToTheirClusterIP) {
  DnsZone z = Zone();
  DnsAnswer a = z.Lookup("model-service.ml.svc.cluster.local.", "A");
  EXPECT_EQ(a.kind, DnsAnswer::kFound);
  EXPECT_EQ(a.a, std::vector<std::string>{"10.96.0.20"});
  // Other types of an existing name: found, nothing to give.
  DnsAnswer aaaa = z.Lookup("model-service.ml.svc.cluster.local.", "AAAA");
  EXPECT_EQ(aaaa.kind, DnsAnswer::kFound);
  EXPECT_TRUE(aaaa.a.empty());
  DnsAnswer srv = z.Lookup("_http._tcp.model-service.ml.svc.cluster.local.", "SRV");
  ASSERT_EQ(srv.srv.size(), 1u);
  EXPECT_EQ(srv.srv[0], (SrvRecord{80, "model-service.ml.svc.cluster.local."}));
  // What the search path tries first for "model-service.ml" does not exist.
  EXPECT_EQ(z.Lookup("model-service.ml.ml.svc.cluster.local.", "A").kind, DnsAnswer::kNameError);
  EXPECT_EQ(z.Lookup("nope.ml.svc.cluster.local.", "A").kind, DnsAnswer::kNameError);
  // Intermediate names exist, empty.
  EXPECT_EQ(z.Lookup("ml.svc.cluster.local.", "A").kind, DnsAnswer::kFound);
  EXPECT_EQ(z.Lookup("example.org.", "A").kind, DnsAnswer::kNotInZone);
}

TEST(DnsZoneTest, HeadlessServicesNameTheirReadyEndpoints) {
  DnsZone z = Zone();
  EXPECT_EQ(z.Lookup("train.ml.svc.cluster.local.", "A").a, (std::vector<std::string>{"10.88.0.7", "10.88.0.8"}));
  EXPECT_EQ(z.Lookup("train-0.train.ml.svc.cluster.local.", "A").a, std::vector<std::string>{"10.88.0.7"});
  EXPECT_EQ(z.Lookup("10-88-0-8.train.ml.svc.cluster.local.", "A").a, std::vector<std::string>{"10.88.0.8"});
  EXPECT_EQ(z.Lookup("train-2.train.ml.svc.cluster.local.", "A").kind, DnsAnswer::kNameError);
  DnsAnswer srv = z.Lookup("_nccl._tcp.train.ml.svc.cluster.local.", "SRV");
  ASSERT_EQ(srv.srv.size(), 2u);
  EXPECT_EQ(srv.srv[0], (SrvRecord{29500, "train-0.train.ml.svc.cluster.local."}));
}

TEST(DnsZoneTest, ExternalNamesAndPodAddresses) {
  DnsZone z = Zone();
  EXPECT_EQ(z.Lookup("docs.ml.svc.cluster.local.", "A").cname, "example.com.");
  EXPECT_EQ(z.Lookup("10-88-0-4.ml.pod.cluster.local.", "A").a, std::vector<std::string>{"10.88.0.4"});
  EXPECT_EQ(z.Lookup("10-88-0-999.ml.pod.cluster.local.", "A").kind, DnsAnswer::kNameError);
}

}  // namespace
}  // namespace mlkube::proxy
