#pragma once
// The in-process client: the same requests as over HTTPS, handed straight to the API server's
// handler. Components inside `mlkube server` use it, so they go through the same defaulting,
// validation and admission as everyone else.
// Thread-safety: any thread; a Stream runs the handler on the calling thread.

#include <functional>
#include <string>

#include "apiserver/http.h"
#include "client/client.h"

namespace mlkube::client {

class LocalClient : public Client {
 public:
  using Handler = std::function<void(apiserver::HttpRequest&, apiserver::Responder&)>;
  explicit LocalClient(Handler handler, std::string user_agent)
      : handler_(std::move(handler)), user_agent_(std::move(user_agent)) {}

  // `target` is a path with an optional query, e.g. "/api/v1/namespaces?limit=10".
  Result<HttpResult> Do(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::string& content_type = "application/json") const override;
  Result<int> Stream(const std::string& target,
                     const std::function<bool(std::string_view)>& on_data) const override;
  // Takes the server's decoded objects themselves, so informers in the process share one
  // decoding of each write instead of each parsing its bytes.
  Result<int> Watch(const std::string& target, const OnWatchEvent& on_event) const override;

 private:
  apiserver::HttpRequest Request(const std::string& method, const std::string& target) const;

  Handler handler_;
  std::string user_agent_;
};

}  // namespace mlkube::client
