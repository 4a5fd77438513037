#include "agent/logs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <thread>

#include "common/time.h"

namespace mlkube::agent {

namespace {

using namespace std::chrono_literals;

// One logical line: P pieces joined up to their F.
struct LogLine {
  std::string timestamp;
  std::string text;
};

// Feeds complete logical lines from raw CRI lines.
class LineAssembler {
 public:
  // Returns true when `raw` completed a line (in `out`).
  bool Add(const std::string& raw, LogLine* out) {
    auto s1 = raw.find(' ');
    auto s2 = s1 == std::string::npos ? s1 : raw.find(' ', s1 + 1);
    auto s3 = s2 == std::string::npos ? s2 : raw.find(' ', s2 + 1);
    if (s3 == std::string::npos) return false;  // not a CRI line
    if (pending_.text.empty() && pending_.timestamp.empty()) pending_.timestamp = raw.substr(0, s1);
    pending_.text += raw.substr(s3 + 1);
    if (raw.compare(s2 + 1, s3 - s2 - 1, "P") == 0) return false;
    *out = std::move(pending_);
    pending_ = {};
    return true;
  }

 private:
  LogLine pending_;
};

std::string Render(const LogLine& line, const LogOptions& o) {
  return o.timestamps ? line.timestamp + " " + line.text + "\n" : line.text + "\n";
}

bool Wanted(const LogLine& line, const LogOptions& o) {
  if (!o.since) return true;
  auto t = ParseRfc3339(line.timestamp);
  return !t || *t >= *o.since;
}

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end || errno) return false;
  *out = v;
  return true;
}

}  // namespace

std::optional<std::string> ParseLogOptions(const apiserver::HttpRequest& req, LogOptions* o) {
  auto flag = [&](const char* name) {
    std::string v = req.Query(name);
    return v == "true" || v == "1";
  };
  o->follow = flag("follow");
  o->timestamps = flag("timestamps");
  int64_t n;
  if (req.HasQuery("tailLines")) {
    if (!ParseInt(req.Query("tailLines"), &n) || n < 0) return "tailLines: Invalid value: must be greater than or equal to 0";
    o->tail_lines = n;
  }
  if (req.HasQuery("limitBytes")) {
    if (!ParseInt(req.Query("limitBytes"), &n) || n < 1) return "limitBytes: Invalid value: must be greater than 0";
    o->limit_bytes = n;
  }
  if (req.HasQuery("sinceSeconds")) {
    if (!ParseInt(req.Query("sinceSeconds"), &n) || n < 1) return "sinceSeconds: Invalid value: must be greater than 0";
    o->since = std::chrono::system_clock::now() - std::chrono::seconds(n);
  }
  if (req.HasQuery("sinceTime")) {
    auto t = ParseRfc3339(req.Query("sinceTime"));
    if (!t) return "sinceTime: Invalid value: \"" + req.Query("sinceTime") + "\": must be RFC 3339";
    if (o->since) return "at most one of sinceTime or sinceSeconds may be specified";
    o->since = *t;
  }
  return std::nullopt;
}

void ServeLogFile(const std::filesystem::path& path, const LogOptions& o,
                  const std::function<bool()>& running, apiserver::Responder& out) {
  std::ifstream in(path, std::ios::binary);
  LineAssembler assembler;
  int64_t budget = o.limit_bytes.value_or(INT64_MAX);
  std::string body;
  // What is there now, with tail and since applied.
  std::deque<std::string> lines;
  std::string raw;
  LogLine line;
  std::streampos good = 0;
  while (std::getline(in, raw)) {
    if (in.eof()) break;  // a last line without its newline is still being written
    good = in.tellg();
    if (!assembler.Add(raw, &line) || !Wanted(line, o)) continue;
    lines.push_back(Render(line, o));
    if (o.tail_lines && static_cast<int64_t>(lines.size()) > *o.tail_lines) lines.pop_front();
  }
  for (std::string& l : lines) {
    if (budget <= 0) break;
    if (static_cast<int64_t>(l.size()) > budget) l.resize(budget);
    budget -= l.size();
    body += l;
  }
  if (!o.follow) {
    out.Send({200, "text/plain", std::move(body), {}});
    return;
  }
  if (!out.StartStream(200, "text/plain", {})) return;
  if (!body.empty() && !out.WriteChunk(body)) return;
  // Followed by descriptor and inode: the shim rotates by renaming the file away and starting
  // a new one at the same path, and the stream goes on there, as the kubelet's does.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out.EndStream();
  struct Closer {
    int& fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st{};
  ino_t inode = ::fstat(fd, &st) == 0 ? st.st_ino : 0;
  ::lseek(fd, static_cast<off_t>(good), SEEK_SET);
  auto drain = [&](std::string& into) {
    bool any = false;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
      into.append(buf, static_cast<size_t>(n));
      any = true;
    }
    return any;
  };
  std::string partial;
  for (bool last_pass = false; budget > 0;) {
    bool any = drain(partial);
    if (!any) {
      // Rotated: what was written to the old file before the rename is read first (nothing
      // is written there after it), then the new file from its start.
      struct stat now{};
      if (::stat(path.c_str(), &now) == 0 && now.st_ino != inode) {
        any = drain(partial);
        const int next = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (next >= 0) {
          ::close(fd);
          fd = next;
          inode = now.st_ino;
          drain(partial);
          any = true;
        }
      }
    }
    std::string chunk;
    size_t start = 0;
    for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (assembler.Add(partial.substr(start, nl - start), &line) && Wanted(line, o)) {
        std::string l = Render(line, o);
        if (static_cast<int64_t>(l.size()) > budget) l.resize(budget);
        budget -= l.size();
        chunk += l;
        if (budget <= 0) break;
      }
    }
    partial.erase(0, start);
    if (!chunk.empty() && !out.WriteChunk(chunk)) return;
    if (last_pass || out.ClientGone()) break;
    if (!any) {
      // Drained: once the container has stopped, one more pass picks up its last words.
      if (!running()) last_pass = true;
      std::this_thread::sleep_for(50ms);
    }
  }
  out.EndStream();
}

}  // namespace mlkube::agent
