#include "apiserver/node_proxy.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <strings.h>

#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>

#include "apiserver/certs.h"
#include "apiserver/rest.h"
#include "apiserver/websocket.h"

namespace mlkube::apiserver {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

using TlsStream = ssl::stream<tcp::socket>;
constexpr auto kDialTimeout = 5s;
// For an answer's headers and for a whole answer; a followed log or a session has none.
constexpr auto kAnswerTimeout = 60s;
constexpr auto kForever = std::chrono::milliseconds::max();
// A peer that does not answer a WebSocket's closing handshake is cut off after this.
constexpr auto kCloseTimeout = 5s;

// The certificate the peer presented, as PEM ("" when none).
std::string PeerCertificatePem(SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (peer != nullptr && bio != nullptr && PEM_write_bio_X509(bio, peer) == 1) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  X509_free(peer);
  return pem;
}

// What is left until `deadline`, at least a millisecond (Await given none would not start).
std::chrono::milliseconds Left(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     deadline - std::chrono::steady_clock::now()));
}

// One connection to an agent, on an io_context of its own. Each operation is asynchronous and
// run to completion on the calling thread under a deadline, so that an agent that stopped
// answering (a machine gone, a process stopped) cannot hold an API request forever.
class AgentConnection {
 public:
  explicit AgentConnection(const NodeEndpoint& ep) : ep_(ep), stream_(ioc_, tls_), timer_(ioc_) {
    tls_.set_verify_mode(ssl::verify_none);  // the certificate is pinned instead (Open)
  }

  TlsStream& stream() { return stream_; }
  std::string Where() const {
    const bool v6 = ep_.host.find(':') != std::string::npos;
    return (v6 ? "[" + ep_.host + "]" : ep_.host) + ":" + std::to_string(ep_.port);
  }

  // Connects and checks the certificate, both within `timeout`.
  Status Open(std::chrono::milliseconds timeout) {
    beast::error_code ec;
    const net::ip::address addr = net::ip::make_address(ep_.host, ec);
    if (ec) return Status(Code::kUnavailable, "node " + ep_.node + " has no usable InternalIP (\"" + ep_.host + "\")");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    ec = Await(Left(deadline), nullptr, [&](auto done) { stream_.next_layer().async_connect(tcp::endpoint(addr, ep_.port), done); });
    if (!ec) stream_.next_layer().set_option(tcp::no_delay(true), ec);
    if (!ec) ec = Await(Left(deadline), nullptr, [&](auto done) { stream_.async_handshake(ssl::stream_base::client, done); });
    if (ec) return Status(Code::kUnavailable, "error dialing backend: dial tcp " + Where() + ": " + ec.message());
    const std::string seen = CertSha256(PeerCertificatePem(stream_.native_handle()));
    if (seen.empty() || seen != ep_.cert_sha256) {
      return Status(Code::kUnavailable, "the node agent at " + Where() + " presented a certificate other than the one node " +
                                            ep_.node + " names in its " + kServingCertAnnotation + " annotation");
    }
    return Status::Ok();
  }

  // Runs the operation `start` begins until it completes, `timeout` passes, or `keep_going`
  // (looked at every second) says stop; the last two close the socket and give timed_out.
  template <class Start>
  beast::error_code Await(std::chrono::milliseconds timeout, const std::function<bool()>& keep_going, Start&& start) {
    std::optional<beast::error_code> result;
    bool cut = false;
    const auto deadline = timeout == kForever ? std::chrono::steady_clock::time_point::max()
                                              : std::chrono::steady_clock::now() + timeout;
    std::function<void()> arm = [&] {
      timer_.expires_after(std::min<std::chrono::steady_clock::duration>(1s, deadline - std::chrono::steady_clock::now()));
      timer_.async_wait([&](beast::error_code ec) {
        if (ec || result) return;
        if (std::chrono::steady_clock::now() >= deadline || (keep_going && !keep_going())) {
          cut = true;
          beast::error_code ignored;
          stream_.next_layer().close(ignored);
          return;
        }
        arm();
      });
    };
    arm();
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      timer_.cancel();
    });
    ioc_.restart();
    ioc_.run();
    if (cut) return net::error::timed_out;
    return result.value_or(net::error::operation_aborted);
  }

  // The request as the agent gets it: the client's method, body and content negotiation, our
  // credential instead of the client's.
  http::request<http::string_body> Request(const std::string& token, const std::string& target, const HttpRequest& req) {
    http::request<http::string_body> up{http::verb::get, target, 11};
    up.method_string(req.method);  // any method, standard or not, as the client sent it
    up.set(http::field::host, Where());
    up.set(http::field::authorization, "Bearer " + token);
    for (auto [name, field] : {std::pair{"accept", http::field::accept}, std::pair{"content-type", http::field::content_type}}) {
      if (std::string v = req.Header(name); !v.empty()) up.set(field, v);
    }
    up.keep_alive(false);
    up.body() = req.body;
    up.prepare_payload();
    return up;
  }

  // A plain request: the answer whole, or streamed as the agent streams it.
  void Relay(const std::string& token, const std::string& target, const HttpRequest& req, Responder& out) {
    auto up = Request(token, target, req);
    beast::error_code ec = Await(kAnswerTimeout, nullptr, [&](auto done) { http::async_write(stream_, up, done); });
    http::response_parser<http::buffer_body> parser;
    // Not boost::none: Beast 1.83 then refuses every body with a Content-Length.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.skip(req.method == "HEAD");
    if (!ec) ec = Await(kAnswerTimeout, nullptr, [&](auto done) { http::async_read_header(stream_, buffer_, parser, done); });
    if (ec) return out.Send(StatusResponse(Status(Code::kUnavailable, "error reading from the node agent at " + Where() + ": " + ec.message())));
    const int status = static_cast<int>(parser.get().result_int());
    const std::string type(parser.get()[http::field::content_type]);
    // A chunked answer (a followed log) is streamed as it comes; a whole one is passed on
    // whole, unless it is large (a long log), which is streamed rather than held.
    constexpr size_t kWholeLimit = 1 << 20;
    bool streamed = parser.get().chunked();
    if (streamed && !out.StartStream(status, type, {})) return;
    std::string whole;
    char chunk[16384];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      // A followed log is quiet for as long as its container is: no deadline, but the
      // client is looked at every second, and its going ends the stream to the agent too.
      ec = streamed ? Await(kForever, [&] { return !out.ClientGone(); },
                            [&](auto done) { http::async_read_some(stream_, buffer_, parser, done); })
                    : Await(kAnswerTimeout, nullptr, [&](auto done) { http::async_read_some(stream_, buffer_, parser, done); });
      if (ec == http::error::need_buffer) ec = {};
      const size_t n = sizeof chunk - parser.get().body().size;
      if (!streamed) whole.append(chunk, n);
      if (!streamed && whole.size() > kWholeLimit && !ec) {
        streamed = true;
        if (!out.StartStream(status, type, {}) || !out.WriteChunk(whole)) return;
        whole.clear();
      } else if (streamed && n > 0 && !out.WriteChunk(std::string_view(chunk, n))) {
        return;
      }
      if (ec) break;
    }
    if (streamed) return out.EndStream();
    if (ec) return out.Send(StatusResponse(Status(Code::kUnavailable, "error reading from the node agent at " + Where() + ": " + ec.message())));
    out.Send({status, type, std::move(whole), {}});
  }

  // A WebSocket session: the agent's side opened first, with the subprotocols the client
  // offered, so that the client is upgraded only to what the agent accepted (or gets the
  // agent's refusal as it came).
  void RelayWebSocket(const std::string& token, const std::string& target, const HttpRequest& req, Responder& out) {
    BeastWebSocket<TlsStream> agent(stream_);
    beast::websocket::response_type answer;
    bool upgraded = false;
    beast::error_code ec = Await(kAnswerTimeout, nullptr, [&](auto done) {
      agent.AsyncHandshake(Where(), target, req.Header("sec-websocket-protocol"), "Bearer " + token, answer,
                           [&upgraded, done](bool ok) mutable {
                             upgraded = ok;
                             done(beast::error_code());
                           });
    });
    if (ec || !upgraded) {
      if (!ec && answer.result_int() >= 400) {
        return out.Send({static_cast<int>(answer.result_int()), std::string(answer[http::field::content_type]), answer.body(), {}});
      }
      return out.Send(StatusResponse(Status(Code::kUnavailable, "error upgrading the connection to the node agent at " + Where() +
                                                                    (ec ? ": " + ec.message() : std::string()))));
    }
    std::unique_ptr<WebSocket> client = out.UpgradeWebSocket(std::string(answer[http::field::sec_websocket_protocol]));
    if (!client) return;
    // The agent's messages go to the client from the agent's thread, waiting while the client
    // is slow; the client's go to the agent from the connection's thread, which must not
    // wait (it also writes to the client), so it stops reading instead until the agent's
    // queue drains. Neither thread ever waits on the other's writes: no deadlock.
    WebSocket* c = client.get();
    agent.OnDrained([c] { c->ResumeReading(); });
    std::mutex mu;
    std::condition_variable cv;
    bool agent_done = false;
    std::thread agent_side([&] {
      agent.Run([c](std::string_view m) { c->Send(std::string(m)); });
      c->Close();
      std::lock_guard lock(mu);
      agent_done = true;
      cv.notify_all();
    });
    c->Run([&](std::string_view m) {
      c->PauseReading();  // before queueing, so that a drain in between resumes it
      if (agent.SendNoWait(std::string(m))) c->ResumeReading();
    });
    agent.Close();
    {
      std::unique_lock lock(mu);
      if (!cv.wait_for(lock, kCloseTimeout, [&] { return agent_done; })) agent.Abort();
    }
    agent_side.join();
  }

 private:
  const NodeEndpoint ep_;
  net::io_context ioc_;
  ssl::context tls_{ssl::context::tls_client};
  TlsStream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
};

}  // namespace

std::optional<NodeEndpoint> NodeEndpointOf(const Json& node) {
  NodeEndpoint ep;
  ep.node = node.value("/metadata/name"_json_pointer, "");
  ep.cert_sha256 = node.value("/metadata/annotations"_json_pointer, Json::object()).value(kServingCertAnnotation, "");
  const Json port = node.value("/status/daemonEndpoints/kubeletEndpoint/Port"_json_pointer, Json());
  if (ep.cert_sha256.empty() || !port.is_number_integer() || port.get<int64_t>() <= 0 || port.get<int64_t>() > 65535) {
    return std::nullopt;
  }
  ep.port = static_cast<uint16_t>(port.get<int64_t>());
  for (const Json& a : node.value("/status/addresses"_json_pointer, Json::array())) {
    if (a.is_object() && a.value("type", "") == "InternalIP") {
      ep.host = a.value("address", "");
      break;
    }
  }
  if (ep.host.empty()) return std::nullopt;
  return ep;
}

void ProxyToNode(const NodeEndpoint& ep, const std::string& token, const std::string& target, const HttpRequest& req,
                 Responder& out) {
  const std::string upgrade = req.Header("upgrade");
  const bool websocket = upgrade.size() == 9 && ::strncasecmp(upgrade.c_str(), "websocket", 9) == 0;
  // Only a real handshake is passed on: the agent starts an exec as soon as its own succeeds.
  if (websocket && (req.method != "GET" || req.Header("sec-websocket-key").empty())) {
    return out.Send(StatusResponse(Status(Code::kBadRequest, "Upgrade request required")));
  }
  AgentConnection conn(ep);
  if (Status st = conn.Open(kDialTimeout); !st.ok()) return out.Send(StatusResponse(st));
  if (websocket) return conn.RelayWebSocket(token, target, req, out);
  conn.Relay(token, target, req, out);
}

Result<std::string> FetchFromNode(const NodeEndpoint& ep, const std::string& token, const std::string& target,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  AgentConnection conn(ep);
  RETURN_IF_ERROR(conn.Open(timeout));
  HttpRequest req;
  req.method = "GET";
  req.headers["accept"] = "application/json";
  auto up = conn.Request(token, target, req);
  http::response<http::string_body> res;
  beast::flat_buffer buf;
  beast::error_code ec = conn.Await(Left(deadline), nullptr, [&](auto done) { http::async_write(conn.stream(), up, done); });
  if (!ec) ec = conn.Await(Left(deadline), nullptr, [&](auto done) { http::async_read(conn.stream(), buf, res, done); });
  if (ec) return Status(Code::kUnavailable, "node " + ep.node + ": " + conn.Where() + ": " + ec.message());
  if (res.result_int() != 200) {
    return Status(Code::kUnavailable, "node " + ep.node + ": " + conn.Where() + " answered " + std::to_string(res.result_int()));
  }
  return std::move(res.body());
}

}  // namespace mlkube::apiserver
