// HorizontalPodAutoscaler end to end: `mlkube server` with a 1 s HPA sync period and 1 s
// metric resolution, a Deployment whose pods burn CPU while a file exists, real kubectl.

#include <gtest/gtest.h>

#include <cstdlib>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "api/json.h"
#include "api/quantity.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

class AutoscalingE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>("hpa", /*agent=*/true, /*scheduler=*/true);
    load_ = server_->dir() / "load";
    // Two declared GPUs whose state a test double of NVML reports from a file.
    gpus_ = server_->dir() / "gpus";
    SetGpus(0, 0);
    ::setenv("MLKUBE_FAKE_NVML", gpus_.c_str(), 1);
    ASSERT_TRUE(server_->Start({"--metric-resolution", "1s", "--horizontal-pod-autoscaler-sync-period", "1s",
                                "--fake-gpus", "2", "--nvml-library", MLKUBE_FAKE_NVML}))
        << server_->log();
  }
  void SetGpus(int first, int second) {
    std::ofstream(gpus_) << "GPU-fake-node-1-0 " << first << " 1024 16384\n"
                         << "GPU-fake-node-1-1 " << second << " 2048 16384\n";
  }
  CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  int Replicas(const std::string& deploy) {
    const std::string out = K("get deploy " + deploy + " -o jsonpath={.spec.replicas}").out;
    return out.empty() ? -1 : std::stoi(out);
  }
  Json Hpa(const std::string& name) {
    return Json::parse(K("get hpa " + name + " -o json").out, nullptr, false);
  }
  std::string Condition(const Json& hpa, const std::string& type) {
    for (const Json& c : ArrayMember(Member(hpa, "status"), "conditions")) {
      if (StringMember(c, "type") == type) return StringMember(c, "status") + " " + StringMember(c, "reason");
    }
    return "";
  }
  // Pods that burn CPU (up to their 200m limit) while the load file exists, and idle otherwise.
  // The file is seen through a hostPath volume: the pods' root is an overlay of the host's,
  // whose lower layer does not show files made after the pod started.
  std::string Burner(const std::string& name, bool requests) {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  replicas: 1\n"
           "  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " + name +
           "}}\n    spec:\n      terminationGracePeriodSeconds: 0\n      containers:\n      - name: work\n"
           "        image: busybox\n"
           "        command: [sh, -c, 'while :; do if [ -f /control/load ]; then :; else sleep 0.2; fi; done']\n"
           "        volumeMounts: [{name: control, mountPath: /control}]\n" +
           (requests ? "        resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}\n" : "") +
           "      volumes: [{name: control, hostPath: {path: " + load_.parent_path().string() + "}}]\n";
  }

  // A model server that reports its requests in flight (read from a control file) on /metrics,
  // annotated for scraping: a Deployment `name` whose pods are labelled app=`name`.
  std::string ModelServer(const std::string& name) {
    std::ofstream(load_.parent_path() / "inflight") << "0";
    std::ofstream(load_.parent_path() / "exporter.py")
        << "import http.server\n"
           "class H(http.server.BaseHTTPRequestHandler):\n"
           "    served = 0\n"
           "    def do_GET(self):\n"
           "        n = open('/control/inflight').read().strip() or '0'\n"
           "        H.served += 10\n"
           "        body = ('# TYPE inference_requests_in_flight gauge\\ninference_requests_in_flight ' + n +\n"
           "                '\\n# TYPE inference_requests_total counter\\ninference_requests_total ' + str(H.served) + '\\n').encode()\n"
           "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()\n"
           "        self.wfile.write(body)\n"
           "    def log_message(self, *a): pass\n"
           "http.server.HTTPServer(('', 8000), H).serve_forever()\n";
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  replicas: 1\n"
           "  selector: {matchLabels: {app: " + name + "}}\n  template:\n"
           "    metadata: {labels: {app: " + name + "}, annotations: {prometheus.io/scrape: 'true'}}\n"
           "    spec:\n      terminationGracePeriodSeconds: 0\n      containers:\n      - name: server\n"
           "        image: python\n        command: [python3, /control/exporter.py]\n"
           "        ports: [{containerPort: 8000}]\n"
           "        volumeMounts: [{name: control, mountPath: /control}]\n"
           "      volumes: [{name: control, hostPath: {path: " + load_.parent_path().string() + "}}]\n";
  }
  void SetInFlight(int n) { std::ofstream(load_.parent_path() / "inflight") << n; }

  std::unique_ptr<ServerProcess> server_;
  std::filesystem::path load_, gpus_;
};

TEST_F(AutoscalingE2E, CpuLoadScalesUpThenBackDownWithoutFlapping) {
  ASSERT_EQ(K("apply -f -", Burner("cpu", true)).code, 0);
  // As the walkthrough does it: `kubectl autoscale` (autoscaling/v1), then a short window.
  ASSERT_EQ(K("autoscale deployment cpu --min=1 --max=3 --cpu-percent=50").code, 0);
  ASSERT_EQ(K("patch hpa cpu --type=merge -p '{\"spec\":{\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":5}}}}'")
                .code,
            0);
  // Idle: the HPA reads the metric and stays at one replica.
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("cpu"), "ScalingActive") == "True ValidMetricFound"; }, 60s))
      << K("describe hpa cpu").out;
  EXPECT_EQ(Replicas("cpu"), 1);

  // Load: every pod at its 200m limit is 200 % of its request; up to the maximum, never down.
  std::ofstream(load_) << "on";
  std::vector<int> seen;
  ASSERT_TRUE(WaitFor([&] {
    seen.push_back(Replicas("cpu"));
    return seen.back() == 3;
  }, 90s)) << K("describe hpa cpu").out;
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]) << "flapped while scaling up";
  const std::string targets = K("get hpa cpu --no-headers").out;
  EXPECT_NE(targets.find("cpu: "), std::string::npos) << targets;
  EXPECT_NE(targets.find("%/50%"), std::string::npos) << targets;
  const Json up = Hpa("cpu");
  EXPECT_EQ(up["status"]["desiredReplicas"], 3) << up.dump();
  EXPECT_GT(up["status"]["currentMetrics"][0]["resource"]["current"].value("averageUtilization", 0), 50) << up.dump();
  EXPECT_TRUE(up["status"].contains("lastScaleTime"));
  const std::string v1 = K("get horizontalpodautoscalers.v1.autoscaling cpu -o jsonpath="
                           "{.spec.targetCPUUtilizationPercentage}/{.status.currentCPUUtilizationPercentage}").out;
  EXPECT_EQ(v1.substr(0, 3), "50/") << v1;
  EXPECT_GT(std::atoi(v1.c_str() + 3), 50) << v1;
  EXPECT_NE(K("get events --field-selector reason=SuccessfulRescale -o jsonpath={.items[*].message}").out.find(
                "New size: "),
            std::string::npos);

  // Load gone: back to the minimum once the 5 s window has passed, never up again on the way.
  std::filesystem::remove(load_);
  seen.clear();
  ASSERT_TRUE(WaitFor([&] {
    seen.push_back(Replicas("cpu"));
    return seen.back() == 1;
  }, 90s)) << K("describe hpa cpu").out;
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i], seen[i - 1]) << "flapped while scaling down";
}

TEST_F(AutoscalingE2E, PodsMetricScrapedFromThePodsDrivesTheScale) {
  ASSERT_EQ(K("apply -f -",
              ModelServer("model") +
              "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: model}\nspec:\n"
              "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model}\n  minReplicas: 1\n  maxReplicas: 3\n"
              "  metrics: [{type: Pods, pods: {metric: {name: inference_requests_in_flight},"
              " target: {type: AverageValue, averageValue: '10'}}}]\n"
              "  behavior:\n    scaleDown: {stabilizationWindowSeconds: 3}\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("model"), "ScalingActive") == "True ValidMetricFound"; }, 60s))
      << K("describe hpa model").out;
  const std::string raw =
      K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/inference_requests_in_flight").out;
  EXPECT_NE(raw.find("\"kind\":\"MetricValueList\""), std::string::npos) << raw;
  // The exporter's counter goes up by 10 a scrape (one a second): its rate is served as well.
  ASSERT_TRUE(WaitFor([&] {
    const Json rate = Json::parse(
        K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/inference_requests").out, nullptr,
        false);
    if (ArrayMember(rate, "items").empty()) return false;
    auto q = api::Quantity::Parse(StringMember(rate["items"][0], "value"));
    return q.ok() && q->MilliValue() >= 5000 && q->MilliValue() <= 20000;
  }, 30s)) << K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/inference_requests").out;
  EXPECT_EQ(Replicas("model"), 1);

  SetInFlight(25);
  ASSERT_TRUE(WaitFor([&] { return Replicas("model") == 3; }, 60s)) << K("describe hpa model").out;
  EXPECT_NE(K("get hpa model --no-headers").out.find("25/10"), std::string::npos) << K("get hpa model").out;
  SetInFlight(0);
  ASSERT_TRUE(WaitFor([&] { return Replicas("model") == 1; }, 60s)) << K("describe hpa model").out;
}

// An Object metric on a Service: the sum of the series of the pods it selects, shared among the
// replicas (an AverageValue target), as with a Prometheus adapter summing by service.
TEST_F(AutoscalingE2E, ObjectMetricOfAServiceSumsItsPods) {
  ASSERT_EQ(K("apply -f -",
              ModelServer("front") +
                  "---\napiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec:\n"
                  "  selector: {app: front}\n  ports: [{port: 80, targetPort: 8000}]\n"
                  "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: front}\nspec:\n"
                  "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: front}\n  maxReplicas: 3\n"
                  "  metrics: [{type: Object, object: {describedObject: {apiVersion: v1, kind: Service, name: front},"
                  " metric: {name: inference_requests_in_flight}, target: {type: AverageValue, averageValue: '10'}}}]\n"
                  "  behavior:\n    scaleDown: {stabilizationWindowSeconds: 3}\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("front"), "ScalingActive") == "True ValidMetricFound"; }, 60s))
      << K("describe hpa front").out;
  const Json value = Json::parse(
      K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/front/inference_requests_in_flight").out,
      nullptr, false);
  ASSERT_EQ(ArrayMember(value, "items").size(), 1u) << value.dump();
  EXPECT_EQ(value["items"][0]["describedObject"]["kind"], "Service");
  EXPECT_EQ(value["items"][0]["value"], "0");

  // 25 in flight on the one pod: 25 for the Service, 10 a replica wanted: three.
  SetInFlight(25);
  ASSERT_TRUE(WaitFor([&] { return Replicas("front") == 3; }, 60s)) << K("describe hpa front").out;
  EXPECT_TRUE(WaitFor([&] {
    return K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/front/inference_requests_in_flight")
               .out.find("\"value\":\"75\"") != std::string::npos;
  }, 30s));
  EXPECT_TRUE(WaitFor([&] { return K("get hpa front --no-headers").out.find("25/10 (avg)") != std::string::npos; }, 30s))
      << K("get hpa front").out;
  const Json status = Hpa("front")["status"]["currentMetrics"][0];
  EXPECT_EQ(status["type"], "Object") << status.dump();
  EXPECT_EQ(status["object"]["describedObject"]["name"], "front") << status.dump();
  SetInFlight(0);
  ASSERT_TRUE(WaitFor([&] { return Replicas("front") == 1; }, 60s)) << K("describe hpa front").out;

  // Bad input: an object that does not exist, a metric nobody reports.
  auto missing = K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/nope/inference_requests_in_flight");
  EXPECT_NE(missing.err.find("services \"nope\" not found"), std::string::npos) << missing.err;
  auto unknown = K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/front/nothing");
  EXPECT_NE(unknown.err.find("the server could not find the metric nothing for services front"), std::string::npos)
      << unknown.err;
}

TEST_F(AutoscalingE2E, GpuUtilizationFromNvmlDrivesTheScale) {
  // One GPU a replica; the pods' gpu_utilization is their GPU's, as NVML reports it.
  ASSERT_EQ(K("apply -f -",
              "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: trainer}\nspec:\n  replicas: 1\n"
              "  selector: {matchLabels: {app: trainer}}\n  template:\n    metadata: {labels: {app: trainer}}\n"
              "    spec:\n      terminationGracePeriodSeconds: 0\n      containers:\n      - name: main\n"
              "        image: busybox\n        command: [sleep, '3600']\n"
              "        resources: {limits: {nvidia.com/gpu: 1}}\n"
              "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: trainer}\nspec:\n"
              "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: trainer}\n  minReplicas: 1\n  maxReplicas: 2\n"
              "  metrics: [{type: Pods, pods: {metric: {name: gpu_utilization},"
              " target: {type: AverageValue, averageValue: '50'}}}]\n"
              "  behavior:\n    scaleDown: {stabilizationWindowSeconds: 3}\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("trainer"), "ScalingActive") == "True ValidMetricFound"; }, 60s))
      << K("describe hpa trainer").out;
  EXPECT_EQ(Replicas("trainer"), 1);
  SetGpus(90, 90);
  ASSERT_TRUE(WaitFor([&] {
    return K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/gpu_utilization").out.find(
               "\"value\":\"90\"") != std::string::npos;
  }, 30s)) << K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/gpu_utilization").out;
  const std::string memory =
      K("get --raw /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/gpu_memory_used_bytes").out;
  EXPECT_TRUE(memory.find("\"value\":\"1073741824\"") != std::string::npos ||
              memory.find("\"value\":\"2147483648\"") != std::string::npos)
      << memory;  // 1024 or 2048 MiB, whichever GPU the pod got
  // The agent's /metrics: every GPU, and the pod's share.
  const std::string agent = K("get --raw /api/v1/nodes/node-1/proxy/metrics").out;
  EXPECT_NE(agent.find("mlkube_gpu_utilization_percent{gpu=\"0\",model=\"Fake-GPU\",uuid=\"GPU-fake-node-1-0\"} 90"),
            std::string::npos)
      << agent;
  EXPECT_NE(agent.find("mlkube_gpu_memory_used_bytes{gpu=\"1\",model=\"Fake-GPU\",uuid=\"GPU-fake-node-1-1\"} 2147483648"),
            std::string::npos)
      << agent;
  EXPECT_NE(agent.find("mlkube_pod_gpu_utilization_percent{namespace=\"default\",pod=\"trainer-"), std::string::npos)
      << agent;
  const auto check = Sh("promtool check metrics", agent);
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  ASSERT_TRUE(WaitFor([&] { return Replicas("trainer") == 2; }, 60s)) << K("describe hpa trainer").out;
  SetGpus(5, 5);
  ASSERT_TRUE(WaitFor([&] { return Replicas("trainer") == 1; }, 60s)) << K("describe hpa trainer").out;
}

TEST_F(AutoscalingE2E, MissingTargetsRequestsAndMetricsAreReportedAndNothingScales) {
  ASSERT_EQ(K("apply -f -", Burner("norequests", false)).code, 0);
  ASSERT_EQ(K("apply -f -",
              "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: ghost}\nspec:\n"
              "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ghost}\n  maxReplicas: 3\n"
              "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: norequests}\nspec:\n"
              "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: norequests}\n  maxReplicas: 3\n"
              "  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]\n"
              "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: custom}\nspec:\n"
              "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: norequests}\n  maxReplicas: 3\n"
              "  metrics: [{type: Pods, pods: {metric: {name: inference_requests_in_flight},"
              " target: {type: AverageValue, averageValue: '10'}}}]\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("ghost"), "AbleToScale") == "False FailedGetScale"; }, 30s))
      << K("describe hpa ghost").out;
  EXPECT_NE(K("describe hpa ghost").out.find("deployments.apps \"ghost\" not found"), std::string::npos)
      << K("describe hpa ghost").out;
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("norequests"), "ScalingActive") == "False FailedGetResourceMetric"; },
                      30s))
      << K("describe hpa norequests").out;
  EXPECT_TRUE(WaitFor([&] {
    return K("describe hpa norequests").out.find("missing request for cpu in container work of Pod norequests-") !=
           std::string::npos;
  }, 30s)) << K("describe hpa norequests").out;
  ASSERT_TRUE(WaitFor([&] { return Condition(Hpa("custom"), "ScalingActive") == "False FailedGetPodsMetric"; }, 30s))
      << K("describe hpa custom").out;
  EXPECT_NE(K("get hpa custom --no-headers").out.find("<unknown>/10"), std::string::npos) << K("get hpa custom").out;
  // However hot the pods run, no scaling happens on missing data.
  std::ofstream(load_) << "on";
  std::this_thread::sleep_for(4s);
  EXPECT_EQ(Replicas("norequests"), 1);
  std::filesystem::remove(load_);
}

}  // namespace
}  // namespace mlkube::testing
