#include "agent/prober/prober.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "agent/runtime/exec.h"

namespace mlkube::agent {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

int Int(const Json& j, const char* key, int fallback) {
  const Json& v = Member(j, key);
  return v.is_number_integer() ? v.get<int>() : fallback;
}

// A probe's port: a number, or the name of one of the container's ports.
int Port(const Json& port, const Json* container) {
  if (port.is_number_integer()) return port.get<int>();
  if (!port.is_string()) return 0;
  const std::string name = port.get<std::string>();
  if (container != nullptr) {
    const Json& ports = Member(*container, "ports");
    if (ports.is_array()) {
      for (const Json& p : ports) {
        if (StringMember(p, "name") == name) return Int(p, "containerPort", 0);
      }
    }
  }
  return std::atoi(name.c_str());
}

// Go's wording for dial errors, which users search for.
std::string DialError(const std::string& address, const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "dial tcp " + address + ": i/o timeout";
  if (ec == net::error::connection_refused) return "dial tcp " + address + ": connect: connection refused";
  return "dial tcp " + address + ": " + ec.message();
}

bool HttpProbe(const Json& get, const ProbeTarget& target, std::chrono::seconds timeout, std::string* failure) {
  const std::string host = StringMember(get, "host").empty() ? target.pod_ip : StringMember(get, "host");
  const int port = Port(Member(get, "port"), target.container);
  std::string path = StringMember(get, "path");
  if (path.empty() || path[0] != '/') path = "/" + path;
  const bool https = StringMember(get, "scheme") == "HTTPS";
  const std::string address = host + ":" + std::to_string(port);
  const std::string url = std::string(https ? "https://" : "http://") + address + path;
  beast::error_code ec;
  tcp::endpoint ep(net::ip::make_address(host, ec), static_cast<unsigned short>(port));
  if (ec) {
    *failure = "Get \"" + url + "\": invalid host " + host;
    return false;
  }
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, address);
  req.set(http::field::user_agent, "kube-probe/1.32");
  req.set(http::field::accept, "*/*");
  const Json& headers = Member(get, "httpHeaders");
  if (headers.is_array()) {
    for (const Json& h : headers) req.set(StringMember(h, "name"), StringMember(h, "value"));
  }
  http::response<http::string_body> res;
  bool connected = false;
  // Asynchronous, because only asynchronous operations honour the stream's deadline: a
  // blackholed address or a server that never answers must fail the probe, not hang it.
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  net::co_spawn(io, [&]() -> net::awaitable<void> {
    auto on = net::redirect_error(net::use_awaitable, ec);
    co_await stream.async_connect(ep, on);
    if (ec) co_return;
    connected = true;
    beast::flat_buffer buf;
    if (https) {
      // Kubernetes does not verify a probe's certificate.
      net::ssl::context ctx(net::ssl::context::tls_client);
      ctx.set_verify_mode(net::ssl::verify_none);
      beast::ssl_stream<beast::tcp_stream&> tls(stream, ctx);
      co_await tls.async_handshake(net::ssl::stream_base::client, on);
      if (!ec) co_await http::async_write(tls, req, on);
      if (!ec) co_await http::async_read(tls, buf, res, on);
    } else {
      co_await http::async_write(stream, req, on);
      if (!ec) co_await http::async_read(stream, buf, res, on);
    }
  }, net::detached);
  io.run();
  if (ec && !connected) {
    *failure = "Get \"" + url + "\": " + DialError(address, ec);
    return false;
  }
  if (ec == beast::error::timeout) {
    *failure = "Get \"" + url + "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
    return false;
  }
  if (ec && ec != http::error::end_of_stream) {
    *failure = "Get \"" + url + "\": " + ec.message();
    return false;
  }
  const int code = res.result_int();
  if (code >= 200 && code < 400) return true;
  *failure = "HTTP probe failed with statuscode: " + std::to_string(code);
  return false;
}

bool TcpProbe(const Json& sock, const ProbeTarget& target, std::chrono::seconds timeout, std::string* failure) {
  const std::string host = StringMember(sock, "host").empty() ? target.pod_ip : StringMember(sock, "host");
  const int port = Port(Member(sock, "port"), target.container);
  beast::error_code ec;
  tcp::endpoint ep(net::ip::make_address(host, ec), static_cast<unsigned short>(port));
  if (!ec) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);  // honoured by asynchronous operations only
    stream.async_connect(ep, [&](const beast::error_code& e) { ec = e; });
    io.run();
  }
  if (!ec) return true;
  *failure = DialError(host + ":" + std::to_string(port), ec);
  return false;
}

bool ExecProbe(const Json& exec, const ProbeTarget& target, std::chrono::seconds timeout, std::string* failure) {
  std::vector<std::string> argv;
  for (const Json& a : Member(exec, "command")) {
    if (a.is_string()) argv.push_back(a.get<std::string>());
  }
  auto r = ExecInContainer(target.pid, target.cgroup_procs, argv, timeout);
  if (!r.ok()) {
    *failure = r.status().message();
    return false;
  }
  if (r->timed_out) {
    std::string cmd;
    for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    *failure = "command \"" + cmd + "\" timed out after " + std::to_string(timeout.count()) + "s";
    return false;
  }
  if (r->exit_code == 0) return true;
  std::string out = r->output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  *failure = out.empty() ? "command exited with status " + std::to_string(r->exit_code) : out;
  return false;
}

}  // namespace

bool ContainerProber::RunProbe(const Json& probe, const ProbeTarget& target, std::string* failure) {
  const auto timeout = std::chrono::seconds(std::max(1, Int(probe, "timeoutSeconds", 1)));
  if (Member(probe, "httpGet").is_object()) return HttpProbe(probe["httpGet"], target, timeout, failure);
  if (Member(probe, "tcpSocket").is_object()) return TcpProbe(probe["tcpSocket"], target, timeout, failure);
  if (Member(probe, "exec").is_object()) return ExecProbe(probe["exec"], target, timeout, failure);
  *failure = "probe has no handler mlkube supports (httpGet, tcpSocket, exec)";
  return false;
}

ContainerProber::ContainerProber(const Json& container, ProbeTarget target, std::function<void()> on_change,
                                 std::function<void(const std::string&, const std::string&, const std::string&)> record)
    : target_(std::move(target)),
      name_(StringMember(container, "name")),
      on_change_(std::move(on_change)),
      record_(std::move(record)),
      container_(container) {
  target_.container = &container_;
  const bool startup = Member(container_, "startupProbe").is_object();
  const bool readiness = Member(container_, "readinessProbe").is_object();
  started_ = !startup;
  ready_ = !readiness;  // without a probe a running container is ready; with one, not yet
  if (startup) threads_.emplace_back([this] { Loop(Kind::kStartup, container_["startupProbe"]); });
  if (Member(container_, "livenessProbe").is_object()) {
    threads_.emplace_back([this] { Loop(Kind::kLiveness, container_["livenessProbe"]); });
  }
  if (readiness) threads_.emplace_back([this] { Loop(Kind::kReadiness, container_["readinessProbe"]); });
}

ContainerProber::~ContainerProber() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

std::string ContainerProber::restart_message() const {
  std::lock_guard lock(mu_);
  return restart_message_;
}

void ContainerProber::Loop(Kind kind, Json probe) {
  const char* label = kind == Kind::kStartup ? "Startup" : kind == Kind::kLiveness ? "Liveness" : "Readiness";
  const auto period = std::chrono::seconds(std::max(1, Int(probe, "periodSeconds", 10)));
  const int success_threshold = std::max(1, Int(probe, "successThreshold", 1));
  const int failure_threshold = std::max(1, Int(probe, "failureThreshold", 3));
  auto sleep = [&](Clock::duration d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [&] { return stop_; });
  };
  if (!sleep(std::chrono::seconds(Int(probe, "initialDelaySeconds", 0)))) return;
  int successes = 0, failures = 0;
  for (;;) {
    // The startup probe holds the others back until it has succeeded once.
    if (kind != Kind::kStartup && !started_) {
      if (!sleep(std::chrono::milliseconds(100))) return;
      continue;
    }
    std::string why;
    const bool ok = RunProbe(probe, target_, &why);
    if (ok) {
      failures = 0;
      ++successes;
    } else {
      successes = 0;
      ++failures;
      record_("Warning", "Unhealthy", std::string(label) + " probe failed: " + why);
    }
    if (kind == Kind::kReadiness) {
      const bool was = ready_;
      if (successes >= success_threshold) ready_ = true;
      if (failures >= failure_threshold) ready_ = false;
      if (was != ready_) on_change_();
    } else if (kind == Kind::kStartup && ok) {
      started_ = true;
      on_change_();
      return;  // a startup probe is done once it succeeded
    } else if (failures >= failure_threshold) {
      {
        std::lock_guard lock(mu_);
        restart_message_ = "Container " + name_ + " failed " +
                           (kind == Kind::kStartup ? "startup" : "liveness") + " probe, will be restarted";
      }
      restart_ = true;
      on_change_();
      return;
    }
    if (!sleep(period)) return;
  }
}

}  // namespace mlkube::agent
