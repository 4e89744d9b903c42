#pragma once
/// `cclbench run --np N` outside any launcher: start N local ranks through mpirun, pass their
/// output through (minus Open MPI's boilerplate about exit codes the ranks already explained),
/// and return their agreed exit code.

#include <string>
#include <vector>

namespace cclbench {

struct SelfLaunchRequest {
  std::string mpirun;             ///< path or name of mpirun
  int ranks = 2;
  int cores = 1;                  ///< cores on this host: more ranks than this oversubscribe
  bool runningAsRoot = false;     ///< mpirun refuses root without --allow-run-as-root
  std::string executable;         ///< this binary
  std::vector<std::string> args;  ///< arguments for each rank (without --np)
};

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

/// Runs `command` with CCLBENCH_SELF_LAUNCHED=1 in its environment, filters its stderr, and
/// returns its exit status (128 + signal when killed by one). Throws Error(kNotAvailable) if it
/// cannot be started.
int runLauncher(const std::vector<std::string>& command, bool markSelfLaunched = true);

/// The mpirun to use: $CCLBENCH_MPIRUN, then `mpirun` on PATH, then the one found at build time.
std::string findMpirun();

}  // namespace cclbench
