// The port-forward session against a scripted SPDY client over an in-memory WebSocket, and a
// real TCP listener standing in for the pod. (The end-to-end test drives it with kubectl.)
#include "apiserver/port_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <tuple>

#include "apiserver/spdy.h"
#include "e2e_util.h"

namespace mlkube::apiserver {
namespace {

using namespace std::chrono_literals;

class FakeWebSocket : public WebSocket {
 public:
  void Run(const std::function<void(std::string_view)>& on_message) override {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return !inbound_.empty() || closed_; });
      if (inbound_.empty()) break;
      std::string m = std::move(inbound_.front());
      inbound_.pop_front();
      lock.unlock();
      on_message(m);
      lock.lock();
    }
  }
  void Send(std::string message) override {
    std::lock_guard lock(mu_);
    outbound_ += message;
    cv_.notify_all();
  }
  void Close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  void PauseReading() override {}
  void ResumeReading() override {}

  // The client's side.
  void Deliver(std::string bytes) {
    std::lock_guard lock(mu_);
    inbound_.push_back(std::move(bytes));
    cv_.notify_all();
  }
  // The next frame the server sent, or nullopt after `limit`.
  std::optional<spdy::Frame> Next(std::chrono::milliseconds limit = 3000ms) {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      reader_.Feed(outbound_);
      outbound_.clear();
      auto f = reader_.Next();
      if (!f.ok()) return std::nullopt;
      if (*f) return std::move(**f);
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && outbound_.empty()) return std::nullopt;
    }
  }
  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> inbound_;
  std::string outbound_;
  spdy::FrameReader reader_;
  bool closed_ = false;
};

class PortForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::tie(listener_, port_) = mlkube::testing::LoopbackSocket(SOCK_STREAM);
    ASSERT_GE(listener_, 0);
    session_ = std::thread([this] { ServePortForward(ws_, dial_); });
  }
  void TearDown() override {
    ws_.Close();
    session_.join();  // every forward is closed and joined before this returns
    ::close(listener_);
  }

  // What the client sends.
  void Open(uint32_t id, const std::string& type, const std::string& port, const std::string& request = "0") {
    spdy::Headers h = {{"streamtype", type}, {"port", port}};
    if (!request.empty()) h.emplace_back("requestid", request);
    ws_.Deliver(spdy::SynStreamFrame(id, 0, client_headers_.Compress(h)));
  }
  // The next frame must be a SYN_REPLY to `id`, with an empty header block.
  void ExpectReply(uint32_t id) {
    auto f = ws_.Next();
    ASSERT_TRUE(f && f->control && f->type == spdy::kSynReply) << (f ? f->type : -1);
    auto h = spdy::ParseHeaders(*f);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->stream_id, id);
    auto headers = server_headers_.Decompress(h->header_block);
    ASSERT_TRUE(headers.ok());
    EXPECT_TRUE(headers->empty());
  }
  // Opens the pair of request `request` on streams id (error) and id+2 (data), and accepts
  // the connection the server makes to the listener.
  int Forward(uint32_t id, const std::string& request = "0") {
    Open(id, "error", std::to_string(port_), request);
    ExpectReply(id);
    Open(id + 2, "data", std::to_string(port_), request);
    ExpectReply(id + 2);
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1) return -1;
    return ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  static std::string ReadSome(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1) return "<timeout>";
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    return n <= 0 ? "<eof>" : std::string(buf, static_cast<size_t>(n));
  }
  // Collects DATA frames until both streams of a forward have ended (FIN on each).
  struct Ended {
    std::string data, error;
    bool data_fin = false, error_fin = false;
  };
  Ended UntilEnd(uint32_t error_id) {
    Ended e;
    while (!(e.data_fin && e.error_fin)) {
      auto f = ws_.Next();
      if (!f) break;
      if (f->control) continue;
      if (f->stream_id == error_id) {
        e.error += f->payload;
        e.error_fin = e.error_fin || (f->flags & spdy::kFlagFin);
      } else if (f->stream_id == error_id + 2) {
        e.data += f->payload;
        e.data_fin = e.data_fin || (f->flags & spdy::kFlagFin);
      }
    }
    return e;
  }

  FakeWebSocket ws_;
  PortDialer dial_ = [this](int port) -> Result<int> {
    if (port != port_) return Status(Code::kInternal, "dial tcp4 127.0.0.1:" + std::to_string(port) + ": connect: connection refused");
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Status(Code::kInternal, "connect");
    return fd;
  };
  int listener_ = -1, port_ = 0;
  std::thread session_;
  spdy::HeaderCompressor client_headers_;
  spdy::HeaderDecompressor server_headers_;
};

TEST_F(PortForwardTest, CopiesBothWaysAndEndsBothStreamsWhenThePodCloses) {
  const int pod = Forward(1);
  ASSERT_GE(pod, 0);
  ws_.Deliver(spdy::DataFrame(3, 0, "hello "));
  ws_.Deliver(spdy::DataFrame(3, 0, "pod"));
  std::string got;
  while (got.size() < 9) got += ReadSome(pod);
  EXPECT_EQ(got, "hello pod");
  ASSERT_EQ(::write(pod, "hi client", 9), 9);
  auto f = ws_.Next();
  ASSERT_TRUE(f && !f->control);
  EXPECT_EQ(f->stream_id, 3u);
  EXPECT_EQ(f->payload, "hi client");
  // The client's FIN half-closes: the pod reads end of input, and can still answer.
  ws_.Deliver(spdy::DataFrame(3, spdy::kFlagFin, ""));
  EXPECT_EQ(ReadSome(pod), "<eof>");
  ASSERT_EQ(::write(pod, "bye", 3), 3);
  ::close(pod);
  Ended e = UntilEnd(1);
  EXPECT_EQ(e.data, "bye");
  EXPECT_TRUE(e.data_fin);
  EXPECT_TRUE(e.error_fin);
  EXPECT_EQ(e.error, "");

  // Pings are answered; a second connection on the same session works the same way.
  ws_.Deliver(spdy::PingFrame(5));
  f = ws_.Next();
  ASSERT_TRUE(f && f->control && f->type == spdy::kPing);
  EXPECT_EQ(*spdy::FirstWord(*f), 5u);
  const int second = Forward(5, "1");
  ASSERT_GE(second, 0);
  ::close(second);
  e = UntilEnd(5);
  EXPECT_TRUE(e.data_fin && e.error_fin);
}

TEST_F(PortForwardTest, APodThatNeitherClosesNorReadsIsCutOffAfterTheClientFinishes) {
  const int pod = Forward(1);
  ASSERT_GE(pod, 0);
  ws_.Deliver(spdy::DataFrame(3, spdy::kFlagFin, ""));
  Ended e = UntilEnd(1);  // without the cut-off no FIN would ever come
  EXPECT_TRUE(e.data_fin && e.error_fin);
  ::close(pod);
}

TEST_F(PortForwardTest, ADialErrorGoesOnTheErrorStream) {
  Open(1, "error", "9");
  ExpectReply(1);
  Open(3, "data", "9");
  ExpectReply(3);
  Ended e = UntilEnd(1);
  EXPECT_EQ(e.error, "dial tcp4 127.0.0.1:9: connect: connection refused");
  EXPECT_TRUE(e.error_fin && e.data_fin);
  // A port that is not a number, the kubelet's words.
  Open(5, "error", "http", "1");
  ExpectReply(5);
  Open(7, "data", "http", "1");
  ExpectReply(7);
  e = UntilEnd(5);
  EXPECT_EQ(e.error, "unable to parse \"http\" as a port: invalid syntax");
}

TEST_F(PortForwardTest, ResetsEndTheConnectionAndBadStreamsAreRefused) {
  const int pod = Forward(1);
  ASSERT_GE(pod, 0);
  ws_.Deliver(spdy::RstStreamFrame(3, spdy::kCancel));
  EXPECT_EQ(ReadSome(pod), "<eof>");
  ::close(pod);
  // An unknown stream type, an even (server-side) id, an id going backwards: RST_STREAM.
  for (auto [id, type] : {std::pair<uint32_t, const char*>{9, "bogus"}, {10, "data"}, {7, "data"}}) {
    Open(id, type, "80", "2");
    auto f = ws_.Next();
    ASSERT_TRUE(f && f->control) << id;
    EXPECT_EQ(f->type, spdy::kRstStream) << id;
    EXPECT_EQ(*spdy::FirstWord(*f), id);
  }
  // HEADERS blocks keep the header context in step: a later stream still parses.
  std::string headers;
  const std::string block = client_headers_.Compress({{"x", "y"}});
  headers.append("\x80\x03\x00\x08", 4);
  const uint32_t len = 4 + static_cast<uint32_t>(block.size());
  headers.push_back(0);
  headers.push_back(static_cast<char>(len >> 16));
  headers.push_back(static_cast<char>(len >> 8));
  headers.push_back(static_cast<char>(len));
  headers.append(std::string("\x00\x00\x00\x0b", 4));
  headers += block;
  ws_.Deliver(headers);
  const int again = Forward(11, "3");
  ASSERT_GE(again, 0);
  ::close(again);
  EXPECT_TRUE(UntilEnd(11).data_fin);
}

TEST_F(PortForwardTest, GarbageEndsTheSessionWithAGoAway) {
  ws_.Deliver(std::string("\x80\x02\x00\x01\x00\x00\x00\x00", 8));  // SPDY/2
  auto f = ws_.Next();
  ASSERT_TRUE(f && f->control);
  EXPECT_EQ(f->type, spdy::kGoAway);
  for (int i = 0; i < 100 && !ws_.closed(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(ws_.closed());
}

}  // namespace
}  // namespace mlkube::apiserver
