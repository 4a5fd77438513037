// The real kubectl against a real `mlkube server`: what it prints, request by request.
// Pods have no runtime in these tests; pod status is set through the status subresource.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <map>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class KubectlE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess("kubectl");
    ASSERT_TRUE(server_->Start()) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static CmdResult K(const std::string& args, const std::string& input = "") {
    return server_->Kubectl(args, input);
  }
  static ServerProcess* server_;
};
ServerProcess* KubectlE2E::server_ = nullptr;

constexpr char kPod[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: fe}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{containerPort: 80}]
)";

constexpr char kDeployment[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: server
        image: mlserve:1
        env:
        - {name: MODEL, value: resnet}
        ports:
        - {containerPort: 8080, name: http}
        resources:
          requests: {cpu: 500m, memory: 1Gi}
          limits: {cpu: "1", memory: 2Gi}
)";

TEST_F(KubectlE2E, VersionReportsServer132) {
  auto r = K("version");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Server Version: v1.32"));
}

TEST_F(KubectlE2E, ApiResourcesListsEveryKindWithShortNames) {
  auto r = K("api-resources");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* s : {"pods", "po", "deployments", "deploy", "apps/v1", "jobs", "batch/v1",
                        "cronjobs", "horizontalpodautoscalers", "autoscaling/v2", "endpointslices",
                        "leases", "priorityclasses", "persistentvolumeclaims", "pvc", "namespaces"}) {
    EXPECT_THAT(r.out, HasSubstr(s));
  }
}

TEST_F(KubectlE2E, BuiltInNamespacesExist) {
  auto r = K("get namespaces");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    EXPECT_THAT(r.out, HasSubstr(ns));
  }
  EXPECT_THAT(r.out, HasSubstr("Active"));
}

TEST_F(KubectlE2E, CreateGetAndDuplicate) {
  auto r = K("create -f -", kPod);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/web created\n");
  r = K("create -f -", kPod);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error from server (AlreadyExists): error when creating \"STDIN\": "
                               "pods \"web\" already exists"));

  r = K("get pods");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("NAME"));
  EXPECT_THAT(r.out, HasSubstr("READY"));
  EXPECT_THAT(r.out, HasSubstr("STATUS"));
  EXPECT_THAT(r.out, HasSubstr("RESTARTS"));
  EXPECT_THAT(r.out, HasSubstr("web"));
  EXPECT_THAT(r.out, HasSubstr("0/1"));
  EXPECT_THAT(r.out, HasSubstr("Pending"));

  r = K("get po web -o wide");
  EXPECT_THAT(r.out, HasSubstr("NOMINATED NODE"));
  EXPECT_THAT(r.out, HasSubstr("READINESS GATES"));

  r = K("get pod web -o name");
  EXPECT_EQ(r.out, "pod/web\n");
  r = K("get pod web -o jsonpath={.spec.containers[0].image}");
  EXPECT_EQ(r.out, "nginx:1.27");
  r = K("get pod web -o json");
  EXPECT_THAT(r.out, HasSubstr("\"uid\""));
  EXPECT_THAT(r.out, HasSubstr("\"creationTimestamp\""));
  EXPECT_THAT(r.out, HasSubstr("\"restartPolicy\": \"Always\""));  // defaulted
  EXPECT_THAT(r.out, HasSubstr("\"protocol\": \"TCP\""));
  r = K("get pod web -o yaml");
  EXPECT_THAT(r.out, HasSubstr("resourceVersion:"));
  EXPECT_THAT(r.out, HasSubstr("qosClass: BestEffort"));

  r = K("get pods --show-labels");
  EXPECT_THAT(r.out, HasSubstr("app=web,tier=fe"));
  r = K("get pods -A");
  EXPECT_THAT(r.out, HasSubstr("NAMESPACE"));
  EXPECT_THAT(r.out, HasSubstr("default"));

  r = K("get pod nope");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error from server (NotFound): pods \"nope\" not found"));
  ASSERT_EQ(K("delete pod web").code, 0);
}

TEST_F(KubectlE2E, SelectorsFilterLists) {
  for (auto [name, app, tier] : {std::tuple{"s1", "web", "fe"}, {"s2", "web", "be"}, {"s3", "db", "be"}}) {
    std::string m = std::string("apiVersion: v1\nkind: Pod\nmetadata: {name: ") + name +
                    ", labels: {app: " + app + ", tier: " + tier +
                    "}}\nspec: {containers: [{name: c, image: busybox}]}\n";
    ASSERT_EQ(K("create -f -", m).code, 0);
  }
  auto r = K("get pods -l app=web -o name");
  EXPECT_EQ(r.out, "pod/s1\npod/s2\n");
  r = K("get pods -l 'app=web,tier!=fe' -o name");
  EXPECT_EQ(r.out, "pod/s2\n");
  r = K("get pods -l 'tier in (be),app notin (web)' -o name");
  EXPECT_EQ(r.out, "pod/s3\n");
  r = K("get pods -l '!nolabel,app' -o name");
  EXPECT_EQ(r.out, "pod/s1\npod/s2\npod/s3\n");
  r = K("get pods --field-selector metadata.name=s2 -o name");
  EXPECT_EQ(r.out, "pod/s2\n");
  r = K("get pods --field-selector status.phase=Running");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("No resources found in default namespace."));
  r = K("get pods -l 'app in (web'");
  EXPECT_NE(r.code, 0);
  r = K("get pods --field-selector spec.bogus=1");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("field label not supported: spec.bogus"));
  ASSERT_EQ(K("delete pods s1 s2 s3").code, 0);
}

TEST_F(KubectlE2E, StatusSubresourceSetsPhaseAndGetShowsIt) {
  ASSERT_EQ(K("create -f -", kPod).code, 0);
  auto r = K("patch pod web --subresource=status --type=merge -p "
             "'{\"status\":{\"phase\":\"Running\",\"podIP\":\"10.88.0.5\",\"containerStatuses\":[{\"name\":\"nginx\","
             "\"image\":\"nginx:1.27\",\"imageID\":\"\",\"ready\":true,\"restartCount\":0,\"started\":true,"
             "\"state\":{\"running\":{\"startedAt\":\"2026-01-01T00:00:00Z\"}}}]}}'");
  ASSERT_EQ(r.code, 0) << r.err;
  // A spec change through /status is ignored.
  r = K("patch pod web --subresource=status --type=merge -p '{\"spec\":{\"nodeName\":\"x\"}}'");
  EXPECT_EQ(r.code, 0) << r.err;
  r = K("get pod web -o wide");
  EXPECT_THAT(r.out, HasSubstr("1/1"));
  EXPECT_THAT(r.out, HasSubstr("Running"));
  EXPECT_THAT(r.out, HasSubstr("10.88.0.5"));
  EXPECT_EQ(K("get pod web -o jsonpath={.spec.nodeName}").out, "");
  r = K("get pods --field-selector status.phase=Running -o name");
  EXPECT_EQ(r.out, "pod/web\n");
  ASSERT_EQ(K("delete pod web").code, 0);
}

TEST_F(KubectlE2E, LabelAnnotateAndDescribeWithEvents) {
  ASSERT_EQ(K("create -f -", kPod).code, 0);
  auto r = K("label pod web color=blue");
  EXPECT_EQ(r.out, "pod/web labeled\n");
  r = K("label pod web color=red");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("already has a value (blue)"));
  EXPECT_EQ(K("label pod web color=red --overwrite").code, 0);
  EXPECT_EQ(K("label pod web color-").out, "pod/web unlabeled\n");
  EXPECT_EQ(K("annotate pod web owner=ml-team").out, "pod/web annotated\n");
  std::string uid = K("get pod web -o jsonpath={.metadata.uid}").out;
  std::string ev = "apiVersion: v1\nkind: Event\nmetadata: {name: web.1}\ninvolvedObject: "
                   "{kind: Pod, name: web, namespace: default, uid: " + uid +
                   "}\nreason: Scheduled\nmessage: Successfully assigned default/web to node-1\n"
                   "type: Normal\nsource: {component: default-scheduler}\n"
                   "firstTimestamp: \"2026-01-01T00:00:00Z\"\nlastTimestamp: \"2026-01-01T00:00:00Z\"\ncount: 1\n";
  ASSERT_EQ(K("create -f -", ev).code, 0);
  r = K("describe pod web");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Name:"));
  EXPECT_THAT(r.out, HasSubstr("owner: ml-team"));
  EXPECT_THAT(r.out, HasSubstr("nginx:1.27"));
  EXPECT_THAT(r.out, HasSubstr("Successfully assigned default/web to node-1"));
  EXPECT_THAT(r.out, HasSubstr("Scheduled"));
  ASSERT_EQ(K("delete pod web").code, 0);
  ASSERT_EQ(K("delete event web.1").code, 0);
}

TEST_F(KubectlE2E, ApplyCreateConfigureUnchangedWithListMerge) {
  auto r = K("apply -f -", kDeployment);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/api created\n");
  r = K("apply -f -", kDeployment);
  EXPECT_EQ(r.out, "deployment.apps/api unchanged\n");
  // Add an env var and a port.
  std::string v2 = kDeployment;
  v2.replace(v2.find("        - {name: MODEL, value: resnet}\n"), 0, "        - {name: DEBUG, value: \"1\"}\n");
  v2.replace(v2.find("        - {containerPort: 8080, name: http}\n"), 0,
             "        - {containerPort: 9090, name: metrics}\n");
  r = K("apply -f -", v2);
  EXPECT_EQ(r.out, "deployment.apps/api configured\n") << r.err;
  EXPECT_EQ(K("get deploy api -o jsonpath={.spec.template.spec.containers[0].env[*].name}").out,
            "DEBUG MODEL");
  EXPECT_EQ(K("get deploy api -o jsonpath={.spec.template.spec.containers[0].ports[*].containerPort}").out,
            "9090 8080");
  // Remove them again.
  r = K("apply -f -", kDeployment);
  EXPECT_EQ(r.out, "deployment.apps/api configured\n") << r.err;
  EXPECT_EQ(K("get deploy api -o jsonpath={.spec.template.spec.containers[0].env[*].name}").out, "MODEL");
  EXPECT_EQ(K("get deploy api -o jsonpath={.spec.template.spec.containers[0].ports[*].containerPort}").out,
            "8080");
  EXPECT_EQ(K("get deploy api -o jsonpath={.metadata.generation}").out, "3");
  r = K("get deploy");
  EXPECT_THAT(r.out, HasSubstr("UP-TO-DATE"));
  EXPECT_THAT(r.out, HasSubstr("AVAILABLE"));
  ASSERT_EQ(K("delete -f -", kDeployment).code, 0);
}

TEST_F(KubectlE2E, ScaleAndServerSideApplyConflicts) {
  std::string d = kDeployment;
  d.replace(d.find("name: api"), 9, "name: ssa");
  auto r = K("apply --server-side -f -", d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/ssa serverside-applied\n");
  EXPECT_EQ(K("get deploy ssa -o jsonpath={.metadata.managedFields[0].operation}").out, "Apply");
  std::string rv = K("get deploy ssa -o jsonpath={.metadata.resourceVersion}").out;
  ASSERT_EQ(K("apply --server-side -f -", d).code, 0);
  EXPECT_EQ(K("get deploy ssa -o jsonpath={.metadata.resourceVersion}").out, rv)
      << "an apply that changes nothing must not write";
  r = K("scale deploy ssa --replicas=5");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/ssa scaled\n");
  EXPECT_EQ(K("get deploy ssa -o jsonpath={.spec.replicas}").out, "5");
  EXPECT_EQ(K("get deploy/ssa -o jsonpath={.metadata.managedFields[*].manager}").out.find("kubectl"), 0u);
  // The apply still says replicas: 2, now owned by kubectl-scale: a conflict.
  r = K("apply --server-side -f -", d);
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("conflict"));
  EXPECT_THAT(r.err, HasSubstr(".spec.replicas"));
  r = K("apply --server-side --force-conflicts -f -", d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(K("get deploy ssa -o jsonpath={.spec.replicas}").out, "2");
  r = K("scale deploy ssa --replicas=-1");
  EXPECT_NE(r.code, 0);
  ASSERT_EQ(K("delete deploy ssa").code, 0);
}

TEST_F(KubectlE2E, WatchSeesAChange) {
  ASSERT_EQ(K("create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: \"1\"}\n").code, 0);
  auto bg = std::thread([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    K("label configmap watched seen=yes");
  });
  auto r = K("get configmap watched -w --output-watch-events --request-timeout=5s");
  bg.join();
  EXPECT_THAT(r.out, HasSubstr("ADDED"));
  EXPECT_THAT(r.out, HasSubstr("MODIFIED"));
  // Each event's row is rendered when it happens: the AGE of the change is the later one.
  std::istringstream lines(r.out);
  std::map<std::string, std::string> age;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string event, name, data, a;
    f >> event >> name >> data >> a;
    age[event] = a;
  }
  // (kubectl prints whole seconds, and a slow machine may show the new object as 1s old.)
  auto seconds = [](const std::string& a) { return a.size() > 1 && a.back() == 's' ? std::atoi(a.c_str()) : -1; };
  EXPECT_GE(seconds(age["ADDED"]), 0) << r.out;
  EXPECT_GE(seconds(age["MODIFIED"]) - seconds(age["ADDED"]), 2) << r.out;
  ASSERT_EQ(K("delete configmap watched").code, 0);
}

TEST_F(KubectlE2E, DryRunServerStoresNothing) {
  auto r = K("create -f - --dry-run=server", kPod);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/web created (server dry run)\n");
  EXPECT_NE(K("get pod web").code, 0);
}

TEST_F(KubectlE2E, DeleteWaitsAndDeleteByFile) {
  ASSERT_EQ(K("create -f -", kPod).code, 0);
  auto r = K("delete pod web --wait");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pod \"web\" deleted\n");
  ASSERT_EQ(K("create -f -", kDeployment).code, 0);
  r = K("delete -f -", kDeployment);
  EXPECT_EQ(r.out, "deployment.apps \"api\" deleted\n");
  EXPECT_NE(K("get deploy api").code, 0);
}

TEST_F(KubectlE2E, InvalidManifestPrintsEveryCause) {
  constexpr char kBad[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: Bad_Name
  labels: {"-bad": x}
spec:
  replicas: -1
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers:
      - name: c
        resources:
          requests: {nvidia.com/gpu: "1", cpu: "2"}
          limits: {cpu: "1"}
)";
  auto r = K("create -f -", kBad);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("is invalid"));
  for (const char* field : {"metadata.name", "metadata.labels", "spec.replicas",
                            "spec.template.metadata.labels", "spec.template.spec.containers[0].image",
                            "spec.template.spec.containers[0].resources.requests"}) {
    EXPECT_THAT(r.err, HasSubstr(std::string("* ") + field)) << r.err;
  }
  EXPECT_NE(K("get deploy Bad_Name").code, 0);
}

TEST_F(KubectlE2E, UnknownFieldsRejectedUnderStrictValidation) {
  std::string bad = kPod;
  bad.replace(bad.find("    image:"), 0, "    imagee: typo\n");
  auto r = K("create -f -", bad);
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("unknown field \"spec.containers[0].imagee\""));
  r = K("create --validate=false -f -", bad);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(K("get pod web -o jsonpath={.spec.containers[0].imagee}").out, "");
  ASSERT_EQ(K("delete pod web").code, 0);
}

// HorizontalPodAutoscalers are stored as autoscaling/v2 and also served as autoscaling/v1, which
// `kubectl autoscale` sends: each version's writes keep what only the other can express.
TEST_F(KubectlE2E, AutoscaleAndAutoscalingV1AreViewsOfTheStoredV2) {
  ASSERT_EQ(K("create deployment scaled --image=busybox").code, 0);
  auto r = K("autoscale deployment scaled --min=2 --max=5 --cpu-percent=60");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("horizontalpodautoscaler.autoscaling/scaled autoscaled"));
  const Json cpu60 = Json::parse(
      R"({"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}})");
  Json v2 = Json::parse(K("get hpa scaled -o json").out);
  EXPECT_EQ(v2["apiVersion"], "autoscaling/v2");
  EXPECT_EQ(v2["spec"]["minReplicas"], 2);
  EXPECT_EQ(v2["spec"]["metrics"], Json::array({cpu60}));

  // What v1 cannot say: a Pods metric and a behavior, written through v2.
  const Json pods = Json::parse(
      R"({"type":"Pods","pods":{"metric":{"name":"inference_requests_in_flight"},"target":{"type":"AverageValue","averageValue":"10"}}})");
  Json patch = {{"spec", {{"metrics", {pods, cpu60}}, {"behavior", {{"scaleDown", {{"stabilizationWindowSeconds", 30}}}}}}}};
  ASSERT_EQ(K("patch hpa scaled --type=merge -p '" + patch.dump() + "'").code, 0);

  const std::string v1_name = "horizontalpodautoscalers.v1.autoscaling";
  Json v1 = Json::parse(K("get " + v1_name + " scaled -o json").out);
  EXPECT_EQ(v1["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(v1["spec"]["targetCPUUtilizationPercentage"], 60);
  EXPECT_FALSE(v1["spec"].contains("metrics"));
  EXPECT_FALSE(v1["spec"].contains("behavior"));
  const Json& notes = v1["metadata"]["annotations"];
  EXPECT_EQ(Json::parse(notes["autoscaling.alpha.kubernetes.io/metrics"].get<std::string>()),
            Json::parse(R"([{"type":"Pods","pods":{"metricName":"inference_requests_in_flight","targetAverageValue":"10"}}])"));
  EXPECT_THAT(notes["autoscaling.alpha.kubernetes.io/behavior"].get<std::string>(),
              HasSubstr("\"stabilizationWindowSeconds\":30"));

  // A v1 patch changes the CPU target; the Pods metric and the behavior survive it.
  r = K("patch " + v1_name + " scaled --type=merge -p '{\"spec\":{\"targetCPUUtilizationPercentage\":75}}'");
  ASSERT_EQ(r.code, 0) << r.err;
  v2 = Json::parse(K("get hpa scaled -o json").out);
  Json cpu75 = cpu60;
  cpu75["resource"]["target"]["averageUtilization"] = 75;
  EXPECT_EQ(v2["spec"]["metrics"], Json::array({pods, cpu75}));
  EXPECT_EQ(v2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 30);
  EXPECT_FALSE(v2["metadata"].contains("annotations")) << v2["metadata"].dump();

  // Lists and watches in v1 carry v1 objects.
  Json list = Json::parse(K("get --raw /apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers").out);
  EXPECT_EQ(list["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(list["kind"], "HorizontalPodAutoscalerList");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(list["items"][0]["spec"]["targetCPUUtilizationPercentage"], 75);
  const std::string watched =
      K("get --raw '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=1&timeoutSeconds=1'").out;
  EXPECT_THAT(watched, HasSubstr("\"targetCPUUtilizationPercentage\":75"));
  EXPECT_THAT(watched, HasSubstr("\"apiVersion\":\"autoscaling/v1\",\"kind\""));
  EXPECT_THAT(watched, Not(HasSubstr("\"apiVersion\":\"autoscaling/v2\",\"kind\"")));

  // v1 manifests: strict field validation in v1 terms, client-side and server-side apply.
  const std::string manifest =
      "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: v1hpa}\nspec:\n"
      "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}\n  maxReplicas: 4\n"
      "  targetCPUUtilizationPercentage: 40\n";
  r = K("create -f -", manifest + "  metrics: []\n");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("unknown field \"spec.metrics\""));
  r = K("apply -f -", manifest);
  ASSERT_EQ(r.code, 0) << r.err;
  r = K("apply -f -", std::string(manifest).replace(manifest.find("maxReplicas: 4"), 14, "maxReplicas: 6"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("configured"));
  EXPECT_EQ(K("get hpa v1hpa -o jsonpath={.spec.maxReplicas}/{.spec.metrics[0].resource.target.averageUtilization}").out,
            "6/40");
  // Taking the CPU target over from the client-side apply conflicts on a real cluster: forced.
  std::string ssa = std::string(manifest).replace(manifest.find(": 40"), 4, ": 45");
  r = K("apply --server-side --force-conflicts -f -", ssa.replace(ssa.find("maxReplicas: 4"), 14, "maxReplicas: 6"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(K("get hpa v1hpa -o jsonpath={.spec.metrics[0].resource.target.averageUtilization}").out, "45");
  EXPECT_THAT(K("api-versions").out, AllOf(HasSubstr("autoscaling/v1"), HasSubstr("autoscaling/v2")));
  ASSERT_EQ(K("delete " + v1_name + " scaled v1hpa").code, 0);
  ASSERT_EQ(K("delete deployment scaled").code, 0);
}

TEST_F(KubectlE2E, GetAllAndShortNames) {
  ASSERT_EQ(K("create -f -", kPod).code, 0);
  ASSERT_EQ(K("create -f -", kDeployment).code, 0);
  auto r = K("get all");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pod/web"));
  EXPECT_THAT(r.out, HasSubstr("deployment.apps/api"));
  EXPECT_EQ(K("get deploy -o name").out, "deployment.apps/api\n");
  ASSERT_EQ(K("delete pod web").code, 0);
  ASSERT_EQ(K("delete deploy api").code, 0);
}

TEST_F(KubectlE2E, JobsCronJobsServicesAndHpaPrintTheirColumns) {
  constexpr char kObjects[] = R"(apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: t, image: python:3, command: [python3, train.py]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: retrain}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: t, image: python:3}]
---
apiVersion: v1
kind: Service
metadata: {name: model}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: model}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
)";
  auto r = K("apply -f -", kObjects);
  ASSERT_EQ(r.code, 0) << r.err;
  r = K("get job train");
  EXPECT_THAT(r.out, HasSubstr("COMPLETIONS"));
  r = K("get cronjob retrain");
  EXPECT_THAT(r.out, HasSubstr("0 3 * * *"));
  r = K("get svc model");
  EXPECT_THAT(r.out, HasSubstr("80/TCP"));
  r = K("get hpa model");
  EXPECT_THAT(r.out, HasSubstr("Deployment/api"));
  EXPECT_EQ(K("get job train -o jsonpath={.spec.backoffLimit}").out, "6");
  // A Job's template is immutable.
  r = K("patch job train --type=merge -p "
        "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"t\",\"image\":\"python:4\"}]}}}}'");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("field is immutable"));
  ASSERT_EQ(K("delete -f -", kObjects).code, 0);
}

// kubectl's generators (create <kind>, run, expose, create job --from) build typed objects and
// post them as application/vnd.kubernetes.protobuf, not JSON.
TEST_F(KubectlE2E, GeneratorsThatSendProtobuf) {
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"create configmap pb-cm --from-literal=x=1", "configmap/pb-cm created\n"},
      {"create secret generic pb-secret --from-literal=p=q", "secret/pb-secret created\n"},
      {"create deployment pb-deploy --image=nginx --replicas=0",
       "deployment.apps/pb-deploy created\n"},
      {"create job pb-job --image=busybox", "job.batch/pb-job created\n"},
      {"create namespace pb-ns", "namespace/pb-ns created\n"},
      {"create service clusterip pb-svc --tcp=80:8080", "service/pb-svc created\n"},
      {"create cronjob pb-cron --image=busybox --schedule='*/5 * * * *'",
       "cronjob.batch/pb-cron created\n"},
      {"create job pb-manual --from=cronjob/pb-cron", "job.batch/pb-manual created\n"},
      {"create serviceaccount pb-sa", "serviceaccount/pb-sa created\n"},
      {"create priorityclass pb-pc --value=1000",
       "priorityclass.scheduling.k8s.io/pb-pc created\n"},
      {"run pb-pod --image=nginx", "pod/pb-pod created\n"},
      {"expose deployment pb-deploy --port=80 --name=pb-exposed", "service/pb-exposed exposed\n"},
      // Not here: `kubectl autoscale` posts an autoscaling/v1 HorizontalPodAutoscaler, and mlkube
      // serves HPAs as autoscaling/v2 only.
  };
  for (const auto& [args, printed] : commands) {
    auto r = K(args);
    EXPECT_EQ(r.code, 0) << args << ": " << r.err;
    EXPECT_EQ(r.out, printed) << args;
  }
  EXPECT_EQ(K("get configmap pb-cm -o jsonpath={.data.x}").out, "1");
  EXPECT_EQ(K("get secret pb-secret -o jsonpath={.data.p}").out, "cQ==");
  // A zero that protobuf carries survives: replicas is not defaulted to 1.
  EXPECT_EQ(K("get deployment pb-deploy -o jsonpath={.spec.replicas}").out, "0");
  EXPECT_EQ(K("get deployment pb-deploy -o jsonpath={.spec.template.spec.containers[0].image}").out,
            "nginx");
  // Zeros Go's JSON would omit are not stored: the object reads as it would from Kubernetes.
  for (const char* absent : {"{.spec.paused}", "{.spec.minReadySeconds}",
                             "{.metadata.generateName}", "{.spec.template.metadata.name}",
                             "{.spec.template.spec.hostNetwork}",
                             "{.spec.template.spec.containers[0].tty}"}) {
    EXPECT_EQ(K(std::string("get deployment pb-deploy -o jsonpath=") + absent).out, "") << absent;
  }
  EXPECT_EQ(K("get job pb-job -o jsonpath={.spec.suspend}").out, "false");
  EXPECT_EQ(K("get service pb-svc -o jsonpath={.spec.ports[0].targetPort}").out, "8080");
  EXPECT_EQ(K("get service pb-exposed -o jsonpath={.spec.selector.app}").out, "pb-deploy");
  EXPECT_EQ(K("get cronjob pb-cron -o jsonpath={.spec.schedule}").out, "*/5 * * * *");
  EXPECT_EQ(K("get job pb-manual -o jsonpath={.metadata.ownerReferences[0].name}").out, "pb-cron");
  EXPECT_EQ(K("get priorityclass pb-pc -o jsonpath={.value}").out, "1000");
  EXPECT_EQ(K("get pod pb-pod -o jsonpath={.metadata.labels.run}").out, "pb-pod");
  EXPECT_EQ(K("get namespace pb-ns -o jsonpath={.status.phase}").out, "Active");

  for (const char* victim :
       {"configmap pb-cm", "secret pb-secret", "deployment pb-deploy", "job pb-job",
        "job pb-manual", "cronjob pb-cron", "service pb-svc", "service pb-exposed",
        "serviceaccount pb-sa", "priorityclass pb-pc", "pod pb-pod", "namespace pb-ns"}) {
    auto r = K(std::string("delete --ignore-not-found --wait=false ") + victim);
    EXPECT_EQ(r.code, 0) << victim << ": " << r.err;
  }
}

}  // namespace
}  // namespace mlkube::testing

namespace mlkube::testing {
namespace {

TEST_F(KubectlE2E, DeletingANamespaceEmptiesItThenRemovesIt) {
  ASSERT_EQ(K("create -f -", "apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n").code, 0);
  ASSERT_EQ(K("-n scratch create -f -", kPod).code, 0);
  ASSERT_EQ(K("-n scratch create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n").code, 0);
  auto r = K("delete namespace scratch --timeout=30s");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "namespace \"scratch\" deleted\n");
  r = K("get namespace scratch");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("NotFound"));
  // Creating into a namespace that is gone is NotFound, not a silent success.
  r = K("-n scratch create -f -", kPod);
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("namespaces \"scratch\" not found"));
}

}  // namespace
}  // namespace mlkube::testing

namespace mlkube::testing {
namespace {

// The `mlkube` verbs, for machines without kubectl: same kubeconfig, same printouts.
TEST_F(KubectlE2E, OwnCliAppliesGetsDescribesAndDeletes) {
  auto mlkube = [](const std::string& args, const std::string& input = "") {
    return Sh(server_->Env() + MLKUBE_BINARY " " + args, input);
  };
  auto r = mlkube("apply -f -", kDeployment);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/api created\n");
  EXPECT_EQ(mlkube("apply -f -", kDeployment).out, "deployment.apps/api unchanged\n");
  r = mlkube("get deploy -o wide");
  EXPECT_THAT(r.out, HasSubstr("UP-TO-DATE"));
  EXPECT_THAT(r.out, HasSubstr("app=api"));
  EXPECT_EQ(mlkube("get deployments.apps -o name").out, "deployment.apps/api\n");
  EXPECT_THAT(mlkube("get deploy api -o yaml").out, HasSubstr("image: mlserve:1"));
  EXPECT_THAT(mlkube("-n kube-system get configmaps").err, HasSubstr("No resources found in kube-system namespace."));
  EXPECT_THAT(mlkube("describe deploy api").out, HasSubstr("Events:"));
  ASSERT_EQ(mlkube("apply -f -", kPod).code, 0);
  r = mlkube("logs web");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("is waiting to start"));
  r = mlkube("delete -f -", kDeployment);
  EXPECT_EQ(r.out, "deployment.apps \"api\" deleted\n");
  EXPECT_EQ(mlkube("delete pod web").out, "pod \"web\" deleted\n");
  r = mlkube("get pod web");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error from server (NotFound): pods \"web\" not found"));
}

}  // namespace
}  // namespace mlkube::testing
