#include "agent/pod_scraper.h"

#include <gtest/gtest.h>

namespace mlkube::agent {
namespace {

TEST(PodScraperTest, SumsEachMetricsSeries) {
  const auto m = ParsePrometheusText(
      "# HELP inference_requests_in_flight Requests being served.\n"
      "# TYPE inference_requests_in_flight gauge\n"
      "inference_requests_in_flight{model=\"a\"} 3\n"
      "inference_requests_in_flight{model=\"b\",note=\"has } and \\\" in it\"} 4.5\n"
      "gpu_utilization 0.75 1700000000000\n"
      "  requests_total 1e3\n"
      "broken{unclosed=\"x\" 1\n"
      "not_a_number NaN\n"
      "no_value\n");
  EXPECT_DOUBLE_EQ(m.at("inference_requests_in_flight"), 7.5);
  EXPECT_DOUBLE_EQ(m.at("gpu_utilization"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("requests_total"), 1000);
  EXPECT_EQ(m.count("broken"), 0u);
  EXPECT_EQ(m.count("not_a_number"), 0u);
  EXPECT_EQ(m.count("no_value"), 0u);
}

TEST(PodScraperTest, TargetsFollowThePrometheusAnnotations) {
  Json pod = Json::parse(R"({"metadata":{"annotations":{"prometheus.io/scrape":"true"}},
    "spec":{"containers":[{"name":"a","ports":[{"containerPort":8000},{"containerPort":9000}]}]},
    "status":{"podIP":"10.88.0.5"}})");
  ScrapeTarget t = ScrapeTargetOf(pod);
  EXPECT_EQ(t.host, "10.88.0.5");
  EXPECT_EQ(t.port, 8000);
  EXPECT_EQ(t.path, "/metrics");
  pod["metadata"]["annotations"]["prometheus.io/port"] = "9000";
  pod["metadata"]["annotations"]["prometheus.io/path"] = "stats";
  t = ScrapeTargetOf(pod);
  EXPECT_EQ(t.port, 9000);
  EXPECT_EQ(t.path, "/stats");
  pod["metadata"]["annotations"]["prometheus.io/scrape"] = "false";
  EXPECT_TRUE(ScrapeTargetOf(pod).host.empty());
  pod["metadata"]["annotations"]["prometheus.io/scrape"] = "true";
  pod["status"].erase("podIP");
  EXPECT_TRUE(ScrapeTargetOf(pod).host.empty());
}

}  // namespace
}  // namespace mlkube::agent
