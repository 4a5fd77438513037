// Resource metrics end to end: `mlkube server` whose agent samples every second, real pods
// burning CPU and holding memory in their cgroups, and the real `kubectl top`.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

// "burner   997m   1Mi" -> {997, 1}; {-1, -1} when the line does not parse.
std::pair<long, long> TopLine(const std::string& line) {
  std::smatch m;
  static const std::regex re(R"(^\S+\s+(\d+)m\s+(\d+)Mi)");
  if (!std::regex_search(line, m, re)) return {-1, -1};
  return {std::stol(m[1]), std::stol(m[2])};
}

// The value of the first sample of `name` whose labels include every one of `labels`
// (`key="value"` each), from Prometheus text; NaN when there is none.
double Sample(const std::string& text, const std::string& name, const std::vector<std::string>& labels = {}) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0 || (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' ')) {
      continue;
    }
    const size_t end = line.find('}') == std::string::npos ? name.size() : line.find('}');
    const std::string label_text = line.substr(0, end);
    bool all = true;
    for (const std::string& l : labels) all = all && label_text.find(l) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nan("");
}

TEST(MetricsE2E, ControlPlaneAndAgentServePrometheusText) {
  ServerProcess server("prom", /*agent=*/true, /*scheduler=*/true);
  ASSERT_TRUE(server.Start({"--metric-resolution", "1s"})) << server.log();
  auto k = [&](const std::string& args) { return server.Kubectl(args); };
  ASSERT_EQ(k("create deployment web --image=busybox -- sleep 3600").code, 0);
  ASSERT_TRUE(WaitFor([&] { return k("get pods --no-headers").out.find("Running") != std::string::npos; }, 60s));

  // The server: requests by verb and resource, the store, the scheduler, the controllers' queues
  // and pods by phase, in a format promtool accepts.
  std::string text;
  ASSERT_TRUE(WaitFor([&] {
    text = k("get --raw /metrics").out;
    return Sample(text, "mlkube_pods", {"phase=\"Running\""}) == 1;
  }, 30s)) << text.substr(0, 2000);
  auto check = Sh("promtool check metrics", text);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  EXPECT_GE(Sample(text, "apiserver_request_total", {"verb=\"POST\"", "resource=\"deployments\"", "group=\"apps\"",
                                                     "code=\"201\""}),
            1);
  EXPECT_GE(Sample(text, "apiserver_request_total", {"verb=\"WATCH\"", "resource=\"pods\""}), 1);
  EXPECT_GE(Sample(text, "apiserver_request_duration_seconds_count", {"verb=\"LIST\"", "resource=\"pods\""}), 1);
  EXPECT_GE(Sample(text, "mlkube_store_commit_duration_seconds_count"), 1);
  EXPECT_GE(Sample(text, "scheduler_schedule_attempts_total", {"result=\"scheduled\""}), 1);
  EXPECT_GE(Sample(text, "scheduler_scheduling_attempt_duration_seconds_count", {"result=\"scheduled\""}), 1);
  EXPECT_EQ(Sample(text, "scheduler_pending_pods", {"queue=\"active\""}), 0);
  EXPECT_GE(Sample(text, "workqueue_adds_total", {"name=\"deployment-controller\""}), 1);
  EXPECT_EQ(Sample(text, "workqueue_depth", {"name=\"replicaset-controller\""}), 0);
  EXPECT_EQ(Sample(text, "mlkube_pods", {"phase=\"Failed\""}), 0);

  // The agent, through the API server as the kubelet's port is reached: its pods' usage.
  std::string agent;
  ASSERT_TRUE(WaitFor([&] {
    agent = k("get --raw /api/v1/nodes/node-1/proxy/metrics").out;
    return Sample(agent, "container_cpu_usage_seconds_total", {"container=\"busybox\"", "pod=\"web-"}) >= 0;
  }, 30s)) << agent;
  check = Sh("promtool check metrics", agent);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  EXPECT_EQ(Sample(agent, "kubelet_running_pods"), 1);
  EXPECT_GT(Sample(agent, "container_memory_working_set_bytes", {"pod=\"web-"}), 0);
  EXPECT_GT(Sample(agent, "node_cpu_usage_seconds_total"), 0);
  EXPECT_EQ(k("get --raw /api/v1/nodes/node-1/proxy/metrics/resource").out.find("kubelet_running_pods"),
            std::string::npos);

  // Bad input: another path on the node, a node that does not exist, no credentials.
  auto other = k("get --raw /api/v1/nodes/node-1/proxy/configz");
  EXPECT_NE(other.code, 0);
  EXPECT_NE(other.err.find("NotFound"), std::string::npos) << other.err;
  EXPECT_NE(k("get --raw /api/v1/nodes/nope/proxy/metrics").err.find("nodes \"nope\" not found"), std::string::npos);
  auto anonymous = Sh("curl -sk " + server.url() + "/metrics");
  EXPECT_NE(anonymous.out.find("\"code\":401"), std::string::npos) << anonymous.out;
}

TEST(MetricsE2E, KubectlTopShowsWhatPodsAndTheNodeUse) {
  ServerProcess server("metrics", /*agent=*/true, /*scheduler=*/true);
  ASSERT_TRUE(server.Start({"--metric-resolution", "1s"})) << server.log();
  auto k = [&](const std::string& args) { return server.Kubectl(args); };
  ASSERT_EQ(server.Kubectl("apply -f -",
                           "apiVersion: v1\nkind: Pod\nmetadata: {name: burner, labels: {app: burner}}\nspec:\n"
                           "  containers:\n  - name: loop\n    image: busybox\n    command: [sh, -c, 'while :; do :; done']\n"
                           "---\napiVersion: v1\nkind: Pod\nmetadata: {name: holder, labels: {app: holder}}\nspec:\n"
                           "  containers:\n  - name: py\n    image: python\n"
                           "    command: [python3, -c, 'import time; b = b\"x\" * (200 << 20); time.sleep(3600)']\n"
                           "  - name: idle\n    image: busybox\n    command: [sleep, '3600']\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([&] { return k("get pods --no-headers").out.find("Running") != std::string::npos &&
                                   k("get pods --no-headers | grep -vc Running").out == "0\n"; }, 60s));

  // One core of busy loop reads as about 1000m (the machine is shared: at least most of one);
  // 200 MiB written by Python as about 200Mi more than the interpreter itself.
  long cpu = -1;
  ASSERT_TRUE(WaitFor([&] {
    cpu = std::max(cpu, TopLine(k("top pod burner --no-headers").out).first);
    return cpu >= 600;
  }, 30s)) << k("top pod burner").out << k("top pod burner").err;
  EXPECT_LE(cpu, 1200);
  long memory = -1;
  ASSERT_TRUE(WaitFor([&] {
    memory = TopLine(k("top pod holder --no-headers").out).second;
    return memory >= 200;
  }, 30s)) << k("top pod holder").out << k("top pod holder").err;
  EXPECT_LE(memory, 260);

  // Per container, by label, across namespaces; the node.
  auto containers = k("top pod holder --containers --no-headers");
  EXPECT_NE(containers.out.find("py"), std::string::npos) << containers.out << containers.err;
  EXPECT_NE(containers.out.find("idle"), std::string::npos) << containers.out;
  auto labelled = k("top pods -l app=burner --no-headers");
  EXPECT_NE(labelled.out.find("burner"), std::string::npos) << labelled.out << labelled.err;
  EXPECT_EQ(labelled.out.find("holder"), std::string::npos) << labelled.out;
  EXPECT_NE(k("top pods -A --no-headers").out.find("default"), std::string::npos);
  auto node = k("top node --no-headers");
  ASSERT_EQ(node.code, 0) << node.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(node.out, m, std::regex(R"(node-1\s+(\d+)m\s+(\d+)%\s+(\d+)Mi\s+(\d+)%)"))) << node.out;
  EXPECT_GE(std::stol(m[1]), 500) << node.out;  // the burner runs on it

  // The objects themselves, as metrics-server serves them.
  Json list = Json::parse(k("get --raw /apis/metrics.k8s.io/v1beta1/namespaces/default/pods").out, nullptr, false);
  ASSERT_TRUE(list.is_object());
  EXPECT_EQ(list.value("kind", ""), "PodMetricsList");
  ASSERT_EQ(list["items"].size(), 2u) << list.dump();
  const Json& first = list["items"][0];
  EXPECT_EQ(first["metadata"]["name"], "burner");
  EXPECT_EQ(first["metadata"]["labels"]["app"], "burner");
  EXPECT_TRUE(std::regex_match(first.value("window", ""), std::regex(R"(\d+(\.\d+)?s)"))) << first.dump();
  EXPECT_TRUE(std::regex_match(first["containers"][0]["usage"].value("cpu", ""), std::regex(R"(\d+n)"))) << first.dump();

  // Bad input: a pod with no samples, a verb metrics do not have.
  auto missing = k("top pod nope");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("podmetrics.metrics.k8s.io \"default/nope\" not found"), std::string::npos) << missing.err;
  auto post = server.Curl("-X POST -d '{}' -H 'Content-Type: application/json' " + server.url() +
                          "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods");
  EXPECT_NE(post.out.find("\"code\":405"), std::string::npos) << post.out;
  // Deleted pods leave the metrics with their last sample.
  ASSERT_EQ(k("delete pod burner --grace-period=0 --force").code, 0);
  EXPECT_TRUE(WaitFor([&] { return k("top pods --no-headers").out.find("burner") == std::string::npos; }, 30s));
}

}  // namespace
}  // namespace mlkube::testing
