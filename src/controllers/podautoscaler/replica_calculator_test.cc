// Cases after Kubernetes' replica_calculator_test.go and horizontal_test.go.
#include "controllers/podautoscaler/replica_calculator.h"

#include <gtest/gtest.h>

#include <limits>

namespace mlkube::controllers {
namespace {

using namespace std::chrono_literals;

std::vector<HpaPod> Pods(int n, int64_t request) {
  std::vector<HpaPod> out;
  for (int i = 0; i < n; ++i) out.push_back({"p" + std::to_string(i), false, false, false, request, ""});
  return out;
}

PodValues Values(const std::vector<int64_t>& v) {
  PodValues out;
  for (size_t i = 0; i < v.size(); ++i) out["p" + std::to_string(i)] = v[i];
  return out;
}

TEST(ReplicaCalculatorTest, UtilizationScalesByTheRatioOutsideTheTolerance) {
  auto up = UtilizationReplicas(3, 30, Values({300, 500, 700}), Pods(3, 1000), true, "cpu");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->replicas, 5);
  EXPECT_EQ(up->utilization, 50);
  EXPECT_EQ(up->average_value, 500);
  auto down = UtilizationReplicas(5, 50, Values({100, 300, 500, 250, 250}), Pods(5, 1000), true, "cpu");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->replicas, 3);
  EXPECT_EQ(down->utilization, 28);
  auto within = UtilizationReplicas(3, 100, Values({1050, 1000, 1040}), Pods(3, 1000), true, "cpu");
  ASSERT_TRUE(within.ok());
  EXPECT_EQ(within->replicas, 3);
}

TEST(ReplicaCalculatorTest, MissingAndUnreadyPodsNeverHelpTheDirectionTheSamplesPointIn) {
  // Scale up: a pod without samples counts as idle.
  auto up = UtilizationReplicas(4, 50, Values({100, 100, 100}), Pods(4, 100), true, "cpu");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->replicas, 6);
  // Scale down: it counts as using its whole request.
  auto down = UtilizationReplicas(4, 50, Values({10, 10, 10}), Pods(4, 100), true, "cpu");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->replicas, 3);
  // Scale up with a pod not ready yet: its CPU counts as nothing.
  auto pods = Pods(3, 100);
  pods[2].cpu_unready = true;
  auto unready = UtilizationReplicas(3, 50, Values({100, 100, 900}), pods, true, "cpu");
  ASSERT_TRUE(unready.ok());
  EXPECT_EQ(unready->replicas, 4);
  EXPECT_EQ(unready->utilization, 100);  // from the ready pods only
  // Memory does not wait for readiness.
  auto memory = UtilizationReplicas(3, 50, Values({100, 100, 100}), pods, false, "memory");
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(memory->replicas, 6);
  // Pending pods are unready; deleted ones do not count.
  pods = Pods(3, 100);
  pods[1].pending = true;
  pods[2].ignored = true;
  auto mixed = UtilizationReplicas(3, 50, Values({100, 0, 500}), pods, true, "cpu");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->replicas, 3);  // (100 + 0) / 200 = 50 %: within tolerance once pending counts as idle
}

TEST(ReplicaCalculatorTest, AverageValuesAndErrors) {
  auto avg = AverageValueReplicas(2, 100, Values({200, 300}), Pods(2, 0), false);
  ASSERT_TRUE(avg.ok());
  EXPECT_EQ(avg->replicas, 5);
  EXPECT_EQ(avg->average_value, 250);
  auto missing_down = AverageValueReplicas(3, 100, Values({20, 20}), Pods(3, 0), false);
  ASSERT_TRUE(missing_down.ok());
  EXPECT_EQ(missing_down->replicas, 2);  // (20 + 20 + 100) / 3 = 46: ceil(0.46 * 3)

  EXPECT_EQ(UtilizationReplicas(1, 50, {}, {}, true, "cpu").status().message(),
            "no pods returned by selector while calculating replica count");
  EXPECT_EQ(UtilizationReplicas(1, 50, {}, Pods(1, 100), true, "cpu").status().message(),
            "did not receive metrics for targeted pods (pods might be unready)");
  auto no_request = Pods(1, 0);
  no_request[0].missing_request = "app";
  EXPECT_EQ(UtilizationReplicas(1, 50, Values({10}), no_request, true, "cpu").status().message(),
            "missing request for cpu in container app of Pod p0");
}

TEST(ReplicaCalculatorTest, LargeValuesDoNotOverflow) {
  // 4 TiB of memory a pod, in milli-bytes (4.4e15): a 64-bit sum times 100 would wrap.
  const int64_t tib4 = int64_t{4} << 40;
  auto util = UtilizationReplicas(3, 50, Values({tib4 * 1000, tib4 * 1000, tib4 * 1000}), Pods(3, tib4 * 1000), false,
                                  "memory");
  ASSERT_TRUE(util.ok());
  EXPECT_EQ(util->utilization, 100);
  EXPECT_EQ(util->replicas, 6);
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
  auto avg = AverageValueReplicas(3, huge, Values({huge, huge, huge}), Pods(3, 0), false);
  ASSERT_TRUE(avg.ok());
  EXPECT_EQ(avg->average_value, huge);
  EXPECT_EQ(avg->replicas, 3);
}

TEST(ReplicaCalculatorTest, ObjectMetricsByValueAndPerReplica) {
  // Value: the ratio applied to the ready pods, unless within the tolerance.
  EXPECT_EQ(ObjectReplicas(3, 2000, 1000, false, 3).replicas, 6);
  EXPECT_EQ(ObjectReplicas(3, 2000, 1000, false, 2).replicas, 4);  // one replica not ready yet
  EXPECT_EQ(ObjectReplicas(3, 1050, 1000, false, 3).replicas, 3);
  EXPECT_EQ(ObjectReplicas(0, 2500, 1000, false, 0).replicas, 3);
  EXPECT_EQ(ObjectReplicas(3, 2000, 1000, false, 3).average_value, 2000);
  // AverageValue: the value shared among the current replicas.
  const Proposal per = ObjectReplicas(2, 3000, 1000, true, 2);
  EXPECT_EQ(per.replicas, 3);
  EXPECT_EQ(per.average_value, 1500);
  EXPECT_EQ(ObjectReplicas(2, 2100, 1000, true, 2).replicas, 2);
  EXPECT_EQ(ObjectReplicas(4, 500, 1000, true, 4).replicas, 1);
}

TEST(ReplicaCalculatorTest, NormalizeAppliesWindowsPoliciesAndBounds) {
  const HpaTime now = std::chrono::system_clock::now();
  const auto defaults = BehaviorFrom(Json::object());
  ASSERT_TRUE(defaults);
  std::vector<Recommendation> history;
  // Up from 1: the default policies allow max(+4 pods, +100 %) per 15 s.
  Decision d = Normalize(1, 10, 1, 20, defaults, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 5);
  EXPECT_TRUE(d.limited);
  EXPECT_EQ(d.limited_reason, "ScaleUpLimit");
  EXPECT_EQ(d.able_reason, "ReadyForNewScale");
  // And not again within the period: 4 were just added.
  d = Normalize(5, 10, 1, 20, defaults, 300s, history, {{now - 5s, 4}}, now);
  EXPECT_EQ(d.replicas, 5);
  EXPECT_EQ(d.limited_reason, "ScaleUpLimit");
  // Bounded by maxReplicas.
  d = Normalize(3, 10, 1, 4, defaults, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 4);
  EXPECT_EQ(d.limited_reason, "TooManyReplicas");

  // Down: the highest recommendation of the last 300 s holds.
  history = {{now - 60s, 5}};
  d = Normalize(5, 2, 1, 20, defaults, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 5);
  EXPECT_EQ(d.able_reason, "ScaleDownStabilized");
  EXPECT_FALSE(d.limited);
  // Once the window has passed, down it goes (the old sample is replaced, not kept).
  history = {{now - 400s, 5}};
  d = Normalize(5, 2, 1, 20, defaults, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 2);
  EXPECT_EQ(history.size(), 1u);
  // A short window and a one-pod-a-minute policy, as a test would set them.
  auto slow = BehaviorFrom(Json::parse(
      R"({"scaleDown":{"stabilizationWindowSeconds":5,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]}})"));
  history.clear();
  d = Normalize(4, 1, 1, 20, slow, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.limited_reason, "ScaleDownLimit");
  // minReplicas holds.
  history.clear();
  d = Normalize(4, 1, 3, 20, defaults, 0s, history, {}, now);
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.limited_reason, "TooFewReplicas");

  // Without spec.behavior: up to max(2x, 4) at once, down held for the legacy window.
  history.clear();
  d = Normalize(2, 10, 1, 20, std::nullopt, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 4);
  EXPECT_EQ(d.limited_reason, "ScaleUpLimit");
  history = {{now - 10s, 6}};
  d = Normalize(6, 2, 1, 20, std::nullopt, 300s, history, {}, now);
  EXPECT_EQ(d.replicas, 6);
  EXPECT_EQ(d.able_reason, "ScaleDownStabilized");
}

}  // namespace
}  // namespace mlkube::controllers
