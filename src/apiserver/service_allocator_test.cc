#include "apiserver/service_allocator.h"

#include <gtest/gtest.h>

#include <set>

namespace mlkube::apiserver {
namespace {

ServiceAllocator Small() {
  ServiceAllocator::Options o;
  o.cidr = {0x0a600000, 29};  // 10.96.0.0/29: .2 to .6 are handed out
  o.node_port_min = 30000;
  o.node_port_max = 30002;
  return ServiceAllocator(o);
}

Json Svc(const std::string& name, Json spec) {
  if (!spec.contains("type")) spec["type"] = "ClusterIP";
  return {{"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", spec}};
}

TEST(ServiceAllocatorTest, HandsOutFreeAddressesUntilTheRangeIsFull) {
  ServiceAllocator a = Small();
  std::vector<Json> stored;
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    Json s = Svc("s" + std::to_string(i), {{"ports", {{{"port", 80}}}}});
    ASSERT_TRUE(a.Allocate(s, nullptr, stored).ok());
    const std::string ip = s["spec"]["clusterIP"];
    EXPECT_EQ(s["spec"]["clusterIPs"], Json::array({ip}));
    EXPECT_NE(ip, "10.96.0.0");  // the network
    EXPECT_NE(ip, "10.96.0.1");  // kept for the kubernetes service
    EXPECT_NE(ip, "10.96.0.7");  // broadcast
    EXPECT_TRUE(seen.insert(ip).second) << ip;
    stored.push_back(s);
  }
  Json full = Svc("full", {});
  Status st = a.Allocate(full, nullptr, stored);
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_EQ(st.message(), "failed to allocate a serviceIP: range is full");
}

TEST(ServiceAllocatorTest, RequestedAddressesAreCheckedAgainstRangeAndOthers) {
  ServiceAllocator a = Small();
  std::vector<Json> stored = {Svc("a", {{"clusterIP", "10.96.0.3"}, {"clusterIPs", {"10.96.0.3"}}})};
  struct Case {
    std::string ip;
    Code code;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"10.96.0.4", Code::kOk, ""},
           {"10.96.0.3", Code::kInvalid,
            "Service \"b\" is invalid: spec.clusterIPs: Invalid value: [\"10.96.0.3\"]: failed to allocate IP "
            "10.96.0.3: provided IP is already allocated"},
           {"10.0.0.9", Code::kInvalid,
            "Service \"b\" is invalid: spec.clusterIPs: Invalid value: [\"10.0.0.9\"]: failed to allocate IP 10.0.0.9: "
            "the provided IP (10.0.0.9) is not in the valid range. The range of valid IPs is 10.96.0.0/29"},
           {"None", Code::kOk, ""},
       }) {
    Json s = Svc("b", {{"clusterIP", c.ip}, {"clusterIPs", {c.ip}}});
    Status st = a.Allocate(s, nullptr, stored);
    EXPECT_EQ(st.code(), c.code) << c.ip << ": " << st.message();
    if (!c.message.empty()) {
      EXPECT_EQ(st.message(), c.message);
    }
    if (st.ok()) {
      EXPECT_EQ(s["spec"]["clusterIP"], c.ip);
    }
  }
}

TEST(ServiceAllocatorTest, UpdatesKeepAddressesAndNodePorts) {
  ServiceAllocator a = Small();
  Json old = Svc("web", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}});
  ASSERT_TRUE(a.Allocate(old, nullptr, {}).ok());
  const Json ip = old["spec"]["clusterIP"];
  const Json node_port = old["spec"]["ports"][0]["nodePort"];
  ASSERT_TRUE(node_port.is_number_integer());

  // kubectl apply without the allocated fields: they stay; a new port gets its own node port.
  Json next = Svc("web", {{"type", "NodePort"},
                          {"ports", {{{"port", 80}, {"protocol", "TCP"}}, {{"port", 81}, {"protocol", "TCP"}}}}});
  ASSERT_TRUE(a.Allocate(next, &old, {}).ok());
  EXPECT_EQ(next["spec"]["clusterIP"], ip);
  EXPECT_EQ(next["spec"]["ports"][0]["nodePort"], node_port);
  EXPECT_NE(next["spec"]["ports"][1]["nodePort"], node_port);

  // Back to ClusterIP: the node ports go, the address stays.
  Json back = next;
  back["spec"]["type"] = "ClusterIP";
  ServiceAllocator::DropTypeDependentFields(back, next);
  ASSERT_TRUE(a.Allocate(back, &next, {}).ok());
  EXPECT_FALSE(back["spec"]["ports"][0].contains("nodePort"));
  EXPECT_EQ(back["spec"]["clusterIP"], ip);

  // To ExternalName: the address goes too.
  Json external = back;
  external["spec"]["type"] = "ExternalName";
  external["spec"]["externalName"] = "example.com";
  ServiceAllocator::DropTypeDependentFields(external, back);
  ASSERT_TRUE(a.Allocate(external, &back, {}).ok());
  EXPECT_FALSE(external["spec"].contains("clusterIP"));
}

TEST(ServiceAllocatorTest, NodePortsAreCheckedAndRunOut) {
  ServiceAllocator a = Small();
  std::vector<Json> stored = {Svc("a", {{"type", "NodePort"}, {"clusterIP", "None"},
                                        {"ports", {{{"port", 80}, {"nodePort", 30001}}}}})};
  Json taken = Svc("b", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", 30001}}}}});
  Status st = a.Allocate(taken, nullptr, stored);
  EXPECT_EQ(st.message(),
            "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated");
  Json outside = Svc("b", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", 80}}}}});
  st = a.Allocate(outside, nullptr, stored);
  EXPECT_EQ(st.message(),
            "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid "
            "range. The range of valid ports is 30000-30002");
  Json two = Svc("b", {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}, {{"port", 81}}}}});
  ASSERT_TRUE(a.Allocate(two, nullptr, stored).ok());
  std::set<int64_t> got = {two["spec"]["ports"][0]["nodePort"], two["spec"]["ports"][1]["nodePort"]};
  EXPECT_EQ(got, (std::set<int64_t>{30000, 30002}));
  stored.push_back(two);
  Json none_left = Svc("c", {{"type", "NodePort"}, {"ports", {{{"port", 80}}}}});
  EXPECT_EQ(a.Allocate(none_left, nullptr, stored).message(), "failed to allocate a nodePort: range is full");
  // LoadBalancers may do without node ports.
  Json lb = Svc("d", {{"type", "LoadBalancer"}, {"allocateLoadBalancerNodePorts", false}, {"ports", {{{"port", 80}}}}});
  EXPECT_TRUE(a.Allocate(lb, nullptr, stored).ok());
  EXPECT_FALSE(lb["spec"]["ports"][0].contains("nodePort"));
}

TEST(ServiceAllocatorTest, LocalLoadBalancersGetAHealthCheckPortFromTheNodePortRange) {
  ServiceAllocator a = Small();
  Json local = Svc("lb", {{"type", "LoadBalancer"}, {"externalTrafficPolicy", "Local"}, {"ports", {{{"port", 80}}}}});
  ASSERT_TRUE(a.Allocate(local, nullptr, {}).ok());
  const int64_t health = local["spec"]["healthCheckNodePort"];
  std::set<int64_t> got = {local["spec"]["ports"][0]["nodePort"], health};
  EXPECT_EQ(got.size(), 2u);
  EXPECT_GE(health, 30000);
  EXPECT_LE(health, 30002);
  // Kept across an update that leaves it out; taken for everyone else.
  Json again = local;
  again["spec"].erase("healthCheckNodePort");
  ASSERT_TRUE(a.Allocate(again, &local, {}).ok());
  EXPECT_EQ(again["spec"]["healthCheckNodePort"], health);
  Json clash = Svc("np", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", health}}}}});
  EXPECT_NE(a.Allocate(clash, nullptr, {local}).message().find("provided port is already allocated"), std::string::npos);
  // Back to Cluster: the field goes (and its port with it).
  Json cluster = local;
  cluster["spec"]["externalTrafficPolicy"] = "Cluster";
  ServiceAllocator::DropTypeDependentFields(cluster, local);
  ASSERT_TRUE(a.Allocate(cluster, &local, {}).ok());
  EXPECT_FALSE(cluster["spec"].contains("healthCheckNodePort"));
  // Asked for where it does not apply: Kubernetes' words.
  Json wrong = Svc("x", {{"type", "NodePort"}, {"healthCheckNodePort", 30001}, {"ports", {{{"port", 80}}}}});
  EXPECT_EQ(a.Allocate(wrong, nullptr, {}).message(),
            "Service \"x\" is invalid: spec.healthCheckNodePort: Invalid value: 30001: may only be set when `type` is "
            "'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
}

}  // namespace
}  // namespace mlkube::apiserver
