#include "proxy/socket_lb.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "e2e_util.h"

namespace mlkube::proxy {
namespace {

// A cgroup v2 group of the test's own: the balancer is attached there, so only the children
// the test moves into it are balanced and nothing else on the machine sees the programs.
class SocketBalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    std::ifstream mounts("/proc/self/mounts");
    for (std::string line; std::getline(mounts, line);) {
      std::istringstream f(line);
      std::string device, point, type;
      f >> device >> point >> type;
      if (type == "cgroup2") root_ = point;
    }
    if (root_.empty()) GTEST_SKIP() << "no cgroup v2 mount";
    group_ = root_ / ("mlkube-socket-lb-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(group_);
    for (int i = 0; i < 3; ++i) listeners_.push_back(mlkube::testing::LoopbackSocket(SOCK_STREAM));
  }
  void TearDown() override {
    for (const auto& [fd, port] : listeners_) ::close(fd);
    if (!group_.empty()) ::rmdir(group_.c_str());
  }

  // Service addresses are in 127/8, where a connect nobody rewrites is refused at once (an
  // address out on the network might be answered by whatever sits there).
  // From a child moved into the group: connects to ip:port (200 ms at most) and reports
  // "<peer the socket names>/<port it really reached>", or "none" when it did not connect.
  std::string ConnectFromGroup(const std::string& ip, int port) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::ofstream(group_ / "cgroup.procs") << 0 << std::flush;
      std::string result = "none";
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      if (::poll(&p, 1, 200) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        sockaddr_in peer{};
        len = sizeof peer;
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len);
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
        result = std::string(text) + ":" + std::to_string(ntohs(peer.sin_port));
      }
      (void)!::write(out[1], result.data(), result.size());
      ::_exit(0);
    }
    ::close(out[1]);
    std::string result;
    char buf[128];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) result.append(buf, n);
    ::close(out[0]);
    ::waitpid(pid, nullptr, 0);
    return result;
  }

  // Which listener took the connection the last ConnectFromGroup made, by port (-1: none).
  int Accepted() {
    for (const auto& [fd, port] : listeners_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) {
        ::close(::accept(fd, nullptr, nullptr));
        return port;
      }
    }
    return -1;
  }

  Frontend Service(const std::string& ip, int port, size_t endpoints) {
    Frontend f;
    f.base = "default/model/tcp/" + std::to_string(port);
    f.protocol = "tcp";
    f.port = port;
    f.ips = {ip};
    for (size_t i = 0; i < endpoints; ++i) f.endpoints.push_back({"127.0.0.1", listeners_[i].second});
    return f;
  }

  std::filesystem::path root_, group_;
  std::vector<std::pair<int, int>> listeners_;  // fd, port
};

TEST_F(SocketBalancerTest, ConnectsGoToEndpointsAndNameTheService) {
  auto lb = SocketBalancer::Start(group_);
  ASSERT_TRUE(lb.ok()) << lb.status().message();
  ASSERT_TRUE((*lb)->Sync({Service("127.255.255.1", 80, 3)}).ok());
  EXPECT_EQ((*lb)->size(), 1u);
  std::map<int, int> hits;
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(ConnectFromGroup("127.255.255.1", 80), "127.255.255.1:80");
    ++hits[Accepted()];
  }
  EXPECT_EQ(hits.count(-1), 0u);
  EXPECT_EQ(hits.size(), 3u) << "every endpoint gets connections";

  // One endpoint left: all go there.
  ASSERT_TRUE((*lb)->Sync({Service("127.255.255.1", 80, 1)}).ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ConnectFromGroup("127.255.255.1", 80), "127.255.255.1:80");
    EXPECT_EQ(Accepted(), listeners_[0].second);
  }
}

TEST_F(SocketBalancerTest, LeavesToTheRulesWhatItDoesNotServe) {
  auto lb = SocketBalancer::Start(group_);
  ASSERT_TRUE(lb.ok()) << lb.status().message();
  Frontend udp = Service("127.255.255.2", 53, 1);
  udp.protocol = "udp";
  Frontend sticky = Service("127.255.255.3", 80, 2);
  sticky.affinity = true;
  Frontend empty = Service("127.255.255.4", 80, 0);
  ASSERT_TRUE((*lb)->Sync({udp, sticky, empty, Service("127.255.255.1", 80, 1)}).ok());
  EXPECT_EQ((*lb)->size(), 1u);
  EXPECT_EQ(ConnectFromGroup("127.255.255.3", 80), "none");
  EXPECT_EQ(ConnectFromGroup("127.255.255.4", 80), "none");
  EXPECT_EQ(ConnectFromGroup("127.255.255.1", 81), "none");  // another port of the address
  EXPECT_EQ(Accepted(), -1);

  // A service removed, then the balancer gone: connects are left alone again.
  ASSERT_TRUE((*lb)->Sync({}).ok());
  EXPECT_EQ((*lb)->size(), 0u);
  EXPECT_EQ(ConnectFromGroup("127.255.255.1", 80), "none");
  ASSERT_TRUE((*lb)->Sync({Service("127.255.255.1", 80, 1)}).ok());
  EXPECT_EQ(ConnectFromGroup("127.255.255.1", 80), "127.255.255.1:80");
  EXPECT_EQ(Accepted(), listeners_[0].second);
  lb->reset();
  EXPECT_EQ(ConnectFromGroup("127.255.255.1", 80), "none");
}

}  // namespace
}  // namespace mlkube::proxy
