#pragma once
// The HTTP exchange the API handlers see, independent of the transport: a parsed request and a
// responder that sends a whole response or streams one (watch, log follow).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/json.h"

namespace mlkube::apiserver {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query
  std::multimap<std::string, std::string, std::less<>> query;  // decoded
  std::map<std::string, std::string, std::less<>> headers;     // lower-cased names
  std::string body;
  std::string remote;  // peer address, for logs

  // The first value of a query parameter, or "".
  std::string Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return query.find(name) != query.end(); }
  std::string Header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A WebSocket a request was upgraded to (exec, attach, port-forward), with binary messages.
// Run() drives the session on the calling thread until it closes, calling on_message on it;
// Send(), Close() and ResumeReading() may be called from any thread while it runs.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  virtual void Run(const std::function<void(std::string_view message)>& on_message) = 0;
  // Queues a message. Called from another thread than Run's, it waits while more than a
  // bounded amount is queued, so a fast producer cannot outrun a slow client.
  virtual void Send(std::string message) = 0;
  // Closes once everything sent before has been written.
  virtual void Close() = 0;
  // Back-pressure the other way: from on_message, stop reading until ResumeReading().
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;
};

class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Send(HttpResponse response) = 0;
  // Streaming: a chunked response. WriteChunk returns false once the client is gone.
  virtual bool StartStream(int status, const std::string& content_type,
                           const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  virtual bool WriteChunk(std::string_view data) = 0;
  virtual void EndStream() = 0;
  // True once the client has closed its side (checked by long-lived streams between writes).
  virtual bool ClientGone() = 0;
  // Accepts a WebSocket upgrade offering `subprotocol` (the 101 is sent); nullptr when the
  // request is not a WebSocket handshake or the transport cannot upgrade (in-process calls).
  virtual std::unique_ptr<WebSocket> UpgradeWebSocket(const std::string& subprotocol) { return nullptr; }
  // In-process watchers take each watch event's object itself, decoded once and shared, rather
  // than bytes they would each parse again (objects come without metadata.managedFields, as
  // informers keep them). WriteEvent returns false once the watcher wants no more.
  virtual bool TakesWatchObjects() const { return false; }
  virtual bool WriteEvent(std::string_view type, std::shared_ptr<const Json> object) { return false; }
};

// Splits a request target into its decoded path and query parameters.
void ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string, std::less<>>* query);
std::string UrlDecode(std::string_view s, bool plus_is_space);
// True when the request carries `Authorization: Bearer <token>` (compared in constant time).
bool HasBearerToken(const HttpRequest& req, const std::string& token);
// A path's non-empty segments: "/api/v1/pods/" -> {"api", "v1", "pods"}.
std::vector<std::string> SplitPath(std::string_view path);

}  // namespace mlkube::apiserver
