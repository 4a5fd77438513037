// Services end to end: `mlkube server` with its scheduler, controllers and local agent (proxy
// and cluster DNS included), real pods serving HTTP, real kubectl, curl, dig and wrk.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "api/json.h"
#include "e2e_util.h"

namespace mlkube::testing {
namespace {

using namespace std::chrono_literals;

// Answers GET with "<VERSION> <HOSTNAME>"; on SIGTERM answers for one more second with
// `Connection: close` (so keep-alive clients move on without an error), then exits.
constexpr char kServer[] = R"py(
import http.server, os, signal, threading
VERSION = os.environ.get("VERSION", "v1")
NAME = os.environ.get("HOSTNAME", "?")
closing = threading.Event()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = (VERSION + " " + NAME + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if closing.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("", 8080), Handler)
server.daemon_threads = True
def term(*_):
    closing.set()
    threading.Timer(1.0, lambda: os._exit(0)).start()
signal.signal(signal.SIGTERM, term)
server.serve_forever()
)py";

// Counts answers by version and reports wrk's errors, at most ~1000 requests/s a connection.
constexpr char kWrkScript[] = R"lua(
v1, v2 = 0, 0
response = function(status, headers, body)
  if body:sub(1, 2) == "v1" then v1 = v1 + 1 elseif body:sub(1, 2) == "v2" then v2 = v2 + 1 end
end
delay = function() return 1 end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local a, b = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("v1"); b = b + t:get("v2") end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d v1=%d v2=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, a, b, e.connect, e.read, e.write, e.status, e.timeout))
end
)lua";

struct WrkResult {
  int requests = 0, v1 = 0, v2 = 0, errors = 0;
  std::string raw;
};

WrkResult ParseWrk(const std::string& out) {
  WrkResult r;
  r.raw = out;
  std::smatch m;
  static const std::regex re(
      R"(RESULT requests=(\d+) v1=(\d+) v2=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+))");
  if (!std::regex_search(out, m, re)) {
    r.errors = -1;
    return r;
  }
  r.requests = std::stoi(m[1]);
  r.v1 = std::stoi(m[2]);
  r.v2 = std::stoi(m[3]);
  for (int i = 4; i <= 8; ++i) r.errors += std::stoi(m[i]);
  return r;
}

class ServicesE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess("services", /*agent=*/true, /*scheduler=*/true);
    ASSERT_TRUE(server_->Start()) << server_->log();
    std::ofstream(server_->dir() / "server.py") << kServer;
    std::ofstream(server_->dir() / "count.lua") << kWrkScript;
    // A pod to ask from.
    ASSERT_EQ(K("run client --image=busybox --restart=Never --command -- sleep 3600").code, 0);
    ASSERT_TRUE(WaitFor([] { return K("get pod client -o jsonpath={.status.phase}").out == "Running"; }));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static CmdResult K(const std::string& args, const std::string& input = "") { return server_->Kubectl(args, input); }
  static bool WaitFor(const std::function<bool()>& ok, std::chrono::milliseconds limit = 60s,
                      std::chrono::milliseconds every = 200ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok()) return true;
      std::this_thread::sleep_for(every);
    }
    return ok();
  }
  static CmdResult Apply(const std::string& yaml) { return K("apply -f -", yaml); }
  static std::string ClusterIP(const std::string& svc) {
    return K("get svc " + svc + " -o jsonpath={.spec.clusterIP}").out;
  }
  // The model: `replicas` pods of kServer behind a Service on port 80.
  static std::string ModelYaml(const std::string& name, int replicas, const std::string& version,
                               const std::string& service_extra = "") {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n  replicas: " +
           std::to_string(replicas) + "\n  selector: {matchLabels: {app: " + name +
           "}}\n  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n"
           "  template:\n    metadata: {labels: {app: " + name + "}}\n    spec:\n"
           "      terminationGracePeriodSeconds: 10\n      containers:\n      - name: web\n        image: python\n"
           "        command: [python3, " + (server_->dir() / "server.py").string() + "]\n"
           "        env: [{name: VERSION, value: " + version + "}]\n"
           "        ports: [{name: http, containerPort: 8080}]\n"
           "        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 1}\n"
           "        lifecycle: {preStop: {exec: {command: [sleep, '2']}}}\n"
           "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  selector: {app: " + name +
           "}\n  ports: [{name: web, port: 80, targetPort: http}]\n" + service_extra;
  }
  static bool RolledOut(const std::string& name) {
    return K("rollout status deploy/" + name + " --timeout=90s").code == 0;
  }
  // Hostnames that answered `n` requests to `url`, made from the host.
  static std::map<std::string, int> Spread(const std::string& url, int n) {
    auto r = Sh("python3 -c \"import urllib.request\nfor _ in range(" + std::to_string(n) +
                "): print(urllib.request.urlopen('" + url + "', timeout=5).read().decode().split()[1])\"");
    std::map<std::string, int> seen;
    std::istringstream in(r.out);
    for (std::string h; in >> h;) ++seen[h];
    return seen;
  }
  static std::set<std::string> ReadyPodNames(const std::string& selector) {
    Json pods = Json::parse(K("get pods -l " + selector + " -o json").out, nullptr, false);
    std::set<std::string> names;
    for (const Json& p : pods.value("items", Json::array())) {
      if (p["metadata"].contains("deletionTimestamp")) continue;
      for (const Json& c : p["status"].value("conditions", Json::array())) {
        if (c.value("type", "") == "Ready" && c.value("status", "") == "True") names.insert(p["metadata"]["name"]);
      }
    }
    return names;
  }

  // Runs `script` (bash, with $PORT the local port) while `kubectl port-forward TARGET :REMOTE`
  // runs; kubectl's own output follows the script's on stderr.
  static CmdResult PortForward(const std::string& target, int remote, const std::string& script) {
    const std::string log = (server_->dir() / ("pf-" + std::to_string(++forwards_) + ".log")).string();
    return Sh(server_->Env() + "kubectl port-forward " + target + " :" + std::to_string(remote) + " >" + log +
              " 2>&1 & pf=$!\n"
              "for i in $(seq 100); do grep -q Forwarding " + log + " && break; sleep 0.1; done\n"
              "PORT=$(sed -n 's/^Forwarding from 127.0.0.1:\\([0-9]*\\) .*/\\1/p' " + log + ")\n"
              "( " + script + " )\nrc=$?\nkill $pf 2>/dev/null; wait $pf\ncat " + log + " >&2\nexit $rc\n");
  }

  static ServerProcess* server_;
  static int forwards_;
};

ServerProcess* ServicesE2E::server_ = nullptr;
int ServicesE2E::forwards_ = 0;

TEST_F(ServicesE2E, ServiceNamesReachEveryReadyReplicaAndNoUnreadyOne) {
  ASSERT_EQ(Apply(ModelYaml("model-service", 3, "v1")).code, 0);
  ASSERT_TRUE(RolledOut("model-service"));
  // A pod with the Service's label that never becomes ready.
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Pod\nmetadata: {name: unready, labels: {app: model-service}}\nspec:\n"
                  "  containers:\n  - name: web\n    image: python\n    command: [python3, " +
                  (server_->dir() / "server.py").string() + "]\n"
                  "    readinessProbe: {exec: {command: ['false']}, periodSeconds: 1}\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([] { return K("get pod unready -o jsonpath={.status.phase}").out == "Running"; }));
  const std::string ip = ClusterIP("model-service");
  ASSERT_FALSE(ip.empty());

  // From the host, the connection is made to a pod directly (connect-time balancing: no NAT
  // on its packets), while the socket still names the Service as its peer.
  if (server_->log().find("socket-level balancing is off") == std::string::npos) {
    auto peers = Sh("python3 -c \"import socket, subprocess\n"
                    "s = socket.create_connection(('" + ip + "', 80))\n"
                    "print(s.getpeername()[0])\n"
                    "ss = subprocess.run(['ss', '-tnH', 'state', 'established', 'sport', '= :%d' % s.getsockname()[1]],"
                    " capture_output=True, text=True).stdout.split()\n"
                    "print(ss[-1].rsplit(':', 1)[0])\"");
    std::istringstream lines(peers.out);
    std::string named, real;
    lines >> named >> real;
    EXPECT_EQ(named, ip) << peers.out << peers.err;
    const std::string pod_ips = K("get pods -l app=model-service -o jsonpath='{.items[*].status.podIP}'").out;
    EXPECT_FALSE(real.empty()) << peers.out << peers.err;
    EXPECT_NE(real, ip) << peers.out;
    EXPECT_NE(pod_ips.find(real), std::string::npos) << real << " is not one of " << pod_ips;
  }

  // From another pod, by short name and by full name, over all three replicas.
  std::map<std::string, int> seen;
  for (const std::string name : {"model-service", "model-service.default.svc.cluster.local"}) {
    auto r = K("exec client -- sh -c 'for i in $(seq 30); do curl -s http://" + name + "/predict; done'");
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream in(r.out);
    for (std::string version, host; in >> version >> host;) ++seen[host];
  }
  const std::set<std::string> ready = ReadyPodNames("app=model-service");
  EXPECT_EQ(ready.size(), 3u);
  for (const std::string& pod : ready) EXPECT_GT(seen[pod], 0) << pod << " got no requests";
  EXPECT_EQ(seen.count("unready"), 0u);
  int total = 0;
  for (const auto& [_, n] : seen) total += n;
  EXPECT_EQ(total, 60);

  // Scale to 5: once the new pods are Ready they get requests within a second.
  ASSERT_EQ(K("scale deploy/model-service --replicas=5").code, 0);
  ASSERT_TRUE(WaitFor([] { return ReadyPodNames("app=model-service").size() == 5; }, 60s, 20ms));
  const auto ready_at = std::chrono::steady_clock::now();
  const std::set<std::string> five = ReadyPodNames("app=model-service");
  std::map<std::string, int> spread;
  ASSERT_TRUE(WaitFor(
      [&] {
        spread = Spread("http://" + ip + "/predict", 60);
        return std::all_of(five.begin(), five.end(), [&](const std::string& p) { return spread.count(p) > 0; });
      },
      1s, 1ms))
      << "after " << std::chrono::duration<double>(std::chrono::steady_clock::now() - ready_at).count() << " s";
  EXPECT_EQ(spread.count("unready"), 0u);
  K("delete pod unready --wait=false");
}

TEST_F(ServicesE2E, RollingUpdateThroughTheServiceLosesNoRequest) {
  ASSERT_EQ(Apply(ModelYaml("rolling", 3, "v1")).code, 0);
  ASSERT_TRUE(RolledOut("rolling"));
  const std::string ip = ClusterIP("rolling");
  std::thread roll([] {
    std::this_thread::sleep_for(2s);
    K("set env deploy/rolling VERSION=v2");
  });
  // Bounded load for the whole rollout: 2 connections, at most ~1000 requests/s each.
  auto out = Sh("wrk -t1 -c2 -d14s -s " + (server_->dir() / "count.lua").string() + " http://" + ip + "/predict");
  roll.join();
  const WrkResult r = ParseWrk(out.out);
  EXPECT_EQ(r.errors, 0) << r.raw << out.err;
  EXPECT_GT(r.v1, 0) << r.raw;
  EXPECT_GT(r.v2, 0) << r.raw;
  EXPECT_TRUE(RolledOut("rolling"));
}

TEST_F(ServicesE2E, LoadBalancerAndNodePortAnswerOnTheHost) {
  const int port = 18000 + ::getpid() % 1000;
  ASSERT_EQ(Apply(ModelYaml("lb", 1, "v1", "  type: LoadBalancer\n") ).code, 0);
  ASSERT_EQ(K("patch svc lb --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/ports/0/port\",\"value\":" +
              std::to_string(port) + "}]'").code,
            0);
  ASSERT_TRUE(RolledOut("lb"));
  ASSERT_TRUE(WaitFor([] { return K("get svc lb -o jsonpath={.status.loadBalancer.ingress[0].ip}").out == "127.0.0.1"; }));
  CmdResult r;
  EXPECT_TRUE(WaitFor([&] {
    r = Sh("curl -s -m 2 http://127.0.0.1:" + std::to_string(port) + "/predict");
    return r.out.rfind("v1 lb-", 0) == 0;
  }, 10s)) << r.out << r.err;
  const std::string node_port = K("get svc lb -o jsonpath={.spec.ports[0].nodePort}").out;
  r = Sh("curl -s -m 2 http://127.0.0.1:" + node_port + "/predict");
  EXPECT_EQ(r.out.rfind("v1 lb-", 0), 0u) << node_port << ": " << r.out << r.err;
  // kubectl shows the address as EXTERNAL-IP.
  EXPECT_NE(K("get svc lb").out.find("127.0.0.1"), std::string::npos);

  // A second LoadBalancer on the same port waits, and says why; the first keeps answering.
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Service\nmetadata: {name: lb2}\nspec:\n  type: LoadBalancer\n"
                  "  selector: {app: lb}\n  ports: [{port: " + std::to_string(port) + ", targetPort: 8080}]\n").code,
            0);
  EXPECT_TRUE(WaitFor([] {
    return !K("get events --field-selector involvedObject.name=lb2,reason=AddressInUse -o name").out.empty();
  }, 20s));
  EXPECT_EQ(K("get svc lb2 -o jsonpath={.status.loadBalancer.ingress}").out, "");
  EXPECT_EQ(Sh("curl -s -m 2 http://127.0.0.1:" + std::to_string(port) + "/predict").out.rfind("v1 lb-", 0), 0u);

  // Back to ClusterIP with a merge patch (the stored node ports are sent back, as kubectl edit
  // does): accepted, the node port and the load-balancer address go.
  r = K("patch svc lb --type=merge -p '{\"spec\":{\"type\":\"ClusterIP\"}}'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(K("get svc lb -o jsonpath={.spec.ports[0].nodePort}").out, "");
  EXPECT_TRUE(WaitFor([] { return K("get svc lb -o jsonpath={.status.loadBalancer.ingress}").out.empty(); }, 10s));
  // And the port is free for the one that waited.
  EXPECT_TRUE(WaitFor([] { return K("get svc lb2 -o jsonpath={.status.loadBalancer.ingress[0].ip}").out == "127.0.0.1"; },
                      20s));
  K("delete svc lb2");
}

TEST_F(ServicesE2E, DnsNamesHeadlessIndexedJobPodsAndTheOutsideWorld) {
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Service\nmetadata: {name: workers}\nspec:\n  clusterIP: None\n"
                  "  selector: {job-name: train}\n  ports: [{name: nccl, port: 29500}]\n---\n"
                  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\nspec:\n  completions: 2\n  parallelism: 2\n"
                  "  completionMode: Indexed\n  template:\n    spec:\n      subdomain: workers\n      restartPolicy: Never\n"
                  "      containers:\n      - name: w\n        image: busybox\n        command: [sleep, '600']\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([] { return ReadyPodNames("job-name=train").size() == 2; }));
  const Json pods = Json::parse(K("get pods -l job-name=train -o json").out);
  std::map<std::string, std::string> ip_of;  // index -> pod IP
  for (const Json& p : pods["items"]) {
    ip_of[p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]] = p["status"]["podIP"];
  }
  ASSERT_EQ(ip_of.size(), 2u);
  CmdResult r;
  for (const auto& [index, ip] : ip_of) {
    // As a training script would: <hostname>.<subdomain>, resolved through the search path.
    EXPECT_TRUE(WaitFor([&] {
      r = K("exec client -- getent hosts train-" + index + ".workers");
      return r.out.find(ip) != std::string::npos;
    }, 10s)) << index << ": " << r.out << r.err;
  }
  r = K("exec client -- getent hosts workers.default.svc.cluster.local");
  for (const auto& [_, ip] : ip_of) EXPECT_NE(r.out.find(ip), std::string::npos) << r.out;
  // SRV for the named port; NXDOMAIN for what does not exist (dig from inside the pod).
  r = K("exec client -- dig +short _nccl._tcp.workers.default.svc.cluster.local SRV");
  EXPECT_NE(r.out.find("29500 train-0.workers.default.svc.cluster.local."), std::string::npos) << r.out << r.err;
  r = K("exec client -- dig nope.default.svc.cluster.local");
  EXPECT_NE(r.out.find("status: NXDOMAIN"), std::string::npos) << r.out << r.err;
  // A name outside the cluster goes to the host's resolvers: the pod gets what the host gets.
  const CmdResult host = Sh("getent hosts deb.debian.org");
  r = K("exec client -- getent hosts deb.debian.org");
  EXPECT_EQ(r.code, host.code) << r.out << r.err;
  if (host.code == 0) {
    EXPECT_FALSE(r.out.empty());
  }
  K("delete job train --wait=false");
}

TEST_F(ServicesE2E, BadInputIsRefusedOrExplained) {
  // A Service that selects nothing: connections are refused at once, not left hanging.
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Service\nmetadata: {name: nothing}\nspec:\n  selector: {app: ghost}\n"
                  "  ports: [{port: 80}]\n")
                .code,
            0);
  const std::string ip = ClusterIP("nothing");
  CmdResult r;
  ASSERT_TRUE(WaitFor([&] {
    r = Sh("curl -s -m 5 -o /dev/null -w '%{time_total}' http://" + ip + "/");
    return r.code == 7;  // couldn't connect: refused
  }, 10s)) << r.code << " " << r.out;
  EXPECT_LT(std::stod(r.out), 1.0);
  r = K("exec client -- curl -s -m 5 http://nothing/");
  EXPECT_EQ(r.code, 7) << r.out << r.err;

  // A targetPort name that no container declares: no endpoints, and an event that says why.
  ASSERT_EQ(Apply(ModelYaml("named", 1, "v1")).code, 0);
  ASSERT_EQ(K("patch svc named --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/ports/0/targetPort\",\"value\":\"grpc\"}]'").code, 0);
  EXPECT_TRUE(WaitFor([] {
    return K("get events --field-selector involvedObject.name=named,reason=FailedToResolveTargetPort -o name").out.size() > 0;
  }, 30s));
  EXPECT_TRUE(WaitFor([] { return K("get endpoints named -o jsonpath={.subsets}").out.empty(); }, 10s));

  // Cluster IPs outside the range or taken: 422 with the reason, and nothing stored.
  r = K("create service clusterip outside --tcp=80 --clusterip=192.168.7.7");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("failed to allocate IP 192.168.7.7: the provided IP (192.168.7.7) is not in the valid range. "
                       "The range of valid IPs is 10.96.0.0/12"),
            std::string::npos)
      << r.err;
  EXPECT_NE(K("get svc outside").code, 0);
  r = K("create service clusterip taken --tcp=80 --clusterip=" + ip);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("failed to allocate IP " + ip + ": provided IP is already allocated"), std::string::npos) << r.err;
}

// Serves GET /bytes?n=N (N bytes of a repeating pattern) and answers POST with the body's
// sha256, on the pod's loopback only: port-forward reaches it, the pod IP does not.
constexpr char kLoopbackServer[] = R"py(
import hashlib, http.server
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        n = int(self.path.split("n=")[1]) if "n=" in self.path else 5
        self.reply((b"0123456789abcdef" * (n // 16 + 1))[:n])
    def do_POST(self):
        self.reply(hashlib.sha256(self.rfile.read(int(self.headers["Content-Length"]))).hexdigest().encode())
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 9090), Handler).serve_forever()
)py";

TEST_F(ServicesE2E, PortForwardReachesAServiceAndAPodsLoopback) {
  // `kubectl port-forward svc/model-service LOCAL:80`: to a pod of the Service, on the
  // container port its targetPort names.
  ASSERT_EQ(Apply(ModelYaml("model-service", 2, "v1")).code, 0);
  ASSERT_TRUE(RolledOut("model-service"));
  auto svc = PortForward("svc/model-service", 80,
                         "for i in 1 2 3 4 5; do curl -sS -m 5 http://127.0.0.1:$PORT/predict || exit 1; done");
  ASSERT_EQ(svc.code, 0) << svc.out << svc.err;
  const std::set<std::string> pods = ReadyPodNames("app=model-service");
  std::istringstream answers(svc.out);
  int n = 0;
  for (std::string version, host; answers >> version >> host; ++n) {
    EXPECT_EQ(version, "v1");
    EXPECT_TRUE(pods.count(host)) << host;
  }
  EXPECT_EQ(n, 5) << svc.out;
  EXPECT_NE(svc.err.find("-> 8080"), std::string::npos) << svc.err;

  // A pod listening on its loopback only: bytes arrive intact both ways, connections run side
  // by side, and a port nobody listens on is reported as kubelet reports it.
  std::ofstream(server_->dir() / "loopback.py") << kLoopbackServer;
  ASSERT_EQ(Apply("apiVersion: v1\nkind: Pod\nmetadata: {name: trainer}\nspec:\n  containers:\n  - name: main\n"
                  "    image: python\n    command: [python3, " + (server_->dir() / "loopback.py").string() + "]\n")
                .code,
            0);
  ASSERT_TRUE(WaitFor([] { return K("get pod trainer -o jsonpath={.status.phase}").out == "Running"; }));
  const std::string upload = (server_->dir() / "upload.bin").string();
  ASSERT_EQ(Sh("head -c 20000000 /dev/urandom >" + upload).code, 0);
  const std::string upload_sha = Sh("sha256sum " + upload + " | cut -d' ' -f1").out;
  const std::string pattern_sha =
      Sh("python3 -c \"import hashlib; print(hashlib.sha256((b'0123456789abcdef' * 1250000)).hexdigest())\"").out;
  auto pod = PortForward(
      "pod/trainer", 9090,
      "until curl -s -m 1 http://127.0.0.1:$PORT/ >/dev/null; do sleep 0.2; done\n"
      "curl -sS -m 30 'http://127.0.0.1:'$PORT'/bytes?n=20000000' | sha256sum | cut -d' ' -f1\n"
      "curl -sS -m 30 --data-binary @" + upload + " -H 'Content-Type: application/octet-stream' "
      "http://127.0.0.1:$PORT/; echo\n"
      "seq 40 | xargs -P 20 -I{} curl -sS -m 10 'http://127.0.0.1:'$PORT'/bytes?n=100000' | wc -c\n");
  ASSERT_EQ(pod.code, 0) << pod.err;
  std::istringstream lines(pod.out);
  std::string down, up, parallel;
  std::getline(lines, down);
  std::getline(lines, up);
  std::getline(lines, parallel);
  EXPECT_EQ(down + "\n", pattern_sha) << pod.out;
  EXPECT_EQ(up + "\n", upload_sha) << pod.out;
  EXPECT_EQ(parallel, "4000000") << pod.out;
  const std::string pod_ip = K("get pod trainer -o jsonpath={.status.podIP}").out;
  EXPECT_NE(Sh("curl -s -m 2 http://" + pod_ip + ":9090/").code, 0) << "the pod's loopback is reachable from outside";

  // kubectl reports the error and, as against a real cluster, gives up the forward.
  auto refused = PortForward("pod/trainer", 9999,
                             "curl -s -m 5 http://127.0.0.1:$PORT/\n"
                             "for i in $(seq 50); do kill -0 $pf 2>/dev/null || break; sleep 0.1; done");
  EXPECT_NE(refused.err.find("lost connection to pod"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("an error occurred forwarding"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("dial tcp4 127.0.0.1:9999: connect: connection refused"), std::string::npos)
      << refused.err;

  // Not a WebSocket: the Status kubectl prints before giving up; an unknown pod: NotFound.
  auto plain = server_->Curl("-X POST -w '\\n%{http_code}' " + server_->url() +
                             "/api/v1/namespaces/default/pods/trainer/portforward");
  EXPECT_NE(plain.out.find("\"reason\":\"BadRequest\""), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("\n400"), std::string::npos) << plain.out;
  auto missing = K("port-forward pod/nope 18080:80");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("pods \"nope\" not found"), std::string::npos) << missing.err;
}

// Last: restarts the server. Requests through a Service keep flowing while it is down (the
// pods and their rules stay) and after; the restarted proxy rewrites the same rules without
// duplicating or leaking any. A clean stop with nothing left running leaves nothing behind.
TEST_F(ServicesE2E, ZRestartKeepsServicesAndACleanStopLeavesNothing) {
  ASSERT_EQ(Apply(ModelYaml("steady", 2, "v1")).code, 0);
  ASSERT_TRUE(RolledOut("steady"));
  const std::string ip = ClusterIP("steady");
  const std::string table = "nft list table ip " + server_->bridge();
  ASSERT_TRUE(WaitFor([&] { return Sh(table).out.find("svc/default/steady/tcp/80") != std::string::npos; }, 10s));
  auto sorted_lines = [](const std::string& s) {
    std::multiset<std::string> lines;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) lines.insert(l);
    return lines;
  };
  const auto before = sorted_lines(Sh(table).out);

  std::thread restart([] {
    std::this_thread::sleep_for(2s);
    server_->Stop();
    ASSERT_TRUE(server_->Start()) << server_->log();
  });
  auto out = Sh("wrk -t1 -c2 -d10s -s " + (server_->dir() / "count.lua").string() + " http://" + ip + "/predict");
  restart.join();
  const WrkResult r = ParseWrk(out.out);
  EXPECT_EQ(r.errors, 0) << r.raw << out.err;
  EXPECT_GT(r.v1, 0) << r.raw;
  // The restarted proxy wrote its table: the same rules, once.
  EXPECT_TRUE(WaitFor([&] { return sorted_lines(Sh(table).out) == before; }, 10s)) << Sh(table).out;
  EXPECT_EQ(Sh("curl -s -m 2 http://" + ip + "/predict").out.rfind("v1 steady-", 0), 0u);

  // Everything goes, then the server: no table, bridge or pod namespace of ours is left.
  const std::string uids = K("get pods -A -o jsonpath='{.items[*].metadata.uid}'").out;
  for (const char* kind : {"deployments", "jobs", "services", "pods"}) {
    K(std::string("delete ") + kind + " --all --grace-period=1 --wait=true --timeout=60s");
  }
  ASSERT_TRUE(WaitFor([] { return K("get pods -o name").out.empty(); }, 60s));
  // No pod holds an address; namespaces kept for reuse ("- <id>") go with the agent.
  const std::filesystem::path ipam = server_->dir() / "data" / "agent" / "ipam";
  std::string kept;
  ASSERT_TRUE(WaitFor([&] {
    kept.clear();
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(ipam, ec)) {
      const std::string record = ReadFile(e.path());
      if (record.rfind("- ", 0) != 0) return false;
      kept += record.substr(2) + " ";
    }
    return true;
  }, 30s));
  server_->Stop();
  EXPECT_NE(Sh(table).code, 0) << "the proxy's table is still there";
  EXPECT_FALSE(std::filesystem::exists("/sys/class/net/" + server_->bridge())) << "the bridge is still there";
  EXPECT_TRUE(!std::filesystem::exists(ipam) || std::filesystem::is_empty(ipam));
  const std::string namespaces = Sh("ip netns list").out;
  std::istringstream in(uids + " " + kept);
  for (std::string uid; in >> uid;) EXPECT_EQ(namespaces.find("mlk-" + uid), std::string::npos) << uid;
}

}  // namespace
}  // namespace mlkube::testing
