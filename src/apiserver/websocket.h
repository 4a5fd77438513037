#pragma once
// The WebSocket behind apiserver::WebSocket, over any Beast-compatible stream: a connection
// the HTTP server accepted (exec, attach, port-forward), or one the API server opened to a
// node agent to relay such a session. Internal to the transport; handlers see WebSocket.

#include <poll.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "apiserver/http.h"

namespace mlkube::apiserver {

// A WebSocket over the connection's stream, driven by asynchronous operations on the
// connection's own io_context: reads and writes interleave on the one thread that runs it,
// which TLS requires. Reading stops while the caller asks (PauseReading) and while more than
// a bound is queued for writing, so neither a slow client nor a fast one grows the queues
// without limit; while it is stopped, a hang-up is still noticed.
template <class Stream>
class BeastWebSocket : public WebSocket {
 public:
  explicit BeastWebSocket(Stream& stream)
      : ws_(stream), ioc_(static_cast<boost::asio::io_context&>(stream.get_executor().context())), hangup_(ioc_) {}

  bool Accept(const boost::beast::http::request<boost::beast::http::string_body>& req, const std::string& subprotocol) {
    ws_.set_option(boost::beast::websocket::stream_base::decorator([subprotocol](boost::beast::websocket::response_type& res) {
      res.set(boost::beast::http::field::sec_websocket_protocol, subprotocol);
    }));
    ws_.read_message_max(kMaxMessage);
    boost::beast::error_code ec;
    ws_.accept(req, ec);
    ws_.binary(true);
    return !ec;
  }

  // The client's side of the opening handshake (the API server relaying a session to a node
  // agent), run on the stream's io_context: offers `subprotocols` as the original client did;
  // `res` gets the answer, a 101 or the refusal with its body; `done` says whether it upgraded.
  void AsyncHandshake(const std::string& host, const std::string& target, const std::string& subprotocols,
                      const std::string& authorization, boost::beast::websocket::response_type& res,
                      std::function<void(bool upgraded)> done) {
    ws_.set_option(boost::beast::websocket::stream_base::decorator([=](boost::beast::websocket::request_type& req) {
      if (!subprotocols.empty()) req.set(boost::beast::http::field::sec_websocket_protocol, subprotocols);
      req.set(boost::beast::http::field::authorization, authorization);
    }));
    ws_.read_message_max(kMaxMessage);
    ws_.async_handshake(res, host, target, [this, done = std::move(done)](boost::beast::error_code ec) {
      ws_.binary(true);
      done(!ec);
    });
  }

  void Run(const std::function<void(std::string_view)>& on_message) override {
    on_message_ = &on_message;
    auto guard = boost::asio::make_work_guard(ioc_);
    ioc_.restart();
    ReadNext();
    while (!finished_ && ioc_.run_one() > 0) {
    }
    on_message_ = nullptr;
    hangup_.cancel();
    std::lock_guard lock(mu_);
    gone_ = true;
    drained_.notify_all();
  }

  void Send(std::string message) override {
    {
      std::unique_lock lock(mu_);
      if (!ioc_.get_executor().running_in_this_thread()) {
        drained_.wait(lock, [this] { return gone_ || queued_bytes_ < kMaxQueuedBytes; });
      }
      if (gone_) return;
      queued_bytes_ += message.size();
    }
    boost::asio::post(ioc_, [this, m = std::move(message)]() mutable {
      queue_.push_back(std::move(m));
      WriteNext();
    });
  }

  // Queues without waiting, for a caller on another session's thread that must not block (a
  // relay between two WebSockets): false once more than the bound is queued, after which the
  // caller stops reading until the OnDrained callback says the queue went down.
  bool SendNoWait(std::string message) {
    std::unique_lock lock(mu_);
    if (gone_) return true;
    queued_bytes_ += message.size();
    const bool room = queued_bytes_ < kMaxQueuedBytes;
    lock.unlock();
    boost::asio::post(ioc_, [this, m = std::move(message)]() mutable {
      queue_.push_back(std::move(m));
      WriteNext();
    });
    return room;
  }
  // Called on this session's thread whenever a write takes the queue below the bound.
  void OnDrained(std::function<void()> drained) { on_drained_ = std::move(drained); }
  // Cuts the connection without a closing handshake (a peer that does not answer one).
  void Abort() {
    boost::asio::post(ioc_, [this] {
      boost::beast::error_code ec;
      boost::beast::get_lowest_layer(ws_).close(ec);
      finished_ = true;
    });
  }

  void Close() override {
    if (Gone()) return;
    boost::asio::post(ioc_, [this] {
      closing_ = true;
      WriteNext();
    });
  }

  void PauseReading() override { paused_ = true; }

  void ResumeReading() override {
    if (Gone()) return;
    paused_ = false;
    boost::asio::post(ioc_, [this] { MaybeReadAgain(); });
  }

 private:
  static constexpr size_t kMaxQueuedBytes = 1 << 20;
  static constexpr size_t kMaxMessage = 4 << 20;

  bool Gone() {
    std::lock_guard lock(mu_);
    return gone_;
  }
  bool QueueFull() {
    std::lock_guard lock(mu_);
    return queued_bytes_ >= kMaxQueuedBytes;
  }

  void ReadNext() {
    ws_.async_read(buffer_, [this](boost::beast::error_code ec, size_t) {
      if (ec) {
        finished_ = true;  // the peer closed, or the connection broke
        return;
      }
      std::string data = boost::beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
      if (on_message_) (*on_message_)(data);
      if (paused_ || QueueFull()) {
        read_parked_ = true;
        WatchForHangup();
      } else {
        ReadNext();
      }
    });
  }

  void MaybeReadAgain() {
    if (!read_parked_ || paused_ || finished_ || QueueFull()) return;
    read_parked_ = false;
    hangup_.cancel();
    ReadNext();
  }

  // With no read outstanding a closed connection would go unseen (and a server stopping
  // would wait on it), so a parked reader looks at the socket now and then.
  void WatchForHangup() {
    hangup_.expires_after(std::chrono::milliseconds(500));
    hangup_.async_wait([this](boost::beast::error_code ec) {
      if (ec || !read_parked_ || finished_) return;
      pollfd p{boost::beast::get_lowest_layer(ws_).native_handle(), POLLRDHUP, 0};
      if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        finished_ = true;
        return;
      }
      WatchForHangup();
    });
  }

  void WriteNext() {
    if (writing_ || finished_) return;
    if (queue_.empty()) {
      if (closing_ && !close_sent_) {
        close_sent_ = true;
        ws_.async_close(boost::beast::websocket::close_code::normal, [this](boost::beast::error_code) { finished_ = true; });
      }
      return;
    }
    if (close_sent_) return;  // nothing may follow the close frame
    writing_ = true;
    ws_.async_write(boost::asio::buffer(queue_.front()), [this](boost::beast::error_code ec, size_t) {
      writing_ = false;
      {
        std::lock_guard lock(mu_);
        const bool was_full = queued_bytes_ >= kMaxQueuedBytes;
        queued_bytes_ -= queue_.front().size();
        drained_.notify_all();
        if (was_full && queued_bytes_ < kMaxQueuedBytes && on_drained_) boost::asio::post(ioc_, on_drained_);
      }
      queue_.pop_front();
      if (ec) {
        finished_ = true;
        return;
      }
      MaybeReadAgain();
      WriteNext();
    });
  }

  boost::beast::websocket::stream<Stream&> ws_;
  boost::asio::io_context& ioc_;
  boost::asio::steady_timer hangup_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  const std::function<void(std::string_view)>* on_message_ = nullptr;
  std::function<void()> on_drained_;
  bool writing_ = false, closing_ = false, close_sent_ = false, finished_ = false, read_parked_ = false;
  std::atomic<bool> paused_{false};  // set by the session, from its own and other threads
  std::mutex mu_;                    // guards the byte count that bounds Send, and gone_
  std::condition_variable drained_;
  size_t queued_bytes_ = 0;
  bool gone_ = false;  // Run has returned: nothing more will be written
};

}  // namespace mlkube::apiserver
