#include "apiserver/port_forward.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "apiserver/fd_writer.h"
#include "apiserver/spdy.h"

namespace mlkube::apiserver {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr size_t kReadChunk = 32 * 1024;
// Forwarded connections one session may hold open at once (each has two threads).
constexpr size_t kMaxForwards = 256;
// An error stream whose data stream never comes (or the reverse) is given up after this,
// as the kubelet gives up on a half-made pair.
constexpr auto kPairTimeout = 30s;
// Once one direction of a connection has ended, the other gets this long before the
// connection is closed, as the CRI runtimes behind the kubelet do: a pod that neither closes
// nor reads must not hold the client's connection open for ever.
constexpr auto kLinger = 1s;

// One forwarded connection: the error and data streams of one request id. The session's
// thread owns the ids and the threads; `mu` guards what it shares with them.
struct Forward {
  explicit Forward(FlowGate& gate) : in(gate) {}

  uint32_t error_stream = 0, data_stream = 0;
  std::string port;  // the data stream's `port` header
  Clock::time_point opened = Clock::now();
  std::thread out;  // dials, then copies the pod's bytes to the client
  FdWriter in;      // copies the client's bytes to the pod

  std::mutex mu;
  std::condition_variable cv;
  int fd = -1;
  bool reset = false;     // the client reset a stream, or the session is ending
  bool out_done = false;  // `out` has sent its last frame

  bool started() const { return out.joinable(); }
};

// The port from a `port` header, or the kubelet's words for a bad one.
Result<int> ParsePort(const std::string& value) {
  int port = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
  if (ec != std::errc() || end != value.data() + value.size() || port > 65535 || port < 0) {
    return Status(Code::kBadRequest, "unable to parse \"" + value + "\" as a port: invalid syntax");
  }
  if (port == 0) return Status(Code::kBadRequest, "port \"0\" must be > 0");
  return port;
}

class Session {
 public:
  Session(WebSocket& ws, const PortDialer& dial) : ws_(ws), dial_(dial), gate_(ws) {}

  void Run() {
    ws_.Run([this](std::string_view message) { OnMessage(message); });
    for (auto& [request, fw] : by_request_) Abort(*fw);
    for (auto& [request, fw] : by_request_) Join(*fw);
  }

 private:
  void OnMessage(std::string_view message) {
    if (broken_) return;
    frames_.Feed(message);
    while (!broken_) {
      auto next = frames_.Next();
      if (!next.ok()) return Fail();
      if (!*next) return;
      OnFrame(**next);
    }
  }

  // A byte stream that no longer parses, or a header context out of step, cannot be
  // recovered: the session ends.
  void Fail() {
    broken_ = true;
    ws_.Send(spdy::GoAwayFrame(last_stream_, spdy::kGoAwayProtocolError));
    ws_.Close();
  }

  void OnFrame(spdy::Frame& f) {
    if (!f.control) return OnData(f);
    switch (f.type) {
      case spdy::kSynStream:
        return OnSynStream(f);
      case spdy::kHeaders: {
        // Nothing to act on, but every header block moves the shared zlib context on.
        auto headers = spdy::ParseHeaders(f);
        if (!headers.ok() || !inflate_.Decompress(headers->header_block).ok()) Fail();
        return;
      }
      case spdy::kRstStream:
        if (auto id = spdy::FirstWord(f); id.ok()) {
          if (auto it = by_stream_.find(*id); it != by_stream_.end()) Abort(*it->second);
          Sweep();
        }
        return;
      case spdy::kPing:
        // Odd ids are the client's pings; even ones would answer ours, and we send none.
        if (auto id = spdy::FirstWord(f); id.ok() && (*id & 1)) ws_.Send(spdy::PingFrame(*id));
        return;
      case spdy::kGoAway:
        ws_.Close();
        return;
      default:
        return;  // SETTINGS and WINDOW_UPDATE: spdystream peers do no flow control
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
      fw = std::make_shared<Forward>(gate_);
    }
    uint32_t& slot = type == "error" ? fw->error_stream : fw->data_stream;
    if (slot != 0 || fw->started()) return ws_.Send(spdy::RstStreamFrame(id, spdy::kProtocolError));
    slot = id;
    if (type == "data") fw->port = spdy::HeaderValue(*headers, "port");
    by_stream_[id] = fw;
    const std::string reply = deflate_.Compress({});
    if (reply.empty()) return Fail();
    ws_.Send(spdy::SynReplyFrame(id, 0, reply));
    if (fw->error_stream != 0 && fw->data_stream != 0) Start(*fw);
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
    if (!f.payload.empty()) fw.in.Push(std::move(f.payload));
    if (f.flags & spdy::kFlagFin) fw.in.Finish();
  }

  void Start(Forward& fw) {
    try {
      fw.out = std::thread([this, &fw] { PumpOut(fw); });
    } catch (const std::system_error&) {
      // No thread to be had: this connection is refused, the session goes on.
      ws_.Send(spdy::RstStreamFrame(fw.data_stream, spdy::kRefusedStream));
      ws_.Send(spdy::RstStreamFrame(fw.error_stream, spdy::kRefusedStream));
      Abort(fw);
    }
  }

  // Dials the port, starts the writer, then copies the pod's bytes to the data stream until
  // the pod closes its side (or the connection is cut).
  void PumpOut(Forward& fw) {
    auto port = ParsePort(fw.port);
    Result<int> fd = Status(Code::kInternal, "");
    {
      std::lock_guard lock(fw.mu);
      if (fw.reset) return Finished(fw);
    }
    fd = port.ok() ? dial_(*port) : Result<int>(port.status());
    bool reset;
    {
      std::lock_guard lock(fw.mu);
      if (fd.ok()) fw.fd = *fd;
      reset = fw.reset;
      if (reset && fw.fd >= 0) ::shutdown(fw.fd, SHUT_RDWR);
    }
    if (!fd.ok()) {
      fw.in.Abort();
      if (!reset) {
        ws_.Send(spdy::DataFrame(fw.error_stream, 0, fd.status().message()));
        ws_.Send(spdy::DataFrame(fw.error_stream, spdy::kFlagFin, ""));
        ws_.Send(spdy::DataFrame(fw.data_stream, spdy::kFlagFin, ""));
      }
      return Finished(fw);
    }
    try {
      fw.in.Start(*fd, [&fw](int sock) { Linger(fw, sock); });
    } catch (const std::system_error&) {
      fw.in.Abort();
      ::shutdown(*fd, SHUT_RDWR);
    }
    char buf[kReadChunk];
    while (true) {
      ssize_t n = ::recv(*fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      // A reset from the pod ends the copy like a close: the client sees the connection end
      // and keeps forwarding others, instead of losing the whole session to one connection.
      if (n <= 0) break;
      ws_.Send(spdy::DataFrame(fw.data_stream, 0, std::string_view(buf, static_cast<size_t>(n))));
    }
    {
      std::lock_guard lock(fw.mu);
      reset = fw.reset;
    }
    if (!reset) {
      ws_.Send(spdy::DataFrame(fw.data_stream, spdy::kFlagFin, ""));
      ws_.Send(spdy::DataFrame(fw.error_stream, spdy::kFlagFin, ""));
    }
    Finished(fw);
  }

  static void Finished(Forward& fw) {
    {
      std::lock_guard lock(fw.mu);
      fw.out_done = true;
    }
    fw.cv.notify_all();
  }

  // The client has finished sending: the pod sees end of input, and gets kLinger to finish
  // its side before the connection is cut.
  static void Linger(Forward& fw, int sock) {
    ::shutdown(sock, SHUT_WR);
    std::unique_lock lock(fw.mu);
    if (!fw.cv.wait_for(lock, kLinger, [&] { return fw.out_done || fw.reset; })) ::shutdown(sock, SHUT_RDWR);
  }

  void Abort(Forward& fw) {
    {
      std::lock_guard lock(fw.mu);
      fw.reset = true;
      if (fw.fd >= 0) ::shutdown(fw.fd, SHUT_RDWR);
    }
    fw.cv.notify_all();
    fw.in.Abort();
  }

  static void Join(Forward& fw) {
    if (fw.out.joinable()) fw.out.join();
    fw.in.Abort();
    fw.in.WaitDone(std::chrono::hours(24));
    if (fw.fd >= 0) ::close(fw.fd);
    fw.fd = -1;
  }

  // Forgets connections that have ended, and pairs that never formed.
  void Sweep() {
    const auto now = Clock::now();
    for (auto it = by_request_.begin(); it != by_request_.end();) {
      Forward& fw = *it->second;
      bool gone;
      if (fw.started()) {
        std::lock_guard lock(fw.mu);
        gone = fw.out_done;
      } else {
        gone = fw.reset || now - fw.opened > kPairTimeout;
        if (gone && !fw.reset) {
          for (uint32_t id : {fw.error_stream, fw.data_stream}) {
            if (id != 0) ws_.Send(spdy::RstStreamFrame(id, spdy::kCancel));
          }
        }
      }
      if (gone && fw.started() && !fw.in.done()) {
        // The pod's side has ended; the writer ends with the client's FIN or a reset.
        ++it;
        continue;
      }
      if (!gone) {
        ++it;
        continue;
      }
      Join(fw);
      by_stream_.erase(fw.error_stream);
      by_stream_.erase(fw.data_stream);
      it = by_request_.erase(it);
    }
  }

  WebSocket& ws_;
  const PortDialer& dial_;
  FlowGate gate_;
  // The session thread's own:
  spdy::FrameReader frames_;
  spdy::HeaderDecompressor inflate_;
  spdy::HeaderCompressor deflate_;
  uint32_t last_stream_ = 0;
  bool broken_ = false;
  std::map<std::string, std::shared_ptr<Forward>> by_request_;
  std::map<uint32_t, std::shared_ptr<Forward>> by_stream_;
};

}  // namespace

void ServePortForward(WebSocket& ws, const PortDialer& dial) { Session(ws, dial).Run(); }

}  // namespace mlkube::apiserver
