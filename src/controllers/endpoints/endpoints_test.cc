#include "controllers/endpoints/endpoints.h"

#include <gtest/gtest.h>

namespace mlkube::controllers {
namespace {

Json Service(Json spec) {
  spec["selector"] = {{"app", "model"}};
  return {{"metadata", {{"name", "model-service"}, {"namespace", "default"}, {"uid", "s1"}}}, {"spec", spec}};
}

// A running pod `name` with IP `ip`, ready or not, declaring container port http=8080.
Json Pod(const std::string& name, const std::string& ip, bool ready, Json extra = Json::object()) {
  Json pod = {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name}, {"labels", {{"app", "model"}}}}},
              {"spec", {{"nodeName", "n1"}, {"containers", {{{"name", "c"}, {"ports", {{{"name", "http"}, {"containerPort", 8080}}}}}}}}},
              {"status", {{"phase", "Running"}, {"podIP", ip}, {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
  pod.merge_patch(extra);
  return pod;
}

Json Conditions(bool ready, bool serving, bool terminating) {
  return {{"ready", ready}, {"serving", serving}, {"terminating", terminating}};
}

TEST(EndpointsTest, SelectorMatchesLabelsInTheSameNamespace) {
  Json svc = Service({});
  EXPECT_TRUE(ServiceSelects(svc, Pod("a", "10.88.0.2", true)));
  EXPECT_FALSE(ServiceSelects(svc, Pod("a", "10.88.0.2", true, {{"metadata", {{"namespace", "other"}}}})));
  EXPECT_FALSE(ServiceSelects(svc, Pod("a", "10.88.0.2", true, {{"metadata", {{"labels", {{"app", "x"}}}}}})));
  Json no_selector = svc;
  no_selector["spec"].erase("selector");
  EXPECT_FALSE(ServiceSelects(no_selector, Pod("a", "10.88.0.2", true)));
}

TEST(EndpointsTest, ReadinessTerminationAndPhaseDecideConditions) {
  Json svc = Service({{"ports", {{{"name", "web"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}}}}});
  std::vector<Json> pods = {
      Pod("a", "10.88.0.2", true),
      Pod("b", "10.88.0.3", false),
      Pod("c", "10.88.0.4", true, {{"metadata", {{"deletionTimestamp", "2026-01-01T00:00:00Z"}}}}),
      Pod("d", "", false),                                               // no IP yet
      Pod("e", "10.88.0.6", false, {{"status", {{"phase", "Failed"}}}}),  // ended
  };
  ServiceEndpoints got = ComputeEndpoints(svc, pods);
  ASSERT_EQ(got.slices.size(), 1u);
  const Json& eps = got.slices[0]["endpoints"];
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_EQ(eps[0]["addresses"], Json::array({"10.88.0.2"}));
  EXPECT_EQ(eps[0]["conditions"], Conditions(true, true, false));
  EXPECT_EQ(eps[1]["conditions"], Conditions(false, false, false));
  EXPECT_EQ(eps[2]["conditions"], Conditions(false, true, true));
  EXPECT_EQ(eps[0]["targetRef"]["name"], "a");
  EXPECT_EQ(eps[0]["nodeName"], "n1");
  EXPECT_EQ(got.slices[0]["ports"], Json::parse(R"([{"name":"web","port":8080,"protocol":"TCP"}])"));
  // Endpoints: ready under addresses, not ready under notReadyAddresses, terminating nowhere.
  ASSERT_EQ(got.subsets.size(), 1u);
  EXPECT_EQ(got.subsets[0]["addresses"].size(), 1u);
  EXPECT_EQ(got.subsets[0]["addresses"][0]["ip"], "10.88.0.2");
  EXPECT_EQ(got.subsets[0]["notReadyAddresses"].size(), 1u);
  EXPECT_EQ(got.subsets[0]["notReadyAddresses"][0]["ip"], "10.88.0.3");
  EXPECT_TRUE(got.unresolved_ports.empty());

  // publishNotReadyAddresses: every endpoint is ready.
  svc["spec"]["publishNotReadyAddresses"] = true;
  got = ComputeEndpoints(svc, pods);
  for (const Json& ep : got.slices[0]["endpoints"]) EXPECT_TRUE(ep["conditions"]["ready"].get<bool>());
  EXPECT_FALSE(got.slices[0]["endpoints"][1]["conditions"]["serving"].get<bool>());  // still the pod's own
  EXPECT_FALSE(got.subsets[0].contains("notReadyAddresses"));
}

TEST(EndpointsTest, NamedTargetPortsResolvePerPod) {
  Json svc = Service({{"ports", {{{"name", "web"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}},
                                 {{"name", "metrics"}, {"port", 9090}, {"targetPort", 9100}, {"protocol", "TCP"}}}}});
  Json other_port = Pod("b", "10.88.0.3", true);
  other_port["spec"]["containers"][0]["ports"][0]["containerPort"] = 9000;
  Json no_port = Pod("c", "10.88.0.4", true);
  no_port["spec"]["containers"][0].erase("ports");
  ServiceEndpoints got = ComputeEndpoints(svc, {Pod("a", "10.88.0.2", true), other_port, no_port});
  // Three port sets: http=8080, http=9000, and the metrics port alone.
  ASSERT_EQ(got.slices.size(), 3u);
  std::set<std::string> sets;
  for (const Json& s : got.slices) sets.insert(s["ports"].dump());
  EXPECT_TRUE(sets.count(R"([{"name":"metrics","port":9100,"protocol":"TCP"}])"));
  EXPECT_EQ(got.subsets.size(), 3u);

  // No selected pod declares the name: the service port has no endpoints, and that is said.
  svc["spec"]["ports"][0]["targetPort"] = "grpc";
  got = ComputeEndpoints(svc, {Pod("a", "10.88.0.2", true)});
  ASSERT_EQ(got.unresolved_ports.size(), 1u);
  EXPECT_EQ(got.unresolved_ports[0], "grpc (port 80)");
}

TEST(EndpointsTest, HostnamesForPodsOfTheServicesSubdomain) {
  Json svc = Service({{"clusterIP", "None"}});
  Json in = Pod("train-0", "10.88.0.2", true, {{"spec", {{"hostname", "train-0"}, {"subdomain", "model-service"}}}});
  Json out = Pod("train-1", "10.88.0.3", true, {{"spec", {{"hostname", "train-1"}, {"subdomain", "elsewhere"}}}});
  ServiceEndpoints got = ComputeEndpoints(svc, {in, out});
  ASSERT_EQ(got.slices.size(), 1u);
  EXPECT_EQ(got.slices[0]["endpoints"][0]["hostname"], "train-0");
  EXPECT_FALSE(got.slices[0]["endpoints"][1].contains("hostname"));
  EXPECT_EQ(got.subsets[0]["addresses"][0]["hostname"], "train-0");
}

TEST(EndpointsTest, NoPodsLeaveOneEmptySliceAndBigServicesAreSplit) {
  Json svc = Service({{"ports", {{{"port", 80}, {"targetPort", 8080}, {"protocol", "TCP"}}}}});
  ServiceEndpoints none = ComputeEndpoints(svc, {});
  ASSERT_EQ(none.slices.size(), 1u);
  EXPECT_TRUE(none.slices[0]["endpoints"].empty());
  EXPECT_TRUE(none.subsets.empty());
  std::vector<Json> pods;
  for (int i = 0; i < 250; ++i) pods.push_back(Pod("p" + std::to_string(1000 + i), "10.88.1." + std::to_string(i), true));
  ServiceEndpoints many = ComputeEndpoints(svc, pods);
  ASSERT_EQ(many.slices.size(), 3u);
  EXPECT_EQ(many.slices[0]["endpoints"].size(), 100u);
  EXPECT_EQ(many.slices[2]["endpoints"].size(), 50u);
}

}  // namespace
}  // namespace mlkube::controllers
