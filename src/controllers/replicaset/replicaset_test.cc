#include "controllers/replicaset/replicaset_controller.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mlkube::controllers {
namespace {

Json Pod(const std::string& name, const std::string& node, const std::string& phase, bool ready,
         const std::string& ready_since = "2026-01-01T00:00:00Z", int restarts = 0,
         const std::string& created = "2026-01-01T00:00:00Z") {
  Json p = {{"metadata", {{"name", name}, {"creationTimestamp", created}, {"labels", {{"app", "web"}}}}},
            {"spec", {{"nodeName", node}}},
            {"status",
             {{"phase", phase},
              {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}, {"lastTransitionTime", ready_since}}}},
              {"containerStatuses", {{{"name", "m"}, {"restartCount", restarts}}}}}}};
  return p;
}

TEST(ReplicaSetTest, SurplusPodsGoLeastValuableFirst) {
  std::vector<Json> pods = {
      Pod("ready-old", "n", "Running", true, "2026-01-01T00:00:00Z"),
      Pod("unscheduled", "", "Pending", false),
      Pod("pending", "n", "Pending", false),
      Pod("not-ready", "n", "Running", false),
      Pod("ready-new", "n", "Running", true, "2026-01-02T00:00:00Z"),
      Pod("restarted", "n", "Running", true, "2026-01-01T00:00:00Z", 3),
  };
  std::stable_sort(pods.begin(), pods.end(), DeleteBefore);
  std::vector<std::string> order;
  for (const Json& p : pods) order.push_back(p["metadata"]["name"]);
  EXPECT_EQ(order, (std::vector<std::string>{"unscheduled", "pending", "not-ready", "ready-new", "restarted", "ready-old"}));
}

TEST(ReplicaSetTest, StatusCountsLabelledReadyAndAvailablePods) {
  Json rs = {{"metadata", {{"generation", 4}}},
             {"spec", {{"minReadySeconds", 30}, {"template", {{"metadata", {{"labels", {{"app", "web"}, {"tier", "fe"}}}}}}}}}};
  const Time now = *TimeField(Json{{"t", "2026-01-01T00:01:00Z"}}, "t");
  Json labelled = Pod("a", "n", "Running", true, "2026-01-01T00:00:00Z");
  labelled["metadata"]["labels"]["tier"] = "fe";
  std::vector<Json> pods = {labelled, Pod("b", "n", "Running", true, "2026-01-01T00:00:45Z"), Pod("c", "n", "Pending", false)};
  Json status = ReplicaSetStatus(rs, pods, now);
  EXPECT_EQ(status, (Json{{"replicas", 3}, {"fullyLabeledReplicas", 1}, {"readyReplicas", 2}, {"availableReplicas", 1},
                          {"observedGeneration", 4}}));
}

}  // namespace
}  // namespace mlkube::controllers
