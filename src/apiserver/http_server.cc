#include "apiserver/http_server.h"

#include <openssl/crypto.h>

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <deque>
#include <chrono>
#include <condition_variable>
#include <map>
#include <cstdio>

#include "apiserver/websocket.h"

namespace mlkube::apiserver {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

template <class Stream>
class StreamResponder : public Responder {
 public:
  StreamResponder(Stream& stream, unsigned version, bool keep_alive,
                  const http::request<http::string_body>* request = nullptr)
      : stream_(stream), version_(version), keep_alive_(keep_alive), request_(request) {}

  std::unique_ptr<WebSocket> UpgradeWebSocket(const std::string& subprotocol) override {
    if (done_ || request_ == nullptr || !beast::websocket::is_upgrade(*request_)) return nullptr;
    auto ws = std::make_unique<BeastWebSocket<Stream>>(stream_);
    done_ = true;
    keep_alive_ = false;  // the connection belongs to the WebSocket from now on
    if (!ws->Accept(*request_, subprotocol)) {
      broken_ = true;
      return nullptr;
    }
    return ws;
  }

  void Send(HttpResponse r) override {
    if (done_) return;
    done_ = true;
    http::response<http::string_body> res{static_cast<http::status>(r.status), version_};
    res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.insert(k, v);
    res.keep_alive(keep_alive_);
    res.body() = std::move(r.body);
    res.prepare_payload();
    beast::error_code ec;
    http::write(stream_, res, ec);
    if (ec) broken_ = true;
  }

  bool StartStream(int status, const std::string& content_type,
                   const std::vector<std::pair<std::string, std::string>>& headers) override {
    if (done_) return false;
    done_ = streaming_ = true;
    http::response<http::empty_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::content_type, content_type);
    for (auto& [k, v] : headers) res.insert(k, v);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(stream_, sr, ec);
    if (ec) broken_ = true;
    return !broken_;
  }

  bool WriteChunk(std::string_view data) override {
    if (broken_ || !streaming_) return false;
    if (data.empty()) return true;  // an empty chunk would end the stream
    beast::error_code ec;
    net::write(stream_, http::make_chunk(net::buffer(data.data(), data.size())), ec);
    if (ec) broken_ = true;
    return !broken_;
  }

  void EndStream() override {
    if (broken_ || !streaming_) return;
    streaming_ = false;
    beast::error_code ec;
    net::write(stream_, http::make_chunk_last(), ec);
    if (ec) broken_ = true;
  }

  bool ClientGone() override {
    // During a streamed response an HTTP/1.1 client sends nothing; anything readable (a TLS
    // close_notify, a FIN) means it has gone.
    char c;
    ssize_t n = ::recv(beast::get_lowest_layer(stream_).native_handle(), &c, 1,
                       MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || n > 0;
  }

  bool done() const { return done_; }
  bool reusable() const { return keep_alive_ && !broken_ && !streaming_; }

 private:
  Stream& stream_;
  unsigned version_;
  bool keep_alive_;
  const http::request<http::string_body>* request_;
  bool done_ = false;
  bool streaming_ = false;
  bool broken_ = false;
};

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  // Built by hand to keep the transport free of the API's JSON types; the strings are ours.
  return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
         "\"message\":\"" +
         message + "\",\"reason\":\"" + reason + "\",\"code\":" + std::to_string(code) + "}";
}

}  // namespace

using Clock = std::chrono::steady_clock;
// Connections beyond this are refused; each holds a thread.
constexpr size_t kMaxConnections = 8192;
// How long a client may take to finish its TLS handshake, and to send the next request's
// headers and body on an idle keep-alive connection (Go's net/http IdleTimeout is 90 s too).
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kIdleTimeout = std::chrono::seconds(90);

struct HttpServer::Impl {
  Options options;
  Handler handler;
  net::io_context ioc;  // only for socket objects; all I/O here is blocking
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<ssl::context> tls;
  std::thread accept_thread;

  std::mutex mu;
  std::condition_variable cv;
  // Open connections by descriptor, with the time by which the client must have sent what is
  // awaited (a TLS handshake, a request's headers); none while a handler runs, so watches and
  // log streams live as long as they need.
  std::map<int, Clock::time_point> open_fds;
  std::thread reaper_thread;
  size_t active = 0;
  bool stopping = false;
  bool draining = false;

  // Arms the idle deadline before a connection's next request; false when draining (the
  // connection then closes instead of waiting for one).
  bool ArmIdle(int fd) {
    std::lock_guard lock(mu);
    if (draining) return false;
    if (auto it = open_fds.find(fd); it != open_fds.end()) it->second = Clock::now() + kIdleTimeout;
    return true;
  }

  void SetDeadline(int fd, Clock::time_point deadline) {
    std::lock_guard lock(mu);
    if (auto it = open_fds.find(fd); it != open_fds.end()) it->second = deadline;
  }

  // Closes connections whose client stalled past its deadline (slow handshakes, idle
  // keep-alives, headers sent a byte at a time): each one holds a thread.
  void ReapLoop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::seconds(1));
      auto now = Clock::now();
      for (auto& [fd, deadline] : open_fds) {
        if (deadline <= now) {
          ::shutdown(fd, SHUT_RDWR);
          deadline = Clock::time_point::max();
        }
      }
    }
  }

  template <class Stream>
  void Serve(Stream& stream, const std::string& remote) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(1 << 20);
      beast::error_code ec;
      const int fd = beast::get_lowest_layer(stream).native_handle();
      if (!ArmIdle(fd)) return;
      http::read(stream, buffer, parser, ec);
      SetDeadline(fd, Clock::time_point::max());
      if (ec == http::error::body_limit) {
        StreamResponder<Stream> r(stream, 11, false);
        r.Send({413, "application/json",
                StatusBody(413, "RequestEntityTooLarge",
                           "Request entity too large: limit is " +
                               std::to_string(options.max_body_bytes)),
                {}});
        return;
      }
      if (ec) return;
      auto& req = parser.get();
      HttpRequest hr;
      hr.method = std::string(req.method_string());
      ParseTarget(std::string_view(req.target().data(), req.target().size()), &hr.path, &hr.query);
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        hr.headers[name] = std::string(f.value());
      }
      hr.body = std::move(req.body());
      hr.remote = remote;
      StreamResponder<Stream> responder(stream, req.version(), req.keep_alive(), &req);
      try {
        handler(hr, responder);
      } catch (const std::exception& e) {
        // One bad request must not take the server down: answer it and drop the connection.
        std::fprintf(stderr, "mlkube: internal error serving %s %s: %s\n", hr.method.c_str(),
                     hr.path.c_str(), e.what());
        if (!responder.done()) {
          responder.Send({500, "application/json",
                          StatusBody(500, "InternalError", "an internal error occurred"), {}});
        }
        return;
      }
      if (!responder.done()) {
        responder.Send({500, "application/json",
                        StatusBody(500, "InternalError", "no response was produced"), {}});
      }
      if (!responder.reusable()) return;
    }
  }

  void Connection(tcp::socket& socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    std::string remote = socket.remote_endpoint(ec).address().to_string();
    if (tls) {
      ssl::stream<tcp::socket&> stream(socket, *tls);
      SetDeadline(socket.native_handle(), Clock::now() + kHandshakeTimeout);
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) Serve(stream, remote);
      stream.shutdown(ec);
    } else {
      Serve(socket, remote);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  void AcceptLoop() {
    for (;;) {
      tcp::socket socket(ioc);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      {
        std::lock_guard lock(mu);
        if (stopping || draining) return;
      }
      if (ec) {
        // Out of descriptors or memory: wait instead of spinning on accept().
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      {
        std::lock_guard lock(mu);
        if (active >= kMaxConnections) {
          socket.close(ec);  // over the limit: refuse rather than run out of threads
          continue;
        }
        open_fds.emplace(socket.native_handle(), Clock::now() + kHandshakeTimeout);
        ++active;
      }
      int fd = socket.native_handle();
      try {
        std::thread([this, s = std::move(socket), fd]() mutable {
          // Each connection has an io_context of its own: requests use blocking I/O, and an
          // upgraded WebSocket runs its asynchronous reads and writes on this thread.
          net::io_context local;
          tcp::socket mine(local);
          beast::error_code ec;
          const auto protocol = s.local_endpoint(ec).protocol();
          mine.assign(protocol, s.release(ec), ec);
          if (!ec) Connection(mine);
          std::lock_guard lock(mu);
          // Forget the descriptor before the socket closes it, so a new connection reusing
          // the number is not mistaken for this one.
          open_fds.erase(fd);
          beast::error_code ignored;
          mine.close(ignored);
          s.close(ignored);
          if (--active == 0) cv.notify_all();
        }).detach();
      } catch (const std::system_error&) {
        std::lock_guard lock(mu);
        open_fds.erase(fd);
        if (--active == 0) cv.notify_all();
      }
    }
  }
};

HttpServer::HttpServer(Options options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  auto& o = impl_->options;
  if (!o.cert_pem.empty()) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl_->tls->use_certificate_chain(net::buffer(o.cert_pem), ec);
    if (!ec) impl_->tls->use_private_key(net::buffer(o.key_pem), ssl::context::pem, ec);
    if (ec) return Status(Code::kInternal, "TLS setup failed: " + ec.message());
  }
  beast::error_code ec;
  auto addr = net::ip::make_address(o.host, ec);
  if (ec) return Status(Code::kInvalid, "invalid listen address \"" + o.host + "\"");
  tcp::endpoint ep(addr, o.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable, "cannot listen on " + o.host + ":" +
                                          std::to_string(o.port) + ": " + ec.message());
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
  impl_->reaper_thread = std::thread([this] { impl_->ReapLoop(); });
  return Status::Ok();
}

bool HttpServer::Drain(std::chrono::milliseconds timeout) {
  if (!impl_ || !impl_->accept_thread.joinable()) return true;
  {
    std::lock_guard lock(impl_->mu);
    impl_->draining = true;
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    // A connection with a deadline is waiting for a request: idle, so closed now.
    for (const auto& [fd, deadline] : impl_->open_fds) {
      if (deadline != Clock::time_point::max()) ::shutdown(fd, SHUT_RDWR);
    }
  }
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->active == 0; });
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->accept_thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    // shutdown() wakes threads blocked in accept() and read() on these sockets.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    for (const auto& [fd, deadline] : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  impl_->cv.notify_all();
  impl_->accept_thread.join();
  impl_->reaper_thread.join();
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->active == 0; });
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

// ---- request parsing helpers ----

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string, std::less<>>* query) {
  size_t q = target.find('?');
  *path = UrlDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    size_t eq = kv.find('=');
    std::string k = UrlDecode(kv.substr(0, eq), true);
    std::string v = eq == std::string_view::npos ? "" : UrlDecode(kv.substr(eq + 1), true);
    if (!k.empty()) query->emplace(std::move(k), std::move(v));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

bool HasBearerToken(const HttpRequest& req, const std::string& token) {
  const std::string h = req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (token.empty() || h.size() != kBearer.size() + token.size() || h.compare(0, kBearer.size(), kBearer) != 0) {
    return false;
  }
  return CRYPTO_memcmp(h.data() + kBearer.size(), token.data(), token.size()) == 0;
}

std::string HttpRequest::Query(std::string_view name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

std::string HttpRequest::Header(std::string_view lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

}  // namespace mlkube::apiserver
