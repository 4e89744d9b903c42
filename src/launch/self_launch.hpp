#pragma once
/// `cclbench run --np N` outside any launcher: start N local ranks through mpirun, pass their
/// output through (minus Open MPI's boilerplate about exit codes the ranks already explained),
/// and return their agreed exit code.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cclbench {

struct SelfLaunchRequest {
  std::string mpirun;             ///< path or name of mpirun
  int ranks = 2;
  int cores = 1;                  ///< cores on this host: more ranks than this oversubscribe
  bool runningAsRoot = false;     ///< mpirun refuses root without --allow-run-as-root
  std::string executable;         ///< this binary
  std::vector<std::string> args;  ///< arguments for each rank (without --np)
  /// More ranks than cores busy-poll each other to a crawl (100-7000x here): let waiting ranks
  /// yield (Open MPI's mpi_yield_when_idle). Set only when the user has not set it.
  bool yieldWhenIdle = false;
  std::vector<std::pair<std::string, std::string>> mca;  ///< --mca NAME VALUE (e.g. a tuning trial)
  std::map<std::string, std::string> exports;            ///< -x NAME=VALUE for every rank
  std::vector<std::string> hosts;  ///< --host list ("a,b" or "a:2"); empty: this host
  std::string hostfile;            ///< --hostfile
};

/// What mpirun must pass to ranks on other hosts (it forwards only OMPI_* by itself): NCCL's own
/// settings (NCCL_*: NCCL_TUNER_PLUGIN, NCCL_ALGO ...) and the tuner plugin's config
/// (CCLBENCH_TUNER_CONFIG), as a user of nccl-tests would pass them with -x.
std::map<std::string, std::string> forwardedToRanks(const std::map<std::string, std::string>& env);

/// The full mpirun command line for a request.
std::vector<std::string> mpirunCommand(const SelfLaunchRequest& request);

/// Drops the blocks Open MPI prints when ranks exit non-zero or call MPI_Abort (the ranks have
/// already said why in one line) and its "help message" aggregation lines; everything else,
/// unknown Open MPI blocks included, passes through. Feed it lines; it returns those to print.
class LauncherNoiseFilter {
 public:
  std::vector<std::string> feed(const std::string& line);
  /// Lines still held (an unterminated block) at end of output.
  std::vector<std::string> finish();

 private:
  bool inBlock_ = false;
  std::vector<std::string> block_;
};

/// How a launched job ended.
struct LaunchOutcome {
  int status = 0;     ///< the job's exit status (128 + signal when a signal ended it)
  int signal = 0;     ///< a signal this process received and passed on to the job (0: none)
  bool spoke = false; ///< a rank printed a "cclbench:" line (so it said why it failed)
  std::string lastError;  ///< the last "cclbench: error: ..." line, without that prefix
  bool timedOut = false;  ///< the deadline passed: the job was ended
};

/// Where a launched job's environment and output go.
struct LaunchIo {
  std::map<std::string, std::string> env;  ///< added to this process's environment
  std::string outputFile;  ///< "": this process's stdout/stderr; else both go to this file
  std::string stdoutFile;  ///< "": stdout as outputFile says; else the job's stdout alone here
  /// Seconds the whole job may take (0: no limit): then it gets SIGTERM, and SIGKILL 10 s later.
  /// A driver's own deadline: a host that drops every packet hangs mpirun's wire-up before any
  /// rank's -T watchdog exists.
  double deadlineSeconds = 0;
};

/// Runs `command` in a process group of its own with `env` added (safe from several threads at
/// once), filters its stderr (Open MPI's
/// boilerplate out, progress lines passed through as they come), and returns how it ended.
/// SIGINT, SIGTERM and SIGHUP received meanwhile are passed to the whole job; if it has not
/// ended 10 s later, the group is killed: nothing outlives the call. When the job fails without
/// a rank saying why, one line names the launcher and its status. Throws Error(kNotAvailable)
/// if the command cannot be started.
LaunchOutcome runLauncher(const std::vector<std::string>& command, const LaunchIo& io = {});

/// The mpirun to use: $CCLBENCH_MPIRUN, then `mpirun` on PATH, then the one found at build time.
std::string findMpirun();

/// mpirun keeps its session files under $TMPDIR and, when that is a file or a folder it cannot
/// write, fails with a page of boilerplate and exit 1: refuse first with one line (exit 6).
/// A TMPDIR that does not exist is left to Open MPI (it falls back to /tmp).
void checkLauncherTmpdir();

}  // namespace cclbench
