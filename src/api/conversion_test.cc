#include "api/conversion.h"

#include <gtest/gtest.h>

namespace mlkube::api {
namespace {

// Everything autoscaling/v2 can say that autoscaling/v1 cannot.
const char kFullV2[] = R"({
  "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
  "metadata": {"name": "model", "namespace": "ml", "annotations": {"team": "serving"}},
  "spec": {
    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "model"},
    "minReplicas": 1, "maxReplicas": 8,
    "metrics": [
      {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Gi"}}},
      {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "server",
                                                          "target": {"type": "Utilization", "averageUtilization": 70}}},
      {"type": "Pods", "pods": {"metric": {"name": "inference_requests_in_flight",
                                           "selector": {"matchLabels": {"route": "predict"}}},
                                "target": {"type": "AverageValue", "averageValue": "10"}}},
      {"type": "Object", "object": {"describedObject": {"apiVersion": "v1", "kind": "Service", "name": "model"},
                                    "metric": {"name": "requests_per_second"},
                                    "target": {"type": "Value", "value": "2k"}}},
      {"type": "External", "external": {"metric": {"name": "queue_depth"},
                                        "target": {"type": "AverageValue", "averageValue": "30"}}},
      {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
    ],
    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                               "policies": [{"type": "Pods", "value": 1, "periodSeconds": 15}]}}
  },
  "status": {
    "observedGeneration": 3, "currentReplicas": 2, "desiredReplicas": 3,
    "currentMetrics": [
      {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 81, "averageValue": "81m"}}},
      {"type": "Pods", "pods": {"metric": {"name": "inference_requests_in_flight"}, "current": {"averageValue": "12"}}}
    ],
    "conditions": [{"type": "AbleToScale", "status": "True", "reason": "SucceededRescale",
                    "lastTransitionTime": "2026-11-27T10:00:00Z", "message": "ok"}]
  }
})";

TEST(HpaConversionTest, V2SurvivesARoundTripThroughV1) {
  const Json v2 = Json::parse(kFullV2);
  const Json v1 = HpaV2ToV1(v2);
  EXPECT_EQ(v1["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(v1["spec"]["targetCPUUtilizationPercentage"], 50);
  EXPECT_FALSE(v1["spec"].contains("metrics"));
  EXPECT_FALSE(v1["spec"].contains("behavior"));
  EXPECT_EQ(v1["status"]["currentCPUUtilizationPercentage"], 81);
  EXPECT_FALSE(v1["status"].contains("currentMetrics"));
  EXPECT_FALSE(v1["status"].contains("conditions"));
  EXPECT_EQ(v1["metadata"]["annotations"]["team"], "serving");

  Json back = HpaV1ToV2(v1);
  // The CPU target comes back last, where Kubernetes' conversion puts it; it already is here.
  EXPECT_EQ(back, v2) << back.dump(2);
}

TEST(HpaConversionTest, AnnotationsUseKubernetesV1Shapes) {
  const Json v1 = HpaV2ToV1(Json::parse(kFullV2));
  const Json& a = v1["metadata"]["annotations"];
  const Json metrics = Json::parse(a["autoscaling.alpha.kubernetes.io/metrics"].get<std::string>());
  ASSERT_EQ(metrics.size(), 5u);
  EXPECT_EQ(metrics[0], Json::parse(R"({"type":"Resource","resource":{"name":"memory","targetAverageValue":"1Gi"}})"));
  EXPECT_EQ(metrics[1], Json::parse(R"({"type":"ContainerResource","containerResource":
      {"name":"cpu","container":"server","targetAverageUtilization":70}})"));
  EXPECT_EQ(metrics[2], Json::parse(R"({"type":"Pods","pods":{"metricName":"inference_requests_in_flight",
      "targetAverageValue":"10","selector":{"matchLabels":{"route":"predict"}}}})"));
  EXPECT_EQ(metrics[3], Json::parse(R"({"type":"Object","object":{"metricName":"requests_per_second",
      "target":{"apiVersion":"v1","kind":"Service","name":"model"},"targetValue":"2k"}})"));
  EXPECT_EQ(metrics[4], Json::parse(R"({"type":"External","external":{"metricName":"queue_depth",
      "targetAverageValue":"30"}})"));
  const Json current = Json::parse(a["autoscaling.alpha.kubernetes.io/current-metrics"].get<std::string>());
  EXPECT_EQ(current[0], Json::parse(R"({"type":"Resource","resource":{"name":"cpu",
      "currentAverageUtilization":81,"currentAverageValue":"81m"}})"));
  EXPECT_TRUE(a.contains("autoscaling.alpha.kubernetes.io/conditions"));
  EXPECT_TRUE(a.contains("autoscaling.alpha.kubernetes.io/behavior"));
}

TEST(HpaConversionTest, KubectlAutoscaleBodyBecomesACpuMetric) {
  const Json v1 = Json::parse(R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
      "maxReplicas":3,"targetCPUUtilizationPercentage":50},"status":{"currentReplicas":0,"desiredReplicas":0}})");
  const Json v2 = HpaV1ToV2(v1);
  EXPECT_EQ(v2["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(v2["spec"]["metrics"], Json::parse(R"([{"type":"Resource","resource":{"name":"cpu",
      "target":{"type":"Utilization","averageUtilization":50}}}])"));
  EXPECT_FALSE(v2["spec"].contains("targetCPUUtilizationPercentage"));
  EXPECT_FALSE(v2["status"].contains("currentMetrics"));
  EXPECT_FALSE(v2["metadata"].contains("annotations"));
}

TEST(HpaConversionTest, StaleOrBrokenAnnotationsAreDroppedNotTrusted) {
  // A v1 client may send annotations back that no longer match; v2's own fields win, and text
  // that is not JSON is ignored as Kubernetes ignores it.
  Json v1 = Json::parse(R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":"web","annotations":{"autoscaling.alpha.kubernetes.io/metrics":"not json",
                                              "autoscaling.alpha.kubernetes.io/behavior":"[1,2]"}},
      "spec":{"maxReplicas":3}})");
  Json v2 = HpaV1ToV2(v1);
  EXPECT_FALSE(v2["spec"].contains("metrics"));
  EXPECT_FALSE(v2["spec"].contains("behavior"));
  EXPECT_FALSE(v2["metadata"].contains("annotations"));
  // Going to v1 replaces whatever round-trip annotations a v2 object was given by hand.
  Json stale = Json::parse(kFullV2);
  stale["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/behavior"] = "{}";
  stale["spec"].erase("behavior");
  EXPECT_FALSE(HpaV2ToV1(stale)["metadata"]["annotations"].contains("autoscaling.alpha.kubernetes.io/behavior"));
}

TEST(HpaConversionTest, MistypedValuesAreLeftForValidation) {
  for (const char* doc : {R"("not an object")", R"({"spec":"x","status":7})",
                          R"({"spec":{"metrics":"x","targetCPUUtilizationPercentage":"high"}})",
                          R"({"spec":{"metrics":[7,{"type":"Pods","pods":"x"}]},"status":{"currentMetrics":[null]}})"}) {
    Json j = Json::parse(doc);
    EXPECT_NO_THROW(HpaV1ToV2(j)) << doc;
    EXPECT_NO_THROW(HpaV2ToV1(j)) << doc;
  }
  Json v2 = HpaV1ToV2(Json::parse(R"({"spec":{"targetCPUUtilizationPercentage":"high"}})"));
  EXPECT_EQ(v2["spec"]["targetCPUUtilizationPercentage"], "high");
}

}  // namespace
}  // namespace mlkube::api
