#include "apiserver/fd_writer.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace mlkube::apiserver {

void FlowGate::Hold(size_t bytes) {
  std::lock_guard lock(mu_);
  held_ += static_cast<int64_t>(bytes) + kPerChunk;
  if (!paused_ && held_ > kPauseAbove) {
    paused_ = true;
    ws_.PauseReading();
  }
}

void FlowGate::Release(size_t bytes, size_t chunks) {
  std::lock_guard lock(mu_);
  held_ -= static_cast<int64_t>(bytes) + kPerChunk * static_cast<int64_t>(chunks);
  if (paused_ && held_ < kResumeBelow) {
    paused_ = false;
    ws_.ResumeReading();
  }
}

namespace {

// Sockets get send(MSG_NOSIGNAL), so a reader gone away is an error, not a signal (for pipes
// mlkube ignores SIGPIPE process-wide).
bool WriteAll(int fd, std::string_view data, bool socket) {
  while (!data.empty()) {
    ssize_t n = socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) : ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

FdWriter::~FdWriter() {
  Abort();
  if (thread_.joinable()) thread_.join();
}

void FdWriter::Start(int fd, std::function<void(int fd)> finish) {
  std::lock_guard lock(mu_);
  if (abort_) return;
  thread_ = std::thread([this, fd, finish = std::move(finish)] { Run(fd, finish); });
  started_ = true;
}

bool FdWriter::Push(std::string bytes) {
  const size_t size = bytes.size();
  {
    std::lock_guard lock(mu_);
    if (finish_ || abort_ || done_) return false;
    queue_.push_back(std::move(bytes));
  }
  gate_.Hold(size);
  cv_.notify_all();
  return true;
}

void FdWriter::Finish() {
  {
    std::lock_guard lock(mu_);
    finish_ = true;
  }
  cv_.notify_all();
}

void FdWriter::Abort() {
  size_t dropped = 0, chunks = 0;
  {
    std::lock_guard lock(mu_);
    abort_ = true;
    for (const std::string& s : queue_) dropped += s.size(), ++chunks;
    queue_.clear();
    if (!started_) done_ = true;  // and it never will start
  }
  cv_.notify_all();
  if (chunks > 0) gate_.Release(dropped, chunks);
}

bool FdWriter::WaitDone(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [this] { return done_; });
}

bool FdWriter::done() {
  std::lock_guard lock(mu_);
  return done_;
}

void FdWriter::Run(int fd, const std::function<void(int)>& finish) {
  struct stat st {};
  const bool socket = ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return !queue_.empty() || finish_ || abort_; });
    if (abort_) break;
    if (queue_.empty()) {
      lock.unlock();
      if (finish) finish(fd);
      lock.lock();
      break;
    }
    std::string chunk = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const bool written = WriteAll(fd, chunk, socket);
    gate_.Release(chunk.size());
    lock.lock();
    if (!written) break;  // the reader is gone: later bytes have nowhere to go
  }
  size_t dropped = 0, chunks = 0;
  for (const std::string& s : queue_) dropped += s.size(), ++chunks;
  queue_.clear();
  done_ = true;
  lock.unlock();
  cv_.notify_all();
  if (chunks > 0) gate_.Release(dropped, chunks);
}

}  // namespace mlkube::apiserver
