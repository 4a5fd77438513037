// Services: what a ClusterIP costs, how fast endpoints reach the data path, and the cluster DNS.
//
//   service_bench BINARY [--quick]
//
// Runs `mlkube server` with its agent (own cgroup root, bridge and pod CIDR; root needed), one
// nginx pod answering a fixed body behind a Service, and measures in the same run:
//  1. wrk through the ClusterIP against the same pod hit directly by its IP, through a
//     ClusterIP the nftables NAT serves (what traffic from other machines takes), and through
//     Debian's nginx as a host reverse proxy (the anchor a user would otherwise put in front);
//     rounds alternate them and medians are printed with the ratio to direct in each round;
//  2. endpoint propagation: from the moment a watch sees a new pod Ready to the first
//     request through the ClusterIP that it answers;
//  3. DNS from inside a pod's network namespace: queries/s and p99 for a Service name from
//     mlkube's cluster DNS, and the same name from dnsmasq on the same address (the anchor).

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "api/json.h"
#include "bench.h"
#include "client/client.h"
#include "common/subprocess.h"

// Last: its C headers define names (bool, false) the C++ headers above must not see.
#include <ldns/ldns.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mlkube::Json;
using mlkube::bench::Ms;
using mlkube::bench::Pct;
using Clock = std::chrono::steady_clock;

namespace {

struct WrkFigures {
  double rps = 0, p99_ms = 0;
};

double ToMs(const std::string& value, const std::string& unit) {
  double v = std::stod(value);
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  return v;
}

// `script`: a wrk Lua script, e.g. one that paces the requests.
WrkFigures Wrk(const std::string& url, int seconds, const std::string& script = "") {
  std::vector<std::string> argv = {"wrk", "-t1", "-c16", "-d" + std::to_string(seconds) + "s", "--latency"};
  if (!script.empty()) argv.insert(argv.end(), {"-s", script});
  argv.push_back(url);
  auto r = mlkube::RunCommand(argv);
  WrkFigures f;
  if (!r.ok()) return f;
  std::smatch m;
  static const std::regex rps(R"(Requests/sec:\s+([\d.]+))"), p99(R"(\s99%\s+([\d.]+)(us|ms|s))");
  if (std::regex_search(r->out, m, rps)) f.rps = std::stod(m[1]);
  if (std::regex_search(r->out, m, p99)) f.p99_ms = ToMs(m[1], m[2]);
  if (std::regex_search(r->out, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))")) ||
      std::regex_search(r->out, m, std::regex(R"(Socket errors: ([^\n]+))"))) {
    std::fprintf(stderr, "wrk %s: %s\n", url.c_str(), m[0].str().c_str());
  }
  return f;
}

double Median(std::vector<double> v) { return Pct(std::move(v), 0.5); }

// One HTTP GET on a fresh connection; true on a 200 within `timeout`.
bool Answers(const std::string& ip, int port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  timeval tv{0, static_cast<suseconds_t>(timeout.count() * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    char buf[64] = {};
    if (::send(fd, req, sizeof req - 1, MSG_NOSIGNAL) > 0 &&
        ::recv(fd, buf, sizeof buf - 1, 0) > 12) {
      ok = std::string(buf).find(" 200 ") != std::string::npos;
    }
  }
  ::close(fd);
  return ok;
}

// Pods that a watch has seen become Ready, with when.
class ReadyWatch {
 public:
  ReadyWatch(const mlkube::client::Client& client, const std::string& selector) {
    // Short watches, one after another: a quiet stream cannot be told to stop.
    thread_ = std::thread([this, &client, selector] {
      while (!stop_) {
        std::string buf;
        (void)client.Stream(
            "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1&labelSelector=" + selector,
            [&](std::string_view data) {
              buf.append(data);
              for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) {
                Json ev = Json::parse(buf.substr(0, nl), nullptr, false);
                const Json& pod = ev["object"];
                for (const Json& c : pod["status"].value("conditions", Json::array())) {
                  if (c.value("type", "") == "Ready" && c.value("status", "") == "True") {
                    std::lock_guard lock(mu_);
                    if (ready_.emplace(pod["metadata"].value("uid", ""), Clock::now()).second)
                      cv_.notify_all();
                  }
                }
              }
              return !stop_;
            });
      }
    });
  }
  ~ReadyWatch() {
    stop_ = true;
    thread_.join();
  }
  // The next pod to become ready after `seen` of them: its time.
  std::optional<Clock::time_point> Next(size_t seen, std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, limit, [&] { return ready_.size() > seen; })) return std::nullopt;
    Clock::time_point latest{};
    for (const auto& [_, t] : ready_) latest = std::max(latest, t);
    return latest;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> ready_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct DnsFigures {
  double qps = 0, p99_ms = 0;
  long lost = 0;
};

// `window` queries in flight for `seconds`, from inside the network namespace `netns`.
DnsFigures DnsLoad(const std::string& netns, const std::string& server, int port,
                   const std::string& name, int seconds, int window = 16) {
  DnsFigures out;
  std::thread t([&] {
    int ns = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) return;
    ::close(ns);
    ldns_pkt* q = nullptr;
    ldns_pkt_query_new_frm_str(&q, name.c_str(), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD);
    uint8_t* wire = nullptr;
    size_t size = 0;
    ldns_pkt2wire(&wire, q, &size);
    std::string query(reinterpret_cast<char*>(wire), size);
    LDNS_FREE(wire);
    ldns_pkt_free(q);
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, server.c_str(), &a.sin_addr);
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    std::vector<Clock::time_point> sent(65536);
    std::vector<bool> pending(65536, false);
    std::vector<double> latencies;
    uint16_t next_id = 0;
    int in_flight = 0;
    const auto start = Clock::now(), end = start + std::chrono::seconds(seconds);
    auto send_one = [&] {
      query[0] = static_cast<char>(next_id >> 8);
      query[1] = static_cast<char>(next_id & 0xff);
      sent[next_id] = Clock::now();
      pending[next_id] = true;
      ::send(fd, query.data(), query.size(), 0);
      ++next_id;
      ++in_flight;
    };
    while (Clock::now() < end) {
      while (in_flight < window) send_one();
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) {  // a lost datagram: give up on what is out
        out.lost += in_flight;
        std::fill(pending.begin(), pending.end(), false);
        in_flight = 0;
        continue;
      }
      char buf[1500];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 12) continue;
      const uint16_t id = (static_cast<uint8_t>(buf[0]) << 8) | static_cast<uint8_t>(buf[1]);
      if (!pending[id]) continue;
      pending[id] = false;
      --in_flight;
      latencies.push_back(Ms(Clock::now() - sent[id]));
    }
    ::close(fd);
    out.qps = latencies.size() / std::chrono::duration<double>(Clock::now() - start).count();
    out.p99_ms = Pct(latencies, 0.99);
  });
  t.join();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: service_bench BINARY [--quick]\n");
    return 2;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "service_bench needs root (pods, nftables)\n");
    return 2;
  }
  const bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  const int seconds = quick ? 2 : 5, rounds = quick ? 1 : 5, samples = quick ? 5 : 30;
  const std::string tag = "mlkube-svcbench-" + std::to_string(::getpid());
  const std::string bridge = "mks" + std::to_string(::getpid() % 100000);
  const fs::path root = fs::temp_directory_path() / tag;
  int rc = 0;
  {
    mlkube::bench::BenchServer server(argv[1], root,
                                      {"--node-name", "bench-node", "--cgroup-root", tag,
                                       "--bridge-name", bridge, "--pod-cidr", "10.249.0.0/16"},
                                      "/api/v1/nodes/bench-node");
    if (!server.ready()) {
      std::fprintf(stderr, "server did not come up; see %s\n", server.log_path().c_str());
      return 1;
    }
    mlkube::client::RemoteClient client(server.config());
    std::ofstream(root / "pod-nginx.conf")
        << "worker_processes 1; pid /tmp/nginx.pid; error_log stderr;\nevents { worker_connections "
           "4096; }\n"
           "http { access_log off; client_body_temp_path /tmp; proxy_temp_path /tmp; "
           "fastcgi_temp_path /tmp;\n"
           "  uwsgi_temp_path /tmp; scgi_temp_path /tmp;\n"
           "  server { listen 8080 reuseport; location / { return 200 \"ok\\n\"; } } }\n";
    auto deployment = [&](const std::string& name, int replicas) {
      return Json::parse(
          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name +
          R"("},"spec":{"replicas":)" + std::to_string(replicas) +
          R"(,"selector":{"matchLabels":{"app":")" + name +
          R"("}},"template":{"metadata":{"labels":{"app":")" + name +
          R"("}},"spec":{"terminationGracePeriodSeconds":0,"containers":[{"name":"nginx","image":"nginx",
                         "command":["nginx","-e","stderr","-g","daemon off;","-c",")" +
          (root / "pod-nginx.conf").string() +
          R"("],"ports":[{"containerPort":8080}],
                         "readinessProbe":{"tcpSocket":{"port":8080},"periodSeconds":1}}]}}}})");
    };
    auto service = [&](const std::string& name, const std::string& app, const std::string& affinity) {
      return Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
                         R"("},"spec":{"selector":{"app":")" + app + R"("},"sessionAffinity":")" + affinity +
                         R"(","ports":[{"port":80,"targetPort":8080}]}})");
    };
    (void)client.Send("POST", "/apis/apps/v1/namespaces/default/deployments",
                      deployment("echo", 1));
    auto svc = client.Send("POST", "/api/v1/namespaces/default/services", service("echo", "echo", "None"));
    // The same pod behind a Service with ClientIP affinity, which the socket-level balancer
    // leaves to the nftables NAT: the path traffic from other machines takes.
    auto nat_svc = client.Send("POST", "/api/v1/namespaces/default/services", service("echo-nat", "echo", "ClientIP"));
    if (!svc.ok()) {
      std::fprintf(stderr, "service: %s\n", svc.status().message().c_str());
      return 1;
    }
    const std::string vip = (*svc)["spec"]["clusterIP"];
    const std::string nat_vip = nat_svc.ok() ? (*nat_svc)["spec"].value("clusterIP", "") : "";
    std::string pod_ip, pod_uid;
    for (int i = 0; i < 600 && !Answers(vip, 80, 100ms); ++i) std::this_thread::sleep_for(100ms);
    auto pods = client.Get("/api/v1/namespaces/default/pods?labelSelector=app%3Decho");
    if (pods.ok() && !(*pods)["items"].empty()) {
      pod_ip = (*pods)["items"][0]["status"].value("podIP", "");
      pod_uid = (*pods)["items"][0]["metadata"].value("uid", "");
    }
    for (int i = 0; i < 100 && !Answers(nat_vip, 80, 100ms); ++i) std::this_thread::sleep_for(100ms);
    if (pod_ip.empty() || !Answers(vip, 80, 1s) || !Answers(nat_vip, 80, 1s)) {
      std::fprintf(stderr, "the echo pod did not answer through %s; see %s\n", vip.c_str(),
                   server.log_path().c_str());
      return 1;
    }

    // The anchor: Debian's nginx on the host as a reverse proxy to the same pod.
    const int proxy_port = 19000 + ::getpid() % 1000;
    std::ofstream(root / "proxy-nginx.conf")
        << "worker_processes 1; pid " << (root / "proxy.pid").string()
        << "; error_log stderr; daemon off;\n"
        << "events { worker_connections 4096; }\nhttp { access_log off;\n"
        << "  client_body_temp_path " << root.string() << "; proxy_temp_path " << root.string()
        << ";\n"
        << "  fastcgi_temp_path " << root.string() << "; uwsgi_temp_path " << root.string()
        << "; scgi_temp_path " << root.string() << ";\n"
        << "  upstream pod { server " << pod_ip << ":8080; keepalive 32; }\n"
        << "  server { listen 127.0.0.1:" << proxy_port << "; location / { proxy_pass http://pod;\n"
        << "    proxy_http_version 1.1; proxy_set_header Connection \"\"; } } }\n";
    const pid_t proxy = ::fork();
    if (proxy == 0) {
      ::execlp("nginx", "nginx", "-e", "stderr", "-c", (root / "proxy-nginx.conf").c_str(),
               nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !Answers("127.0.0.1", proxy_port, 100ms); ++i)
      std::this_thread::sleep_for(50ms);

    std::printf("# mlkube services benchmark (%s)\n\n", quick ? "quick" : "full");
    std::ifstream log(server.log_path());
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    std::printf("Connect-time balancing: %s\n\n",
                text.find("socket-level balancing is off") == std::string::npos ? "attached" : "OFF (see the server log)");
    std::printf(
        "## HTTP through a Service: wrk -t1 -c16 -d%ds, saturated and bounded, one nginx pod, median of %d rounds\n\n",
        seconds, rounds);
    const std::vector<std::pair<std::string, std::string>> targets = {
        {"pod IP directly (anchor)", "http://" + pod_ip + ":8080/"},
        {"ClusterIP (mlkube: connect-time balancing)", "http://" + vip + "/"},
        {"ClusterIP through the nftables NAT (ClientIP affinity)", "http://" + nat_vip + "/"},
        {"nginx reverse proxy on host (anchor)",
         "http://127.0.0.1:" + std::to_string(proxy_port) + "/"}};
    // Throughput at saturation; p99 at a bounded load (each connection waits 1 ms between
    // requests, about 15k requests/s in all), where latency is the path's and not the queue's
    // of a saturated machine. Ratios are taken within a round (the anchor ran seconds
    // before), then the median of those: the machine's drift between rounds cancels out.
    const std::string paced = (root / "paced.lua").string();
    std::ofstream(paced) << "delay = function() return 1 end\n";
    std::map<std::string, std::vector<double>> rps, p99, rps_ratio, p99_ratio;
    for (int r = 0; r < rounds; ++r) {
      for (const auto& [label, url] : targets) {
        const WrkFigures full = Wrk(url, seconds), bounded = Wrk(url, seconds, paced);
        rps[label].push_back(full.rps);
        p99[label].push_back(bounded.p99_ms);
        rps_ratio[label].push_back(full.rps / rps[targets[0].first].back());
        p99_ratio[label].push_back(bounded.p99_ms / p99[targets[0].first].back());
      }
    }
    std::printf(
        "| path | requests/s (saturated) | p99 ms (bounded load) | throughput vs direct | p99 vs direct "
        "|\n|---|---|---|---|---|\n");
    for (const auto& [label, _] : targets) {
      std::printf("| %s | %.0f | %.3f | %.3fx | %+.0f %% |\n", label.c_str(), Median(rps[label]),
                  Median(p99[label]), Median(rps_ratio[label]), 100.0 * (Median(p99_ratio[label]) - 1));
    }
    ::kill(proxy, SIGTERM);
    ::waitpid(proxy, nullptr, 0);

    // Propagation: a pod of `prop` turns Ready (seen by a watch) -> the ClusterIP answers.
    (void)client.Send("POST", "/apis/apps/v1/namespaces/default/deployments",
                      deployment("prop", 0));
    auto prop = client.Send("POST", "/api/v1/namespaces/default/services", service("prop", "prop", "None"));
    const std::string prop_vip = prop.ok() ? (*prop)["spec"].value("clusterIP", "") : "";
    std::vector<double> lags;
    {
      ReadyWatch watch(client, "app%3Dprop");
      for (int i = 0; i < samples; ++i) {
        (void)client.Send("PATCH", "/apis/apps/v1/namespaces/default/deployments/prop/scale",
                          Json{{"spec", {{"replicas", 1}}}}, "application/merge-patch+json");
        auto ready = watch.Next(i, 60s);
        if (!ready) {
          std::fprintf(stderr, "no pod of prop became Ready within 60 s; the server's log ends:\n");
          (void)std::system(("tail -n 40 " + server.log_path() + " >&2").c_str());
          (void)std::system(("KUBECONFIG=" + (root / "data" / "kubeconfig").string() +
                             " kubectl get pods -o wide >&2; KUBECONFIG=" + (root / "data" / "kubeconfig").string() +
                             " kubectl get deploy prop -o yaml >&2").c_str());
          break;
        }
        while (!Answers(prop_vip, 80, 50ms) && Clock::now() - *ready < 10s)
          std::this_thread::sleep_for(200us);
        lags.push_back(Ms(Clock::now() - *ready));
        (void)client.Send("PATCH", "/apis/apps/v1/namespaces/default/deployments/prop/scale",
                          Json{{"spec", {{"replicas", 0}}}}, "application/merge-patch+json");
        for (int k = 0; k < 200 && Answers(prop_vip, 80, 50ms); ++k)
          std::this_thread::sleep_for(20ms);
        std::this_thread::sleep_for(300ms);  // the old pod's address is free again before the next
      }
    }
    std::printf(
        "\n## Endpoint propagation: pod Ready (seen by a watch) -> answering through the "
        "ClusterIP\n\n");
    std::printf("| samples | p50 ms | p99 ms | max ms | goal |\n|---|---|---|---|---|\n");
    std::printf("| %zu | %.1f | %.1f | %.1f | p99 <= 100 ms |\n", lags.size(), Pct(lags, 0.5),
                Pct(lags, 0.99), Pct(lags, 1.0));

    // DNS from the echo pod's network namespace.
    const std::string gateway = "10.249.0.1", name = "echo.default.svc.cluster.local";
    std::ofstream(root / "hosts") << vip << " " << name << "\n";
    const pid_t dnsmasq = ::fork();
    if (dnsmasq == 0) {
      ::execlp("dnsmasq", "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
               "--bind-interfaces", ("--listen-address=" + gateway).c_str(), "--port=5353",
               ("--addn-hosts=" + (root / "hosts").string()).c_str(), "--cache-size=1000",
               "--pid-file", nullptr);
      ::_exit(127);
    }
    std::this_thread::sleep_for(500ms);
    // The agent's address record names the pod's namespace.
    auto record = mlkube::agent::PodNetwork::ReadRecord(root / "data" / "agent" / "ipam" / pod_ip);
    const std::string netns = mlkube::agent::PodNetwork::NamespacePathOf(record ? record->netns_id : pod_uid);
    std::map<std::string, std::vector<double>> qps, dns_p99;
    long lost = 0;
    for (int r = 0; r < rounds; ++r) {
      for (const auto& [label, port] :
           {std::pair<std::string, int>{"mlkube cluster DNS", 53}, {"dnsmasq (anchor)", 5353}}) {
        DnsFigures f = DnsLoad(netns, gateway, port, name, seconds);
        qps[label].push_back(f.qps);
        dns_p99[label].push_back(f.p99_ms);
        lost += f.lost;
      }
    }
    ::kill(dnsmasq, SIGTERM);
    ::waitpid(dnsmasq, nullptr, 0);
    std::printf("\n## DNS from a pod: A %s, 16 queries in flight, %d s, median of %d rounds\n\n",
                name.c_str(), seconds, rounds);
    std::printf("| server | queries/s | p99 ms | vs dnsmasq |\n|---|---|---|---|\n");
    const double anchor_qps = Median(qps["dnsmasq (anchor)"]);
    for (const std::string label : {"mlkube cluster DNS", "dnsmasq (anchor)"}) {
      std::printf("| %s | %.0f | %.2f | %.2fx |\n", label.c_str(), Median(qps[label]),
                  Median(dns_p99[label]), Median(qps[label]) / anchor_qps);
    }
    if (lost) std::printf("\n(%ld queries timed out)\n", lost);
    if (lags.size() < static_cast<size_t>(samples)) rc = 1;
    for (const char* d : {"echo", "prop"}) {
      (void)client.Do("DELETE", std::string("/apis/apps/v1/namespaces/default/deployments/") + d);
    }
  }
  mlkube::bench::RemoveAgentLeftovers(root / "data", tag, bridge);
  fs::remove_all(root);
  return rc;
}
