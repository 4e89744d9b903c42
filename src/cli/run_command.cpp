#include "cli/run_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "backends/registry.hpp"
#include "cli/agreement.hpp"
#include "cli/rank_session.hpp"
#include "cli/run_options.hpp"
#include "core/error.hpp"
#include "engine/watchdog.hpp"
#include "launch/launch_env.hpp"
#include "launch/self_launch.hpp"

#if defined(CCLBENCH_HAVE_MPI)
#include "launch/mpi_bootstrap.hpp"
#endif

namespace cclbench {
namespace {

constexpr double kDefaultTimeoutSeconds = 300;

int code(ExitCode c) { return static_cast<int>(c); }

void printError(const std::string& message) {
  std::fprintf(stderr, "cclbench: error: %s\n", message.c_str());
  std::fflush(stderr);
}

std::string executablePath(const char* argv0) {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n > 0) return std::string(buffer, static_cast<std::size_t>(n));
  return argv0;
}

/// Ranks to start when --np is absent: the cores of this host, at least 2 and at most 8.
int defaultLocalRanks() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(static_cast<int>(cores), 2, 8);
}

int selfLaunch(const RunOptions& options, const char* argv0) {
#if defined(CCLBENCH_HAVE_MPI)
  SelfLaunchRequest request;
  request.mpirun = findMpirun();
  request.ranks = options.np.value_or(defaultLocalRanks());
  request.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  request.runningAsRoot = geteuid() == 0;
  request.executable = executablePath(argv0);
  request.args = {"run"};
  request.args.insert(request.args.end(), options.argsWithoutNp.begin(),
                      options.argsWithoutNp.end());
  return runLauncher(mpirunCommand(request));
#else
  (void)options;
  (void)argv0;
  printError("this cclbench was built without MPI: it cannot start ranks (--np) or run the MPI "
             "backend");
  return code(ExitCode::kNotAvailable);
#endif
}

#if defined(CCLBENCH_HAVE_MPI)
int runThisRank(int* argc, char*** argv, const std::vector<std::string>& args,
                const LaunchInfo& launch, const Environment& env) {
  std::optional<Error> parseError;
  RunOptions options;
  try {
    options = parseRunOptions(args, env, launch.rank == 0);
  } catch (const Error& e) {
    parseError = e;
  }
  if (options.helpShown) return 0;

  // A hang anywhere (start-up included) becomes exit 4. The lowest rank reports first.
  std::atomic<Bootstrap*> live{nullptr};
  const double timeout = parseError ? kDefaultTimeoutSeconds : options.config.timeoutSeconds;
  Watchdog watchdog(timeout, 0.2 * std::min(launch.rank, 15),
                    [&](const std::string& activity, double seconds) {
                      char text[512];
                      std::snprintf(text, sizeof text,
                                    "timeout: rank %d (host %s): %s did not finish within %g s; "
                                    "aborting the job",
                                    launch.rank, hostName().c_str(), activity.c_str(), seconds);
                      printError(text);
                      if (Bootstrap* b = live.load()) b->abort(code(ExitCode::kTimeout));
                      std::_Exit(code(ExitCode::kTimeout));
                    });
  watchdog.arm("start-up (MPI_Init)");
  MpiRuntime runtime(argc, argv);
  std::unique_ptr<Bootstrap> bootstrap = createMpiBootstrap();
  live = bootstrap.get();
  const bool printer = bootstrap->place().rank == 0;
  auto finish = [&](const Verdict& v) {
    watchdog.disarm();
    if (!v.ok() && printer) printError(v.message);
    return code(v.code);
  };

  watchdog.arm("start-up (comparing arguments across ranks)");
  if (Verdict v = agreeOn(*bootstrap, parseError); !v.ok()) return finish(v);
  if (Verdict v = agreeOn(*bootstrap, compareWithRankZero(*bootstrap,
                                                          configurationHash(options.config)));
      !v.ok()) {
    return finish(v);
  }

  watchdog.arm("start-up (creating the " + options.config.backend + " backend)");
  std::unique_ptr<Backend> backend;
  std::optional<Error> backendError;
  try {
    const std::string name =
        options.config.backend == "auto" ? defaultBackend() : options.config.backend;
    backend = createBackend(name, *bootstrap, BackendOptions{});
  } catch (const Error& e) {
    backendError = e;
  }
  if (Verdict v = agreeOn(*bootstrap, backendError); !v.ok()) return finish(v);

  SessionContext context{{}, name(launch.launcher)};
  context.commandLine.assign(*argv, *argv + *argc);
  try {
    const Verdict verdict = runSession(options.config, *bootstrap, *backend, context, &watchdog);
    return finish(verdict);
  } catch (const Error& e) {
    printError("rank " + std::to_string(bootstrap->place().rank) + " (host " +
               bootstrap->place().host + "): " + e.what());
    bootstrap->abort(code(e.code()));
  } catch (const std::exception& e) {
    printError("rank " + std::to_string(bootstrap->place().rank) + " (host " +
               bootstrap->place().host + "): internal error: " + e.what());
    bootstrap->abort(code(ExitCode::kInternal));
  }
  return code(ExitCode::kInternal);  // not reached: abort() ends the job
}
#endif

}  // namespace

int runCommand(int* argc, char*** argv, const std::vector<std::string>& args) {
  const Environment env = processEnvironment();
  const LaunchInfo launch = detectLaunch(env);
  const bool selfLaunched = env.count("CCLBENCH_SELF_LAUNCHED") > 0;

  if (launch.launcher == Launcher::kNone && !selfLaunched) {
    RunOptions options;
    try {
      options = parseRunOptions(args, env, true);
    } catch (const Error& e) {
      printError(e.what());
      return code(e.code());
    }
    if (options.helpShown) return 0;
    return selfLaunch(options, (*argv)[0]);
  }
#if defined(CCLBENCH_HAVE_MPI)
  return runThisRank(argc, argv, args, launch, env);
#else
  printError("started by a launcher, but this cclbench was built without MPI");
  return code(ExitCode::kNotAvailable);
#endif
}

}  // namespace cclbench
