#include "controllers/deployment/rollout.h"

#include <gtest/gtest.h>

namespace mlkube::controllers {
namespace {

Json Deployment(int64_t replicas, Json surge, Json unavailable) {
  return {{"metadata", {{"generation", 2}}},
          {"spec",
           {{"replicas", replicas},
            {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", surge}, {"maxUnavailable", unavailable}}}}}}}};
}

Json Set(int64_t spec, int64_t available, int64_t max_replicas = 0, const char* created = "2026-01-01T00:00:00Z") {
  Json rs = {{"metadata", {{"creationTimestamp", created}}}, {"spec", {{"replicas", spec}}},
             {"status", {{"replicas", spec}, {"availableReplicas", available}, {"readyReplicas", available}}}};
  if (max_replicas) rs["metadata"]["annotations"][kMaxReplicasAnnotation] = std::to_string(max_replicas);
  return rs;
}

TEST(RolloutTest, IntOrPercentRoundsSurgeUpAndUnavailabilityDown) {
  struct Case {
    Json value;
    int64_t total;
    bool up;
    int64_t want;
  } cases[] = {{3, 10, true, 3}, {"25%", 10, true, 3}, {"25%", 10, false, 2}, {"100%", 3, false, 3},
               {"0%", 5, true, 0}, {"1%", 1, true, 1},  {"1%", 1, false, 0}};
  for (const auto& c : cases) EXPECT_EQ(ResolveIntOrPercent(c.value, c.total, c.up), c.want) << c.value << " of " << c.total;
}

TEST(RolloutTest, BudgetsDefaultTo25PercentAndNeverBothZero) {
  Json d = {{"spec", {{"replicas", 10}}}};
  EXPECT_EQ(RolloutBudget(d).max_surge, 3);
  EXPECT_EQ(RolloutBudget(d).max_unavailable, 2);
  EXPECT_EQ(RolloutBudget(Deployment(3, 0, 0)).max_unavailable, 1);
  EXPECT_EQ(RolloutBudget(Deployment(2, "25%", "25%")).max_unavailable, 0);  // 0.5 rounds down
  Json recreate = {{"spec", {{"replicas", 3}, {"strategy", {{"type", "Recreate"}}}}}};
  EXPECT_EQ(RolloutBudget(recreate).max_surge, 0);
  EXPECT_EQ(RolloutBudget(recreate).max_unavailable, 0);
}

TEST(RolloutTest, NewReplicaSetGrowsWithinTheSurge) {
  // 10 replicas, surge 3: with 10 old and 0 new, the new one may have 3.
  Json d = Deployment(10, 3, 2);
  Json old_rs = Set(10, 10), new_rs = Set(0, 0);
  EXPECT_EQ(NewReplicaSetReplicas(d, {old_rs, new_rs}, new_rs), 3);
  // Already at 13 pods in all: no more.
  new_rs = Set(3, 0);
  EXPECT_EQ(NewReplicaSetReplicas(d, {old_rs, new_rs}, new_rs), 3);
  // Old scaled down to 5: new may reach 8, never past the replicas.
  old_rs = Set(5, 5);
  EXPECT_EQ(NewReplicaSetReplicas(d, {old_rs, new_rs}, new_rs), 8);
  old_rs = Set(0, 0);
  EXPECT_EQ(NewReplicaSetReplicas(d, {old_rs, new_rs}, new_rs), 10);
}

TEST(RolloutTest, OldReplicaSetsShrinkOnlyAboveTheAvailabilityFloor) {
  Json d = Deployment(10, 3, 2);  // floor: 8 available
  // 10 old available, 3 new not yet available: 13 - 8 - 3 = 2 may go.
  EXPECT_EQ(MaxScaledDown(d, {Set(10, 10), Set(3, 0)}, Set(3, 0)), 2);
  // Once the 3 new are available, 5 may go.
  EXPECT_EQ(MaxScaledDown(d, {Set(10, 10), Set(3, 3)}, Set(3, 3)), 5);
  // With no surge and unavailability 1 on 3 replicas: one at a time.
  Json tight = Deployment(3, 0, 1);
  EXPECT_EQ(MaxScaledDown(tight, {Set(3, 3), Set(0, 0)}, Set(0, 0)), 1);
  EXPECT_EQ(MaxScaledDown(tight, {Set(2, 2), Set(1, 0)}, Set(1, 0)), 0);
}

TEST(RolloutTest, ProportionalScalingKeepsTheRatioAndGivesLeftoversToTheLargest) {
  // Mid-rollout 10 → 20 replicas (surge 3 → 5): 8 old and 5 new were sized for max 13.
  Json d = Deployment(20, 5, 0);
  auto sizes = ProportionalScale(d, {Set(8, 8, 13, "2026-01-01T00:00:00Z"), Set(5, 0, 13, "2026-01-02T00:00:00Z")});
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0] + sizes[1], 25);
  EXPECT_EQ(sizes[0], 15);  // round(8 * 25 / 13) = 15
  EXPECT_EQ(sizes[1], 10);  // round(5 * 25 / 13) = 10
  // Scaling down to 5 (surge 2 → 7) shrinks both.
  Json down = Deployment(5, 2, 0);
  sizes = ProportionalScale(down, {Set(8, 8, 13), Set(5, 0, 13)});
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 3}));  // round(8 * 7 / 13), round(5 * 7 / 13)
  // To zero: everything goes, whatever the surge.
  sizes = ProportionalScale(Deployment(0, 3, 0), {Set(8, 8, 13), Set(5, 0, 13)});
  EXPECT_EQ(sizes, (std::vector<int64_t>{0, 0}));
}

TEST(RolloutTest, TemplateHashIsStableAndChangesWithTheTemplateOrCollisions) {
  Json t = {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", {{{"name", "m"}, {"image", "a"}}}}}}};
  const std::string h = PodTemplateHash(t, 0);
  EXPECT_EQ(h, PodTemplateHash(t, 0));
  EXPECT_NE(h, PodTemplateHash(t, 1));
  Json t2 = t;
  t2["spec"]["containers"][0]["image"] = "b";
  EXPECT_NE(h, PodTemplateHash(t2, 0));
  EXPECT_EQ(h.find_first_not_of("bcdfghjklmnpqrstvwxz2456789"), std::string::npos) << h;
}

TEST(RolloutTest, TemplatesCompareIgnoringTheHashLabelAndEmptyFields) {
  Json t = {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", {{{"name", "m"}, {"image", "a"}}}}}}};
  Json rs = t;
  rs["metadata"]["labels"][kPodTemplateHashLabel] = "abc";
  EXPECT_TRUE(EqualIgnoringHash(t, rs));
  Json undone = t;  // as `kubectl rollout undo` sends it back
  undone["spec"]["containers"][0]["resources"] = Json::object();
  EXPECT_TRUE(EqualIgnoringHash(undone, rs));
  Json other = t;
  other["spec"]["containers"][0]["image"] = "b";
  EXPECT_FALSE(EqualIgnoringHash(other, rs));
}

TEST(RolloutTest, AvailableConditionFollowsTheFloorAndKeepsItsTransitionTime) {
  Json d = Deployment(4, 1, 1);  // floor 3
  const Time t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
  Json status = DeploymentStatus(d, {Set(4, 3)}, nullptr, t0);
  EXPECT_EQ(StringMember(*FindCondition(status, "Available"), "status"), "True");
  EXPECT_EQ(status["availableReplicas"], 3);
  EXPECT_EQ(status["unavailableReplicas"], 1);
  EXPECT_EQ(status["observedGeneration"], 2);
  d["status"] = status;
  Json later = DeploymentStatus(d, {Set(4, 4)}, nullptr, t0 + std::chrono::seconds(60));
  EXPECT_EQ((*FindCondition(later, "Available"))["lastTransitionTime"], (*FindCondition(status, "Available"))["lastTransitionTime"]);
  EXPECT_FALSE(later.contains("unavailableReplicas"));
  Json worse = DeploymentStatus(d, {Set(4, 2)}, nullptr, t0 + std::chrono::seconds(60));
  EXPECT_EQ(StringMember(*FindCondition(worse, "Available"), "reason"), "MinimumReplicasUnavailable");
}

}  // namespace
}  // namespace mlkube::controllers
