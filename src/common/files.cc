#include "common/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace mlkube {

namespace {
Status Errno(const std::string& what, const std::filesystem::path& path) {
  return Status(errno == ENOENT ? Code::kNotFound : Code::kInternal,
                what + " " + path.string() + ": " + std::strerror(errno));
}
}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Errno("cannot read", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, n);
  }
  ::close(fd);
  return out;
}

Status WriteKnob(const std::filesystem::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  ssize_t n;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  Status st = n < 0 ? Errno("cannot write \"" + std::string(data) + "\" to", path) : Status::Ok();
  const int saved = errno;  // callers look at errno to tell EBUSY from other refusals
  ::close(fd);
  errno = saved;
  return st;
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, Sync sync) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Errno("cannot write", tmp);
      ::close(fd);
      return st;
    }
    off += n;
  }
  if (sync == Sync::kDurable && ::fsync(fd) != 0) {
    Status st = Errno("cannot sync", tmp);
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to", path);
  return Status::Ok();
}

}  // namespace mlkube
