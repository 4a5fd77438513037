#include "agent/pod_scraper.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "e2e_util.h"

namespace mlkube::agent {
namespace {

TEST(PodScraperTest, SumsEachMetricsSeries) {
  const auto m = ParsePrometheusText(
      "# HELP inference_requests_in_flight Requests being served.\n"
      "# TYPE inference_requests_in_flight gauge\n"
      "inference_requests_in_flight{model=\"a\"} 3\n"
      "inference_requests_in_flight{model=\"b\",note=\"has } and \\\" in it\"} 4.5\n"
      "gpu_utilization 0.75 1700000000000\n"
      "  requests_total 1e3\r\n"
      "spaced {a=\"b\"} 2\n"
      "broken{unclosed=\"x\" 1\n"
      "not_a_number NaN\n"
      "no_value\n");
  EXPECT_DOUBLE_EQ(m.at("inference_requests_in_flight"), 7.5);
  EXPECT_DOUBLE_EQ(m.at("gpu_utilization"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("requests_total"), 1000);
  EXPECT_DOUBLE_EQ(m.at("spaced"), 2);
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

TEST(PodScraperTest, AHangingPodCostsOneTimeoutAndOthersAreStillRead) {
  const auto [silent, silent_port] = mlkube::testing::LoopbackSocket(SOCK_STREAM);  // accepts, never answers
  const auto [good, good_port] = mlkube::testing::LoopbackSocket(SOCK_STREAM);
  ASSERT_GE(silent, 0);
  ASSERT_GE(good, 0);
  std::thread server([fd = good] {
    const int c = ::accept(fd, nullptr, nullptr);
    char buf[512];
    (void)!::read(c, buf, sizeof buf);
    const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nup 1\nx 2\n";
    (void)!::write(c, reply, sizeof reply - 1);
    ::close(c);
  });
  const auto bodies = HttpGetAll({{"127.0.0.1", silent_port, "/metrics"}, {"127.0.0.1", good_port, "/metrics"},
                                  {"not-an-ip", 80, "/metrics"}},
                                 std::chrono::milliseconds(300));
  server.join();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_FALSE(bodies[0]);
  ASSERT_TRUE(bodies[1]);
  EXPECT_EQ(*bodies[1], "up 1\nx 2\n");
  EXPECT_FALSE(bodies[2]);
  ::close(silent);
  ::close(good);
}

}  // namespace
}  // namespace mlkube::agent
