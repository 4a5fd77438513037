#include "apiserver/port_forward.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "apiserver/spdy.h"

namespace mlkube::apiserver {
namespace {

constexpr size_t kReadChunk = 32 * 1024;
// Client bytes held for pods that read slower than the client sends, across a session: above
// the first mark the session stops reading the WebSocket, below the second it reads again.
constexpr int64_t kPauseAbove = 4 << 20, kResumeBelow = 1 << 20;
// Forwarded connections one session may hold open at once (each has two threads).
constexpr size_t kMaxForwards = 256;

// One forwarded connection: the error and data streams of one request id. The session's
// thread owns the stream ids; `mu` guards what it shares with the two pump threads.
struct Forward {
  uint32_t error_stream = 0, data_stream = 0;
  std::string port;  // the data stream's `port` header
  std::thread out, in;
  std::atomic<int> running{0};

  std::mutex mu;
  std::condition_variable cv;
  int fd = -1;
  bool dialed = false;  // fd is set, or the dial failed and it stays -1
  std::deque<std::string> inbound;
  bool inbound_fin = false;  // the client finished its half of the data stream
  bool reset = false;        // the client reset a stream, or the session is ending
  bool in_done = false;      // nothing more will be written to the pod
};

// The port from a `port` header, or the kubelet's words for a bad one.
Result<int> ParsePort(const std::string& value) {
  int port = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
  if (ec != std::errc() || end != value.data() + value.size() || port > 65535 || port < 0) {
    return Status(Code::kBadRequest, "unable to parse \"" + value + "\" as a port: invalid syntax");
  }
  if (port == 0) return Status(Code::kBadRequest, "port 0 must be > 0");
  return port;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

class Session {
 public:
  Session(WebSocket& ws, const PortDialer& dial) : ws_(ws), dial_(dial) {}

  void Run() {
    ws_.Run([this](std::string_view message) { OnMessage(message); });
    for (auto& [request, f] : by_request_) Abort(*f);
    for (auto& [request, f] : by_request_) Join(*f);
  }

 private:
  void OnMessage(std::string_view message) {
    if (broken_) return;
    frames_.Feed(message);
    while (true) {
      auto next = frames_.Next();
      if (!next.ok()) return Fail();
      if (!*next) return;
      OnFrame(**next);
      if (broken_) return;
    }
  }

  // A byte stream that no longer parses, or a header context out of step, cannot be
  // recovered: the session ends.
  void Fail() {
    broken_ = true;
    ws_.Send(spdy::GoAwayFrame(last_stream_));
    ws_.Close();
  }

  void OnFrame(spdy::Frame& f) {
    if (!f.control) return OnData(f);
    switch (f.type) {
      case spdy::kSynStream:
        return OnSynStream(f);
      case spdy::kRstStream:
        if (auto id = spdy::FirstWord(f); id.ok()) OnReset(*id);
        return;
      case spdy::kPing:
        // Odd ids are the client's pings; even ones would answer ours, and we send none.
        if (auto id = spdy::FirstWord(f); id.ok() && (*id & 1)) ws_.Send(spdy::PingFrame(*id));
        return;
      case spdy::kGoAway:
        ws_.Close();
        return;
      default:
        return;  // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do without flow control
    }
  }

  void OnSynStream(const spdy::Frame& f) {
    auto syn = spdy::ParseSynStream(f);
    if (!syn.ok()) return Fail();
    auto headers = inflate_.Decompress(syn->header_block);
    if (!headers.ok()) return Fail();
    const uint32_t id = syn->stream_id;
    if (id % 2 == 0 || id <= last_stream_) return ws_.Send(spdy::RstStreamFrame(id, spdy::kProtocolError));
    last_stream_ = id;
    const std::string type = spdy::HeaderValue(*headers, "streamtype");
    if (type != "error" && type != "data") return ws_.Send(spdy::RstStreamFrame(id, spdy::kProtocolError));
    Sweep();
    // Clients from before request ids open the data stream right after its error stream.
    std::string request = spdy::HeaderValue(*headers, "requestid");
    if (request.empty()) request = std::to_string(type == "error" ? id : id - 2);
    std::shared_ptr<Forward>& fw = by_request_[request];
    if (!fw) {
      if (by_request_.size() > kMaxForwards) {
        by_request_.erase(request);
        return ws_.Send(spdy::RstStreamFrame(id, spdy::kRefusedStream));
      }
      fw = std::make_shared<Forward>();
    }
    uint32_t& slot = type == "error" ? fw->error_stream : fw->data_stream;
    if (slot != 0) return ws_.Send(spdy::RstStreamFrame(id, spdy::kProtocolError));
    slot = id;
    if (type == "data") fw->port = spdy::HeaderValue(*headers, "port");
    by_stream_[id] = fw;
    ws_.Send(spdy::SynReplyFrame(id, 0, deflate_.Compress({})));
    if (fw->error_stream != 0 && fw->data_stream != 0) Start(fw);
  }

  void OnData(spdy::Frame& f) {
    auto it = by_stream_.find(f.stream_id);
    if (it == by_stream_.end()) {
      // Late frames of a finished connection are dropped; a stream never opened is an error.
      if (f.stream_id > last_stream_) ws_.Send(spdy::RstStreamFrame(f.stream_id, spdy::kInvalidStream));
      return;
    }
    Forward& fw = *it->second;
    if (f.stream_id != fw.data_stream) return;  // the client writes nothing on the error stream
    const auto size = static_cast<int64_t>(f.payload.size());
    bool taken = false;
    {
      std::lock_guard lock(fw.mu);
      if (!fw.reset && !fw.inbound_fin && !fw.in_done) {
        taken = true;
        if (size > 0) fw.inbound.push_back(std::move(f.payload));
        if (f.flags & spdy::kFlagFin) fw.inbound_fin = true;
      }
    }
    fw.cv.notify_all();
    if (taken && size > 0) Held(size);
  }

  void OnReset(uint32_t stream) {
    auto it = by_stream_.find(stream);
    if (it != by_stream_.end()) Abort(*it->second);
  }

  void Start(const std::shared_ptr<Forward>& fw) {
    fw->running = 2;
    fw->out = std::thread([this, fw] {
      PumpOut(*fw);
      --fw->running;
    });
    fw->in = std::thread([this, fw] {
      PumpIn(*fw);
      --fw->running;
    });
  }

  // Dials the port, then copies the pod's bytes to the data stream until it closes its side.
  void PumpOut(Forward& fw) {
    auto port = ParsePort(fw.port);
    Result<int> fd = port.ok() ? dial_(*port) : Result<int>(port.status());
    bool reset;
    {
      std::lock_guard lock(fw.mu);
      fw.dialed = true;
      if (fd.ok()) fw.fd = *fd;
      reset = fw.reset;
      if (reset && fw.fd >= 0) ::shutdown(fw.fd, SHUT_RDWR);
    }
    fw.cv.notify_all();
    if (!fd.ok()) {
      if (reset) return;
      ws_.Send(spdy::DataFrame(fw.error_stream, 0, fd.status().message()));
      ws_.Send(spdy::DataFrame(fw.error_stream, spdy::kFlagFin, ""));
      ws_.Send(spdy::DataFrame(fw.data_stream, spdy::kFlagFin, ""));
      return;
    }
    char buf[kReadChunk];
    while (true) {
      ssize_t n = ::recv(*fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      ws_.Send(spdy::DataFrame(fw.data_stream, 0, std::string_view(buf, static_cast<size_t>(n))));
    }
    {
      std::lock_guard lock(fw.mu);
      if (fw.reset) return;
    }
    ws_.Send(spdy::DataFrame(fw.data_stream, spdy::kFlagFin, ""));
    ws_.Send(spdy::DataFrame(fw.error_stream, spdy::kFlagFin, ""));
  }

  // Writes the client's bytes to the pod; the client's FIN half-closes the connection.
  void PumpIn(Forward& fw) {
    std::unique_lock lock(fw.mu);
    fw.cv.wait(lock, [&] { return fw.dialed || fw.reset; });
    while (fw.fd >= 0) {
      fw.cv.wait(lock, [&] { return !fw.inbound.empty() || fw.inbound_fin || fw.reset; });
      if (fw.reset) break;
      if (fw.inbound.empty()) {
        ::shutdown(fw.fd, SHUT_WR);
        break;
      }
      std::string chunk = std::move(fw.inbound.front());
      fw.inbound.pop_front();
      lock.unlock();
      const bool written = SendAll(fw.fd, chunk);
      Released(static_cast<int64_t>(chunk.size()));
      lock.lock();
      if (!written) break;  // the pod closed its side: later bytes have nowhere to go
    }
    int64_t dropped = 0;
    for (const std::string& s : fw.inbound) dropped += static_cast<int64_t>(s.size());
    fw.inbound.clear();
    fw.in_done = true;
    lock.unlock();
    if (dropped > 0) Released(dropped);
  }

  void Abort(Forward& fw) {
    {
      std::lock_guard lock(fw.mu);
      fw.reset = true;
      if (fw.fd >= 0) ::shutdown(fw.fd, SHUT_RDWR);
    }
    fw.cv.notify_all();
  }

  static void Join(Forward& fw) {
    if (fw.out.joinable()) fw.out.join();
    if (fw.in.joinable()) fw.in.join();
    if (fw.fd >= 0) ::close(fw.fd);
    fw.fd = -1;
  }

  // Forgets connections whose pumps have both finished.
  void Sweep() {
    for (auto it = by_request_.begin(); it != by_request_.end();) {
      Forward& fw = *it->second;
      if (!fw.out.joinable() || fw.running > 0) {
        ++it;
        continue;
      }
      Join(fw);
      by_stream_.erase(fw.error_stream);
      by_stream_.erase(fw.data_stream);
      it = by_request_.erase(it);
    }
  }

  void Held(int64_t bytes) {
    std::lock_guard lock(flow_mu_);
    held_ += bytes;
    if (!paused_ && held_ > kPauseAbove) {
      paused_ = true;
      ws_.PauseReading();
    }
  }

  void Released(int64_t bytes) {
    std::lock_guard lock(flow_mu_);
    held_ -= bytes;
    if (paused_ && held_ < kResumeBelow) {
      paused_ = false;
      ws_.ResumeReading();
    }
  }

  WebSocket& ws_;
  const PortDialer& dial_;
  // The session thread's own:
  spdy::FrameReader frames_;
  spdy::HeaderDecompressor inflate_;
  spdy::HeaderCompressor deflate_;
  uint32_t last_stream_ = 0;
  bool broken_ = false;
  std::map<std::string, std::shared_ptr<Forward>> by_request_;
  std::map<uint32_t, std::shared_ptr<Forward>> by_stream_;
  // Shared with the pumps:
  std::mutex flow_mu_;
  int64_t held_ = 0;
  bool paused_ = false;
};

}  // namespace

void ServePortForward(WebSocket& ws, const PortDialer& dial) { Session(ws, dial).Run(); }

}  // namespace mlkube::apiserver
