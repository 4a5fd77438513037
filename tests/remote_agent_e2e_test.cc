// A node agent in a process of its own (`mlkube agent`), joined to a server that runs none:
// kubectl logs (and -f), exec, port-forward, top and nodes/proxy reach its pods through the
// API server, which calls the agent's HTTPS port with the admin token and accepts only the
// certificate the Node names. As root (cgroups, namespaces).

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

class RemoteAgentE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    server_ = new ServerProcess("remote-agent");
    ASSERT_TRUE(server_->Start()) << server_->log();
    agent_ = new AgentProcess(*server_, "edge-1");
    ASSERT_TRUE(agent_->Start({"--metric-resolution", "1s"})) << agent_->log() << server_->log();
  }
  static void TearDownTestSuite() {
    if (server_) K("delete pods --all --grace-period=0 --force --wait=false");
    delete agent_;
    agent_ = nullptr;
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the node agent needs root";
  }

  static CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  static std::string Get(const std::string& what, const std::string& jsonpath) {
    return K("get " + what + " -o jsonpath='" + jsonpath + "'").out;
  }
  static bool Running(const std::string& pod) {
    return WaitFor([&] { return Get("pod " + pod, "{.status.phase}") == "Running"; }, 30s);
  }
  static std::string PodYaml(const std::string& name, const std::string& script) {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  nodeName: edge-1\n"
           "  terminationGracePeriodSeconds: 0\n  containers:\n  - name: main\n    image: debian\n"
           "    command: [sh, -c, " + Json(script).dump() + "]\n";
  }
  // The agent's port, as its Node gives it.
  static std::string AgentPort() { return Get("node edge-1", "{.status.daemonEndpoints.kubeletEndpoint.Port}"); }

  static ServerProcess* server_;
  static AgentProcess* agent_;
};

ServerProcess* RemoteAgentE2E::server_ = nullptr;
AgentProcess* RemoteAgentE2E::agent_ = nullptr;

TEST_F(RemoteAgentE2E, NodeNamesItsPortAndCertificate) {
  const std::string port = AgentPort();
  ASSERT_FALSE(port.empty());
  EXPECT_GT(std::stoi(port), 0);
  const std::string pin = Get("node edge-1", "{.metadata.annotations.node\\.mlkube\\.io/serving-cert-sha256}");
  // The fingerprint is that of the certificate the port presents.
  auto seen = Sh("echo | openssl s_client -connect 127.0.0.1:" + port +
                 " 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f");
  EXPECT_EQ(seen.out, pin + "\n");
  // The port is not open to anyone: no token, or a wrong one, is refused.
  for (const std::string& auth : {std::string(""), std::string("-H 'Authorization: Bearer wrong' ")}) {
    auto r = Sh("curl -sk -o /dev/null -w '%{http_code}' " + auth + "https://127.0.0.1:" + port + "/metrics");
    EXPECT_EQ(r.out, "401") << auth;
  }
  auto ok = Sh("curl -sk -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer " + server_->Token() +
               "' https://127.0.0.1:" + port + "/metrics");
  EXPECT_EQ(ok.out, "200");
}

TEST_F(RemoteAgentE2E, LogsAndFollowReachThePodsOfARemoteNode) {
  ASSERT_EQ(K("apply -f -", PodYaml("ticker", "for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done; sleep 1000")).code, 0);
  ASSERT_TRUE(Running("ticker")) << agent_->log();
  auto follow = Sh(server_->Env() + "timeout 8 kubectl logs -f ticker");
  // kubectl streams until it is stopped: the relay passed each line as it came.
  EXPECT_EQ(follow.code, 124) << follow.err;
  EXPECT_EQ(follow.out, "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n") << follow.err;
  auto tail = K("logs ticker --tail=2");
  EXPECT_EQ(tail.out, "tick 4\ntick 5\n") << tail.err;
  // The server's own checks still come first, in its words.
  auto bad = K("logs ticker -c nope");
  EXPECT_NE(bad.err.find("container nope is not valid for pod ticker"), std::string::npos) << bad.err;
}

TEST_F(RemoteAgentE2E, ExecRelaysOutputExitCodesAndStdin) {
  ASSERT_EQ(K("apply -f -", PodYaml("shell", "sleep 1000")).code, 0);
  ASSERT_TRUE(Running("shell"));
  auto out = K("exec shell -- sh -c 'echo out; hostname'");
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(out.out, "out\nshell\n");
  auto err = K("exec shell -- sh -c 'echo oops >&2; exit 3'");
  EXPECT_EQ(err.code, 3);
  EXPECT_NE(err.err.find("command terminated with exit code 3"), std::string::npos) << err.err;
  // Enough input to fill the relay's queues several times over, checked on the way back.
  auto in = K("exec -i shell -- sh -c 'wc -c; echo done'", std::string(8 << 20, 'x'));
  EXPECT_EQ(in.code, 0) << in.err;
  EXPECT_EQ(in.out, std::to_string(8 << 20) + "\ndone\n");
  auto big = Sh(server_->Env() + "kubectl exec shell -- head -c 20000000 /dev/zero | wc -c");
  EXPECT_EQ(big.out, "20000000\n") << big.err;
  // A terminal, and its size, through the relay too.
  auto term = Sh(server_->Env() + "script -qec \"stty cols 101 rows 33; kubectl exec -it shell -- stty size\" /dev/null");
  EXPECT_EQ(term.code, 0) << term.out;
  EXPECT_NE(term.out.find("33 101\r\n"), std::string::npos) << term.out;
}

TEST_F(RemoteAgentE2E, PortForwardReachesAServerInThePod) {
  ASSERT_EQ(K("apply -f -", PodYaml("web", "mkdir -p /tmp/www && echo hello-web > /tmp/www/status && cd /tmp/www && "
                                         "exec python3 -m http.server --bind 127.0.0.1 8080")).code, 0);
  ASSERT_TRUE(Running("web"));
  const std::string log = (server_->dir() / "pf.log").string();
  auto r = Sh(server_->Env() + "kubectl port-forward pod/web :8080 >" + log + " 2>&1 & pf=$!\n"
              "for i in $(seq 100); do grep -q Forwarding " + log + " && break; sleep 0.1; done\n"
              "PORT=$(sed -n 's/^Forwarding from 127.0.0.1:\\([0-9]*\\) .*/\\1/p' " + log + ")\n"
              "for i in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:$PORT/status && break; sleep 0.2; done\n"
              "curl -sf http://127.0.0.1:$PORT/status | head -1; rc=$?\nkill $pf; wait $pf\nexit $rc\n");
  EXPECT_EQ(r.code, 0) << r.err << ReadFile(log);
  EXPECT_EQ(r.out, "hello-web\n") << ReadFile(log);
}

TEST_F(RemoteAgentE2E, TopAndNodeProxyServeTheRemoteAgentsMetrics) {
  ASSERT_EQ(K("apply -f -", PodYaml("busy", "while :; do :; done")).code, 0);
  ASSERT_TRUE(Running("busy"));
  CmdResult top;
  EXPECT_TRUE(WaitFor([&] { return (top = K("top pod busy --no-headers")).code == 0; }, 30s)) << top.err;
  EXPECT_EQ(top.out.rfind("busy ", 0), 0u) << top.out;
  CmdResult node;
  EXPECT_TRUE(WaitFor([&] { return (node = K("top node edge-1 --no-headers")).code == 0; }, 30s)) << node.err;
  auto resource = K("get --raw /api/v1/nodes/edge-1/proxy/metrics/resource");
  EXPECT_NE(resource.out.find("container_cpu_usage_seconds_total{container=\"main\""), std::string::npos) << resource.err;
  // Something that only looks like a WebSocket handshake starts nothing on the agent.
  auto fake = server_->Curl("-s -o /dev/null -w '%{http_code}' -X POST -H 'Upgrade: websocket' '" + server_->url() +
                            "/api/v1/namespaces/default/pods/busy/exec?command=touch&command=/tmp/ran&stdout=true'");
  EXPECT_EQ(fake.out, "400");
  EXPECT_NE(K("exec busy -- ls /tmp/ran").code, 0);
  K("delete pod busy --grace-period=0 --force");
}

TEST_F(RemoteAgentE2E, AnAgentWithAnotherCertificateOrNoneIsNotTrusted) {
  ASSERT_EQ(K("apply -f -", PodYaml("quiet", "echo hello; sleep 1000")).code, 0);
  ASSERT_TRUE(Running("quiet"));
  const std::string pin = Get("node edge-1", "{.metadata.annotations.node\\.mlkube\\.io/serving-cert-sha256}");
  // Someone else's certificate at the Node's address: the server refuses to talk to it.
  ASSERT_EQ(K("annotate node edge-1 --overwrite node.mlkube.io/serving-cert-sha256=" + std::string(64, '0')).code, 0);
  auto refused = K("logs quiet");
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("presented a certificate other than the one node edge-1 names"), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.out, "");
  ASSERT_EQ(K("annotate node edge-1 --overwrite node.mlkube.io/serving-cert-sha256=" + pin).code, 0);
  EXPECT_EQ(K("logs quiet").out, "hello\n");
  // The agent gone: the API answers at once that the node's agent cannot be reached.
  agent_->Stop();
  auto down = K("logs quiet");
  EXPECT_NE(down.code, 0);
  EXPECT_NE(down.err.find("error dialing backend: dial tcp 127.0.0.1:" + AgentPort()), std::string::npos) << down.err;
  EXPECT_EQ(Sh("curl -skf " + server_->url() + "/readyz").code, 0);
  // Back again, on the same certificate: its pods were kept and are reachable.
  ASSERT_TRUE(agent_->Start({"--metric-resolution", "1s"})) << agent_->log();
  EXPECT_EQ(Get("node edge-1", "{.metadata.annotations.node\\.mlkube\\.io/serving-cert-sha256}"), pin);
  EXPECT_TRUE(WaitFor([&] { return K("logs quiet").out == "hello\n"; }, 20s)) << K("logs quiet").err;
}

}  // namespace
}  // namespace mlkube::testing
