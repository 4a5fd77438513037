#include "client/http_client.h"

#include "common/base64.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <limits>
#include <fstream>
#include <sstream>

namespace mlkube::client {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

YAML::Node Named(const YAML::Node& list, const std::string& name, const char* field) {
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) return item[field];
  }
  return YAML::Node();
}

struct Url {
  bool tls = true;
  std::string host;
  std::string port;
};

Result<Url> ParseServer(const std::string& server) {
  Url u;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = server.substr(7);
  } else {
    return Status(Code::kInvalid, "server URL must start with https:// or http://: " + server);
  }
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    u.host = rest.substr(1, close - 1);
    u.port = close + 1 < rest.size() ? rest.substr(close + 2) : "";
  } else if (colon != std::string::npos) {
    u.host = rest.substr(0, colon);
    u.port = rest.substr(colon + 1);
  } else {
    u.host = rest;
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  return u;
}

}  // namespace

std::string DefaultKubeconfigPath() {
  if (const char* k = std::getenv("KUBECONFIG"); k && *k) {
    std::string s(k);
    return s.substr(0, s.find(':'));
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.kube/config";
}

Result<Kubeconfig> LoadKubeconfig(const std::string& path) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    std::string current = root["current-context"] ? root["current-context"].as<std::string>() : "";
    YAML::Node ctx = Named(root["contexts"], current, "context");
    if (!ctx) return Status(Code::kInvalid, "kubeconfig " + path + ": no current context");
    Kubeconfig k;
    YAML::Node cluster = Named(root["clusters"], ctx["cluster"].as<std::string>(""), "cluster");
    YAML::Node user = Named(root["users"], ctx["user"].as<std::string>(""), "user");
    if (!cluster || !cluster["server"]) {
      return Status(Code::kInvalid, "kubeconfig " + path + ": the context has no cluster server");
    }
    k.server = cluster["server"].as<std::string>();
    if (cluster["certificate-authority-data"]) {
      k.ca_pem = Base64Decode(cluster["certificate-authority-data"].as<std::string>()).value_or("");
    } else if (cluster["certificate-authority"]) {
      std::ifstream f(cluster["certificate-authority"].as<std::string>());
      std::stringstream ss;
      ss << f.rdbuf();
      k.ca_pem = ss.str();
    }
    k.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>(false);
    if (user && user["token"]) k.token = user["token"].as<std::string>();
    if (ctx["namespace"]) k.ns = ctx["namespace"].as<std::string>();
    return k;
  } catch (const YAML::Exception& e) {
    return Status(Code::kInvalid, "cannot load kubeconfig " + path + ": " + e.what());
  }
}

namespace {

// A peer that vanished (its machine gone, a cable pulled) sends no FIN: without this a request
// or a watch on its connection would wait for an answer forever. Probes start after 30 s of
// silence, as Go's dialer does for client-go, and a connection whose data or probes go
// unacknowledged for a minute fails.
void DetectDeadPeers(tcp::socket& socket) {
  const int fd = socket.native_handle();
  const int on = 1, idle = 30, interval = 10, count = 3;
  const unsigned user_timeout_ms = 60000;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

}  // namespace

struct HttpClient::Impl {
  net::io_context ioc;
  ssl::context tls{ssl::context::tls_client};
  Url url;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream;
  std::unique_ptr<beast::tcp_stream> plain_stream;
  beast::flat_buffer buffer;

  Status Connect(std::unique_ptr<beast::ssl_stream<beast::tcp_stream>>& ts,
                 std::unique_ptr<beast::tcp_stream>& ps) {
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) return Status(Code::kUnavailable, "cannot resolve " + url.host + ": " + ec.message());
    if (url.tls) {
      ts = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, tls);
      SSL_set_tlsext_host_name(ts->native_handle(), url.host.c_str());
      ts->set_verify_callback(ssl::host_name_verification(url.host));
      beast::get_lowest_layer(*ts).connect(results, ec);
      if (!ec) beast::get_lowest_layer(*ts).socket().set_option(tcp::no_delay(true), ec);
      if (!ec) DetectDeadPeers(beast::get_lowest_layer(*ts).socket());
      if (!ec) ts->handshake(ssl::stream_base::client, ec);
    } else {
      ps = std::make_unique<beast::tcp_stream>(ioc);
      ps->connect(results, ec);
      if (!ec) ps->socket().set_option(tcp::no_delay(true), ec);
      if (!ec) DetectDeadPeers(ps->socket());
    }
    if (ec) {
      return Status(Code::kUnavailable, "The connection to the server " + url.host + ":" +
                                            url.port + " was refused: " + ec.message());
    }
    return Status::Ok();
  }

  template <class Stream>
  Result<HttpResult> RoundTrip(Stream& s, http::request<http::string_body>& req) {
    beast::error_code ec;
    http::write(s, req, ec);
    if (ec) return Status(Code::kUnavailable, ec.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 32);
    http::read(s, buffer, parser, ec);
    if (ec) return Status(Code::kUnavailable, ec.message());
    auto& res = parser.get();
    return HttpResult{static_cast<int>(res.result_int()),
                      std::string(res[http::field::content_type]), std::move(res.body())};
  }
};

HttpClient::HttpClient(Kubeconfig config) : config_(std::move(config)), impl_(std::make_unique<Impl>()) {
  auto url = ParseServer(config_.server);
  if (url.ok()) impl_->url = *url;
  if (config_.insecure_skip_tls_verify) {
    impl_->tls.set_verify_mode(ssl::verify_none);
  } else {
    impl_->tls.set_verify_mode(ssl::verify_peer);
    if (!config_.ca_pem.empty()) {
      beast::error_code ec;
      impl_->tls.add_certificate_authority(net::buffer(config_.ca_pem), ec);
    } else {
      impl_->tls.set_default_verify_paths();
    }
  }
}

HttpClient::~HttpClient() = default;

void HttpClient::Close() {
  impl_->tls_stream.reset();
  impl_->plain_stream.reset();
  impl_->buffer.clear();
}

Result<HttpResult> HttpClient::Do(const std::string& method, const std::string& target,
                                  const std::string& body, const std::string& content_type,
                                  const std::string& accept) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->url.host);
  req.set(http::field::user_agent, "mlkube/" MLKUBE_VERSION);
  req.set(http::field::accept, accept);
  if (!config_.token.empty()) req.set(http::field::authorization, "Bearer " + config_.token);
  if (!body.empty()) req.set(http::field::content_type, content_type);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    // A kept-alive connection the server has since closed (its idle timeout) shows the hang-up:
    // found out here, before a request that may not be retried is lost on it.
    if (impl_->tls_stream || impl_->plain_stream) {
      const int fd = impl_->tls_stream ? beast::get_lowest_layer(*impl_->tls_stream).socket().native_handle()
                                       : impl_->plain_stream->socket().native_handle();
      pollfd p{fd, POLLRDHUP, 0};
      if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) Close();
    }
    bool fresh = !impl_->tls_stream && !impl_->plain_stream;
    if (fresh) RETURN_IF_ERROR(impl_->Connect(impl_->tls_stream, impl_->plain_stream));
    auto r = impl_->url.tls ? impl_->RoundTrip(*impl_->tls_stream, req)
                            : impl_->RoundTrip(*impl_->plain_stream, req);
    if (r.ok()) return r;
    Close();
    // A kept-alive connection may have been closed by the server while idle: retry once on a
    // new one, except a POST, which may have been carried out (a generateName create twice).
    if (fresh || method == "POST") return r;
  }
  return Status(Code::kUnavailable, "request failed");
}

Result<int> HttpClient::Stream(const std::string& target,
                               const std::function<bool(std::string_view)>& on_data) {
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> ts;
  std::unique_ptr<beast::tcp_stream> ps;
  RETURN_IF_ERROR(impl_->Connect(ts, ps));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, impl_->url.host);
  req.set(http::field::user_agent, "mlkube/" MLKUBE_VERSION);
  if (!config_.token.empty()) req.set(http::field::authorization, "Bearer " + config_.token);
  auto run = [&](auto& s) -> Result<int> {
    beast::error_code ec;
    http::write(s, req, ec);
    if (ec) return Status(Code::kUnavailable, ec.message());
    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Beast 1.83 then refuses a Content-Length
    http::read_header(s, buf, parser, ec);
    if (ec) return Status(Code::kUnavailable, ec.message());
    char chunk[16384];
    // Non-blocking from here: a quiet stream (a watch between events) still lets the caller
    // stop, every quarter second, instead of holding it until the next event. (Polling before
    // a blocking read would not do: TLS and the parser buffer bytes that poll cannot see.)
    auto& socket = beast::get_lowest_layer(s).socket();
    socket.non_blocking(true, ec);
    while (!parser.is_done() && !ec) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      // read_some: hand over each piece as it arrives (read() would wait for a full buffer).
      http::read_some(s, buf, parser, ec);
      if (ec == http::error::need_buffer) ec = {};
      const size_t n = sizeof chunk - parser.get().body().size;
      if (n && !on_data(std::string_view(chunk, n))) break;
      if (ec == net::error::would_block || ec == net::error::try_again) {
        ec = {};
        pollfd p{socket.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, 250) == 0 && !on_data({})) break;
      }
    }
    return static_cast<int>(parser.get().result_int());
  };
  return impl_->url.tls ? run(*ts) : run(*ps);
}

}  // namespace mlkube::client
