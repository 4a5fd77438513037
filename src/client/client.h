#pragma once
// What every component talks to the API through, in-process (LocalClient) or over HTTPS
// (RemoteClient): the same requests either way, so one controller or agent code serves both.
// Thread-safety: implementations may be used from any number of threads at once.

#include <functional>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "client/http_client.h"
#include "common/status.h"

namespace mlkube::client {

// A query parameter's value, escaped for a request target ("app=web" -> "app%3Dweb").
std::string QueryEscape(std::string_view value);

class Client {
 public:
  virtual ~Client() = default;
  virtual Result<HttpResult> Do(const std::string& method, const std::string& target,
                                const std::string& body = "",
                                const std::string& content_type = "application/json") const = 0;
  // Streams a GET response (watch, log -f): `on_data` gets each piece and returns false to
  // stop; it may also get an empty piece now and then, which asks only whether to go on, so a
  // quiet stream can be stopped too. Returns the HTTP status.
  virtual Result<int> Stream(const std::string& target,
                             const std::function<bool(std::string_view)>& on_data) const = 0;

  // A watch event's type ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", or "ERROR" with a
  // Status) and object; returns false to stop. An empty type and no object ask only whether to
  // go on, as Stream's empty pieces do.
  using OnWatchEvent = std::function<bool(std::string_view type, std::shared_ptr<const Json> object)>;
  // Watches `target` (a collection with watch=true). Objects come without
  // metadata.managedFields, as informers keep them. Returns the HTTP status.
  virtual Result<int> Watch(const std::string& target, const OnWatchEvent& on_event) const;

  // JSON conveniences: a non-2xx answer becomes the Status the server sent.
  Result<Json> Get(const std::string& target) const;
  Result<Json> Send(const std::string& method, const std::string& target, const Json& body,
                    const std::string& content_type = "application/json") const;
  // Send for a caller that needs only the outcome: the answer's body is not decoded.
  Status Write(const std::string& method, const std::string& target, const Json& body,
               const std::string& content_type = "application/json") const;
};

// Decodes a watch stream (one JSON event per line) piece by piece.
class WatchDecoder {
 public:
  explicit WatchDecoder(const Client::OnWatchEvent& on_event) : on_event_(on_event) {}
  // False once the consumer asked to stop.
  bool Feed(std::string_view data);

 private:
  const Client::OnWatchEvent& on_event_;
  std::string pending_;
};

// The Status a server's error response carries (its reason, message and code).
Status StatusFromResponse(const HttpResult& r);

// An HTTPS client for many threads: a pool of keep-alive connections.
class RemoteClient : public Client {
 public:
  explicit RemoteClient(Kubeconfig config) : config_(std::move(config)) {}
  Result<HttpResult> Do(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::string& content_type = "application/json") const override;
  Result<int> Stream(const std::string& target,
                     const std::function<bool(std::string_view)>& on_data) const override;

 private:
  Kubeconfig config_;
  mutable std::mutex mu_;
  mutable std::condition_variable free_cv_;
  mutable std::vector<std::unique_ptr<HttpClient>> idle_;
  mutable size_t busy_ = 0;  // connections with a request in flight
};

}  // namespace mlkube::client
