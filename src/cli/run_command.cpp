#include "cli/run_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "backends/registry.hpp"
#include "cli/agreement.hpp"
#include "cli/algorithm_probe.hpp"
#include "cli/provenance.hpp"
#include "cli/rank_session.hpp"
#include "cli/transport_check.hpp"
#include "cli/run_options.hpp"
#include "core/error.hpp"
#include "engine/watchdog.hpp"
#include "launch/launch_env.hpp"
#include "launch/self_launch.hpp"
#include "launch/thread_bootstrap.hpp"

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

std::string resolvedBackend(const RunConfig& config) {
  return config.backend == "auto" ? defaultBackend() : config.backend;
}

/// What the watchdog of one rank may need to end: the bootstrap (to end the job) and the backend
/// (to abort its communicator first), each set once it exists.
struct LiveRank {
  std::atomic<Bootstrap*> bootstrap{nullptr};
  std::atomic<Backend*> backend{nullptr};
};

/// What one rank needs besides its bootstrap.
struct RankInputs {
  const RunOptions* options;           ///< null when this rank's arguments did not parse
  const std::optional<Error>* parseError;
  std::vector<std::string> commandLine;
  std::string launcher;
  int device = -1;
  std::string runId;                       ///< empty: rank 0 makes one and tells the others
  const TransportSetup* transport = nullptr;  ///< prepared by the process (thread mode)
  LiveRank* live = nullptr;                    ///< where the watchdog looks for the backend
};

/// The NCCL log folder of a run.
std::string ncclLogFolder(const std::string& runId) { return "results/" + runId + "/nccl"; }

/// Collective: rank 0's run id for everyone.
std::string agreedRunId(Bootstrap& bootstrap) {
  char id[64] = {};
  if (bootstrap.place().rank == 0) {
    const std::string mine = newRunId();
    std::snprintf(id, sizeof id, "%s", mine.c_str());
  }
  bootstrap.broadcast(id, sizeof id, 0);
  return id;
}

/// NCCL could not even start on the network a fabric forced (no IB device for --fabric ib):
/// that is a fabric mismatch, shown with the log lines that say why.
Error fabricInitFailure(const Error& error, const TransportSetup& setup) {
  if (!setup.fabric || error.code() != ExitCode::kLibraryError) return error;
  const TransportCheck check = checkTransport(setup);
  std::string message = std::string("fabric mismatch: asked ") + name(*setup.fabric) +
                        ", and NCCL could not set up that path: " + error.what();
  for (std::size_t i = 0; i < check.log.warnings.size() && i < 3; ++i) {
    message += "\n    " + check.log.warnings[i].line;
  }
  return Error(ExitCode::kFabricMismatch, message);
}

/// NCCL only: what the start-up probe shows, and exit 9 when the path is not the one asked for.
std::optional<Error> verifyTransport(Backend& backend, const TransportSetup& setup,
                                     nlohmann::json& record) {
  probeConnections(backend);
  const TransportCheck check = checkTransport(setup);
  record = transportJson(setup, check);
  if (!check.verification || check.verification->ok) return std::nullopt;
  std::string message = check.verification->message();
  for (std::size_t i = 0; i < check.verification->evidence.size() && i < 3; ++i) {
    message += "\n    " + check.verification->evidence[i];
  }
  return Error(ExitCode::kFabricMismatch, message);
}

/// Creates the watchdog of one rank: on a hang it reports rank, host and step, then ends the
/// whole job through `live` (or the process before any bootstrap exists).
std::unique_ptr<Watchdog> makeWatchdog(double timeout, int rank, LiveRank& live) {
  return std::make_unique<Watchdog>(
      timeout, 0.2 * std::min(rank, 15), [rank, &live](const std::string& activity, double s) {
        char text[512];
        std::snprintf(text, sizeof text,
                      "timeout: rank %d (host %s): %s did not finish within %g s; aborting the job",
                      rank, hostName().c_str(), activity.c_str(), s);
        printError(text);
        if (Backend* backend = live.backend.load()) backend->abortCommunication();
        if (Bootstrap* b = live.bootstrap.load()) b->abort(code(ExitCode::kTimeout));
        std::_Exit(code(ExitCode::kTimeout));
      });
}

/// One rank from a live bootstrap on: agree on arguments, create the backend, run the session.
/// Failures before measuring are agreed (same code everywhere, rank 0 prints); failures while
/// measuring are reported by the failing rank, which ends the job.
int runRank(Bootstrap& bootstrap, const RankInputs& in, Watchdog& watchdog) {
  const bool printer = bootstrap.place().rank == 0;
  auto finish = [&](const Verdict& v) {
    watchdog.disarm();
    if (!v.ok() && printer) printError(v.message);
    return code(v.code);
  };
  watchdog.arm("start-up (comparing arguments across ranks)");
  if (Verdict v = agreeOn(bootstrap, *in.parseError); !v.ok()) return finish(v);
  const RunConfig& config = in.options->config;
  if (config.captureAlgorithms && in.launcher != "threads") {
    return finish({ExitCode::kInvalidUsage,
                   "--capture-algorithms works for single-process NCCL runs; under a launcher run "
                   "`cclbench run ... --algorithm-probe FILE` as a job of its own, then pass "
                   "--algorithms FILE"});
  }
  if (Verdict v = agreeOn(bootstrap, compareWithRankZero(bootstrap, configurationHash(config)));
      !v.ok()) {
    return finish(v);
  }

  const std::string backendName = resolvedBackend(config);
  const std::string runId = in.runId.empty() ? agreedRunId(bootstrap) : in.runId;
  watchdog.arm("start-up (creating the " + backendName + " backend)");
  std::unique_ptr<Backend> backend;
  std::optional<Error> backendError;
  std::optional<TransportSetup> ownSetup;
  const TransportSetup* transport = in.transport;
  try {
    if (backendName != "nccl" && !config.fabric.empty()) {
      throw usageError("--fabric applies to the NCCL backend only");
    }
    if (backendName == "nccl" && !transport) {  // before NCCL reads its environment
      ownSetup = prepareNcclEnvironment(config, ncclLogFolder(runId), processEnvironment());
      transport = &*ownSetup;
    }
    backend = createBackend(backendName, bootstrap,
                            BackendOptions{config.cudaGraph, in.device, config.deviceBuffers,
                                           config.registration});
  } catch (const Error& e) {
    backendError = transport ? fabricInitFailure(e, *transport) : e;
  }
  if (Verdict v = agreeOn(bootstrap, backendError); !v.ok()) return finish(v);
  // The watchdog may abort this backend's communicator; it must not see it once it is gone.
  struct Published {
    LiveRank* live;
    ~Published() {
      if (live) live->backend = nullptr;
    }
  } published{in.live};
  if (in.live) in.live->backend = backend.get();

  if (!config.algorithmProbeFile.empty()) {
    if (!transport) {
      return finish({ExitCode::kInvalidUsage, "--algorithm-probe needs the NCCL backend"});
    }
    watchdog.arm("algorithm probe");
    return finish(runAlgorithmProbe(config, bootstrap, *backend, *transport));
  }

  nlohmann::json transportRecord;
  if (transport && config.transportCheck) {
    watchdog.arm("start-up (probing NCCL's transports)");
    std::optional<Error> mismatch;
    try {
      mismatch = verifyTransport(*backend, *transport, transportRecord);
    } catch (const Error& e) {
      mismatch = e;
    }
    if (Verdict v = agreeOn(bootstrap, mismatch); !v.ok()) return finish(v);
  }

  const std::string where = "rank " + std::to_string(bootstrap.place().rank) + " (host " +
                            bootstrap.place().host + "): ";
  try {
    return finish(runSession(config, bootstrap, *backend,
                             {in.commandLine, in.launcher, runId, transportRecord}, &watchdog));
  } catch (const Error& e) {
    printError(where + e.what());
    bootstrap.abort(code(e.code()));
  } catch (const std::exception& e) {
    printError(where + "internal error: " + e.what());
    bootstrap.abort(code(ExitCode::kInternal));
  }
  return code(ExitCode::kInternal);  // not reached: abort() ends the job
}

int selfLaunchMpi(const RunOptions& options, const char* argv0) {
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
  printError("this cclbench was built without MPI: it cannot start MPI ranks; use --backend nccl "
             "(one thread per GPU) or a build with MPI");
  return code(ExitCode::kNotAvailable);
#endif
}

/// Single-process mode (NCCL, like nccl-tests -g): one thread per rank, no MPI needed.
int runThreads(const RunOptions& options, int ranks, std::vector<std::string> commandLine) {
  const std::optional<Error> noError;
  // Once per process, before any thread calls NCCL: NCCL reads its environment once.
  const std::string runId = newRunId();
  TransportSetup transport;
  try {
    transport = prepareNcclEnvironment(options.config, ncclLogFolder(runId), processEnvironment());
  } catch (const Error& e) {
    printError(e.what());
    return code(e.code());
  }
  auto group = createThreadGroup(ranks);
  std::vector<int> codes(static_cast<std::size_t>(ranks), 0);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      LiveRank live;
      auto watchdog = makeWatchdog(options.config.timeoutSeconds, r, live);
      std::unique_ptr<Bootstrap> bootstrap = createThreadBootstrap(group, r);
      live.bootstrap = bootstrap.get();
      RankInputs in{&options, &noError, commandLine, "threads", r, runId, &transport, &live};
      codes[static_cast<std::size_t>(r)] = runRank(*bootstrap, in, *watchdog);
    });
  }
  for (auto& t : threads) t.join();
  return codes[0];
}

/// Runs the algorithm probe as a process of its own (NCCL reads NCCL_DEBUG_SUBSYS once per
/// process, and the measuring run must not log per call). Returns the probe file, or "" after
/// printing why it failed.
std::string probeAlgorithmsInChild(const RunOptions& options, int ranks, const char* argv0) {
  const std::string file = "results/algorithms-" + newRunId() + ".json";
  std::vector<std::string> command{executablePath(argv0), "run"};
  for (const auto& a : options.argsWithoutNp) {
    if (a != "--capture-algorithms") command.push_back(a);
  }
  command.insert(command.end(), {"--np", std::to_string(ranks), "--algorithm-probe", file,
                                 "--no-db", "--no-jsonl", "--no-progress"});
  const int rc = runLauncher(command, false);
  if (rc != 0) {
    printError("the algorithm probe (a separate untimed process) failed with exit " +
               std::to_string(rc));
    return "";
  }
  return file;
}

#if defined(CCLBENCH_HAVE_MPI)
int runMpiRank(int* argc, char*** argv, const std::vector<std::string>& args,
               const LaunchInfo& launch, const Environment& env) {
  std::optional<Error> parseError;
  RunOptions options;
  try {
    options = parseRunOptions(args, env, launch.rank == 0);
  } catch (const Error& e) {
    parseError = e;
  }
  if (options.helpShown) return 0;

  LiveRank live;
  auto watchdog = makeWatchdog(parseError ? kDefaultTimeoutSeconds : options.config.timeoutSeconds,
                               launch.rank, live);
  watchdog->arm("start-up (MPI_Init)");
  MpiRuntime runtime(argc, argv);
  std::unique_ptr<Bootstrap> bootstrap = createMpiBootstrap();
  live.bootstrap = bootstrap.get();
  RankInputs in{&options,          &parseError, {*argv, *argv + *argc}, name(launch.launcher), -1,
                "",                nullptr,     &live};
  const int rc = runRank(*bootstrap, in, *watchdog);
  live.bootstrap = nullptr;
  return rc;
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
    const std::string backend = resolvedBackend(options.config);
    if (backend == "nccl") {
      const int ranks = options.np.value_or(std::max(1, visibleDevicesForThreads()));
      if (options.config.captureAlgorithms) {
        const std::string probe = probeAlgorithmsInChild(options, ranks, (*argv)[0]);
        if (probe.empty()) return code(ExitCode::kLibraryError);
        options.config.algorithmsFile = probe;
        options.config.captureAlgorithms = false;
      }
      return runThreads(options, ranks, {*argv, *argv + *argc});
    }
    return selfLaunchMpi(options, (*argv)[0]);
  }
#if defined(CCLBENCH_HAVE_MPI)
  return runMpiRank(argc, argv, args, launch, env);
#else
  printError("started by a launcher, but this cclbench was built without MPI");
  return code(ExitCode::kNotAvailable);
#endif
}

}  // namespace cclbench
