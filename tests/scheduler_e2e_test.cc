// The scheduler end to end: `mlkube server` with simulated nodes (registered through the API,
// no agent, like Kubernetes' hollow nodes), driven by the real kubectl.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

class SchedulerE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess("scheduler", /*agent=*/false, /*scheduler=*/true);
    ASSERT_TRUE(server_->Start()) << server_->log();
    // CPU-only nodes and nodes with 1, 4 and 8 GPUs.
    AddNode("cpu-1", "8", "32Gi", 0, "{}");
    AddNode("cpu-2", "8", "32Gi", 0, "{}");
    AddNode("gpu-1", "16", "64Gi", 1, R"({"accelerator": "a100"})");
    AddNode("gpu-4", "32", "128Gi", 4, R"({"accelerator": "a100"})");
    AddNode("gpu-8", "64", "512Gi", 8, R"({"accelerator": "h100"})");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static void AddNode(const std::string& name, const std::string& cpu, const std::string& memory, int gpus,
                      const std::string& labels) {
    std::string alloc = "{\"cpu\": \"" + cpu + "\", \"memory\": \"" + memory + "\", \"pods\": \"110\"" +
                        (gpus ? ", \"nvidia.com/gpu\": \"" + std::to_string(gpus) + "\"" : "") + "}";
    ASSERT_EQ(K("create -f -", "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"" + name +
                                   "\", \"labels\": " + labels + "}}").code, 0);
    ASSERT_EQ(K("patch node " + name + " --subresource=status --type=merge -p '{\"status\": {\"allocatable\": " + alloc +
                ", \"capacity\": " + alloc + ", \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]}}'").code, 0);
  }
  static CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  static std::string Get(const std::string& pod, const std::string& jsonpath) {
    return K("get pod " + pod + " -o jsonpath='" + jsonpath + "'").out;
  }
  static bool WaitFor(const std::function<bool()>& ok, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return ok();
  }
  static std::string NodeOf(const std::string& pod) {
    std::string node;
    WaitFor([&] { return !(node = Get(pod, "{.spec.nodeName}")).empty(); });
    return node;
  }
  static std::string PodYaml(const std::string& name, const std::string& cpu, int gpus, const std::string& extra = "") {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n" + extra +
           "  containers:\n  - name: main\n    image: x\n    command: [sleep, '1000']\n    resources:\n"
           "      requests: {cpu: '" + cpu + "'}\n" +
           (gpus ? "      limits: {nvidia.com/gpu: " + std::to_string(gpus) + "}\n" : "");
  }
  static std::string FailedMessage(const std::string& pod) {
    return K("get events --field-selector involvedObject.name=" + pod +
             ",reason=FailedScheduling -o jsonpath='{.items[-1:].message}'").out;
  }

  static ServerProcess* server_;
};

ServerProcess* SchedulerE2E::server_ = nullptr;

TEST_F(SchedulerE2E, GpuPodsGoToGpuNodesAndCpuPodsTakeNoGpus) {
  ASSERT_EQ(K("apply -f -", PodYaml("train", "1", 2)).code, 0);
  const std::string node = NodeOf("train");
  EXPECT_TRUE(node == "gpu-4" || node == "gpu-8") << node;
  EXPECT_EQ(Get("train", "{.status.conditions[?(@.type==\"PodScheduled\")].status}"), "True");
  auto events = K("get events --field-selector involvedObject.name=train,reason=Scheduled -o jsonpath='{.items[*].message}'");
  EXPECT_EQ(events.out, "Successfully assigned default/train to " + node);
  ASSERT_EQ(K("apply -f -", PodYaml("web", "1", 0)).code, 0);
  EXPECT_FALSE(NodeOf("web").empty());
  K("delete pod train web --grace-period=0 --force");
}

TEST_F(SchedulerE2E, NodeSelectorIsObeyed) {
  ASSERT_EQ(K("apply -f -", PodYaml("h100-job", "1", 1, "  nodeSelector: {accelerator: h100}\n")).code, 0);
  EXPECT_EQ(NodeOf("h100-job"), "gpu-8");
  K("delete pod h100-job --grace-period=0 --force");
}

TEST_F(SchedulerE2E, ImpossibleRequestsStayPendingWithTheExactReason) {
  ASSERT_EQ(K("apply -f -", PodYaml("greedy", "1", 16, "  nodeSelector: {accelerator: a100}\n")).code, 0);
  ASSERT_TRUE(WaitFor([] { return !FailedMessage("greedy").empty(); })) << K("get events").out;
  EXPECT_EQ(FailedMessage("greedy").rfind("0/5 nodes are available: 2 Insufficient nvidia.com/gpu, "
                                          "3 node(s) didn't match Pod's node affinity/selector.", 0),
            0u)
      << FailedMessage("greedy");
  EXPECT_EQ(Get("greedy", "{.status.phase}"), "Pending");
  EXPECT_EQ(Get("greedy", "{.status.conditions[?(@.type==\"PodScheduled\")].reason}"), "Unschedulable");
  EXPECT_EQ(Get("greedy", "{.spec.nodeName}"), "");
  K("delete pod greedy --grace-period=0 --force");
}

TEST_F(SchedulerE2E, FreeingCapacitySchedulesThePendingPod) {
  ASSERT_EQ(K("apply -f -", PodYaml("big-1", "1", 8)).code, 0);
  EXPECT_EQ(NodeOf("big-1"), "gpu-8");
  ASSERT_EQ(K("apply -f -", PodYaml("big-2", "1", 8)).code, 0);
  ASSERT_TRUE(WaitFor([] { return !FailedMessage("big-2").empty(); }));
  ASSERT_EQ(K("delete pod big-1 --grace-period=0 --force").code, 0);
  EXPECT_EQ(NodeOf("big-2"), "gpu-8");  // no user action: the deletion requeued it
  K("delete pod big-2 --grace-period=0 --force");
}

TEST_F(SchedulerE2E, PodsWaitForTheirClaimsAndGoWhereTheirVolumeIs) {
  const std::string claim_volume = "  volumes: [{name: data, persistentVolumeClaim: {claimName: ckpt}}]\n";
  ASSERT_EQ(K("apply -f -", PodYaml("no-claim", "1", 0, claim_volume)).code, 0);
  const std::string preemption = " preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.";
  EXPECT_TRUE(WaitFor([&] {
    return FailedMessage("no-claim") == "0/5 nodes are available: persistentvolumeclaim \"ckpt\" not found." + preemption;
  })) << FailedMessage("no-claim");
  // A claim of no class waits for a volume made for it.
  ASSERT_EQ(K("apply -f -", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: ckpt}\nspec:\n"
                            "  storageClassName: ''\n  accessModes: [ReadWriteOnce]\n"
                            "  resources: {requests: {storage: 1Gi}}\n").code, 0);
  EXPECT_TRUE(WaitFor([&] {
    return FailedMessage("no-claim") == "0/5 nodes are available: pod has unbound immediate PersistentVolumeClaims." +
                                            preemption;
  })) << FailedMessage("no-claim");
  EXPECT_EQ(Get("no-claim", "{.spec.nodeName}"), "");
  // A local volume on gpu-1 only: the pod goes there, though other nodes have more room.
  ASSERT_EQ(K("apply -f -", "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: ckpt-on-gpu-1}\nspec:\n"
                            "  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n"
                            "  hostPath: {path: /tmp/ckpt}\n  nodeAffinity:\n    required:\n"
                            "      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, "
                            "values: [gpu-1]}]}]\n").code, 0);
  ASSERT_EQ(K("label node gpu-1 kubernetes.io/hostname=gpu-1").code, 0);
  EXPECT_EQ(NodeOf("no-claim"), "gpu-1");
  // A second pod on the same claim that cannot fit there says why: each node is turned away by
  // the first filter it fails, resources before volumes, as kube-scheduler orders them.
  ASSERT_EQ(K("apply -f -", PodYaml("too-big", "20", 0, claim_volume)).code, 0);
  EXPECT_TRUE(WaitFor([&] {
    return FailedMessage("too-big") ==
           "0/5 nodes are available: 2 node(s) had volume node affinity conflict, 3 Insufficient cpu. preemption: 0/5 "
           "nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for "
           "incoming pod.";
  })) << FailedMessage("too-big");
  K("delete pod no-claim too-big --wait=false");
  K("delete pvc ckpt --wait=false");
}

TEST_F(SchedulerE2E, TopologySpreadConstraintsKeepDomainsEven) {
  // Domains by accelerator: a100 (gpu-1, gpu-4) and h100 (gpu-8); the CPU nodes have none.
  const std::string spread =
      "  topologySpreadConstraints: [{maxSkew: 1, topologyKey: accelerator, whenUnsatisfiable: DoNotSchedule, "
      "labelSelector: {matchLabels: {app: spread}}}]\n";
  auto pod = [&](const std::string& name, const std::string& cpu, const std::string& extra) {
    std::string yaml = PodYaml(name, cpu, 0, extra);
    yaml.replace(yaml.find("  name: " + name + "\n"), name.size() + 9, "  name: " + name + "\n  labels: {app: spread}\n");
    return K("apply -f -", yaml).code;
  };
  std::map<std::string, int> per_domain;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(pod("spread-" + std::to_string(i), "100m", spread), 0);
    const std::string node = NodeOf("spread-" + std::to_string(i));
    ASSERT_FALSE(node.empty());
    ++per_domain[node == "gpu-8" ? "h100" : node.rfind("gpu-", 0) == 0 ? "a100" : "none:" + node];
  }
  EXPECT_EQ(per_domain, (std::map<std::string, int>{{"a100", 2}, {"h100", 2}}));
  // Two more in h100, bound by hand: a pod that only gpu-8 has room for would make the skew 3.
  ASSERT_EQ(pod("pinned-1", "100m", "  nodeName: gpu-8\n"), 0);
  ASSERT_EQ(pod("pinned-2", "100m", "  nodeName: gpu-8\n"), 0);
  ASSERT_EQ(pod("big", "40", spread), 0);
  EXPECT_TRUE(WaitFor([&] {
    return FailedMessage("big") ==
           "0/5 nodes are available: 1 node(s) didn't match pod topology spread constraints, 4 Insufficient cpu. "
           "preemption: 0/5 nodes are available: 1 Preemption is not helpful for scheduling, 4 No preemption victims "
           "found for incoming pod.";
  })) << FailedMessage("big");
  // ScheduleAnyway only prefers: the same pod goes to gpu-8 all the same.
  std::string soft = spread;
  soft.replace(soft.find("DoNotSchedule"), 13, "ScheduleAnyway");
  ASSERT_EQ(pod("big-soft", "40", soft), 0);
  EXPECT_EQ(NodeOf("big-soft"), "gpu-8");
  K("delete pod -l app=spread --wait=false");
}

TEST_F(SchedulerE2E, TaintsTolerationsAndCordons) {
  ASSERT_EQ(K("taint node gpu-1 dedicated=training:NoSchedule").code, 0);
  ASSERT_EQ(K("cordon gpu-4").code, 0);
  ASSERT_EQ(K("cordon gpu-8").code, 0);
  ASSERT_EQ(K("apply -f -", PodYaml("needs-gpu", "1", 1)).code, 0);
  ASSERT_TRUE(WaitFor([] { return !FailedMessage("needs-gpu").empty(); }));
  EXPECT_EQ(FailedMessage("needs-gpu").rfind("0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: training}, "
                                             "2 Insufficient nvidia.com/gpu, 2 node(s) were unschedulable.", 0),
            0u)
      << FailedMessage("needs-gpu");
  ASSERT_EQ(K("apply -f -", PodYaml("tolerant", "1", 1,
                                    "  tolerations: [{key: dedicated, operator: Equal, value: training, effect: NoSchedule}]\n")).code, 0);
  EXPECT_EQ(NodeOf("tolerant"), "gpu-1");
  ASSERT_EQ(K("uncordon gpu-4").code, 0);
  EXPECT_EQ(NodeOf("needs-gpu"), "gpu-4");  // uncordoning requeued it
  K("taint node gpu-1 dedicated-");
  K("uncordon gpu-8");
  K("delete pod needs-gpu tolerant --grace-period=0 --force");
}

TEST_F(SchedulerE2E, GpuPackingKeepsTheEightGpuNodeWhole) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(K("apply -f -", PodYaml("one-gpu-" + std::to_string(i), "100m", 1)).code, 0);
  }
  for (int i = 0; i < 5; ++i) EXPECT_NE(NodeOf("one-gpu-" + std::to_string(i)), "gpu-8") << i;
  ASSERT_EQ(K("apply -f -", PodYaml("eight", "1", 8)).code, 0);
  EXPECT_EQ(NodeOf("eight"), "gpu-8");
  K("delete pod eight one-gpu-0 one-gpu-1 one-gpu-2 one-gpu-3 one-gpu-4 --grace-period=0 --force");
}

TEST_F(SchedulerE2E, HighPriorityPreemptsLowPriority) {
  ASSERT_EQ(K("apply -f -", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: low}\nvalue: 10\n---\n"
                            "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n---\n"
                            "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high-polite}\nvalue: 1000\n"
                            "preemptionPolicy: Never\n").code, 0);
  ASSERT_EQ(K("apply -f -", PodYaml("batch", "1", 8, "  priorityClassName: low\n  nodeSelector: {accelerator: h100}\n")).code, 0);
  EXPECT_EQ(NodeOf("batch"), "gpu-8");
  EXPECT_EQ(Get("batch", "{.spec.priority}"), "10");
  // preemptionPolicy: Never waits.
  ASSERT_EQ(K("apply -f -", PodYaml("polite", "1", 8, "  priorityClassName: high-polite\n  nodeSelector: {accelerator: h100}\n")).code, 0);
  ASSERT_TRUE(WaitFor([] { return !FailedMessage("polite").empty(); }));
  EXPECT_NE(FailedMessage("polite").find("preemption: not eligible due to preemptionPolicy=Never."), std::string::npos)
      << FailedMessage("polite");
  K("delete pod polite --grace-period=0 --force");
  ASSERT_EQ(K("apply -f -", PodYaml("urgent", "1", 8, "  priorityClassName: high\n  nodeSelector: {accelerator: h100}\n")).code, 0);
  // The victim is deleted gracefully (no agent here: it stays Terminating until forced).
  ASSERT_TRUE(WaitFor([] { return !Get("batch", "{.metadata.deletionTimestamp}").empty(); }))
      << K("get events").out;
  EXPECT_EQ(Get("urgent", "{.status.nominatedNodeName}"), "gpu-8");
  auto preempted = K("get events --field-selector involvedObject.name=batch,reason=Preempted -o jsonpath='{.items[*].message}'");
  EXPECT_NE(preempted.out.find("on node gpu-8"), std::string::npos) << preempted.out;
  ASSERT_EQ(K("delete pod batch --grace-period=0 --force").code, 0);
  EXPECT_EQ(NodeOf("urgent"), "gpu-8");
  // An unknown class is refused at admission.
  auto unknown = K("apply -f -", PodYaml("lost", "1", 0, "  priorityClassName: nope\n"));
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.err.find("no PriorityClass with name nope was found"), std::string::npos) << unknown.err;
  // A pod naming no class gets the globalDefault class (its name, value and policy), and 0 with
  // PreemptLowerPriority while there is none; a policy other than the class's is refused.
  ASSERT_EQ(K("apply -f -", PodYaml("plain", "100m", 0)).code, 0);
  EXPECT_EQ(Get("plain", "{.spec.priority} {.spec.preemptionPolicy}"), "0 PreemptLowerPriority");
  ASSERT_EQ(K("apply -f -", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: everyday}\nvalue: 50\n"
                            "globalDefault: true\npreemptionPolicy: Never\n").code, 0);
  ASSERT_EQ(K("apply -f -", PodYaml("defaulted", "100m", 0)).code, 0);
  EXPECT_EQ(Get("defaulted", "{.spec.priorityClassName} {.spec.priority} {.spec.preemptionPolicy}"), "everyday 50 Never");
  auto contrary = K("apply -f -", PodYaml("contrary", "100m", 0, "  preemptionPolicy: PreemptLowerPriority\n"));
  EXPECT_NE(contrary.code, 0);
  EXPECT_NE(contrary.err.find("the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; "
                              "priority admission controller computed Never from the given PriorityClass name"),
            std::string::npos)
      << contrary.err;
  K("delete pod urgent plain defaulted --grace-period=0 --force");
  K("delete priorityclass everyday");
}

}  // namespace
}  // namespace mlkube::testing
