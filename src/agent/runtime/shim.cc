#include "agent/runtime/shim.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/files.h"
#include "common/time.h"

extern char** environ;

namespace mlkube::agent {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

Json ToJson(const ContainerSpec& s) {
  Json mounts = Json::array();
  for (const Mount& m : s.mounts) {
    mounts.push_back({{"source", m.source}, {"target", m.target}, {"readOnly", m.read_only}});
  }
  Json j = {{"argv", s.argv},
            {"env", s.env},
            {"workingDir", s.working_dir},
            {"cgroupProcs", s.cgroup_procs},
            {"netNamespace", s.net_namespace},
            {"hostname", s.hostname},
            {"pidNamespace", s.pid_namespace},
            {"privateRoot", s.private_root},
            {"mounts", mounts},
            {"hiddenDevices", s.hidden_devices},
            {"maskedPaths", s.masked_paths},
            {"logPath", s.log_path.string()},
            {"logMaxBytes", s.log_max_bytes},
            {"logMaxFiles", s.log_max_files},
            {"stateDir", s.state_dir.string()}};
  if (s.uid) j["uid"] = *s.uid;
  if (s.gid) j["gid"] = *s.gid;
  if (s.capabilities) j["capabilities"] = CapabilityNames(*s.capabilities);
  j["noNewPrivileges"] = s.no_new_privileges;
  j["protectProc"] = s.protect_proc;
  return j;
}

Result<ContainerSpec> ContainerSpecFromJson(const Json& j) {
  try {
    ContainerSpec s;
    s.argv = j.at("argv").get<std::vector<std::string>>();
    s.env = j.at("env").get<std::vector<std::string>>();
    s.working_dir = j.value("workingDir", "");
    if (j.contains("uid")) s.uid = j["uid"].get<uint32_t>();
    if (j.contains("gid")) s.gid = j["gid"].get<uint32_t>();
    s.capabilities.reset();
    if (j.contains("capabilities")) {
      ASSIGN_OR_RETURN(s.capabilities, ParseCapabilities(j["capabilities"].get<std::vector<std::string>>()));
    }
    s.no_new_privileges = j.value("noNewPrivileges", false);
    s.protect_proc = j.value("protectProc", true);
    s.cgroup_procs = j.value("cgroupProcs", std::vector<std::string>{});
    s.net_namespace = j.value("netNamespace", "");
    s.hostname = j.value("hostname", "");
    s.pid_namespace = j.value("pidNamespace", true);
    s.private_root = j.value("privateRoot", true);
    s.hidden_devices = j.value("hiddenDevices", std::vector<std::string>{});
    s.masked_paths = j.value("maskedPaths", std::vector<std::string>{});
    for (const Json& m : j.value("mounts", Json::array())) {
      s.mounts.push_back({m.at("source"), m.at("target"), m.value("readOnly", false)});
    }
    s.log_path = j.at("logPath").get<std::string>();
    s.log_max_bytes = j.value("logMaxBytes", int64_t{10 << 20});
    s.log_max_files = j.value("logMaxFiles", 5);
    s.state_dir = j.at("stateDir").get<std::string>();
    if (s.argv.empty()) return Status(Code::kInvalid, "container spec has no command");
    return s;
  } catch (const std::exception& e) {
    return Status(Code::kInvalid, std::string("bad container spec: ") + e.what());
  }
}

Result<ContainerExit> ReadContainerExit(const fs::path& state_dir) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(state_dir / "exit.json"));
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return Status(Code::kInternal, "corrupt " + (state_dir / "exit.json").string());
  ContainerExit e;
  e.exit_code = j.value("exitCode", 0);
  e.signal = j.value("signal", 0);
  e.started_at = j.value("startedAt", "");
  e.finished_at = j.value("finishedAt", "");
  e.reason = j.value("reason", "");
  e.message = j.value("message", "");
  return e;
}

// ---------------------------------------------------------------------------------------------
// Agent side.

namespace {

// Reads one line from `fd` within the deadline.
Result<std::string> ReadLine(int fd, Clock::time_point deadline, std::string& buffered) {
  for (;;) {
    auto nl = buffered.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered.substr(0, nl);
      buffered.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status(Code::kTimeout, "the container shim did not answer in time");
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status(Code::kInternal, "the container shim exited before reporting");
    buffered.append(buf, n);
  }
}

// The agent's end of `mlkube shim-launcher`: a small process, started once, that forks a shim
// for each container. A shim forked from it is ready at once, where one exec'd afresh spent
// ~4 ms of CPU loading and relocating the binary's twenty libraries; and forking the server
// itself would copy its page tables (it is large and multi-threaded). The launcher reaps the
// shims; they outlive it and the agent.
class ShimLauncher {
 public:
  explicit ShimLauncher(fs::path self_exe) : self_exe_(std::move(self_exe)) {}

  // Has a shim started for the spec, its standard output `out_fd`.
  Status Launch(const std::string& spec_path, int out_fd) {
    std::lock_guard lock(mu_);
    for (int attempt = 0;; ++attempt) {
      if (sock_ < 0) RETURN_IF_ERROR(Spawn());
      char control[CMSG_SPACE(sizeof(int))] = {};
      iovec iov{const_cast<char*>(spec_path.data()), spec_path.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &out_fd, sizeof(int));
      if (::sendmsg(sock_, &msg, MSG_NOSIGNAL) >= 0) return Status::Ok();
      const int err = errno;
      Close();  // gone (killed, say): a new one, once
      if (attempt > 0) return Status(Code::kInternal, std::string("the shim launcher: ") + std::strerror(err));
    }
  }

 private:
  Status Spawn() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      return Status(Code::kInternal, std::string("socketpair: ") + std::strerror(errno));
    }
    const std::string exe = self_exe_.string();
    const char* argv[] = {exe.c_str(), "shim-launcher", nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pair[1], kLauncherFd);  // the copy is not close-on-exec
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    // Not every descriptor of the server is close-on-exec (listening sockets, connections): a
    // launcher or shim that kept one would hold the API's port after the server is gone.
    posix_spawn_file_actions_addclosefrom_np(&fa, kLauncherFd + 1);
    // A session of its own and no signal blocked: a ^C at the server's terminal does not reach
    // it, and the shims it forks start from a clean mask.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
    pid_t child = -1;
    const int rc = ::posix_spawn(&child, argv[0], &fa, &attr, const_cast<char* const*>(argv), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    ::close(pair[1]);
    if (rc != 0) {
      ::close(pair[0]);
      return Status(Code::kInternal, std::string("spawning the shim launcher: ") + std::strerror(rc));
    }
    sock_ = pair[0];
    pid_ = child;
    return Status::Ok();
  }

  void Close() {
    if (sock_ >= 0) ::close(sock_);  // the launcher sees the end and exits
    sock_ = -1;
    if (pid_ > 0) {
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
  }

  const fs::path self_exe_;
  std::mutex mu_;
  int sock_ = -1;
  pid_t pid_ = -1;
};

// One launcher per process, for its life (the server's agent, or a test's).
ShimLauncher& Launcher(const fs::path& self_exe) {
  static ShimLauncher* launcher = new ShimLauncher(self_exe);
  return *launcher;
}

}  // namespace

Result<StartedContainer> StartShim(const fs::path& self_exe, const ContainerSpec& spec,
                                   std::chrono::milliseconds timeout) {
  std::error_code ec;
  // The private root's mount point is made here, not by the container's child: what a process
  // of the container creates on the host's disk is charged to its memory cgroup and pins that
  // cgroup in the kernel long after the container is gone (a dying cgroup per container, which
  // slows every memory cgroup operation on the node as they pile up).
  fs::create_directories(spec.state_dir / "rootfs", ec);
  fs::create_directories(spec.log_path.parent_path(), ec);
  fs::remove(spec.state_dir / "exit.json", ec);
  const fs::path spec_path = spec.state_dir / "spec.json";
  RETURN_IF_ERROR(WriteFileAtomic(spec_path, ToJson(spec).dump(), Sync::kNoSync));

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status(Code::kInternal, std::string("pipe: ") + std::strerror(errno));
  Status launched = Launcher(self_exe).Launch(spec_path.string(), out[1]);
  ::close(out[1]);
  if (!launched.ok()) {
    ::close(out[0]);
    return launched;
  }
  const auto deadline = Clock::now() + timeout;
  std::string buffered;
  StartedContainer started;
  Status st = Status::Ok();
  for (;;) {
    auto line = ReadLine(out[0], deadline, buffered);
    if (!line.ok()) {
      st = line.status();
      break;
    }
    if (line->rfind("shim ", 0) == 0) {
      started.shim_pid = std::atoi(line->c_str() + 5);
    } else if (line->rfind("started ", 0) == 0) {
      char at[64] = {0};
      std::sscanf(line->c_str() + 8, "%d %63s", &started.pid, at);
      started.started_at = at;
      break;
    } else if (line->rfind("failed", 0) == 0) {
      break;  // recorded in exit.json; the shim is exiting
    }
  }
  ::close(out[0]);
  if (!st.ok()) return st;
  return started;
}

// ---------------------------------------------------------------------------------------------
// Shim side. Single-threaded, so forking is plain.

namespace {

// Writes a container's output in the CRI log format, rotating by size.
class LogWriter {
 public:
  explicit LogWriter(const ContainerSpec& spec) : spec_(spec) { Open(); }
  ~LogWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  // `data` is the next piece of one stream; lines may span pieces.
  void Write(std::string_view stream, std::string& pending, std::string_view data) {
    pending.append(data);
    size_t start = 0;
    for (;;) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      Line(stream, 'F', std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    // A line longer than the CRI's 16 KiB buffer goes out in partial ("P") pieces.
    constexpr size_t kMaxLine = 16 * 1024;
    while (pending.size() >= kMaxLine) {
      Line(stream, 'P', std::string_view(pending).substr(0, kMaxLine));
      pending.erase(0, kMaxLine);
    }
  }
  void Flush(std::string_view stream, std::string& pending) {
    if (!pending.empty()) Line(stream, 'F', pending);
    pending.clear();
  }

 private:
  void Open() {
    fd_ = ::open(spec_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    struct stat st{};
    size_ = fd_ >= 0 && ::fstat(fd_, &st) == 0 ? st.st_size : 0;
  }

  void Rotate() {
    ::close(fd_);
    const std::string base = spec_.log_path.string();
    for (int i = spec_.log_max_files - 1; i >= 1; --i) {
      std::string from = i == 1 ? base : base + "." + std::to_string(i - 1);
      std::string to = base + "." + std::to_string(i);
      ::rename(from.c_str(), to.c_str());
    }
    if (spec_.log_max_files <= 1) ::unlink(base.c_str());
    Open();
  }

  void Line(std::string_view stream, char tag, std::string_view text) {
    std::string line = FormatRfc3339Nano(Clock::now());
    line += ' ';
    line += stream;
    line += ' ';
    line += tag;
    line += ' ';
    line += text;
    line += '\n';
    if (size_ + static_cast<int64_t>(line.size()) > spec_.log_max_bytes && size_ > 0) Rotate();
    if (fd_ < 0) return;
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // disk full: output is dropped, the container goes on
      off += n;
    }
    size_ += line.size();
  }

  const ContainerSpec& spec_;
  int fd_ = -1;
  int64_t size_ = 0;
};

void Say(const std::string& line) {
  std::string l = line + "\n";
  (void)!::write(STDOUT_FILENO, l.data(), l.size());
}

std::string ExecError(const std::string& file, int err) {
  if (err == ENOENT && file.find('/') == std::string::npos) {
    return "exec: \"" + file + "\": executable file not found in $PATH";
  }
  return "exec: \"" + file + "\": " + std::strerror(err);
}

// Creates `path` (and its parents) as a directory, or as an empty file when `file`.
bool MakePath(const std::string& path, bool file) {
  std::error_code ec;
  if (fs::exists(path, ec)) return true;
  fs::create_directories(file ? fs::path(path).parent_path() : fs::path(path), ec);
  if (!file) return !ec;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Bind-mounts `m.source` at `root` + `m.target`, creating the mount point.
std::string BindInto(const std::string& root, const Mount& m) {
  const std::string target = root + m.target;
  struct stat st{};
  if (::stat(m.source.c_str(), &st) != 0) return "cannot mount " + m.source + ": " + std::strerror(errno);
  if (!MakePath(target, !S_ISDIR(st.st_mode))) return "cannot create mount point " + m.target + ": " + std::strerror(errno);
  if (::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return "cannot mount " + m.source + " at " + m.target + ": " + std::strerror(errno);
  }
  if (m.read_only && ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    return "cannot make " + m.target + " read-only: " + std::strerror(errno);
  }
  return "";
}

struct MountEntry {
  std::string point, fstype;
};

// /proc/self/mountinfo, parents before children. Mount points escape blanks as \040.
std::vector<MountEntry> MountTable() {
  std::vector<MountEntry> out;
  auto text = ReadFile("/proc/self/mountinfo");
  if (!text.ok()) return out;
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    std::string line = text->substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text->size() : nl + 1;
    std::vector<std::string> f;
    size_t p = 0;
    while (p < line.size()) {
      size_t q = line.find(' ', p);
      f.push_back(line.substr(p, q == std::string::npos ? std::string::npos : q - p));
      p = q == std::string::npos ? line.size() : q + 1;
    }
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 1 == f.end()) continue;
    std::string point;
    for (size_t i = 0; i < f[4].size(); ++i) {
      if (f[4][i] == '\\' && i + 3 < f[4].size()) {
        point += static_cast<char>(std::stoi(f[4].substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        point += f[4][i];
      }
    }
    out.push_back({point, *(dash + 1)});
  }
  return out;
}

bool Under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         (dir == "/" || path[dir.size()] == '/'));
}

// Builds the container's root: every filesystem of the host under an overlay whose upper
// layer lives in a tmpfs of this mount namespace; /dev and /sys bound from the host (/sys
// read-only), a private /dev/shm, fresh /proc; then the volumes; then pivot_root into it.
std::string EnterPrivateRoot(const ContainerSpec& spec) {
  const std::string base = (spec.state_dir / "rootfs").string();
  if (!MakePath(base, false)) return "cannot create " + base + ": " + std::strerror(errno);
  if (::mount("tmpfs", base.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") != 0) {
    return std::string("cannot mount the container's writable layer: ") + std::strerror(errno);
  }
  const std::string root = base + "/merged";
  int layer = 0;
  auto overlay = [&](const std::string& lower, const std::string& target) -> bool {
    const std::string upper = base + "/upper" + std::to_string(layer), work = base + "/work" + std::to_string(layer);
    ++layer;
    if (!MakePath(upper, false) || !MakePath(work, false) || !MakePath(target, false)) return false;
    const std::string opts = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
    return ::mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) == 0;
  };
  if (!overlay("/", root)) return std::string("cannot mount the container's root overlay: ") + std::strerror(errno);
  static const std::set<std::string> kPseudo = {
      "proc", "sysfs", "cgroup", "cgroup2", "nsfs", "mqueue", "bpf", "tracefs", "debugfs",
      "securityfs", "pstore", "configfs", "fusectl", "binfmt_misc", "autofs", "hugetlbfs",
      "devpts", "devtmpfs", "efivarfs", "rpc_pipefs", "nfsd", "selinuxfs"};
  std::vector<std::string> covered;  // bound recursively: their submounts came along
  for (const MountEntry& m : MountTable()) {
    if (m.point == "/" || Under(m.point, "/proc") || Under(m.point, base)) continue;
    if (std::any_of(spec.masked_paths.begin(), spec.masked_paths.end(),
                    [&](const std::string& p) { return Under(m.point, p); })) {
      continue;  // covered below
    }
    if (std::any_of(covered.begin(), covered.end(), [&](const std::string& c) { return Under(m.point, c); })) continue;
    const std::string target = root + m.point;
    if (m.point == "/dev" || m.point == "/sys") {
      if (!MakePath(target, false) || ::mount(m.point.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        return "cannot mount " + m.point + ": " + std::strerror(errno);
      }
      // /sys read-only with every mount under it: a writable /sys/fs/cgroup would let a root
      // container move its processes out of its cgroup, limits and all.
      if (m.point == "/sys") {
        mount_attr ro{};
        ro.attr_set = MOUNT_ATTR_RDONLY;
        if (::mount_setattr(AT_FDCWD, target.c_str(), AT_RECURSIVE, &ro, sizeof ro) != 0) {
          return "cannot make /sys read-only: " + std::string(std::strerror(errno));
        }
      }
      covered.push_back(m.point);
      continue;
    }
    if (kPseudo.count(m.fstype)) continue;
    struct stat st{};
    if (::stat(m.point.c_str(), &st) != 0) continue;
    // A directory gets a private layer of its own; a bound file (a runtime's /etc/hosts) is
    // bound as it is, and so is anything overlayfs refuses.
    if (S_ISDIR(st.st_mode) && overlay(m.point, target)) continue;
    if (!MakePath(target, !S_ISDIR(st.st_mode))) continue;
    ::mount(m.point.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
  }
  for (const std::string& path : spec.masked_paths) {
    struct stat st{};
    if (path.empty() || path == "/" || ::stat(path.c_str(), &st) != 0) continue;
    // One inside another masked path is hidden already (and has no mount point in the tmpfs).
    if (std::any_of(spec.masked_paths.begin(), spec.masked_paths.end(),
                    [&](const std::string& other) { return other != path && Under(path, other); })) {
      continue;
    }
    const std::string target = root + path;
    const bool masked = S_ISDIR(st.st_mode)
                            ? ::mount("tmpfs", target.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                      "mode=755,size=4k") == 0
                            : ::mount("/dev/null", target.c_str(), nullptr, MS_BIND, nullptr) == 0;
    if (!masked) return "cannot mask " + path + ": " + std::strerror(errno);
  }
  const std::string shm = root + "/dev/shm";
  if (MakePath(shm, false)) ::mount("shm", shm.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  for (const Mount& m : spec.mounts) {
    if (std::string err = BindInto(root, m); !err.empty()) return err;
  }
  for (const std::string& dev : spec.hidden_devices) {
    const std::string target = root + dev;
    if (fs::exists(target)) ::mount("/dev/null", target.c_str(), nullptr, MS_BIND, nullptr);
  }
  const std::string old_root = root + "/.mlkube-old-root";
  if (!MakePath(old_root, false)) return std::string("cannot prepare pivot_root: ") + std::strerror(errno);
  if (::syscall(SYS_pivot_root, root.c_str(), old_root.c_str()) != 0) {
    return std::string("cannot pivot_root into the container's root: ") + std::strerror(errno);
  }
  if (::chdir("/") != 0) return std::string("cannot chdir to /: ") + std::strerror(errno);
  if (::umount2("/.mlkube-old-root", MNT_DETACH) != 0) return std::string("cannot detach the host's root: ") + std::strerror(errno);
  ::rmdir("/.mlkube-old-root");
  if (spec.pid_namespace && ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return std::string("cannot mount /proc: ") + std::strerror(errno);
  }
  return "";
}

// In the container's child: everything up to exec. Errors go to `err_fd` and end the child.
[[noreturn]] void ContainerChild(const ContainerSpec& spec, int out_fd, int err_fd_stream,
                                 int report_fd) {
  auto fail = [&](const std::string& what) {
    std::string msg = what + ": " + std::strerror(errno);
    (void)!::write(report_fd, msg.data(), msg.size());
    ::_exit(127);
  };
  for (const std::string& procs : spec.cgroup_procs) {
    if (!WriteKnob(procs, "0").ok()) fail("cannot join cgroup " + procs);
  }
  if (!spec.net_namespace.empty()) {
    int ns = ::open(spec.net_namespace.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) fail("cannot join network namespace " + spec.net_namespace);
    ::close(ns);
  }
  int flags = CLONE_NEWNS | CLONE_NEWIPC;
  if (!spec.hostname.empty()) flags |= CLONE_NEWUTS;
  if (::unshare(flags) != 0) fail("cannot create namespaces");
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    fail("cannot set hostname");
  }
  // Private, as Kubernetes' default mountPropagation (None): nothing propagates either way.
  // Slave mounts would also cost every later mount on the host a copy into each container.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("cannot make / a private mount");
  if (spec.private_root) {
    if (std::string err = EnterPrivateRoot(spec); !err.empty()) fail(err);
  } else {
    for (const Mount& m : spec.mounts) {
      if (std::string err = BindInto("", m); !err.empty()) fail(err);
    }
    if (spec.pid_namespace &&
        ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      fail("cannot mount /proc");
    }
  }
  if (spec.protect_proc) {
    if (std::string err = ProtectProc(); !err.empty()) fail(err);
  }
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0) fail("cannot open /dev/null");
  ::dup2(devnull, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd_stream, STDERR_FILENO);
  // The shim's working directory is its own, not the container's.
  const std::string working_dir = spec.working_dir.empty() ? "/" : spec.working_dir;
  if (::chdir(working_dir.c_str()) != 0) fail("cannot change to working directory " + working_dir);
  // The bounding set takes effect at exec: this process keeps what setuid needs until then.
  if (spec.capabilities) {
    if (std::string err = LimitCapabilities(*spec.capabilities); !err.empty()) fail(err);
  }
  if (spec.gid) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(*spec.gid) != 0) fail("cannot set group");
  }
  if (spec.uid && ::setuid(*spec.uid) != 0) fail("cannot set user");
  if (spec.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs");
  std::vector<char*> argv, envp;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // The command starts with every signal at its default and none blocked, whatever the agent,
  // its launcher or this shim ignored (SIGPIPE, SIGCHLD; SIGHUP under nohup).
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  environ = envp.data();  // execvp looks the command up on the container's PATH
  ::execvp(argv[0], argv.data());
  std::string msg = ExecError(spec.argv[0], errno);
  (void)!::write(report_fd, msg.data(), msg.size());
  ::_exit(127);
}

void WriteExit(const ContainerSpec& spec, const Json& record) {
  (void)WriteFileAtomic(spec.state_dir / "exit.json", record.dump(), Sync::kNoSync);
}

}  // namespace

int RunShimLauncher() {
  // Shims are reaped by the kernel; each sets SIGCHLD back to wait for its container.
  ::signal(SIGCHLD, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  for (;;) {
    char path[4096];
    char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{path, sizeof path - 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(kLauncherFd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the agent is gone
    path[n] = '\0';
    int out = -1;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c != nullptr && c->cmsg_type == SCM_RIGHTS) std::memcpy(&out, CMSG_DATA(c), sizeof(int));
    if (out < 0) continue;
    const pid_t shim = ::fork();
    if (shim == 0) {
      ::close(kLauncherFd);
      ::signal(SIGCHLD, SIG_DFL);
      ::dup2(out, STDOUT_FILENO);
      ::close(out);
      ::_exit(RunShim(path));
    }
    ::close(out);  // a failed fork: the agent reads the end of its pipe
  }
}

int RunShim(const std::string& spec_path) {
  // A session of its own: the shim outlives the agent and its launcher.
  ::setsid();
  Say("shim " + std::to_string(::getpid()));

  auto text = ReadFile(spec_path);
  Json parsed = text.ok() ? Json::parse(*text, nullptr, false) : Json();
  auto spec = ContainerSpecFromJson(parsed);
  if (!spec.ok()) {
    Say("failed " + spec.status().message());
    return 1;
  }
  // Its working directory is its state directory: how an agent started later knows a pid is
  // still this container's shim (pids are reused).
  if (::chdir(spec->state_dir.c_str()) != 0) {
    Say("failed cannot enter " + spec->state_dir.string() + ": " + std::strerror(errno));
    return 1;
  }
  {
    int log = ::open((spec->state_dir / "shim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log >= 0) ::dup2(log, STDERR_FILENO);
  }
  const std::string started_at = FormatRfc3339(Clock::now());
  int out[2], err[2], report[2];
  if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC) || ::pipe2(report, O_CLOEXEC)) {
    Say("failed pipe: " + std::string(std::strerror(errno)));
    return 1;
  }
  if (spec->pid_namespace && ::unshare(CLONE_NEWPID) != 0) {
    std::string msg = std::string("cannot create PID namespace: ") + std::strerror(errno);
    WriteExit(*spec, {{"exitCode", 128}, {"reason", "ContainerCannotRun"}, {"message", msg},
                      {"startedAt", started_at}, {"finishedAt", started_at}});
    Say("failed " + msg);
    return 1;
  }
  pid_t child = ::fork();
  if (child == 0) ContainerChild(*spec, out[1], err[1], report[1]);
  ::close(out[1]);
  ::close(err[1]);
  ::close(report[1]);
  // Exec succeeded when the report pipe closes with nothing in it (it is close-on-exec).
  std::string failure;
  char buf[65536];
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    failure.append(buf, n);
  }
  ::close(report[0]);
  if (!failure.empty()) {
    int status;
    ::waitpid(child, &status, 0);
    const std::string now = FormatRfc3339(Clock::now());
    WriteExit(*spec, {{"exitCode", 128}, {"reason", "ContainerCannotRun"}, {"message", failure},
                      {"startedAt", started_at}, {"finishedAt", now}});
    Say("failed " + failure);
    return 0;
  }
  Say("started " + std::to_string(child) + " " + started_at);
  int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);

  LogWriter log(*spec);
  std::string pending_out, pending_err;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_streams = 2;
  int status = 0;
  bool exited = false;
  // Output is read until both pipes close; processes the container left behind in the host's
  // PID namespace could hold them, so once the main process is gone the shim stops waiting.
  while (open_streams > 0) {
    int r = ::poll(fds, 2, exited ? 100 : 1000);
    if (r < 0 && errno != EINTR) break;
    if (!exited && ::waitpid(child, &status, WNOHANG) == child) exited = true;
    if (r == 0 && exited) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
        continue;
      }
      log.Write(i == 0 ? "stdout" : "stderr", i == 0 ? pending_out : pending_err,
                std::string_view(buf, n));
    }
  }
  log.Flush("stdout", pending_out);
  log.Flush("stderr", pending_err);
  if (!exited) {
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  Json record = {{"startedAt", started_at}, {"finishedAt", FormatRfc3339(Clock::now())}};
  if (WIFSIGNALED(status)) {
    record["signal"] = WTERMSIG(status);
    record["exitCode"] = 128 + WTERMSIG(status);
  } else {
    record["exitCode"] = WEXITSTATUS(status);
  }
  WriteExit(*spec, record);
  return 0;
}

}  // namespace mlkube::agent
