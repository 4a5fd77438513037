#include "client/client.h"

#include <cctype>
#include <cstdio>

#include "api/apply.h"

namespace mlkube::client {

std::string QueryEscape(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Status StatusFromResponse(const HttpResult& r) {
  if (r.status >= 200 && r.status < 300) return Status::Ok();
  Json body = Json::parse(r.body, nullptr, false);
  std::string reason, message = r.body;
  if (body.is_object() && body.value("kind", "") == "Status") {
    reason = body.value("reason", "");
    message = body.value("message", "");
  }
  static const Code kCodes[] = {Code::kBadRequest, Code::kUnauthorized, Code::kForbidden,
                                Code::kNotFound, Code::kMethodNotAllowed, Code::kNotAcceptable,
                                Code::kAlreadyExists, Code::kConflict, Code::kGone,
                                Code::kRequestEntityTooLarge, Code::kUnsupportedMediaType,
                                Code::kInvalid, Code::kTooManyRequests, Code::kInternal,
                                Code::kUnavailable, Code::kTimeout};
  for (Code c : kCodes) {
    if (!reason.empty() && reason == mlkube::Reason(c)) return Status(c, message);
  }
  for (Code c : kCodes) {
    if (HttpCode(c) == r.status) return Status(c, message);
  }
  return Status(Code::kInternal, "HTTP " + std::to_string(r.status) + ": " + message);
}

Result<Json> Client::Get(const std::string& target) const {
  ASSIGN_OR_RETURN(HttpResult r, Do("GET", target));
  RETURN_IF_ERROR(StatusFromResponse(r));
  Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Status(Code::kInternal, "GET " + target + ": the answer is not JSON");
  return j;
}

Result<Json> Client::Send(const std::string& method, const std::string& target, const Json& body,
                          const std::string& content_type) const {
  ASSIGN_OR_RETURN(HttpResult r, Do(method, target, body.dump(), content_type));
  RETURN_IF_ERROR(StatusFromResponse(r));
  Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Json();
  return j;
}

Status Client::Write(const std::string& method, const std::string& target, const Json& body,
                     const std::string& content_type) const {
  ASSIGN_OR_RETURN(HttpResult r, Do(method, target, body.dump(), content_type));
  return StatusFromResponse(r);
}

bool WatchDecoder::Feed(std::string_view data) {
  if (data.empty()) return on_event_("", nullptr);
  pending_.append(data);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    Json ev = Json::parse(std::string_view(pending_).substr(start, nl - start), nullptr, false);
    if (!ev.is_object()) continue;
    const std::string type = ev.value("type", "");
    auto object = ev.find("object");
    if (type.empty() || object == ev.end()) continue;
    api::DropManagedFields(*object);
    if (!on_event_(type, std::make_shared<const Json>(std::move(*object)))) return false;
  }
  pending_.erase(0, start);
  return true;
}

Result<int> Client::Watch(const std::string& target, const OnWatchEvent& on_event) const {
  WatchDecoder decoder(on_event);
  return Stream(target, [&](std::string_view data) { return decoder.Feed(data); });
}

Result<HttpResult> RemoteClient::Do(const std::string& method, const std::string& target,
                                    const std::string& body, const std::string& content_type) const {
  // At most this many requests in flight, each on a connection of its own (the kubelet sends
  // all of its requests over one HTTP/2 connection). A burst of 100 pods starting at once
  // would otherwise open 100 TLS connections; their buffers, allocated between the pods'
  // long-lived state, left the agent's heap fragmented at several times its live size.
  constexpr size_t kMaxInFlight = 8;
  // Kept for what follows, each holding a TLS session on both ends.
  constexpr size_t kMaxIdle = 4;
  std::unique_ptr<HttpClient> c;
  {
    std::unique_lock lock(mu_);
    free_cv_.wait(lock, [&] { return busy_ < kMaxInFlight; });
    ++busy_;
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  // The slot is given back however the request ends; the connection only when the request
  // ended normally (HttpClient may throw bad_alloc half-way through an exchange).
  struct Slot {
    const RemoteClient& self;
    std::unique_ptr<HttpClient>& c;
    bool reusable = false;
    ~Slot() {
      std::lock_guard lock(self.mu_);
      --self.busy_;
      if (reusable && self.idle_.size() < kMaxIdle) self.idle_.push_back(std::move(c));
      self.free_cv_.notify_one();
    }
  } slot{*this, c};
  if (!c) c = std::make_unique<HttpClient>(config_);
  auto r = c->Do(method, target, body, content_type);
  slot.reusable = true;
  return r;
}

Result<int> RemoteClient::Stream(const std::string& target,
                                 const std::function<bool(std::string_view)>& on_data) const {
  HttpClient c(config_);  // a stream holds its connection for as long as it lasts
  return c.Stream(target, on_data);
}

}  // namespace mlkube::client
