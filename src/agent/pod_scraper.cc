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
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    // name, optional {labels} (whose values may hold spaces and braces in quotes), value.
    size_t end = 0;
    while (end < line.size() && line[end] != '{' && line[end] != ' ' && line[end] != '\t') ++end;
    const std::string name(line.substr(0, end));
    std::string_view rest = line.substr(end);
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

std::optional<std::string> HttpGet(const ScrapeTarget& target, std::chrono::milliseconds timeout) {
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    boost::system::error_code ec;
    const auto address = net::ip::make_address(target.host, ec);
    if (ec) return std::nullopt;
    stream.expires_after(timeout);
    stream.connect(net::ip::tcp::endpoint(address, static_cast<uint16_t>(target.port)), ec);
    if (ec) return std::nullopt;
    http::request<http::empty_body> req{http::verb::get, target.path, 11};
    req.set(http::field::host, target.host + ":" + std::to_string(target.port));
    req.set(http::field::accept, "text/plain");
    req.set(http::field::user_agent, "mlkube-agent");
    http::write(stream, req, ec);
    if (ec) return std::nullopt;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(4 << 20);
    http::read(stream, buffer, parser, ec);
    if (ec || parser.get().result_int() != 200) return std::nullopt;
    return parser.get().body();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace mlkube::agent
