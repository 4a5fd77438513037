#pragma once
// Where a WebSocket session's incoming bytes go when their reader may be slow (a pod's
// socket for port-forward, a command's stdin for exec). The session's thread must never block
// on such a write (it also sends and answers pings), so a thread of the writer's own does the
// writing. The bytes waiting are counted on a FlowGate shared by the session: above a bound
// it stops reading the WebSocket, and once the writers have caught up it reads again.
// Thread-safety: Push/Finish/Abort from the session's thread; the rest from any.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "apiserver/http.h"

namespace mlkube::apiserver {

class FlowGate {
 public:
  explicit FlowGate(WebSocket& ws) : ws_(ws) {}
  void Hold(size_t bytes);  // one chunk queued
  void Release(size_t bytes, size_t chunks = 1);

 private:
  // Each queued chunk also costs its bookkeeping, so a flood of tiny frames is bounded too.
  static constexpr int64_t kPerChunk = 64;
  static constexpr int64_t kPauseAbove = 4 << 20, kResumeBelow = 1 << 20;
  WebSocket& ws_;
  std::mutex mu_;
  int64_t held_ = 0;
  bool paused_ = false;
};

class FdWriter {
 public:
  explicit FdWriter(FlowGate& gate) : gate_(gate) {}
  ~FdWriter();  // aborts and joins
  FdWriter(const FdWriter&) = delete;
  FdWriter& operator=(const FdWriter&) = delete;

  // Starts writing to `fd` (not owned) what was and will be pushed; `finish` runs on the
  // writer's thread once everything before Finish() is written (shutdown(SHUT_WR), closing a
  // pipe). Until Start, pushed bytes wait. May be called from any thread; after Abort it
  // starts nothing. Throws std::system_error when no thread can be made.
  void Start(int fd, std::function<void(int fd)> finish);
  // False once the writer takes no more (aborted, finished, or the reader went away).
  bool Push(std::string bytes);
  void Finish();
  // Drops what waits and stops; a write in progress is not interrupted (shut the fd down).
  void Abort();
  // Waits up to `limit` for the writer to end; true when it has.
  bool WaitDone(std::chrono::milliseconds limit);
  bool done();

 private:
  void Run(int fd, const std::function<void(int)>& finish);

  FlowGate& gate_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool started_ = false, finish_ = false, abort_ = false, done_ = false;
};

}  // namespace mlkube::apiserver
