#include "client/local_client.h"

namespace mlkube::client {

namespace {

// Collects a whole response; streams are gathered until they end.
class Collector : public apiserver::Responder {
 public:
  void Send(apiserver::HttpResponse r) override {
    result.status = r.status;
    result.content_type = r.content_type;
    result.body = std::move(r.body);
  }
  bool StartStream(int status, const std::string& content_type,
                   const std::vector<std::pair<std::string, std::string>>&) override {
    result.status = status;
    result.content_type = content_type;
    return true;
  }
  bool WriteChunk(std::string_view data) override {
    result.body.append(data);
    return true;
  }
  void EndStream() override {}
  bool ClientGone() override { return false; }

  HttpResult result;
};

}  // namespace

HttpResult LocalClient::Do(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& content_type) const {
  apiserver::HttpRequest req;
  req.method = method;
  apiserver::ParseTarget(target, &req.path, &req.query);
  req.headers["user-agent"] = user_agent_;
  req.headers["accept"] = "application/json";
  if (!body.empty()) req.headers["content-type"] = content_type;
  req.body = body;
  req.remote = "in-process";
  Collector c;
  try {
    handler_(req, c);
  } catch (const std::exception& e) {
    c.result = {500, "text/plain", std::string("internal error: ") + e.what()};
  }
  return std::move(c.result);
}

}  // namespace mlkube::client
