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

Result<ExecProcess> SpawnInContainer(int pid, const std::vector<std::string>& cgroup_procs,
                                     const std::vector<std::string>& argv, bool merge_stderr) {
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
  int in[2], out[2], err[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || (!merge_stderr && ::pipe2(err, O_CLOEXEC))) {
    return Status(Code::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
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
    // The agent's ends of the pipes: held here, they would keep the command from ever
    // seeing the end of its input.
    ::close(in[1]);
    ::close(out[0]);
    if (err[0] >= 0) ::close(err[0]);
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the command goes with its killed helper
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(merge_stderr ? out[1] : err[1], 2);
      ::syscall(SYS_close_range, 3u, ~0u, 0u);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::chdir("/");
      environ = envp.data();
      ::execvp(args[0], args.data());
      // As runc words it, which kubectl users know.
      const std::string msg = std::string("exec: \"") + args[0] + "\": executable file not found in $PATH\n";
      (void)!::write(2, msg.data(), msg.size());
      ::_exit(127);
    }
    // Nothing of the agent's (listening sockets, connections) stays open in the waiting helper.
    ::syscall(SYS_close_range, 0u, ~0u, 0u);
    int st = 0;
    if (grandchild < 0 || ::waitpid(grandchild, &st, 0) < 0) ::_exit(126);
    ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  for (int fd : ns) ::close(fd);
  for (int fd : procs) {
    if (fd >= 0) ::close(fd);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (err[1] >= 0) ::close(err[1]);
  if (child < 0) {
    ::close(in[1]);
    ::close(out[0]);
    if (err[0] >= 0) ::close(err[0]);
    return Status(Code::kInternal, std::string("fork: ") + std::strerror(errno));
  }
  return ExecProcess{child, in[1], out[0], err[0]};
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
  ASSIGN_OR_RETURN(ExecProcess p, SpawnInContainer(pid, cgroup_procs, argv, /*merge_stderr=*/true));
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
