#include "agent/prober/prober.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mlkube::agent {
namespace {

// A loopback port whose listener never accepts or answers: the kernel completes the
// handshake, then nothing more ever arrives, as with a hung server.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ProberTest, HttpProbeOfAServerThatNeverAnswersTimesOut) {
  SilentListener server;
  const Json probe = {{"httpGet", {{"path", "/healthz"}, {"port", server.port()}}}, {"timeoutSeconds", 1}};
  std::string failure;
  EXPECT_FALSE(ContainerProber::RunProbe(probe, {.pod_ip = "127.0.0.1"}, &failure));
  EXPECT_EQ(failure, "Get \"http://127.0.0.1:" + std::to_string(server.port()) +
                         "/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
}

TEST(ProberTest, ClosedPortIsRefusedAndOpenPortPasses) {
  int port = 0;
  {
    SilentListener closed;
    port = closed.port();
  }
  std::string failure;
  EXPECT_FALSE(ContainerProber::RunProbe({{"tcpSocket", {{"port", port}}}}, {.pod_ip = "127.0.0.1"}, &failure));
  EXPECT_EQ(failure, "dial tcp 127.0.0.1:" + std::to_string(port) + ": connect: connection refused");
  SilentListener open;
  EXPECT_TRUE(ContainerProber::RunProbe({{"tcpSocket", {{"port", open.port()}}}}, {.pod_ip = "127.0.0.1"}, &failure));
}

}  // namespace
}  // namespace mlkube::agent
