#include "controllers/job/job_util.h"

#include <gtest/gtest.h>

namespace mlkube::controllers {
namespace {

TEST(JobUtilTest, CompletedIndexesRoundTripAsIntervals) {
  EXPECT_EQ(FormatIndexes({}), "");
  EXPECT_EQ(FormatIndexes({0}), "0");
  EXPECT_EQ(FormatIndexes({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(ParseIndexes("0-2,5,7-8", 100), (std::set<int64_t>{0, 1, 2, 5, 7, 8}));
  EXPECT_EQ(ParseIndexes("1,3-9", 5), (std::set<int64_t>{1, 3, 4}));  // past completions: ignored
  EXPECT_EQ(ParseIndexes("", 5), std::set<int64_t>{});
}

TEST(JobUtilTest, BackoffDoublesFromTenSecondsUpToTenMinutes) {
  EXPECT_EQ(FailureBackoff(0).count(), 0);
  EXPECT_EQ(FailureBackoff(1).count(), 10);
  EXPECT_EQ(FailureBackoff(2).count(), 20);
  EXPECT_EQ(FailureBackoff(4).count(), 80);
  EXPECT_EQ(FailureBackoff(7).count(), 600);
  EXPECT_EQ(FailureBackoff(50).count(), 600);
}

Json FailedPod(int exit_code, const char* container = "main", Json conditions = Json::array()) {
  return {{"metadata", {{"namespace", "ml"}, {"name", "train-x"}}},
          {"status",
           {{"phase", "Failed"},
            {"conditions", conditions},
            {"containerStatuses", {{{"name", container}, {"state", {{"terminated", {{"exitCode", exit_code}}}}}}}}}}};
}

TEST(JobUtilTest, PodFailurePolicyRulesMatchInOrder) {
  const Json policy = {{"rules",
                        {{{"action", "FailJob"}, {"onExitCodes", {{"containerName", "main"}, {"operator", "In"}, {"values", {42}}}}},
                         {{"action", "Ignore"}, {"onPodConditions", {{{"type", "DisruptionTarget"}}}}},
                         {{"action", "Count"}, {"onExitCodes", {{"operator", "NotIn"}, {"values", {1, 2}}}}}}}};
  auto v = MatchPodFailurePolicy(policy, FailedPod(42));
  EXPECT_EQ(v.action, PolicyVerdict::kFailJob);
  EXPECT_EQ(v.message, "Container main for pod ml/train-x failed with exit code 42 matching FailJob rule at index 0");
  EXPECT_EQ(MatchPodFailurePolicy(policy, FailedPod(42, "sidecar")).action, PolicyVerdict::kCount);  // other container: NotIn {1,2}
  v = MatchPodFailurePolicy(policy, FailedPod(1, "main", {{{"type", "DisruptionTarget"}, {"status", "True"}}}));
  EXPECT_EQ(v.action, PolicyVerdict::kIgnore);
  EXPECT_EQ(v.message, "Pod ml/train-x has condition DisruptionTarget matching Ignore rule at index 1");
  EXPECT_EQ(MatchPodFailurePolicy(policy, FailedPod(2)).action, PolicyVerdict::kNoMatch);
  EXPECT_EQ(MatchPodFailurePolicy(Json::object(), FailedPod(42)).action, PolicyVerdict::kNoMatch);
}

}  // namespace
}  // namespace mlkube::controllers
