#pragma once
// An HTTPS/1.1 server: one thread per connection, keep-alive, bodies bounded in size. Blocking
// handlers are the point: a write waits for its group commit and a watch streams from the same
// thread, the way Kubernetes' API server gives each request its own goroutine.
// Thread-safety: Start/Stop from one thread; the handler is called concurrently from connection
// threads.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/http.h"
#include "common/status.h"

namespace mlkube::apiserver {

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest&, Responder&)>;

  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 6443;  // 0 picks a free port
    std::string cert_pem;  // TLS server certificate and key; both empty = plain HTTP (tests)
    std::string key_pem;
    size_t max_body_bytes = 3 * 1024 * 1024;  // Kubernetes' request size limit
  };

  HttpServer(Options options, Handler handler);
  ~HttpServer();

  Status Start();
  // A graceful stop's first half: new connections are refused, idle keep-alive connections
  // closed, and requests being served finish (their connections close after the response).
  // False if some were still being served at `timeout`. Stop() follows.
  bool Drain(std::chrono::milliseconds timeout);
  // Stops accepting, closes every connection and joins their threads.
  void Stop();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace mlkube::apiserver
