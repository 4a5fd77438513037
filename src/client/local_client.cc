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

// Hands each piece of a stream to the caller; the caller's "stop" ends it.
class Forwarder : public apiserver::Responder {
 public:
  explicit Forwarder(const std::function<bool(std::string_view)>& on_data) : on_data_(on_data) {}
  void Send(apiserver::HttpResponse r) override {
    status = r.status;
    if (!r.body.empty() && !on_data_(r.body)) gone_ = true;
  }
  bool StartStream(int s, const std::string&,
                   const std::vector<std::pair<std::string, std::string>>&) override {
    status = s;
    return true;
  }
  bool WriteChunk(std::string_view data) override {
    if (gone_ || !on_data_(data)) gone_ = true;
    return !gone_;
  }
  void EndStream() override {}
  bool ClientGone() override { return gone_ || !on_data_(std::string_view()); }

  int status = 0;

 private:
  const std::function<bool(std::string_view)>& on_data_;
  bool gone_ = false;
};

// Hands a watch's events to the caller as objects; a stream the server sends as bytes (a
// conversion between versions, say) is decoded here instead.
class EventForwarder : public apiserver::Responder {
 public:
  explicit EventForwarder(const Client::OnWatchEvent& on_event) : on_event_(on_event), decoder_(on_event) {}
  void Send(apiserver::HttpResponse r) override { status = r.status; }
  bool StartStream(int s, const std::string&,
                   const std::vector<std::pair<std::string, std::string>>&) override {
    status = s;
    return true;
  }
  bool WriteChunk(std::string_view data) override {
    if (gone_ || !decoder_.Feed(data)) gone_ = true;
    return !gone_;
  }
  bool TakesWatchObjects() const override { return true; }
  bool WriteEvent(std::string_view type, std::shared_ptr<const Json> object) override {
    if (gone_ || !on_event_(type, std::move(object))) gone_ = true;
    return !gone_;
  }
  void EndStream() override {}
  bool ClientGone() override { return gone_ || !on_event_("", nullptr); }

  int status = 0;

 private:
  const Client::OnWatchEvent& on_event_;
  WatchDecoder decoder_;
  bool gone_ = false;
};

}  // namespace

apiserver::HttpRequest LocalClient::Request(const std::string& method, const std::string& target) const {
  apiserver::HttpRequest req;
  req.method = method;
  apiserver::ParseTarget(target, &req.path, &req.query);
  req.headers["user-agent"] = user_agent_;
  req.headers["accept"] = "application/json";
  req.remote = "in-process";
  return req;
}

Result<HttpResult> LocalClient::Do(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& content_type) const {
  apiserver::HttpRequest req = Request(method, target);
  if (!body.empty()) req.headers["content-type"] = content_type;
  req.body = body;
  Collector c;
  try {
    handler_(req, c);
  } catch (const std::exception& e) {
    c.result = {500, "text/plain", std::string("internal error: ") + e.what()};
  }
  return std::move(c.result);
}

Result<int> LocalClient::Stream(const std::string& target,
                                const std::function<bool(std::string_view)>& on_data) const {
  apiserver::HttpRequest req = Request("GET", target);
  Forwarder f(on_data);
  try {
    handler_(req, f);
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("internal error: ") + e.what());
  }
  return f.status;
}

Result<int> LocalClient::Watch(const std::string& target, const OnWatchEvent& on_event) const {
  apiserver::HttpRequest req = Request("GET", target);
  EventForwarder f(on_event);
  try {
    handler_(req, f);
  } catch (const std::exception& e) {
    return Status(Code::kInternal, std::string("internal error: ") + e.what());
  }
  return f.status;
}

}  // namespace mlkube::client
