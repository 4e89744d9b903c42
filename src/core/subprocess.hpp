#pragma once
/// Child processes without a shell: posix_spawn with an argument vector, optional pipes for
/// stdout and stderr, an own process group (so a whole job can be signalled and reaped), and a
/// deadline. The one way cclbench starts programs (mpirun, nvidia-smi, its own probe runs).

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cclbench {

struct SpawnRequest {
  std::vector<std::string> argv;              ///< argv[0] is looked up on PATH when it has no '/'
  std::map<std::string, std::string> setEnv;  ///< added to (or replacing in) this environment
  bool captureStdout = false;                 ///< else inherited
  bool captureStderr = false;                 ///< else inherited
  bool stdinFromNull = false;                 ///< else inherited
  std::string outputFile;  ///< not captured: stdout and stderr are appended to this file
  bool ownProcessGroup = false;  ///< the child leads a new process group (signal the whole job)
};

class Subprocess {
 public:
  /// Starts the child; throws Error(kNotAvailable) naming argv[0] when it cannot be started
  /// (not found, not executable).
  explicit Subprocess(const SpawnRequest& request);
  ~Subprocess();  ///< kills (SIGKILL, whole group if it has one) and reaps a child still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  int stdoutFd() const { return stdout_; }  ///< -1 when not captured
  int stderrFd() const { return stderr_; }

  /// Sends `signal` to the child (its whole process group when it has one). No-op once reaped.
  void signal(int signal);
  /// Reaps the child if it has ended: its status as a shell reports it (exit code, or 128 +
  /// the signal that ended it). nullopt while it runs.
  std::optional<int> poll();
  /// Waits for the child to end and returns its status as poll() does.
  int wait();

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  bool group_ = false;
  std::optional<int> status_;
};

/// What a short command printed and how it ended.
struct CommandOutput {
  int status = -1;     ///< as Subprocess::wait; -1 when it could not start
  bool timedOut = false;
  std::string out;     ///< stdout (stderr is discarded)
};

/// Runs `argv` to its end, capturing stdout; after `timeoutSeconds` the child (and its group)
/// is killed and timedOut is set. Never throws: a program that cannot start gives status -1.
CommandOutput runCommand(const std::vector<std::string>& argv, double timeoutSeconds);

/// This program's absolute path (/proc/self/exe), or `fallback` when it cannot be read: what
/// cclbench starts again for its own launches.
std::string selfExecutable(const std::string& fallback = "cclbench");

}  // namespace cclbench
