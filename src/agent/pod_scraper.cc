#include "agent/pod_scraper.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cmath>
#include <cstdlib>
#include <optional>

namespace mlkube::agent {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

ScrapeTarget ScrapeTargetOf(const Json& pod) {
  ScrapeTarget t;
  const Json& annotations = Member(Member(pod, "metadata"), "annotations");
  if (StringMember(annotations, "prometheus.io/scrape") != "true") return t;
  const std::string ip = StringMember(Member(pod, "status"), "podIP");
  if (ip.empty()) return t;
  if (const std::string port = StringMember(annotations, "prometheus.io/port"); !port.empty()) {
    t.port = std::atoi(port.c_str());
  } else {
    for (const Json& c : ArrayMember(Member(pod, "spec"), "containers")) {
      for (const Json& p : ArrayMember(c, "ports")) {
        if (t.port == 0 && Member(p, "containerPort").is_number_integer()) t.port = p["containerPort"].get<int>();
      }
    }
  }
  if (t.port <= 0 || t.port > 65535) return t;
  if (const std::string path = StringMember(annotations, "prometheus.io/path"); !path.empty()) {
    t.path = path.front() == '/' ? path : "/" + path;
  }
  t.host = ip;
  return t;
}

std::map<std::string, double> ParsePrometheusText(std::string_view text) {
  std::map<std::string, double> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    // name, optional {labels} (whose values may hold spaces and braces in quotes), value.
    size_t end = 0;
    while (end < line.size() && line[end] != '{' && line[end] != ' ' && line[end] != '\t') ++end;
    const std::string name(line.substr(0, end));
    std::string_view rest = line.substr(end);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == '{') {
      bool quoted = false;
      size_t i = 1;
      for (; i < rest.size(); ++i) {
        if (quoted && rest[i] == '\\') {
          ++i;
        } else if (rest[i] == '"') {
          quoted = !quoted;
        } else if (!quoted && rest[i] == '}') {
          break;
        }
      }
      if (i >= rest.size()) continue;
      rest.remove_prefix(i + 1);
    }
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    const std::string value(rest.substr(0, rest.find_first_of(" \t")));
    char* parsed_end = nullptr;
    const double v = std::strtod(value.c_str(), &parsed_end);
    if (name.empty() || value.empty() || parsed_end != value.c_str() + value.size() || std::isnan(v)) continue;
    out[name] += v;
  }
  return out;
}

namespace {

// One scrape, driven by the io_context's thread; its deadline covers connect, write and read.
struct Fetch : std::enable_shared_from_this<Fetch> {
  Fetch(net::io_context& ioc, const ScrapeTarget& t, std::optional<std::string>* result)
      : stream(ioc), out(result) {
    req = {http::verb::get, t.path, 11};
    const bool v6 = t.host.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port));
    req.set(http::field::accept, "text/plain");
    req.set(http::field::user_agent, "mlkube-agent");
    parser.body_limit(4 << 20);
  }
  void Start(const net::ip::tcp::endpoint& to, std::chrono::milliseconds timeout) {
    stream.expires_after(timeout);
    stream.async_connect(to, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      http::async_write(self->stream, self->req, [self](beast::error_code ec, size_t) {
        if (ec) return;
        http::async_read(self->stream, self->buffer, self->parser, [self](beast::error_code ec, size_t) {
          if (!ec && self->parser.get().result_int() == 200) *self->out = std::move(self->parser.get().body());
        });
      });
    });
  }
  beast::tcp_stream stream;
  http::request<http::empty_body> req;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  std::optional<std::string>* out;
};

}  // namespace

std::vector<std::optional<std::string>> HttpGetAll(const std::vector<ScrapeTarget>& targets,
                                                   std::chrono::milliseconds timeout) {
  std::vector<std::optional<std::string>> results(targets.size());
  {
    // Declared after the results: the context and any scrape still pending go first.
    net::io_context ioc;
    for (size_t i = 0; i < targets.size(); ++i) {
      boost::system::error_code ec;
      const auto address = net::ip::make_address(targets[i].host, ec);
      if (ec) continue;
      std::make_shared<Fetch>(ioc, targets[i], &results[i])
          ->Start({address, static_cast<uint16_t>(targets[i].port)}, timeout);
    }
    ioc.run_for(timeout + std::chrono::milliseconds(50));
  }
  return results;
}

}  // namespace mlkube::agent
