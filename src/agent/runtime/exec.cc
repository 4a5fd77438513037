#include "agent/runtime/exec.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

Result<ExecOutput> ExecInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                   const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                   size_t max_output) {
  if (argv.empty()) return Status(Code::kInvalid, "no command");
  // Opened before forking: the child may only make system calls.
  const char* kinds[] = {"ipc", "uts", "net", "pid", "mnt"};
  const int flags[] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS};
  int ns[5];
  for (int i = 0; i < 5; ++i) {
    ns[i] = ::open(("/proc/" + std::to_string(pid) + "/ns/" + kinds[i]).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns[i] < 0) {
      for (int j = 0; j < i; ++j) ::close(ns[j]);
      return Status(Code::kNotFound, "the container is not running");
    }
  }
  std::vector<std::string> env = Environ(pid);
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<int> procs;
  for (const std::string& p : cgroup_procs) procs.push_back(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status(Code::kInternal, std::string("pipe: ") + std::strerror(errno));

  pid_t child = ::fork();
  if (child == 0) {
    // Join the cgroups and namespaces, then fork again so that the command is inside the PID
    // namespace (setns on a PID namespace applies to children only).
    for (int fd : procs) {
      if (fd >= 0) (void)!::write(fd, "0", 1);
    }
    for (int i = 0; i < 5; ++i) {
      if (::setns(ns[i], flags[i]) != 0) ::_exit(126);
    }
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a timed-out command goes with its killed parent
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::syscall(SYS_close_range, 3u, ~0u, 0u);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::chdir("/");
      environ = envp.data();
      ::execvp(args[0], args.data());
      const char msg[] = "exec failed: executable file not found\n";
      (void)!::write(1, msg, sizeof msg - 1);
      ::_exit(127);
    }
    int st = 0;
    if (grandchild < 0 || ::waitpid(grandchild, &st, 0) < 0) ::_exit(126);
    ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  for (int fd : ns) ::close(fd);
  for (int fd : procs) {
    if (fd >= 0) ::close(fd);
  }
  ::close(out[1]);
  if (child < 0) {
    ::close(out[0]);
    return Status(Code::kInternal, std::string("fork: ") + std::strerror(errno));
  }
  ExecOutput result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;
    char buf[4096];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    if (result.output.size() < max_output) result.output.append(buf, std::min<size_t>(n, max_output - result.output.size()));
  }
  ::close(out[0]);
  if (result.timed_out) {
    // The command lives in the container's PID namespace; kill what we started (the
    // intermediate process), and the command with it when it is a direct child.
    ::kill(child, SIGKILL);
  }
  int st = 0;
  while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return result;
}

}  // namespace mlkube::agent
