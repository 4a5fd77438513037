// The node lifecycle and taint eviction controllers end to end: a simulated node with a Lease
// that stops being renewed goes Unknown and gets the unreachable taints; its pods are evicted
// as their tolerations say (DefaultTolerationSeconds gives them 300 s); a node back to
// heartbeating loses the taints. `mlkube server --node-monitor-grace-period 2s`, real kubectl.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mlkube::testing
