// The node agent end to end: `mlkube server --fake-gpus 4` with its local agent, driven by the
// real kubectl; pods run as real processes in real cgroups and namespaces (root, as in CI).

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

class AgentE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess("agent", /*agent=*/true);
    ASSERT_TRUE(server_->Start({"--fake-gpus", "4"})) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static CmdResult K(const std::string& args, const std::string& input = "") {
    return server_->Kubectl(args, input);
  }
  static std::string Get(const std::string& pod, const std::string& jsonpath) {
    return K("get pod " + pod + " -o jsonpath='" + jsonpath + "'").out;
  }
  static bool WaitFor(const std::function<bool()>& ok, std::chrono::seconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return ok();
  }
  static bool WaitPhase(const std::string& pod, const std::string& phase, std::chrono::seconds limit = 30s) {
    return WaitFor([&] { return Get(pod, "{.status.phase}") == phase; }, limit);
  }
  // A pod bound to node-1 (no scheduler needed) running `script` with sh.
  static std::string PodYaml(const std::string& name, const std::string& script,
                             const std::string& extra_container = "", const std::string& extra_spec = "",
                             const std::string& restart = "Never") {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  nodeName: node-1\n"
           "  restartPolicy: " + restart + "\n" + extra_spec +
           "  containers:\n  - name: main\n    image: busybox\n    command: [\"sh\", \"-c\", " +
           "\"" + script + "\"]\n" + extra_container;
  }
  static CmdResult Apply(const std::string& yaml) { return K("apply -f -", yaml); }
  // A directory of the host shared with a pod at /host (containers' own writes stay private).
  static std::string HostDir() {
    std::string dir = (server_->dir() / "shared").string();
    std::filesystem::create_directories(dir);
    return dir;
  }
  static std::string HostMount() { return "    volumeMounts: [{name: host, mountPath: /host}]\n"; }
  static std::string HostVolume() { return "  volumes: [{name: host, hostPath: {path: " + HostDir() + "}}]\n"; }

  static ServerProcess* server_;
};

ServerProcess* AgentE2E::server_ = nullptr;

TEST_F(AgentE2E, NodeRegistersWithCapacityGpusAndLease) {
  auto nodes = K("get nodes -o wide");
  EXPECT_NE(nodes.out.find("node-1"), std::string::npos) << nodes.out << nodes.err;
  EXPECT_NE(nodes.out.find("Ready"), std::string::npos) << nodes.out;
  EXPECT_EQ(K("get node node-1 -o jsonpath='{.status.capacity.nvidia\\.com/gpu}'").out, "4");
  EXPECT_EQ(K("get node node-1 -o jsonpath='{.status.allocatable.pods}'").out, "110");
  EXPECT_EQ(K("get node node-1 -o jsonpath='{.metadata.labels.nvidia\\.com/gpu\\.product}'").out, "Fake-GPU");
  EXPECT_EQ(K("get node node-1 -o jsonpath='{.metadata.labels.kubernetes\\.io/hostname}'").out, "node-1");
  std::string conditions = K("get node node-1 -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}'").out;
  EXPECT_EQ(conditions, "MemoryPressure=False DiskPressure=False PIDPressure=False Ready=True ") << conditions;
  EXPECT_EQ(K("get lease -n kube-node-lease node-1 -o jsonpath='{.spec.holderIdentity}'").out, "node-1");
}

TEST_F(AgentE2E, PodRunsToCompletionWithLogs) {
  // `read` is a shell builtin: /proc/self is the shell, PID 1 of the pod's namespace.
  ASSERT_EQ(Apply(PodYaml("hello", "echo hello from $HOSTNAME; read p x < /proc/self/stat; echo pid=$p; "
                                   "sleep 0.1; echo to stderr >&2")).code, 0);
  ASSERT_TRUE(WaitPhase("hello", "Succeeded")) << K("get pod hello -o yaml").out;
  EXPECT_EQ(Get("hello", "{.status.containerStatuses[0].state.terminated.exitCode}"), "0");
  EXPECT_EQ(Get("hello", "{.status.containerStatuses[0].state.terminated.reason}"), "Completed");
  EXPECT_EQ(K("get pod hello").out.find("Completed") != std::string::npos, true);
  auto logs = K("logs hello");
  EXPECT_EQ(logs.out, "hello from hello\npid=1\nto stderr\n") << logs.err;
  auto ts = K("logs hello --timestamps --tail=1");
  EXPECT_NE(ts.out.find("Z to stderr\n"), std::string::npos) << ts.out;
  EXPECT_EQ(ts.out.find("hello from"), std::string::npos) << ts.out;
  auto events = K("get events --field-selector involvedObject.name=hello -o jsonpath='{.items[*].reason}'");
  EXPECT_NE(events.out.find("Started"), std::string::npos) << events.out;
}

TEST_F(AgentE2E, MemoryLimitIsOomKilled) {
  ASSERT_EQ(Apply(PodYaml("oom", "python3 -c 'b = bytearray(300 * 1024 * 1024)'",
                          "    resources:\n      limits:\n        memory: 64Mi\n")).code, 0);
  ASSERT_TRUE(WaitPhase("oom", "Failed"));
  EXPECT_EQ(Get("oom", "{.status.containerStatuses[0].state.terminated.reason}"), "OOMKilled");
  EXPECT_EQ(Get("oom", "{.status.containerStatuses[0].state.terminated.exitCode}"), "137");
  EXPECT_TRUE(WaitFor([] {
    return K("get events --field-selector involvedObject.name=oom -o jsonpath='{.items[*].reason}'").out.find(
               "OOMKilled") != std::string::npos;
  }));
}

TEST_F(AgentE2E, CpuLimitThrottles) {
  ASSERT_EQ(Apply(PodYaml("busy", "while :; do :; done",
                          "    resources:\n      limits:\n        cpu: 300m\n")).code, 0);
  ASSERT_TRUE(WaitPhase("busy", "Running"));
  const std::string uid = Get("busy", "{.metadata.uid}");
  const std::string usage = "/sys/fs/cgroup/cpuacct/" + server_->cgroup_root() + "/pod" + uid + "/main/cpuacct.usage";
  const bool v2 = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers");
  auto read = [&]() -> double {
    if (!v2) return std::stod(ReadFile(usage)) / 1e9;
    std::string stat = ReadFile("/sys/fs/cgroup/" + server_->cgroup_root() + "/pod" + uid + "/main/cpu.stat");
    return std::stod(stat.substr(stat.find("usage_usec") + 11)) / 1e6;
  };
  std::this_thread::sleep_for(500ms);
  double before = read();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(3s);
  double used = read() - before;
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The quota caps it within 10%; below the limit a busy CI machine may starve it a little.
  EXPECT_LE(used / wall, 0.33) << "cores used: " << used / wall;
  EXPECT_GE(used / wall, 0.2) << "cores used: " << used / wall;
  ASSERT_EQ(K("delete pod busy --grace-period=1").code, 0);
}

TEST_F(AgentE2E, InitContainersRunInOrderAndAFailureBlocksTheApp) {
  const std::string stamp = HostDir() + "/init-order";
  const std::string mount = ", volumeMounts: [{name: host, mountPath: /host}]";
  std::string yaml =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: init-ok\nspec:\n  nodeName: node-1\n  restartPolicy: Never\n" +
      HostVolume() +
      "  initContainers:\n"
      "  - {name: one, image: x, command: [sh, -c, 'sleep 0.3; echo one >> /host/init-order']" + mount + "}\n"
      "  - {name: two, image: x, command: [sh, -c, 'echo two >> /host/init-order']" + mount + "}\n"
      "  containers:\n  - {name: main, image: x, command: [sh, -c, 'echo main >> /host/init-order']" + mount + "}\n";
  ASSERT_EQ(Apply(yaml).code, 0);
  ASSERT_TRUE(WaitPhase("init-ok", "Succeeded")) << K("get pod init-ok -o yaml").out;
  EXPECT_EQ(ReadFile(stamp), "one\ntwo\nmain\n");

  std::string failing =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: init-bad\nspec:\n  nodeName: node-1\n  restartPolicy: Never\n"
      "  initContainers:\n  - {name: fetch, image: x, command: [sh, -c, 'echo no data; exit 3']}\n"
      "  containers:\n  - {name: train, image: x, command: [sh, -c, 'echo should not run']}\n";
  ASSERT_EQ(Apply(failing).code, 0);
  ASSERT_TRUE(WaitPhase("init-bad", "Failed"));
  EXPECT_EQ(Get("init-bad", "{.status.initContainerStatuses[0].state.terminated.exitCode}"), "3");
  EXPECT_EQ(Get("init-bad", "{.status.containerStatuses[0].state.waiting.reason}"), "PodInitializing");
  EXPECT_NE(K("get pod init-bad").out.find("Init:Error"), std::string::npos) << K("get pod init-bad").out;
  EXPECT_EQ(K("logs init-bad -c fetch").out, "no data\n");
  EXPECT_NE(K("logs init-bad -c train").err.find("is waiting to start"), std::string::npos);
}

TEST_F(AgentE2E, CrashingContainerBacksOff) {
  ASSERT_EQ(Apply(PodYaml("crash", "echo crashing; exit 1", "", "", "Always")).code, 0);
  // First restart at once, then 10 s, then 20 s.
  ASSERT_TRUE(WaitFor([] {
    return Get("crash", "{.status.containerStatuses[0].state.waiting.message}").find("back-off 10s") != std::string::npos;
  })) << K("get pod crash -o yaml").out;
  EXPECT_EQ(Get("crash", "{.status.containerStatuses[0].restartCount}"), "1");
  EXPECT_EQ(Get("crash", "{.status.containerStatuses[0].state.waiting.reason}"), "CrashLoopBackOff");
  EXPECT_EQ(Get("crash", "{.status.containerStatuses[0].lastState.terminated.exitCode}"), "1");
  EXPECT_EQ(Get("crash", "{.status.phase}"), "Running");
  ASSERT_TRUE(WaitFor([] {
    return Get("crash", "{.status.containerStatuses[0].state.waiting.message}").find("back-off 20s") != std::string::npos;
  }, 20s)) << K("get pod crash -o yaml").out;
  EXPECT_EQ(Get("crash", "{.status.containerStatuses[0].restartCount}"), "2");
  EXPECT_EQ(K("logs crash --previous").out, "crashing\n");
  auto events = K("get events --field-selector involvedObject.name=crash,reason=BackOff -o name");
  EXPECT_FALSE(events.out.empty());
  ASSERT_EQ(K("delete pod crash --grace-period=0").code, 0);
}

TEST_F(AgentE2E, GracefulTerminationSendsTermThenKills) {
  const std::string mark = HostDir() + "/term";
  ASSERT_EQ(Apply(PodYaml("polite", "trap 'echo got TERM > /host/term; exit 0' TERM; while :; do sleep 0.1; done",
                          HostMount(), HostVolume())).code, 0);
  ASSERT_EQ(Apply(PodYaml("stubborn", "trap '' TERM; while :; do sleep 0.1; done", "",
                          "  terminationGracePeriodSeconds: 2\n")).code, 0);
  ASSERT_TRUE(WaitPhase("polite", "Running"));
  ASSERT_TRUE(WaitPhase("stubborn", "Running"));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(K("delete pod polite").code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(ReadFile(mark), "got TERM\n");
  const std::string uid = Get("stubborn", "{.metadata.uid}");
  t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(K("delete pod stubborn").code, 0);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 1800ms);
  EXPECT_LT(took, 8s);
  // Nothing of it is left: no processes, no cgroup.
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/pids/" + server_->cgroup_root() + "/pod" + uid));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/" + server_->cgroup_root() + "/pod" + uid));
}

TEST_F(AgentE2E, EvictionAndDrainStopPods) {
  for (const char* name : {"evicted", "drained"}) {
    ASSERT_EQ(Apply(PodYaml(name, "trap 'exit 0' TERM; while :; do sleep 0.1; done")).code, 0);
  }
  ASSERT_TRUE(WaitPhase("evicted", "Running"));
  ASSERT_TRUE(WaitPhase("drained", "Running"));
  const std::string url = server_->url() + "/api/v1/namespaces/default/pods/evicted/eviction";
  auto evict = [&](const std::string& name) {
    return server_->Curl("-X POST -H 'Content-Type: application/json' -d '{\"apiVersion\": \"policy/v1\", "
                         "\"kind\": \"Eviction\", \"metadata\": {\"name\": \"" + name +
                         "\"}, \"deleteOptions\": {\"gracePeriodSeconds\": 5}}' " + url).out;
  };
  const Json wrong = Json::parse(evict("other"), nullptr, false);
  EXPECT_EQ(wrong.value("code", 0), 400) << wrong.dump();
  EXPECT_EQ(wrong.value("message", ""), "name in URL does not match name in Eviction object");
  EXPECT_EQ(Get("evicted", "{.status.phase}"), "Running");
  const Json ok = Json::parse(evict("evicted"), nullptr, false);
  EXPECT_EQ(ok.value("code", 0), 201) << ok.dump();
  EXPECT_EQ(ok.value("status", ""), "Success");
  EXPECT_TRUE(WaitFor([&] { return K("get pod evicted").code != 0; }));

  // kubectl drain deletes with a protobuf DeleteOptions body.
  const CmdResult drain = K("drain node-1 --force --ignore-daemonsets --timeout=30s");
  EXPECT_EQ(drain.code, 0) << drain.out << drain.err;
  EXPECT_NE(drain.out.find("pod/drained deleted"), std::string::npos) << drain.out;
  EXPECT_NE(K("get pod drained").code, 0);
  EXPECT_EQ(K("get node node-1 -o jsonpath={.spec.unschedulable}").out, "true");
  EXPECT_EQ(K("uncordon node-1").code, 0);
}

TEST_F(AgentE2E, BadCommandsGiveClearReasons) {
  std::string yaml =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nocmd\nspec:\n  nodeName: node-1\n"
      "  containers:\n  - {name: web, image: nginx}\n---\n"
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: notfound\nspec:\n  nodeName: node-1\n  restartPolicy: Never\n"
      "  containers:\n  - {name: main, image: x, command: [no-such-binary-mlkube]}\n";
  ASSERT_EQ(Apply(yaml).code, 0);
  ASSERT_TRUE(WaitPhase("nocmd", "Failed"));
  EXPECT_EQ(Get("nocmd", "{.status.reason}"), "ImageNotSupported");
  EXPECT_NE(Get("nocmd", "{.status.message}").find("has no command"), std::string::npos);
  ASSERT_TRUE(WaitPhase("notfound", "Failed"));
  EXPECT_EQ(Get("notfound", "{.status.containerStatuses[0].state.terminated.reason}"), "ContainerCannotRun");
  EXPECT_EQ(Get("notfound", "{.status.containerStatuses[0].state.terminated.message}"),
            "exec: \"no-such-binary-mlkube\": executable file not found in $PATH");
  EXPECT_TRUE(WaitFor([] {
    return K("get events --field-selector involvedObject.name=notfound,reason=Failed -o jsonpath='{.items[*].message}'")
               .out.find("executable file not found") != std::string::npos;
  }));
}

TEST_F(AgentE2E, EnvironmentFromTheApi) {
  ASSERT_EQ(K("create configmap train-config --from-literal=LR=0.01").code, 0);
  std::string yaml = PodYaml("env", "echo lr=$LR node=$NODE mem=$MEM",
                             "    resources:\n      limits:\n        memory: 128Mi\n"
                             "    env:\n"
                             "    - name: LR\n      valueFrom: {configMapKeyRef: {name: train-config, key: LR}}\n"
                             "    - name: NODE\n      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}\n"
                             "    - name: MEM\n      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}\n");
  ASSERT_EQ(Apply(yaml).code, 0);
  ASSERT_TRUE(WaitPhase("env", "Succeeded"));
  EXPECT_EQ(K("logs env").out, "lr=0.01 node=node-1 mem=128\n");

  ASSERT_EQ(Apply(PodYaml("env-missing", "echo $X",
                          "    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: absent, key: k}}\n")).code, 0);
  ASSERT_TRUE(WaitFor([] {
    return Get("env-missing", "{.status.containerStatuses[0].state.waiting.reason}") == "CreateContainerConfigError";
  }));
  EXPECT_EQ(Get("env-missing", "{.status.containerStatuses[0].state.waiting.message}"), "configmap \"absent\" not found");
  // The missing object appears: the container starts.
  ASSERT_EQ(K("create configmap absent --from-literal=k=v").code, 0);
  EXPECT_TRUE(WaitPhase("env-missing", "Succeeded"));
}

// Service link variables, as the kubelet writes them: the pod's namespace's Services that
// existed when the container started, none with enableServiceLinks: false.
TEST_F(AgentE2E, ServiceLinksNameTheNamespacesServices) {
  ASSERT_EQ(K("create service clusterip model-api --tcp=8080:8080").code, 0);
  ASSERT_EQ(K("create namespace other-team").code, 0);
  ASSERT_EQ(K("create service clusterip -n other-team elsewhere --tcp=80:80").code, 0);
  const std::string ip = K("get service model-api -o jsonpath='{.spec.clusterIP}'").out;
  ASSERT_FALSE(ip.empty());
  ASSERT_TRUE(WaitFor([] { return K("get service elsewhere -n other-team -o name").code == 0; }));
  const std::string script = "echo $MODEL_API_SERVICE_HOST:$MODEL_API_SERVICE_PORT; echo other=$ELSEWHERE_SERVICE_HOST";
  ASSERT_EQ(Apply(PodYaml("links", script) + "---\n" + PodYaml("no-links", script, "", "  enableServiceLinks: false\n")).code, 0);
  ASSERT_TRUE(WaitPhase("links", "Succeeded"));
  ASSERT_TRUE(WaitPhase("no-links", "Succeeded"));
  EXPECT_EQ(K("logs links").out, ip + ":8080\nother=\n");
  EXPECT_EQ(K("logs no-links").out, ":\nother=\n");
  K("delete namespace other-team --wait=false");
  K("delete service model-api");
}

TEST_F(AgentE2E, LogsFollowStreams) {
  ASSERT_EQ(Apply(PodYaml("ticker", "for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done")).code, 0);
  ASSERT_TRUE(WaitPhase("ticker", "Running"));
  auto t0 = std::chrono::steady_clock::now();
  auto follow = K("logs -f ticker");
  EXPECT_EQ(follow.out, "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n") << follow.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST_F(AgentE2E, GpusAreWholeDisjointAndHiddenFromOthers) {
  auto gpu_pod = [](const std::string& name, int n) {
    return PodYaml(name, "echo gpus=$CUDA_VISIBLE_DEVICES; sleep 1000",
                   "    resources:\n      limits:\n        nvidia.com/gpu: " + std::to_string(n) + "\n", "", "Always");
  };
  ASSERT_EQ(Apply(gpu_pod("gpu-a", 1) + "---\n" + gpu_pod("gpu-b", 2) + "---\n" + gpu_pod("gpu-c", 1) + "---\n" +
                  PodYaml("cpu-only", "echo gpus=[$CUDA_VISIBLE_DEVICES] nvidia=$NVIDIA_VISIBLE_DEVICES; sleep 1000",
                          "", "", "Always")).code, 0);
  std::set<std::string> seen;
  size_t total = 0;
  for (const char* p : {"gpu-a", "gpu-b", "gpu-c"}) {
    ASSERT_TRUE(WaitFor([&] { return K(std::string("logs ") + p).out.rfind("gpus=", 0) == 0; })) << p;
    std::string line = K(std::string("logs ") + p).out;
    std::string list = line.substr(5, line.find('\n') - 5);
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string uuid = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      EXPECT_EQ(uuid.rfind("GPU-fake-node-1-", 0), 0u) << uuid;
      seen.insert(uuid);
      ++total;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  EXPECT_EQ(total, 4u);
  EXPECT_EQ(seen.size(), 4u);  // disjoint
  ASSERT_TRUE(WaitFor([] { return !K("logs cpu-only").out.empty(); }));
  EXPECT_EQ(K("logs cpu-only").out, "gpus=[] nvidia=void\n");

  // A fifth GPU is not there: the agent refuses the pod as the kubelet does.
  ASSERT_EQ(Apply(gpu_pod("gpu-d", 1)).code, 0);
  ASSERT_TRUE(WaitPhase("gpu-d", "Failed"));
  EXPECT_EQ(Get("gpu-d", "{.status.reason}"), "UnexpectedAdmissionError");
  EXPECT_EQ(Get("gpu-d", "{.status.message}"),
            "Pod was rejected: Allocate failed due to requested number of devices unavailable for "
            "nvidia.com/gpu. Requested: 1, Available: 0, which is unexpected");

  // The allocations survive a restart of the agent (here, of the whole server, with kill -9).
  const std::string before = K("logs gpu-b").out;
  server_->Kill9();
  ASSERT_TRUE(server_->Start());
  ASSERT_EQ(Apply(gpu_pod("gpu-e", 1)).code, 0);
  ASSERT_TRUE(WaitPhase("gpu-e", "Failed"));
  EXPECT_EQ(Get("gpu-e", "{.status.reason}"), "UnexpectedAdmissionError");
  // Releasing one (deleting its pod) makes room.
  ASSERT_EQ(K("delete pod gpu-a --grace-period=0 --force").code, 0);
  ASSERT_EQ(Apply(gpu_pod("gpu-f", 1)).code, 0);
  EXPECT_TRUE(WaitPhase("gpu-f", "Running"));
  EXPECT_EQ(K("logs gpu-b").out, before);
  for (const char* p : {"gpu-b", "gpu-c", "gpu-d", "gpu-e", "gpu-f", "cpu-only"}) {
    K(std::string("delete pod ") + p + " --grace-period=0 --force");
  }
}

TEST_F(AgentE2E, PodsSurviveServerKill9AndAreNotStartedTwice) {
  const std::string starts = HostDir() + "/starts";
  ASSERT_EQ(Apply(PodYaml("survivor", "echo started >> /host/starts; sleep 1000", HostMount(), HostVolume(), "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("survivor", "Running"));
  const std::string started_at = Get("survivor", "{.status.containerStatuses[0].state.running.startedAt}");
  server_->Kill9();
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(ReadFile(starts), "started\n");  // still running, alone
  ASSERT_TRUE(server_->Start());
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(ReadFile(starts), "started\n");
  EXPECT_EQ(Get("survivor", "{.status.phase}"), "Running");
  EXPECT_EQ(Get("survivor", "{.status.containerStatuses[0].restartCount}"), "0");
  EXPECT_EQ(Get("survivor", "{.status.containerStatuses[0].state.running.startedAt}"), started_at);
  ASSERT_EQ(K("delete pod survivor --grace-period=1").code, 0);
}

TEST_F(AgentE2E, PodsHaveTheirOwnAddressesAndShareNoPorts) {
  // Two replicas of one server, both on port 8080, each answering on its own IP.
  auto server = [](const std::string& name) {
    return PodYaml(name, "python3 -c \\\"import http.server, socket\\n"
                         "class H(http.server.BaseHTTPRequestHandler):\\n"
                         "  def do_GET(self):\\n"
                         "    self.send_response(200); self.end_headers(); self.wfile.write(socket.gethostname().encode())\\n"
                         "http.server.HTTPServer(('0.0.0.0', 8080), H).serve_forever()\\\"",
                   "", "", "Always");
  };
  ASSERT_EQ(Apply(server("web-a") + "---\n" + server("web-b")).code, 0);
  ASSERT_TRUE(WaitPhase("web-a", "Running"));
  ASSERT_TRUE(WaitPhase("web-b", "Running"));
  const std::string ip_a = Get("web-a", "{.status.podIP}"), ip_b = Get("web-b", "{.status.podIP}");
  EXPECT_NE(ip_a, ip_b);
  const std::string prefix = server_->pod_cidr().substr(0, server_->pod_cidr().rfind('.') + 1);
  EXPECT_EQ(ip_a.rfind(prefix, 0), 0u) << ip_a << " not in " << server_->pod_cidr();
  auto answer = [](const std::string& ip) {
    for (int i = 0; i < 100; ++i) {
      auto r = Sh("curl -s --max-time 2 http://" + ip + ":8080/");
      if (r.code == 0) return r.out;
      std::this_thread::sleep_for(100ms);
    }
    return std::string("no answer");
  };
  EXPECT_EQ(answer(ip_a), "web-a");
  EXPECT_EQ(answer(ip_b), "web-b");
  // Pod to pod, and the pod's own name in its /etc/hosts.
  ASSERT_EQ(Apply(PodYaml("client", "cat /etc/hosts | tail -1; python3 -c \\\"import urllib.request; "
                                    "print(urllib.request.urlopen('http://" + ip_b + ":8080/').read().decode())\\\"")).code, 0);
  ASSERT_TRUE(WaitPhase("client", "Succeeded")) << K("logs client").out;
  const std::string client_ip = Get("client", "{.status.podIP}");
  EXPECT_EQ(K("logs client").out, client_ip + "\tclient\nweb-b\n");
  // hostNetwork pods use the node's address and network.
  ASSERT_EQ(Apply(PodYaml("hostnet", "echo ok", "", "  hostNetwork: true\n")).code, 0);
  ASSERT_TRUE(WaitPhase("hostnet", "Succeeded"));
  EXPECT_EQ(Get("hostnet", "{.status.podIP}"), Get("hostnet", "{.status.hostIP}"));
  K("delete pod web-a web-b --grace-period=0 --force");
}

// Containers hold what containerd gives them by default (Docker's 0xa80425fb), changed by
// their securityContext; /proc's kernel knobs are read-only; `kubectl exec` gets no more than
// its container.
TEST_F(AgentE2E, ContainersHoldTheDefaultCapabilitiesOnly) {
  // Moving itself to the root cgroup (v1 or v2) must fail too: /sys is read-only throughout.
  const std::string probe = "grep -E CapBnd /proc/self/status; (echo 1 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null "
                            "&& echo sysctl-set || echo sysctl-refused; ip link set lo mtu 1500 2>/dev/null "
                            "&& echo link-set || echo link-refused; for f in /sys/fs/cgroup/cgroup.procs "
                            "/sys/fs/cgroup/pids/cgroup.procs; do (echo 1 > $f) 2>/dev/null && echo escaped; done; true";
  auto pod = [&](const std::string& name, const std::string& security, const std::string& tail = "") {
    return PodYaml(name, probe + tail, security.empty() ? "" : "    securityContext: " + security + "\n", "",
                   tail.empty() ? "Never" : "Always");
  };
  ASSERT_EQ(Apply(pod("caps-default", "") + "---\n" +
                  pod("caps-netadmin", "{capabilities: {add: [NET_ADMIN], drop: [chown]}, allowPrivilegeEscalation: false}",
                      "; sleep 1000") + "---\n" +
                  pod("caps-privileged", "{privileged: true}") + "---\n" +
                  pod("caps-none", "{capabilities: {drop: [ALL]}}") + "---\n" +
                  pod("caps-unknown", "{capabilities: {add: [FOO_BAR]}}")).code, 0);
  ASSERT_TRUE(WaitPhase("caps-default", "Succeeded"));
  EXPECT_EQ(K("logs caps-default").out, "CapBnd:\t00000000a80425fb\nsysctl-refused\nlink-refused\n");
  ASSERT_TRUE(WaitFor([] { return K("logs caps-netadmin").out.find("link") != std::string::npos; }));
  // NET_ADMIN (bit 12) added, CHOWN (bit 0) dropped.
  EXPECT_EQ(K("logs caps-netadmin").out, "CapBnd:\t00000000a80435fa\nsysctl-refused\nlink-set\n");
  auto exec = K("exec caps-netadmin -- grep -E 'CapBnd|NoNewPrivs' /proc/self/status");
  EXPECT_EQ(exec.out, "CapBnd:\t00000000a80435fa\nNoNewPrivs:\t1\n") << exec.err;
  ASSERT_TRUE(WaitPhase("caps-privileged", "Succeeded"));
  EXPECT_NE(K("logs caps-privileged").out.find("sysctl-set\nlink-set\n"), std::string::npos) << K("logs caps-privileged").out;
  ASSERT_TRUE(WaitPhase("caps-none", "Succeeded"));
  EXPECT_EQ(K("logs caps-none").out, "CapBnd:\t0000000000000000\nsysctl-refused\nlink-refused\n");
  // A name the runtime does not know: the container is not created, in the kubelet's words.
  ASSERT_TRUE(WaitFor([] {
    return Get("caps-unknown", "{.status.containerStatuses[0].state.waiting.reason}") == "CreateContainerError";
  })) << K("get pod caps-unknown -o yaml").out;
  EXPECT_EQ(Get("caps-unknown", "{.status.containerStatuses[0].state.waiting.message}"), "unknown capability \"CAP_FOO_BAR\"");
  auto events = K("get events --field-selector involvedObject.name=caps-unknown -o jsonpath='{.items[*].message}'");
  EXPECT_NE(events.out.find("Error: unknown capability \"CAP_FOO_BAR\""), std::string::npos) << events.out;
  K("delete pod caps-netadmin caps-unknown --grace-period=0 --force");
}

// A pod's root is the host's, but the server's data directory (the store with every Secret, the
// CA's key, the admin kubeconfig, other pods' specs and tokens) is not in it; its own volumes are.
TEST_F(AgentE2E, PodsDoNotSeeTheServersState) {
  const std::string data = (server_->dir() / "data").string();
  const std::string probe = "ls -A " + data + " | wc -l; cat " + data + "/kubeconfig 2>&1 | grep -c token; "
                            "ls " + data + "/agent/pods 2>/dev/null | wc -l; (touch " + data + "/x) 2>/dev/null && echo wrote; "
                            "echo kept > /scratch/f && cat /scratch/f; echo done; sleep 1000";
  ASSERT_EQ(Apply(PodYaml("nosy", probe, "    volumeMounts: [{name: scratch, mountPath: /scratch}]\n",
                          "  terminationGracePeriodSeconds: 0\n  volumes: [{name: scratch, emptyDir: {}}]\n", "Always"))
                .code,
            0);
  ASSERT_TRUE(WaitFor([] { return K("logs nosy").out.find("done") != std::string::npos; })) << K("describe pod nosy").out;
  EXPECT_EQ(K("logs nosy").out, "0\n0\n0\nkept\ndone\n");
  // kubectl exec enters the same view.
  auto exec = K("exec nosy -- ls -A " + data);
  EXPECT_EQ(exec.code, 0) << exec.err;
  EXPECT_EQ(exec.out, "");
  K("delete pod nosy --grace-period=0 --force");
}

// kubectl exec runs as the container's user, with what that user holds (nothing, not root).
TEST_F(AgentE2E, ExecRunsAsTheContainersUser) {
  ASSERT_EQ(Apply(PodYaml("as-user", "sleep 1000", "    securityContext: {runAsUser: 1000, runAsGroup: 3000}\n",
                          "  terminationGracePeriodSeconds: 0\n", "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("as-user", "Running"));
  auto out = K("exec as-user -- sh -c 'id -u; id -g; grep CapEff /proc/self/status'");
  EXPECT_EQ(out.out, "1000\n3000\nCapEff:\t0000000000000000\n") << out.err;
  K("delete pod as-user --grace-period=0 --force");
}

// A finished pod's network namespace, address and all, goes to the next pod when nothing of
// the pod could have changed it; one that a container with NET_ADMIN ran in, or one with a
// connection left in TIME_WAIT, is removed instead.
TEST_F(AgentE2E, FinishedPodsNetworkNamespacesAreReusedWhenUntouched) {
  const std::filesystem::path ipam = server_->dir() / "data" / "agent" / "ipam";
  auto record = [&](const std::string& ip) {
    return std::filesystem::exists(ipam / ip) ? ReadFile(ipam / ip) : std::string("(none)");
  };
  auto run = [&](const std::string& name, const std::string& script, const std::string& container_extra = "") {
    EXPECT_EQ(Apply(PodYaml(name, script, container_extra)).code, 0);
    EXPECT_TRUE(WaitPhase(name, "Succeeded")) << K("get pod " + name + " -o yaml").out;
    return std::make_pair(Get(name, "{.status.podIP}"), Get(name, "{.metadata.uid}"));
  };
  // Idle, the address's record names the namespace: after the pod that made it (ns-a here,
  // or a pod before it whose namespace ns-a took).
  const auto [ip_a, uid_a] = run("ns-a", "readlink /proc/self/ns/net");
  ASSERT_TRUE(WaitFor([&] { return record(ip_a).rfind("- ", 0) == 0; })) << record(ip_a);
  const std::string idle = record(ip_a), id = idle.substr(2);
  EXPECT_TRUE(std::filesystem::exists("/run/netns/mlk-" + id));
  const auto [ip_b, uid_b] = run("ns-b", "readlink /proc/self/ns/net");
  EXPECT_EQ(ip_b, ip_a);
  EXPECT_EQ(K("logs ns-b").out, K("logs ns-a").out);  // the same namespace
  ASSERT_TRUE(WaitFor([&] { return record(ip_a) == idle; })) << record(ip_a);
  // Deleting a finished pod leaves the namespace it had, now idle or another's, alone.
  ASSERT_EQ(K("delete pod ns-a ns-b --wait=true").code, 0);
  EXPECT_EQ(record(ip_a), idle);
  EXPECT_TRUE(std::filesystem::exists("/run/netns/mlk-" + id));
  // NET_ADMIN: the namespace it took is not handed on.
  const auto [ip_c, uid_c] = run("ns-admin", "ip link set lo mtu 1400", "    securityContext: {capabilities: {add: [NET_ADMIN]}}\n");
  EXPECT_EQ(ip_c, ip_a);
  ASSERT_TRUE(WaitFor([&] { return record(ip_a) == "(none)"; })) << record(ip_a);
  EXPECT_TRUE(WaitFor([&] { return !std::filesystem::exists("/run/netns/mlk-" + id); }));
  // A client's side of a closed connection stays in TIME_WAIT for a minute.
  const auto [ip_d, uid_d] = run("ns-timewait",
                                 "python3 -c \\\"import socket; l = socket.create_server(('127.0.0.1', 0)); "
                                 "c = socket.create_connection(l.getsockname()); s, _ = l.accept(); c.close(); "
                                 "s.recv(1); s.close()\\\"");
  ASSERT_TRUE(WaitFor([&] { return record(ip_d) == "(none)"; })) << record(ip_d);
  EXPECT_FALSE(std::filesystem::exists("/run/netns/mlk-" + uid_d));
  K("delete pod ns-admin ns-timewait");
}

TEST_F(AgentE2E, WritesOutsideVolumesStayInTheContainer) {
  const std::string name = "mlkube-e2e-" + std::to_string(::getpid());
  ASSERT_EQ(Apply(PodYaml("scribbler", "echo x > /usr/" + name + " && cat /usr/" + name)).code, 0);
  ASSERT_TRUE(WaitPhase("scribbler", "Succeeded"));
  EXPECT_EQ(K("logs scribbler").out, "x\n");
  EXPECT_FALSE(std::filesystem::exists("/usr/" + name));
}

TEST_F(AgentE2E, EmptyDirIsSharedBetweenContainers) {
  std::string yaml =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: shared\nspec:\n  nodeName: node-1\n  restartPolicy: Never\n"
      "  volumes: [{name: scratch, emptyDir: {}}, {name: fast, emptyDir: {medium: Memory, sizeLimit: 16Mi}}]\n"
      "  containers:\n"
      "  - {name: writer, image: x, command: [sh, -c, 'echo batch-1 > /scratch/data; echo m > /fast/m'],\n"
      "     volumeMounts: [{name: scratch, mountPath: /scratch}, {name: fast, mountPath: /fast}]}\n"
      "  - {name: reader, image: x, command: [sh, -c, 'while [ ! -f /in/data ]; do sleep 0.1; done; cat /in/data; "
      "df -k /fast | tail -1 | tr -s \" \" | cut -d\" \" -f1,2'],\n"
      "     volumeMounts: [{name: scratch, mountPath: /in, readOnly: true}, {name: fast, mountPath: /fast}]}\n";
  ASSERT_EQ(Apply(yaml).code, 0);
  ASSERT_TRUE(WaitPhase("shared", "Succeeded")) << K("get pod shared -o yaml").out;
  EXPECT_EQ(K("logs shared -c reader").out, "batch-1\ntmpfs 16384\n");
}

TEST_F(AgentE2E, PersistentVolumeKeepsFilesAcrossPods) {
  const std::string path = HostDir() + "/pv-data";
  // A claim for a volume made by hand (storageClassName "" keeps the default class away, as on
  // Kubernetes), before the volume exists.
  const std::string claim =
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ckpt\nspec:\n  accessModes: [ReadWriteOnce]\n"
      "  storageClassName: ''\n  resources: {requests: {storage: 1Gi}}\n  volumeName: ckpt-pv\n";
  const std::string pv =
      "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: ckpt-pv\nspec:\n  capacity: {storage: 1Gi}\n"
      "  accessModes: [ReadWriteOnce]\n  hostPath: {path: " + path + "}\n";
  ASSERT_EQ(Apply(claim).code, 0);
  auto writer = PodYaml("trainer", "echo epoch-3 > /ckpt/last", "    volumeMounts: [{name: c, mountPath: /ckpt}]\n",
                        "  volumes: [{name: c, persistentVolumeClaim: {claimName: ckpt}}]\n");
  ASSERT_EQ(Apply(writer).code, 0);
  // Until the claim is bound the pod waits, and says why.
  ASSERT_TRUE(WaitFor([] {
    return K("get events --field-selector involvedObject.name=trainer,reason=FailedMount -o jsonpath='{.items[*].message}'")
               .out.find("persistentvolumeclaim \"ckpt\" is not bound") != std::string::npos;
  }));
  EXPECT_EQ(Get("trainer", "{.status.phase}"), "Pending");
  // The volume appears: the controller binds the claim to it, and the pod starts.
  ASSERT_EQ(Apply(pv).code, 0);
  ASSERT_TRUE(WaitPhase("trainer", "Succeeded"));
  EXPECT_EQ(K("get pvc ckpt -o jsonpath={.status.phase}/{.spec.volumeName}/{.status.capacity.storage}").out,
            "Bound/ckpt-pv/1Gi");
  EXPECT_EQ(K("get pv ckpt-pv -o jsonpath={.status.phase}/{.spec.claimRef.name}").out, "Bound/ckpt");
  ASSERT_EQ(K("delete pod trainer").code, 0);
  ASSERT_EQ(Apply(PodYaml("resumer", "cat /ckpt/last", "    volumeMounts: [{name: c, mountPath: /ckpt}]\n",
                          "  volumes: [{name: c, persistentVolumeClaim: {claimName: ckpt}}]\n")).code, 0);
  ASSERT_TRUE(WaitPhase("resumer", "Succeeded"));
  EXPECT_EQ(K("logs resumer").out, "epoch-3\n");
  EXPECT_EQ(ReadFile(path + "/last"), "epoch-3\n");
}

TEST_F(AgentE2E, ConfigMapAndSecretVolumesFollowChanges) {
  ASSERT_EQ(K("create configmap model-config --from-literal=threshold=0.5 --from-literal=other=x").code, 0);
  ASSERT_EQ(K("create secret generic api-key --from-literal=token=s3cr3t").code, 0);
  std::string yaml = PodYaml("watcher", "cat /secret/token; echo; while :; do cat /config/limit; echo; sleep 0.2; done",
                             "    volumeMounts: [{name: cfg, mountPath: /config}, {name: key, mountPath: /secret}]\n",
                             "  volumes:\n  - {name: cfg, configMap: {name: model-config, items: [{key: threshold, path: limit}]}}\n"
                             "  - {name: key, secret: {secretName: api-key, defaultMode: 0400}}\n",
                             "Always");
  ASSERT_EQ(Apply(yaml).code, 0);
  ASSERT_TRUE(WaitFor([] { return K("logs watcher").out.find("0.5") != std::string::npos; })) << K("logs watcher").out;
  EXPECT_EQ(K("logs watcher").out.rfind("s3cr3t\n", 0), 0u) << K("logs watcher").out;
  ASSERT_EQ(K("patch configmap model-config --type=merge -p '{\"data\":{\"threshold\":\"0.7\"}}'").code, 0);
  EXPECT_TRUE(WaitFor([] { return K("logs watcher --tail=1").out == "0.7\n"; }, 20s)) << K("logs watcher --tail=3").out;
  K("delete pod watcher --grace-period=0 --force");
}

TEST_F(AgentE2E, BadVolumesGiveClearReasons) {
  // A subPath that a container turned into a way out of the volume is refused.
  std::string escape =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: escape\nspec:\n  nodeName: node-1\n  restartPolicy: Never\n"
      "  volumes: [{name: v, emptyDir: {}}]\n"
      "  initContainers:\n  - {name: plant, image: x, command: [sh, -c, 'ln -s /etc /v/out'], volumeMounts: [{name: v, mountPath: /v}]}\n"
      "  containers:\n  - {name: main, image: x, command: [cat, /x/passwd], volumeMounts: [{name: v, mountPath: /x, subPath: out}]}\n";
  ASSERT_EQ(Apply(escape).code, 0);
  ASSERT_TRUE(WaitFor([] {
    return Get("escape", "{.status.containerStatuses[0].state.waiting.reason}") == "CreateContainerConfigError";
  })) << K("get pod escape -o yaml").out;
  EXPECT_NE(Get("escape", "{.status.containerStatuses[0].state.waiting.message}").find("leads outside the volume"),
            std::string::npos);
  // A hostPath that must exist and does not.
  ASSERT_EQ(Apply(PodYaml("nohost", "true", "    volumeMounts: [{name: d, mountPath: /d}]\n",
                          "  volumes: [{name: d, hostPath: {path: /no/such/dir/mlkube, type: Directory}}]\n")).code, 0);
  ASSERT_TRUE(WaitFor([] {
    return K("get events --field-selector involvedObject.name=nohost,reason=FailedMount -o jsonpath='{.items[*].message}'")
               .out.find("hostPath type check failed: /no/such/dir/mlkube is not a directory") != std::string::npos;
  }));
  EXPECT_EQ(Get("nohost", "{.status.phase}"), "Pending");
  EXPECT_EQ(Get("nohost", "{.status.containerStatuses[0].state.waiting.reason}"), "ContainerCreating");
  // A mount of a volume that is not declared never gets past the API.
  auto undeclared = Apply(PodYaml("undeclared", "true", "    volumeMounts: [{name: ghost, mountPath: /g}]\n"));
  EXPECT_NE(undeclared.code, 0);
  EXPECT_NE(undeclared.err.find("spec.containers[0].volumeMounts[0].name: Not found: \"ghost\""), std::string::npos)
      << undeclared.err;
}

TEST_F(AgentE2E, LivenessFailureRestartsWithGrowingBackOff) {
  ASSERT_EQ(Apply(PodYaml("sick", "touch /tmp/healthy; sleep 1; rm /tmp/healthy; sleep 1000",
                          "    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 1}\n",
                          "  terminationGracePeriodSeconds: 1\n", "Always")).code, 0);
  ASSERT_TRUE(WaitFor([] { return Get("sick", "{.status.containerStatuses[0].restartCount}") == "2"; }, 40s))
      << K("get pod sick -o yaml").out;
  auto events = K("get events --field-selector involvedObject.name=sick -o jsonpath='{range .items[*]}{.reason}: {.message}{\"\\n\"}{end}'").out;
  EXPECT_NE(events.find("Unhealthy: Liveness probe failed: cat: /tmp/healthy: No such file or directory"), std::string::npos) << events;
  EXPECT_NE(events.find("Killing: Container main failed liveness probe, will be restarted"), std::string::npos) << events;
  EXPECT_NE(events.find("BackOff: Back-off restarting failed container main"), std::string::npos) << events;
  K("delete pod sick --grace-period=0 --force");
}

TEST_F(AgentE2E, ReadinessFlipsBothWays) {
  const std::string flag = HostDir() + "/ready";
  std::filesystem::remove(flag);
  const std::string server =
      "python3 -c \\\"import http.server, os\\n"
      "class H(http.server.BaseHTTPRequestHandler):\\n"
      "  def log_message(self, *a): pass\\n"
      "  def do_GET(self):\\n"
      "    self.send_response(200 if os.path.exists('/host/ready') else 503); self.end_headers()\\n"
      "http.server.HTTPServer(('0.0.0.0', 8080), H).serve_forever()\\\"";
  ASSERT_EQ(Apply(PodYaml("model", server,
                          HostMount() + "    ports: [{name: http, containerPort: 8080}]\n"
                          "    readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 1, failureThreshold: 1}\n",
                          HostVolume(), "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("model", "Running"));
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(Get("model", "{.status.containerStatuses[0].ready}"), "false");
  EXPECT_EQ(Get("model", "{.status.conditions[?(@.type==\"Ready\")].status}"), "False");
  std::ofstream(flag) << "yes";
  ASSERT_TRUE(WaitFor([] { return Get("model", "{.status.conditions[?(@.type==\"Ready\")].status}") == "True"; }, 15s));
  EXPECT_EQ(Get("model", "{.status.containerStatuses[0].ready}"), "true");
  std::filesystem::remove(flag);
  ASSERT_TRUE(WaitFor([] { return Get("model", "{.status.conditions[?(@.type==\"Ready\")].status}") == "False"; }, 15s));
  EXPECT_EQ(Get("model", "{.status.containerStatuses[0].restartCount}"), "0");  // readiness never restarts
  auto events = K("get events --field-selector involvedObject.name=model,reason=Unhealthy -o jsonpath='{.items[*].message}'").out;
  EXPECT_NE(events.find("Readiness probe failed: HTTP probe failed with statuscode: 503"), std::string::npos) << events;
  K("delete pod model --grace-period=0 --force");
}

TEST_F(AgentE2E, ProbesOnClosedPortsAndStartupGating) {
  ASSERT_EQ(Apply(PodYaml("closed", "sleep 1000",
                          "    readinessProbe: {tcpSocket: {port: 9999}, periodSeconds: 1}\n"
                          "    startupProbe: {exec: {command: [sh, -c, 'test -f /tmp/up || (touch /tmp/up; exit 1)']}, periodSeconds: 1}\n",
                          "", "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("closed", "Running"));
  // Started only once the startup probe passed (its second try); never ready: nothing listens.
  ASSERT_TRUE(WaitFor([] { return Get("closed", "{.status.containerStatuses[0].started}") == "true"; }, 15s));
  const std::string ip = Get("closed", "{.status.podIP}");
  ASSERT_TRUE(WaitFor([&] {
    return K("get events --field-selector involvedObject.name=closed,reason=Unhealthy -o jsonpath='{.items[*].message}'")
               .out.find("Readiness probe failed: dial tcp " + ip + ":9999: connect: connection refused") != std::string::npos;
  }, 15s)) << K("get events --field-selector involvedObject.name=closed").out;
  EXPECT_EQ(Get("closed", "{.status.containerStatuses[0].ready}"), "false");
  auto events = K("get events --field-selector involvedObject.name=closed,reason=Unhealthy -o jsonpath='{.items[*].message}'").out;
  EXPECT_NE(events.find("Startup probe failed"), std::string::npos) << events;
  K("delete pod closed --grace-period=0 --force");
}

TEST_F(AgentE2E, ExecRunsInTheContainerWithExitCodesAndStdin) {
  ASSERT_EQ(Apply(PodYaml("shell", "echo ready; sleep 1000", "", "  terminationGracePeriodSeconds: 0\n", "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("shell", "Running"));
  auto out = K("exec shell -- sh -c 'echo out; hostname; ls /proc | grep -c \"^[0-9]\"'");
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(out.out.substr(0, out.out.rfind('\n', out.out.size() - 2) + 1), "out\nshell\n");  // its own UTS namespace
  EXPECT_LT(std::stoi(out.out.substr(out.out.rfind('\n', out.out.size() - 2) + 1)), 6);  // and PID namespace
  auto err = K("exec shell -- sh -c 'echo oops >&2; exit 3'");
  EXPECT_EQ(err.code, 3);
  EXPECT_NE(err.err.find("oops"), std::string::npos);
  EXPECT_NE(err.err.find("command terminated with exit code 3"), std::string::npos) << err.err;
  auto in = K("exec -i shell -- sh -c 'cat; echo done'", "from stdin\n");
  EXPECT_EQ(in.code, 0) << in.err;
  EXPECT_EQ(in.out, "from stdin\ndone\n");
  auto missing = K("exec shell -- no-such-tool");
  EXPECT_EQ(missing.code, 127);
  EXPECT_NE(missing.err.find("executable file not found in $PATH"), std::string::npos) << missing.err;
  auto bad = K("exec shell -c nope -- true");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("container nope is not valid for pod shell"), std::string::npos) << bad.err;
  K("delete pod shell --grace-period=0 --force");
}

TEST_F(AgentE2E, ExecWithATerminalGetsAPtyItsSizeAndTheExitCode) {
  ASSERT_EQ(Apply(PodYaml("term", "sleep 1000", "", "  terminationGracePeriodSeconds: 0\n", "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("term", "Running"));
  // `script` gives kubectl a terminal, as a user's shell does; its size, set first, reaches the
  // pod through kubectl's resize message.
  auto r = Sh(server_->Env() + "script -qec \"stty cols 123 rows 45; kubectl exec -it term -- sh -c "
                               "'test -t 0 && test -t 1 && echo is-a-tty; stty size; exit 4'\" /dev/null");
  EXPECT_EQ(r.code, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("is-a-tty\r\n45 123\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("command terminated with exit code 4"), std::string::npos) << r.out;
  // The session ends with its command, even when a job it left in the background holds the
  // terminal (or, without one, the output pipes) open.
  for (const char* t : {"-it", "-i"}) {
    auto bg = Sh(server_->Env() + "timeout 20 script -qec \"kubectl exec " + t +
                 " term -- sh -c 'sleep 1000 & echo left-running'\" /dev/null");
    EXPECT_EQ(bg.code, 0) << t << bg.out << bg.err;
    EXPECT_NE(bg.out.find("left-running"), std::string::npos) << t << bg.out;
  }
  K("delete pod term --grace-period=0 --force");
}

TEST_F(AgentE2E, PreStopHookAndActiveDeadline) {
  const std::string mark = HostDir() + "/prestop";
  ASSERT_EQ(Apply(PodYaml("hooked", "sleep 1000",
                          HostMount() + "    lifecycle: {preStop: {exec: {command: [sh, -c, 'echo bye > /host/prestop']}}}\n",
                          HostVolume() + "  terminationGracePeriodSeconds: 2\n", "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("hooked", "Running"));
  ASSERT_EQ(K("delete pod hooked").code, 0);
  EXPECT_EQ(ReadFile(mark), "bye\n");

  ASSERT_EQ(Apply(PodYaml("deadline", "sleep 1000", "", "  activeDeadlineSeconds: 2\n  terminationGracePeriodSeconds: 0\n")).code, 0);
  ASSERT_TRUE(WaitPhase("deadline", "Failed", 20s)) << K("get pod deadline -o yaml").out;
  EXPECT_EQ(Get("deadline", "{.status.reason}"), "DeadlineExceeded");
  EXPECT_EQ(Get("deadline", "{.status.message}"), "Pod was active on the node longer than the specified deadline");
}

TEST_F(AgentE2E, PodsDeletedWhileTheAgentWasDownAreCleanedUp) {
  ASSERT_EQ(Apply(PodYaml("orphan", "sleep 1000", "", "", "Always")).code, 0);
  ASSERT_TRUE(WaitPhase("orphan", "Running"));
  const std::string uid = Get("orphan", "{.metadata.uid}");
  const std::string pids = "/sys/fs/cgroup/pids/" + server_->cgroup_root() + "/pod" + uid;
  const bool v1 = std::filesystem::exists("/sys/fs/cgroup/pids");
  // The control plane alone comes back, and the pod is deleted while no agent watches.
  server_->Kill9();
  ASSERT_TRUE(server_->Start({"--fake-gpus", "4", "--no-agent"}));
  ASSERT_EQ(K("delete pod orphan --grace-period=0 --force").code, 0);
  if (v1) {
    EXPECT_TRUE(std::filesystem::exists(pids));  // still there: nobody cleaned it up yet
  }
  server_->Kill9();
  ASSERT_TRUE(server_->Start({"--fake-gpus", "4"}));
  // The cgroups go, then the network namespace.
  EXPECT_TRUE(WaitFor([&] {
    return !std::filesystem::exists(pids) && !std::filesystem::exists("/sys/fs/cgroup/" + server_->cgroup_root() + "/pod" + uid) &&
           !std::filesystem::exists("/run/netns/mlk-" + uid);
  }, 10s));
}

// A container's log rotated under `kubectl logs -f` (4 KiB files here, 10 MiB by default): the
// stream goes on in the new file, every line once and in order, as the kubelet's does.
TEST(LogRotationE2E, FollowGoesOnAcrossRotations) {
  if (::geteuid() != 0) GTEST_SKIP() << "the node agent needs root";
  ServerProcess server("logrotate", /*agent=*/true);
  ASSERT_TRUE(server.Start({"--container-log-max-size", "4Ki", "--container-log-max-files", "2"})) << server.log();
  const std::string script = "for i in $(seq 1 150); do echo \"line $i $(printf %0100d 0)\"; sleep 0.02; done; sleep 1000";
  ASSERT_EQ(server.Kubectl("apply -f -", "apiVersion: v1\nkind: Pod\nmetadata: {name: chatty}\nspec:\n  nodeName: node-1\n"
                                         "  terminationGracePeriodSeconds: 0\n  containers:\n  - name: c\n    image: x\n"
                                         "    command: [sh, -c, " + Json(script).dump() + "]\n").code, 0);
  auto follow = Sh(server.Env() + "timeout 10 kubectl logs -f chatty | cut -d' ' -f1-2");
  std::string want;
  for (int i = 1; i <= 150; ++i) want += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(follow.out, want) << follow.err;
  // It did rotate: the current file holds only the last few lines.
  auto now = server.Kubectl("logs chatty");
  EXPECT_LT(now.out.size(), 4096u);
  EXPECT_NE(now.out.find("line 150 "), std::string::npos);
  server.Kubectl("delete pod chatty --grace-period=0 --force");
}

}  // namespace
}  // namespace mlkube::testing
