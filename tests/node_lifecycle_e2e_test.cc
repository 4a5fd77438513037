// The node lifecycle and taint eviction controllers end to end: a simulated node with a Lease
// that stops being renewed goes Unknown and gets the unreachable taints; its pods are evicted
// as their tolerations say (DefaultTolerationSeconds gives them 300 s); a node back to
// heartbeating loses the taints. `mlkube server --node-monitor-grace-period 2s`, real kubectl.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

class NodeLifecycleE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>("nodelifecycle", /*agent=*/false, /*scheduler=*/false);
    ASSERT_TRUE(server_->Start({"--node-monitor-grace-period", "2s"})) << server_->log();
  }
  CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  static std::string Now(bool micro) {
    return Sh(std::string("date -u +%Y-%m-%dT%H:%M:%S") + (micro ? ".000000Z" : "Z")).out.substr(0, micro ? 27 : 20);
  }
  // What an agent's heartbeat does: the Ready condition and the Lease, renewed now.
  void Heartbeat() {
    ASSERT_EQ(K("patch node box --subresource=status --type=merge -p '{\"status\": {\"conditions\": [{\"type\": \"Ready\", "
                "\"status\": \"True\", \"reason\": \"KubeletReady\", \"lastHeartbeatTime\": \"" + Now(false) +
                "\", \"lastTransitionTime\": \"" + Now(false) + "\"}]}}'").code, 0);
    ASSERT_EQ(K("apply -f -", "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: box, namespace: "
                              "kube-node-lease}\nspec: {holderIdentity: box, leaseDurationSeconds: 40, renewTime: '" +
                              Now(true) + "'}\n").code, 0);
  }
  void Pod(const std::string& name, const std::string& tolerations) {
    ASSERT_EQ(K("apply -f -", "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  nodeName: box\n" +
                              tolerations + "  containers: [{name: c, image: x, command: [sleep, '1000']}]\n").code, 0);
  }
  bool Evicted(const std::string& pod) {
    const CmdResult r = K("get pod " + pod + " -o jsonpath={.metadata.deletionTimestamp}");
    return r.code != 0 || !r.out.empty();
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(NodeLifecycleE2E, ASilentNodeIsTaintedAndItsPodsEvictedAsTheirTolerationsSay) {
  ASSERT_EQ(K("create -f -", "apiVersion: v1\nkind: Node\nmetadata: {name: box}\n").code, 0);
  Heartbeat();
  Pod("brief", "  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, "
               "tolerationSeconds: 2}]\n");
  Pod("forever", "  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}]\n");
  Pod("default", "");
  // DefaultTolerationSeconds: 300 s on a not-ready or unreachable node.
  EXPECT_EQ(K("get pod default -o jsonpath='{range .spec.tolerations[*]}{.key}={.tolerationSeconds} {end}'").out,
            "node.kubernetes.io/not-ready=300 node.kubernetes.io/unreachable=300 ");
  EXPECT_EQ(K("get pod forever -o jsonpath='{range .spec.tolerations[*]}{.key}={.tolerationSeconds} {end}'").out,
            "node.kubernetes.io/unreachable= node.kubernetes.io/not-ready=300 ");

  // No heartbeat for the grace period: Unknown, and tainted.
  ASSERT_TRUE(WaitFor([&] { return K("get node box -o jsonpath={.status.conditions[0].status}").out == "Unknown"; },
                      15s)) << K("get node box -o yaml").out;
  EXPECT_EQ(K("get node box -o jsonpath={.status.conditions[0].reason}").out, "NodeStatusUnknown");
  EXPECT_EQ(K("get node box -o jsonpath={.status.conditions[0].message}").out, "Kubelet stopped posting node status.");
  ASSERT_TRUE(WaitFor([&] {
    return K("get node box -o jsonpath='{range .spec.taints[*]}{.key}:{.effect} {end}'").out ==
           "node.kubernetes.io/unreachable:NoSchedule node.kubernetes.io/unreachable:NoExecute ";
  }, 5s)) << K("get node box -o yaml").out;
  EXPECT_NE(K("get node box -o jsonpath={.spec.taints[1].timeAdded}").out, "");
  EXPECT_NE(K("get events --field-selector reason=NodeNotReady -o jsonpath={.items[*].message}").out.find(
                "Node box status is now: NodeNotReady"),
            std::string::npos);

  // The pod tolerating it for 2 s goes after 2 s; the others stay.
  EXPECT_FALSE(Evicted("brief"));
  ASSERT_TRUE(WaitFor([&] { return Evicted("brief"); }, 10s));
  EXPECT_EQ(K("get pod brief -o jsonpath='{.status.conditions[?(@.type==\"DisruptionTarget\")].reason}'").out,
            "DeletionByTaintManager");
  EXPECT_NE(K("get events --field-selector reason=TaintManagerEviction -o jsonpath={.items[*].message}").out.find(
                "Marking for deletion Pod default/brief"),
            std::string::npos);
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(Evicted("forever"));
  EXPECT_FALSE(Evicted("default"));

  // A NoExecute taint they do not tolerate evicts at once.
  ASSERT_EQ(K("taint node box maintenance=now:NoExecute").code, 0);
  EXPECT_TRUE(WaitFor([&] { return Evicted("forever") && Evicted("default"); }, 10s));

  // Heartbeats again: the unreachable taints go (the user's stays).
  Heartbeat();
  EXPECT_TRUE(WaitFor([&] {
    return K("get node box -o jsonpath='{range .spec.taints[*]}{.key} {end}'").out == "maintenance ";
  }, 10s)) << K("get node box -o yaml").out;
}

// A node below its memory eviction threshold (here one no machine can meet) reports
// MemoryPressure as the kubelet words it, and the node lifecycle controller taints it
// node.kubernetes.io/memory-pressure:NoSchedule: the scheduler sends new pods elsewhere unless
// they tolerate it; when the pressure is over the taint goes. As root: a real agent reads the
// real /proc/meminfo.
TEST(NodePressureE2E, MemoryPressureIsReportedAndTaintsTheNode) {
  if (::geteuid() != 0) GTEST_SKIP() << "the node agent needs root";
  ServerProcess server("pressure", /*agent=*/true, /*scheduler=*/true);
  ASSERT_TRUE(server.Start({"--eviction-hard", "memory.available<1Ei"})) << server.log();
  auto k = [&](const std::string& args, const std::string& input = "") { return server.Kubectl(args, input); };
  auto condition = [&](const std::string& field) {
    return k("get node node-1 -o jsonpath='{.status.conditions[?(@.type==\"MemoryPressure\")]." + field + "}'").out;
  };
  ASSERT_TRUE(WaitFor([&] { return condition("status") == "True"; }, 20s)) << k("get node node-1 -o yaml").out;
  EXPECT_EQ(condition("reason"), "KubeletHasInsufficientMemory");
  EXPECT_EQ(condition("message"), "kubelet has insufficient memory available");
  EXPECT_EQ(k("get node node-1 -o jsonpath='{.status.allocatable.memory}'").out, "0Ki");
  ASSERT_TRUE(WaitFor([&] {
    return k("get node node-1 -o jsonpath='{.spec.taints[*].key}'").out.find("node.kubernetes.io/memory-pressure") !=
           std::string::npos;
  }, 20s)) << k("get node node-1 -o yaml").out;
  EXPECT_EQ(k("get node node-1 -o jsonpath='{.spec.taints[?(@.key==\"node.kubernetes.io/memory-pressure\")].effect}'").out,
            "NoSchedule");
  auto pod = [](const std::string& name, const std::string& tolerations) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n" + tolerations +
           "  terminationGracePeriodSeconds: 0\n  containers: [{name: c, image: x, command: [sleep, '1000']}]\n";
  };
  ASSERT_EQ(k("apply -f -", pod("plain", "")).code, 0);
  ASSERT_EQ(k("apply -f -", pod("tolerant", "  tolerations: [{key: node.kubernetes.io/memory-pressure, operator: Exists, "
                                            "effect: NoSchedule}]\n")).code, 0);
  EXPECT_TRUE(WaitFor([&] { return k("get pod tolerant -o jsonpath={.status.phase}").out == "Running"; }, 30s));
  std::string events;
  EXPECT_TRUE(WaitFor([&] {
    events = k("get events --field-selector involvedObject.name=plain,reason=FailedScheduling -o jsonpath='{.items[*].message}'").out;
    return !events.empty();
  }, 20s));
  EXPECT_NE(events.find("0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }."),
            std::string::npos) << events;
  EXPECT_EQ(k("get pod plain -o jsonpath={.spec.nodeName}").out, "");
  // The pressure over (the server back with the default threshold): the condition turns, the
  // taint goes, and the waiting pod is scheduled without anyone asking.
  server.Stop();
  ASSERT_TRUE(server.Start({"--eviction-hard", "memory.available<100Mi"})) << server.log();
  EXPECT_TRUE(WaitFor([&] { return condition("status") == "False"; }, 20s));
  EXPECT_EQ(condition("reason"), "KubeletHasSufficientMemory");
  EXPECT_TRUE(WaitFor([&] { return k("get pod plain -o jsonpath={.status.phase}").out == "Running"; }, 30s))
      << k("get node node-1 -o yaml").out;
  EXPECT_EQ(k("get node node-1 -o jsonpath='{.spec.taints}'").out, "");
  k("delete pods --all --grace-period=0 --force");
}

}  // namespace
}  // namespace mlkube::testing
