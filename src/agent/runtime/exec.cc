#include "agent/runtime/exec.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/runtime/capabilities.h"
#include "common/files.h"

extern char** environ;

namespace mlkube::agent {

namespace {

// NUL-separated /proc/<pid>/environ -> entries.
std::vector<std::string> Environ(int pid) {
  std::vector<std::string> out;
  auto text = ReadFile("/proc/" + std::to_string(pid) + "/environ");
  if (!text.ok()) return out;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\0', start);
    if (end == std::string::npos) end = text->size();
    if (end > start) out.push_back(text->substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<ExecProcess> SpawnInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                     const std::vector<std::string>& argv, ExecStreams streams) {
  if (argv.empty()) return Status(Code::kInvalid, "no command");
  if (::kill(pid, 0) != 0) return Status(Code::kNotFound, "the container is not running");
  // A helper (this binary's `nsexec`) joins the container and runs the command: spawned, not
  // forked, because forking the large multi-threaded server for every exec probe copied its
  // page tables and stalled all its threads.
  std::vector<std::string> helper = {"/proc/self/exe", "nsexec", std::to_string(pid)};
  for (const std::string& p : cgroup_procs) helper.insert(helper.end(), {"--cgroup-procs", p});
  const bool terminal = streams == ExecStreams::kTerminal;
  if (terminal) helper.push_back("--tty");
  helper.push_back("--");
  helper.insert(helper.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (std::string& a : helper) args.push_back(a.data());
  args.push_back(nullptr);
  int in[2], out[2], err[2] = {-1, -1};
  int master = -1;
  if (terminal) {
    // The command's three streams are the pty's slave; ours are the master (read and written
    // through separate descriptors, so that each side can be closed on its own).
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char* name = master >= 0 && ::grantpt(master) == 0 && ::unlockpt(master) == 0 ? ::ptsname(master) : nullptr;
    const int slave = name ? ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (slave < 0) {
      if (master >= 0) ::close(master);
      return Status(Code::kInternal, std::string("allocating a terminal: ") + std::strerror(errno));
    }
    in[0] = slave;
    in[1] = ::fcntl(master, F_DUPFD_CLOEXEC, 0);
    out[0] = ::fcntl(master, F_DUPFD_CLOEXEC, 0);
    out[1] = ::fcntl(slave, F_DUPFD_CLOEXEC, 0);
    if (in[1] < 0 || out[0] < 0 || out[1] < 0) {
      const int e = errno;
      for (int fd : {master, slave, in[1], out[0], out[1]}) {
        if (fd >= 0) ::close(fd);
      }
      return Status(Code::kInternal, std::string("allocating a terminal: ") + std::strerror(e));
    }
  } else if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) ||
             (streams == ExecStreams::kPipes && ::pipe2(err, O_CLOEXEC))) {
    return Status(Code::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  const bool merge_stderr = streams != ExecStreams::kPipes;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, merge_stderr ? out[1] : err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);  // nothing of the server's stays open
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t pipe_default;
  sigemptyset(&pipe_default);
  sigaddset(&pipe_default, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &pipe_default);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t child = -1;
  const int rc = ::posix_spawn(&child, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  if (err[1] >= 0) ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    if (err[0] >= 0) ::close(err[0]);
    if (master >= 0) ::close(master);
    return Status(Code::kInternal, std::string("spawning the exec helper: ") + std::strerror(rc));
  }
  return ExecProcess{child, in[1], out[0], err[0], master};
}

void ResizeTerminal(int terminal_fd, int width, int height) {
  if (terminal_fd < 0 || width <= 0 || height <= 0 || width > 0xffff || height > 0xffff) return;
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  ::ioctl(terminal_fd, TIOCSWINSZ, &ws);
}

int RunNsExec(int argc, char** argv) {
  // mlkube nsexec PID [--cgroup-procs FILE]... -- COMMAND [ARG]...
  if (argc < 5) return 126;
  const int pid = std::atoi(argv[2]);
  std::vector<std::string> procs;
  bool tty = false;
  int i = 3;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (std::strcmp(argv[i], "--cgroup-procs") == 0 && i + 1 < argc) procs.push_back(argv[++i]);
    if (std::strcmp(argv[i], "--tty") == 0) tty = true;
  }
  if (i + 1 >= argc) return 126;
  char** command = argv + i + 1;
  std::vector<std::string> env = Environ(pid);
  auto limits = LimitsOf(pid);  // before the mount namespace changes what /proc shows
  if (!limits.ok()) {
    std::fprintf(stderr, "the container is not running\n");
    return 126;
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (const std::string& p : procs) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!::write(fd, "0", 1);
      ::close(fd);
    }
  }
  const char* kinds[] = {"ipc", "uts", "net", "pid", "mnt"};
  const int flags[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS};
  for (int k = 0; k < 5; ++k) {
    int fd = ::open(("/proc/" + std::to_string(pid) + "/ns/" + kinds[k]).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, flags[k]) != 0) {
      std::fprintf(stderr, "the container is not running\n");
      return 126;
    }
    ::close(fd);
  }
  // Fork again so that the command is inside the PID namespace (setns on a PID namespace
  // applies to children only); this process is small, so the fork is cheap.
  pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the command goes with its killed helper
    if (tty) {
      // A session of its own with the terminal as its controlling tty: job control, ^C.
      ::setsid();
      ::ioctl(0, TIOCSCTTY, 0);
    }
    ::chdir("/");
    // The command may do no more than the container's own processes.
    if (std::string err = LimitCapabilities(limits->bounding); !err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      ::_exit(126);
    }
    // As the container's user (its runAsUser), as the runtimes run exec'd commands.
    if (::setgroups(limits->groups.size(), limits->groups.data()) != 0 || ::setgid(limits->gid) != 0 ||
        ::setuid(limits->uid) != 0) {
      std::fprintf(stderr, "cannot run as the container's user: %s\n", std::strerror(errno));
      ::_exit(126);
    }
    if (limits->no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      std::fprintf(stderr, "cannot set no_new_privs: %s\n", std::strerror(errno));
      ::_exit(126);
    }
    environ = envp.data();
    ::execvp(command[0], command);
    // As runc words it, which kubectl users know.
    const std::string msg = std::string("exec: \"") + command[0] + "\": executable file not found in $PATH\n";
    (void)!::write(2, msg.data(), msg.size());
    ::_exit(127);
  }
  // The helper keeps none of the streams: the command alone holds them, so it sees its input end.
  for (int fd = 0; fd < 3; ++fd) ::close(fd);
  int st = 0;
  if (child < 0 || ::waitpid(child, &st, 0) < 0) return 126;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int WaitExec(const ExecProcess& p) {
  int st = 0;
  while (::waitpid(p.pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Result<ExecOutput> ExecInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                   const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                   size_t max_output) {
  ASSIGN_OR_RETURN(ExecProcess p, SpawnInContainer(pid, cgroup_procs, argv, ExecStreams::kMerged));
  ::close(p.stdin_fd);
  ExecOutput result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd pfd{p.stdout_fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;
    char buf[4096];
    ssize_t n = ::read(p.stdout_fd, buf, sizeof buf);
    if (n <= 0) break;
    if (result.output.size() < max_output) result.output.append(buf, std::min<size_t>(n, max_output - result.output.size()));
  }
  ::close(p.stdout_fd);
  if (result.timed_out) ::kill(p.pid, SIGKILL);  // and the command with it (PR_SET_PDEATHSIG)
  result.exit_code = WaitExec(p);
  return result;
}

}  // namespace mlkube::agent
