#include "launch/self_launch.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <mutex>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "build_info.hpp"
#include "core/error.hpp"
#include "core/subprocess.hpp"

namespace cclbench {
namespace {

bool isRule(const std::string& line) {
  return line.size() >= 20 && line.find_first_not_of('-') == std::string::npos;
}

/// Open MPI blocks that only restate what the ranks already reported.
bool benignBlock(const std::vector<std::string>& block) {
  static constexpr std::array<const char*, 4> kMarkers{
      "terminated normally, but", "exited with non-zero status",
      "MPI_ABORT was invoked", "process that invoked MPI_ABORT"};
  for (const auto& line : block) {
    for (const char* marker : kMarkers) {
      if (line.find(marker) != std::string::npos) return true;
    }
  }
  return false;
}

bool executableOnPath(const std::string& name, std::string& found) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string dirs(path);
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) {
      found = candidate;
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

std::map<std::string, std::string> forwardedToRanks(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : env) {
    if (name.rfind("NCCL_", 0) == 0 || name == "CCLBENCH_TUNER_CONFIG") out[name] = value;
  }
  return out;
}

std::vector<std::string> mpirunCommand(const SelfLaunchRequest& r) {
  std::vector<std::string> cmd{r.mpirun};
  if (r.runningAsRoot) cmd.push_back("--allow-run-as-root");
  const bool local = r.hosts.empty() && r.hostfile.empty();
  if (local && r.ranks > r.cores) {
    cmd.insert(cmd.end(), {"--oversubscribe", "--bind-to", "none"});
  }
  if (!r.hosts.empty()) {
    std::string list;
    for (const auto& h : r.hosts) list += (list.empty() ? "" : ",") + h;
    cmd.insert(cmd.end(), {"--host", list});
  }
  if (!r.hostfile.empty()) cmd.insert(cmd.end(), {"--hostfile", r.hostfile});
  if (r.yieldWhenIdle) cmd.insert(cmd.end(), {"--mca", "mpi_yield_when_idle", "1"});
  for (const auto& [name, value] : r.mca) cmd.insert(cmd.end(), {"--mca", name, value});
  cmd.insert(cmd.end(), {"-np", std::to_string(r.ranks), "-x", "CCLBENCH_SELF_LAUNCHED=1"});
  for (const auto& [name, value] : r.exports) cmd.insert(cmd.end(), {"-x", name + "=" + value});
  cmd.push_back(r.executable);
  cmd.insert(cmd.end(), r.args.begin(), r.args.end());
  return cmd;
}

std::vector<std::string> LauncherNoiseFilter::feed(const std::string& line) {
  if (line.find("help message") != std::string::npos ||
      line.find("orte_base_help_aggregate") != std::string::npos) {
    return {};
  }
  if (!inBlock_) {
    if (!isRule(line)) return {line};
    inBlock_ = true;
    block_ = {line};
    return {};
  }
  block_.push_back(line);
  if (!isRule(line)) return {};
  inBlock_ = false;
  std::vector<std::string> out;
  if (!benignBlock(block_)) out.swap(block_);
  block_.clear();
  return out;
}

std::vector<std::string> LauncherNoiseFilter::finish() {
  inBlock_ = false;
  std::vector<std::string> out;
  out.swap(block_);
  return out;
}

void checkLauncherTmpdir() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir == nullptr || *tmpdir == '\0') return;
  struct stat st {};
  if (::stat(tmpdir, &st) != 0) return;
  if (!S_ISDIR(st.st_mode) || ::access(tmpdir, W_OK | X_OK) != 0) {
    throw usageError(std::string("TMPDIR=") + tmpdir +
                     (S_ISDIR(st.st_mode) ? " is a folder this user cannot write"
                                          : " is not a folder") +
                     ": mpirun keeps its session files there (point TMPDIR at a writable "
                     "folder, or unset it)");
  }
}

std::string findMpirun() {
  if (const char* env = std::getenv("CCLBENCH_MPIRUN"); env && *env) return env;
  std::string found;
  if (executableOnPath("mpirun", found)) return found;
  return build::kMpirun;
}

namespace {

volatile std::sig_atomic_t gReceivedSignal = 0;

void rememberSignal(int signal) { gReceivedSignal = signal; }

/// Handlers for the signals a user sends to stop a run, restored when the last launch ends:
/// launches may run at once from several threads (accept runs disjoint groups together), so the
/// handlers are installed by the first and restored by the last, and a signal received while
/// any runs is seen by every one of them (each passes it to its own job).
class SignalForwarding {
 public:
  SignalForwarding() {
    std::lock_guard<std::mutex> lock(mutex());
    if (users()++ > 0) return;
    gReceivedSignal = 0;
    struct sigaction action {};
    action.sa_handler = rememberSignal;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &old()[i]);
  }
  ~SignalForwarding() {
    std::lock_guard<std::mutex> lock(mutex());
    if (--users() > 0) return;
    for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &old()[i], nullptr);
  }
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static int& users() {
    static int n = 0;
    return n;
  }
  static std::array<struct sigaction, 3>& old() {
    static std::array<struct sigaction, 3> handlers{};
    return handlers;
  }
};

/// The job's stderr as it arrives: whole lines through the noise filter, progress redraws
/// ("\r..." without a newline) straight through.
class StderrPump {
 public:
  explicit StderrPump(std::FILE* out) : out_(out) {}
  void consume(const char* data, std::size_t n) {
    pending_.append(data, n);
    std::size_t eol;
    while ((eol = pending_.find('\n')) != std::string::npos) {
      const std::string line = pending_.substr(0, eol);
      pending_.erase(0, eol + 1);
      if (line.find("cclbench:") != std::string::npos) spoke_ = true;
      if (const auto at = line.find("cclbench: error: "); at != std::string::npos) {
        lastError_ = line.substr(at + 17);
      }
      emit(filter_.feed(line));
    }
    if (!pending_.empty() && pending_.front() == '\r') {
      if (out_ == stderr) std::fwrite(pending_.data(), 1, pending_.size(), out_);
      std::fflush(out_);
      pending_.clear();
    }
  }
  void finish() {
    if (!pending_.empty()) emit(filter_.feed(pending_));
    pending_.clear();
    emit(filter_.finish());
  }
  bool spoke() const { return spoke_; }
  const std::string& lastError() const { return lastError_; }

 private:
  void emit(const std::vector<std::string>& lines) {
    for (const auto& l : lines) std::fprintf(out_, "%s\n", l.c_str());
    std::fflush(out_);
  }
  std::FILE* out_;
  LauncherNoiseFilter filter_;
  std::string pending_;
  std::string lastError_;
  bool spoke_ = false;
};

}  // namespace

LaunchOutcome runLauncher(const std::vector<std::string>& command, const LaunchIo& io) {
  SignalForwarding forwarding;  // before the child exists: no signal may slip past
  SpawnRequest request;
  request.argv = command;
  request.setEnv = io.env;
  request.captureStderr = true;
  request.stdinFromNull = true;
  request.ownProcessGroup = true;
  // stdout to its own file when asked (a document to parse), else with the filtered stderr
  request.outputFile = io.stdoutFile.empty() ? io.outputFile : io.stdoutFile;
  std::FILE* log = io.outputFile.empty() ? nullptr : std::fopen(io.outputFile.c_str(), "a");
  if (!io.outputFile.empty() && !log) {
    throw Error(ExitCode::kInvalidUsage, "cannot write " + io.outputFile);
  }
  struct Closer {
    std::FILE* f;
    ~Closer() {
      if (f) std::fclose(f);
    }
  } closer{log};
  Subprocess job(request);
  StderrPump pump(log ? log : stderr);
  LaunchOutcome outcome;
  std::optional<std::chrono::steady_clock::time_point> killAt;
  const auto started = std::chrono::steady_clock::now();
  bool open = true;
  std::optional<std::chrono::steady_clock::time_point> endedAt;
  char buffer[8192];
  while (true) {
    if (!endedAt && job.poll()) endedAt = std::chrono::steady_clock::now();
    if (endedAt && !open) break;
    // The job has ended but something outside its process group (a daemon that left it, such
    // as an orted still trying to reach a silent mpirun) holds the pipe: stop waiting for it.
    if (endedAt && std::chrono::steady_clock::now() - *endedAt > std::chrono::seconds(5)) break;
    if (gReceivedSignal && !outcome.signal) {
      outcome.signal = gReceivedSignal;
      job.signal(outcome.signal);  // the whole job gets what we got: mpirun ends it, ranks end
      killAt = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    if (io.deadlineSeconds > 0 && !outcome.timedOut && !outcome.signal &&
        std::chrono::steady_clock::now() - started >= std::chrono::duration<double>(io.deadlineSeconds)) {
      outcome.timedOut = true;
      job.signal(SIGTERM);
      killAt = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
    if (killAt && std::chrono::steady_clock::now() >= *killAt) {
      job.signal(SIGKILL);
      killAt.reset();
    }
    if (!open) {
      usleep(20000);
      continue;
    }
    pollfd fd{job.stderrFd(), POLLIN, 0};
    const int ready = poll(&fd, 1, 100);
    if (ready <= 0) continue;  // timeout, or EINTR from a signal: checked above
    const ssize_t n = read(job.stderrFd(), buffer, sizeof buffer);
    if (n > 0) pump.consume(buffer, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) open = false;
  }
  pump.finish();
  outcome.status = job.wait();
  // mpirun's own processes may have left ranks of the group behind: none may outlive us.
  kill(-job.pid(), SIGKILL);
  outcome.spoke = pump.spoke();
  outcome.lastError = pump.lastError();
  if (outcome.timedOut) {
    char text[160];
    std::snprintf(text, sizeof text, "%s did not finish within %g s: the job was ended",
                  command.front().c_str(), io.deadlineSeconds);
    outcome.lastError = text;
    std::fprintf(log ? log : stderr, "cclbench: error: %s\n", text);
    std::fflush(log ? log : stderr);
  } else if (outcome.status != 0 && !outcome.spoke && !outcome.signal) {
    const std::string how = outcome.status > 128 && outcome.status <= 128 + 64  // 255: an exit code
                                ? "signal " + std::to_string(outcome.status - 128) + " (" +
                                      strsignal(outcome.status - 128) + ")"
                                : "status " + std::to_string(outcome.status);
    outcome.lastError = command.front() + " ended with " + how + " before any rank said why";
    std::fprintf(log ? log : stderr, "cclbench: error: %s\n", outcome.lastError.c_str());
    std::fflush(log ? log : stderr);
  }
  return outcome;
}

}  // namespace cclbench
