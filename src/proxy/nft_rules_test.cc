#include "proxy/nft_rules.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "proxy/nftables.h"

namespace mlkube::proxy {
namespace {

Json Service(const std::string& name, Json spec) {
  Json svc = {{"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", spec}};
  if (!spec.contains("type")) svc["spec"]["type"] = "ClusterIP";
  return svc;
}

Json Slice(const std::string& service, Json ports, Json endpoints) {
  return {{"metadata", {{"name", service + "-x"}, {"namespace", "default"}, {"labels", {{"kubernetes.io/service-name", service}}}}},
          {"addressType", "IPv4"},
          {"ports", ports},
          {"endpoints", endpoints}};
}

Json Ep(const std::string& ip, bool ready = true, bool serving = true, bool terminating = false) {
  return {{"addresses", {ip}}, {"conditions", {{"ready", ready}, {"serving", serving}, {"terminating", terminating}}}};
}

bool Has(const std::string& script, const std::string& piece) { return script.find(piece) != std::string::npos; }

class NftRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for nftables";
    config_.table = "mlkt" + std::to_string(::getpid());
    config_.pod_cidr = {0x0a580000, 16};
    auto nft = Nftables::Open();
    ASSERT_TRUE(nft.ok()) << nft.status().message();
    nft_ = std::move(*nft);
  }
  void TearDown() override {
    if (nft_) (void)nft_->Run(DeleteTableScript(config_.table));
  }
  // Builds from what the table holds now and applies: the path the proxy takes.
  Ruleset Apply(const std::vector<Json>& services, const std::vector<Json>& slices) {
    Ruleset r = BuildRuleset(BuildFrontends(services, slices), config_, ParseListing(nft_->ListTable(config_.table)));
    Status st = nft_->Run(r.script);
    EXPECT_TRUE(st.ok()) << st.message() << "\n" << r.script;
    return r;
  }

  RulesConfig config_;
  std::unique_ptr<Nftables> nft_;
};

TEST_F(NftRulesTest, ClusterIPsLoadBalancersAndNodePortsReachReadyEndpoints) {
  Json web = Service("web", {{"clusterIP", "10.96.0.10"},
                             {"type", "LoadBalancer"},
                             {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}, {"nodePort", 30080}}}}});
  web["status"]["loadBalancer"]["ingress"] = {{{"ip", "127.0.0.1"}}};
  Json slice = Slice("web", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}},
                     {Ep("10.88.0.2"), Ep("10.88.0.3"), Ep("10.88.0.4", false, false)});
  Ruleset r = Apply({web}, {slice});
  EXPECT_TRUE(Has(r.script, "10.96.0.10 . tcp . 80 : goto svc/default/web/tcp/80")) << r.script;
  EXPECT_TRUE(Has(r.script, "127.0.0.1 . tcp . 80 : goto svc/default/web/tcp/80"));
  EXPECT_TRUE(Has(r.script, "tcp . 30080 : goto svc/default/web/tcp/80"));
  EXPECT_TRUE(Has(r.script, "numgen random mod 2 vmap"));  // the not-ready endpoint is left out
  EXPECT_TRUE(Has(r.script, "dnat to 10.88.0.2:8080"));
  EXPECT_FALSE(Has(r.script, "10.88.0.4"));
  const std::string listing = nft_->ListTable(config_.table);
  EXPECT_TRUE(Has(listing, "dnat to 10.88.0.3:8080")) << listing;
  EXPECT_EQ(ParseListing(listing), r.objects);
}

TEST_F(NftRulesTest, TerminatingEndpointsServeOnlyWhenNoneIsReady) {
  Json web = Service("web", {{"clusterIP", "10.96.0.10"}, {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}});
  Json ports = {{{"name", ""}, {"port", 8080}, {"protocol", "TCP"}}};
  Ruleset both = Apply({web}, {Slice("web", ports, {Ep("10.88.0.2"), Ep("10.88.0.3", false, true, true)})});
  EXPECT_FALSE(Has(both.script, "10.88.0.3"));
  Ruleset draining = Apply({web}, {Slice("web", ports, {Ep("10.88.0.3", false, true, true)})});
  EXPECT_TRUE(Has(draining.script, "dnat to 10.88.0.3:8080"));
  // The endpoint that went has its chain removed in the same transaction.
  EXPECT_TRUE(Has(draining.script, "delete chain ip " + config_.table + " ep/default/web/tcp/80/10.88.0.2/8080"));
  EXPECT_EQ(ParseListing(nft_->ListTable(config_.table)), draining.objects);
}

TEST_F(NftRulesTest, PortsWithoutEndpointsAreRejectedAndHeadlessServicesGetNothing) {
  Json empty = Service("empty", {{"clusterIP", "10.96.0.11"}, {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}});
  Json headless = Service("headless", {{"clusterIP", "None"}, {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}});
  Json external = Service("ext", {{"type", "ExternalName"}, {"externalName", "example.com"}});
  Ruleset r = Apply({empty, headless, external}, {Slice("headless", Json::array(), {Ep("10.88.0.5")})});
  EXPECT_TRUE(Has(r.script, "add element ip " + config_.table + " no-endpoints { 10.96.0.11 . tcp . 80 }")) << r.script;
  EXPECT_TRUE(r.objects.chains.empty());
  EXPECT_TRUE(Has(nft_->ListTable(config_.table), "10.96.0.11 . tcp . 80"));
}

TEST_F(NftRulesTest, TwoServicesOnOneLoadBalancerPortLeaveItToTheOlder) {
  auto lb = [](const std::string& name, const std::string& ip, const std::string& created) {
    Json s = Service(name, {{"clusterIP", ip}, {"type", "LoadBalancer"}, {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}});
    s["metadata"]["creationTimestamp"] = created;
    s["status"]["loadBalancer"]["ingress"] = {{{"ip", "127.0.0.1"}}};
    return s;
  };
  Json ports = {{{"name", ""}, {"port", 8080}, {"protocol", "TCP"}}};
  Ruleset r = Apply({lb("newer", "10.96.0.21", "2026-01-02T00:00:00Z"), lb("older", "10.96.0.20", "2026-01-01T00:00:00Z")},
                    {Slice("newer", ports, {Ep("10.88.0.3")}), Slice("older", ports, {Ep("10.88.0.2")})});
  EXPECT_TRUE(Has(r.script, "127.0.0.1 . tcp . 80 : goto svc/default/older/tcp/80")) << r.script;
  EXPECT_FALSE(Has(r.script, "127.0.0.1 . tcp . 80 : goto svc/default/newer/tcp/80"));
  EXPECT_TRUE(Has(r.script, "10.96.0.21 . tcp . 80 : goto svc/default/newer/tcp/80"));  // its own address stays
}

TEST_F(NftRulesTest, ClientIPAffinityKeepsItsSetsAcrossUpdates) {
  Json web = Service("web", {{"clusterIP", "10.96.0.10"},
                             {"sessionAffinity", "ClientIP"},
                             {"sessionAffinityConfig", {{"clientIP", {{"timeoutSeconds", 60}}}}},
                             {"ports", {{{"port", 80}, {"protocol", "UDP"}}}}});
  Json ports = {{{"port", 53}, {"protocol", "UDP"}}};
  Ruleset r = Apply({web}, {Slice("web", ports, {Ep("10.88.0.2"), Ep("10.88.0.3")})});
  EXPECT_TRUE(Has(r.script, "timeout 60s")) << r.script;
  EXPECT_TRUE(Has(r.script, "ip saddr @affinity/default/web/udp/80/10.88.0.2/53/60s goto ep/default/web/udp/80/10.88.0.2/53"));
  EXPECT_TRUE(Has(r.script, "meta l4proto udp dnat to 10.88.0.3:53"));
  EXPECT_EQ(r.objects.sets.size(), 2u);
  // The set of the endpoint that stays is not recreated (it would lose its clients).
  ASSERT_TRUE(nft_->Run("add element ip " + config_.table + " affinity/default/web/udp/80/10.88.0.2/53/60s { 10.88.0.9 }").ok());
  Ruleset fewer = Apply({web}, {Slice("web", ports, {Ep("10.88.0.2")})});
  EXPECT_TRUE(Has(fewer.script, "delete set ip " + config_.table + " affinity/default/web/udp/80/10.88.0.3/53/60s"));
  EXPECT_TRUE(Has(nft_->ListTable(config_.table), "10.88.0.9"));
  // A new timeout takes effect (a set's timeout cannot be changed in place).
  web["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] = 120;
  Apply({web}, {Slice("web", ports, {Ep("10.88.0.2")})});
  EXPECT_TRUE(Has(nft_->ListTable(config_.table), "timeout 2m")) << nft_->ListTable(config_.table);
  EXPECT_FALSE(Has(nft_->ListTable(config_.table), "timeout 1m")) << nft_->ListTable(config_.table);
  // And everything goes with the service.
  Ruleset none = Apply({}, {});
  EXPECT_TRUE(none.objects.chains.empty());
  EXPECT_EQ(ParseListing(nft_->ListTable(config_.table)), TableObjects{});
}

}  // namespace
}  // namespace mlkube::proxy
