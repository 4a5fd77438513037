#include "proxy/dns_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_util.h"
#include "in_process_api.h"

namespace mlkube::proxy {
namespace {

using namespace std::chrono_literals;

// The real server answering `dig`, over UDP and TCP, with a forwarder standing in for the
// host's resolver (a second DnsServer whose zone is "upstream.test").
class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::system("command -v dig >/dev/null") != 0) GTEST_SKIP() << "needs dig (dnsutils)";
    ASSERT_TRUE(api_.ok());
    client_ = &api_.client();

    DnsServer::Options up;
    up.port = 0;
    up.zone = "upstream.test";
    up.upstreams = {"127.0.0.1"};  // never used: nothing leaves its zone in these tests
    auto upstream = DnsServer::Start(*client_, up);
    ASSERT_TRUE(upstream.ok()) << upstream.status().message();
    upstream_ = std::move(*upstream);

    DnsServer::Options d;
    d.port = 0;
    d.upstreams = {"127.0.0.1"};
    auto dns = DnsServer::Start(*client_, d);
    ASSERT_TRUE(dns.ok()) << dns.status().message();
    dns_ = std::move(*dns);
    ASSERT_TRUE(dns_->WaitForSync(10s));
  }
  void TearDown() override {
    if (dns_) dns_->Stop();
    if (upstream_) upstream_->Stop();
  }

  std::string Dig(const std::string& args, bool tcp = false) {
    return mlkube::testing::Sh("dig +tries=1 +time=2 " + std::string(tcp ? "+tcp " : "") + "-p " + std::to_string(dns_->port()) +
                   " @127.0.0.1 " + args)
        .out;
  }
  // Retries while the zone catches up with a write.
  std::string DigUntil(const std::string& args, const std::string& want) {
    std::string out;
    for (int i = 0; i < 100; ++i) {
      out = Dig(args);
      if (out.find(want) != std::string::npos) break;
      std::this_thread::sleep_for(50ms);
    }
    return out;
  }
  void Create(const std::string& path, const std::string& json) {
    auto r = client_->Send("POST", path, Json::parse(json));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }

  mlkube::testing::InProcessApi api_{"dns"};
  client::LocalClient* client_ = nullptr;
  std::unique_ptr<DnsServer> upstream_, dns_;
};

TEST_F(DnsServerTest, AnswersServicesHeadlessHostnamesSrvAndNxdomain) {
  Create("/api/v1/namespaces/default/services", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"model-service"},
      "spec":{"clusterIP":"10.96.0.50","ports":[{"name":"http","port":80}]}})");
  Create("/api/v1/namespaces/default/services", R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"train"},
      "spec":{"clusterIP":"None","ports":[{"name":"nccl","port":29500}]}})");
  Create("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", R"({"apiVersion":"discovery.k8s.io/v1",
      "kind":"EndpointSlice","metadata":{"name":"train-abc","labels":{"kubernetes.io/service-name":"train"}},
      "addressType":"IPv4","ports":[{"name":"nccl","port":29500,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.88.0.7"],"hostname":"train-0","conditions":{"ready":true}}]})");

  EXPECT_NE(DigUntil("+short model-service.default.svc.cluster.local A", "10.96.0.50").find("10.96.0.50"),
            std::string::npos);
  EXPECT_NE(DigUntil("+short train-0.train.default.svc.cluster.local", "10.88.0.7").find("10.88.0.7"),
            std::string::npos);
  EXPECT_NE(Dig("+short _nccl._tcp.train.default.svc.cluster.local SRV").find("29500 train-0.train.default.svc.cluster.local."),
            std::string::npos);
  EXPECT_NE(Dig("+short model-service.default.svc.cluster.local", true).find("10.96.0.50"), std::string::npos);
  const std::string missing = Dig("nope.default.svc.cluster.local");
  EXPECT_NE(missing.find("status: NXDOMAIN"), std::string::npos) << missing;
  EXPECT_NE(missing.find("SOA"), std::string::npos) << missing;
  const std::string aaaa = Dig("model-service.default.svc.cluster.local AAAA");
  EXPECT_NE(aaaa.find("status: NOERROR"), std::string::npos) << aaaa;
  EXPECT_NE(aaaa.find("ANSWER: 0"), std::string::npos) << aaaa;
}

TEST_F(DnsServerTest, ForwardsOtherNamesUpstreamAndFailsFastWithout) {
  // Ours, with the stand-in upstream as its resolver: a name outside the cluster zone comes
  // back as the upstream answered it (its zone's NXDOMAIN and SOA).
  dns_->Stop();
  DnsServer::Options d;
  d.port = 0;
  d.upstreams = {"127.0.0.1:" + std::to_string(upstream_->port())};
  auto dns = DnsServer::Start(*client_, d);
  ASSERT_TRUE(dns.ok());
  dns_ = std::move(*dns);
  ASSERT_TRUE(dns_->WaitForSync(10s));
  const std::string relayed = Dig("nothing.upstream.test");
  EXPECT_NE(relayed.find("status: NXDOMAIN"), std::string::npos) << relayed;
  EXPECT_NE(relayed.find("upstream.test.\t\t5\tIN\tSOA"), std::string::npos) << relayed;
  const std::string over_tcp = Dig("nothing.upstream.test", true);
  EXPECT_NE(over_tcp.find("status: NXDOMAIN"), std::string::npos) << over_tcp;

  // A question asked over TCP goes upstream over TCP (its answer may not fit a datagram): an
  // upstream that listens on TCP only answers it; over UDP the port would refuse.
  {
    const auto [tcp, tcp_port] = mlkube::testing::LoopbackSocket(SOCK_STREAM);
    ASSERT_GE(tcp, 0);
    std::thread upstream([tcp] {
      // One question, answered NXDOMAIN: the query with QR and the rcode set.
      const int c = ::accept(tcp, nullptr, nullptr);
      unsigned char len[2];
      if (c < 0 || ::recv(c, len, 2, MSG_WAITALL) != 2) return;
      std::string q((len[0] << 8) | len[1], '\0');
      if (::recv(c, q.data(), q.size(), MSG_WAITALL) != static_cast<ssize_t>(q.size())) return;
      q[2] = static_cast<char>(q[2] | 0x80);
      q[3] = static_cast<char>((q[3] & 0xf0) | 0x03);
      ::send(c, len, 2, 0);
      ::send(c, q.data(), q.size(), 0);
      ::close(c);
    });
    dns_->Stop();
    d.upstreams = {"127.0.0.1:" + std::to_string(tcp_port)};
    dns = DnsServer::Start(*client_, d);
    ASSERT_TRUE(dns.ok());
    dns_ = std::move(*dns);
    const std::string tcp_only = Dig("example.org", true);
    EXPECT_NE(tcp_only.find("status: NXDOMAIN"), std::string::npos) << tcp_only;
    ::shutdown(tcp, SHUT_RDWR);
    upstream.join();
    ::close(tcp);
  }

  // An upstream that refuses (nothing listens) and one that never answers (a socket nobody
  // reads): SERVFAIL, with the question, at once and after the forwarding timeout.
  const auto [silent, silent_port] = mlkube::testing::LoopbackSocket(SOCK_DGRAM);
  ASSERT_GE(silent, 0);
  for (const std::string& upstream : {std::string("127.0.0.1:9"), "127.0.0.1:" + std::to_string(silent_port)}) {
    dns_->Stop();
    d.upstreams = {upstream};
    dns = DnsServer::Start(*client_, d);
    ASSERT_TRUE(dns.ok());
    dns_ = std::move(*dns);
    const std::string failed =
        mlkube::testing::Sh("dig +tries=1 +time=4 -p " + std::to_string(dns_->port()) + " @127.0.0.1 example.org").out;
    EXPECT_NE(failed.find("status: SERVFAIL"), std::string::npos) << upstream << ": " << failed;
    EXPECT_NE(failed.find("QUERY: 1,"), std::string::npos) << failed;
  }
  ::close(silent);
}

}  // namespace
}  // namespace mlkube::proxy
