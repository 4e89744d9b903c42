#include "core/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.hpp"

extern char** environ;

namespace cclbench {
namespace {

/// A pipe whose ends are closed on exec in every process but the child that dups them.
struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      throw Error(ExitCode::kInternal, std::string("pipe2: ") + std::strerror(errno));
    }
    read = fds[0];
    write = fds[1];
  }
};

int shellStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/// This process's environment with `changes` applied, as "NAME=VALUE" strings.
std::vector<std::string> mergedEnvironment(const std::map<std::string, std::string>& changes) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (!changes.count(key)) out.push_back(entry);
  }
  for (const auto& [k, v] : changes) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

Subprocess::Subprocess(const SpawnRequest& request) : group_(request.ownProcessGroup) {
  if (request.argv.empty()) throw Error(ExitCode::kInternal, "no command to start");
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  std::optional<Pipe> out, err;
  if (request.captureStdout) {
    out.emplace();
    posix_spawn_file_actions_adddup2(&actions, out->write, STDOUT_FILENO);
  }
  if (request.captureStderr) {
    err.emplace();
    posix_spawn_file_actions_adddup2(&actions, err->write, STDERR_FILENO);
  }
  if (!request.outputFile.empty()) {
    if (!request.captureStdout) {
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, request.outputFile.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND, 0644);
    }
    if (!request.captureStderr) {
      posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    }
  }
  if (request.stdinFromNull) {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);  // the child starts with default handlers
  if (request.ownProcessGroup) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attributes, 0);
  }
  posix_spawnattr_setflags(&attributes, flags);

  std::vector<char*> argv;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> env = mergedEnvironment(request.setEnv);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const int rc = request.argv[0].find('/') == std::string::npos
                     ? posix_spawnp(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data())
                     : posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  for (auto* p : {&out, &err}) {
    if (*p) close((*p)->write);
  }
  if (rc != 0) {
    for (auto* p : {&out, &err}) {
      if (*p) close((*p)->read);
    }
    pid_ = -1;
    throw Error(ExitCode::kNotAvailable,
                "cannot start " + request.argv[0] + ": " + std::strerror(rc));
  }
  if (out) stdout_ = out->read;
  if (err) stderr_ = err->read;
}

Subprocess::~Subprocess() {
  if (!status_ && pid_ > 0) {
    signal(SIGKILL);
    wait();
  }
  if (stdout_ >= 0) close(stdout_);
  if (stderr_ >= 0) close(stderr_);
}

void Subprocess::signal(int sig) {
  if (status_ || pid_ <= 0) return;
  // The group first; a child that has not yet become leader is signalled by its pid.
  if (!group_ || kill(-pid_, sig) != 0) kill(pid_, sig);
}

std::optional<int> Subprocess::poll() {
  if (status_) return status_;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) status_ = shellStatus(status);
  return status_;
}

int Subprocess::wait() {
  if (status_) return *status_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      status_ = 1;
      return *status_;
    }
  }
  status_ = shellStatus(status);
  return *status_;
}

CommandOutput runCommand(const std::vector<std::string>& argv, double timeoutSeconds) {
  CommandOutput result;
  try {
    SpawnRequest request;
    request.argv = argv;
    request.captureStdout = true;
    request.stdinFromNull = true;
    request.ownProcessGroup = true;
    Subprocess child(request);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(timeoutSeconds);
    char buffer[4096];
    bool open = true;
    while (open) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) {
        result.timedOut = true;
        break;
      }
      pollfd fd{child.stdoutFd(), POLLIN, 0};
      const int ready = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      const ssize_t n = read(child.stdoutFd(), buffer, sizeof buffer);
      if (n > 0) result.out.append(buffer, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR) open = false;
    }
    // stdout closed: the child may still be running (or hold it open no more); keep the deadline.
    while (!result.timedOut && !child.poll()) {
      if (std::chrono::steady_clock::now() >= deadline) result.timedOut = true;
      else usleep(10000);
    }
    if (result.timedOut) child.signal(SIGKILL);
    result.status = child.wait();
  } catch (const Error&) {
    result.status = -1;
  }
  return result;
}

std::string selfExecutable(const std::string& fallback) {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : fallback;
}

}  // namespace cclbench
