#include "session/run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "backends/registry.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_text.hpp"
#include "core/subprocess.hpp"
#include "engine/heartbeat.hpp"
#include "engine/watchdog.hpp"
#include "launch/launch_env.hpp"
#include "launch/self_launch.hpp"
#include "launch/thread_bootstrap.hpp"
#include "session/agreement.hpp"
#include "session/algorithm_probe.hpp"
#include "session/interruption.hpp"
#include "session/provenance.hpp"
#include "session/rank_session.hpp"
#include "session/transport_check.hpp"

#if defined(CCLBENCH_HAVE_MPI)
#include "launch/mpi_bootstrap.hpp"
#include "inspect/fabric_backends.hpp"
#endif

namespace cclbench {
namespace {

constexpr double kDefaultTimeoutSeconds = 300;

int code(ExitCode c) { return static_cast<int>(c); }

void printError(const std::string& message) {
  std::fprintf(stderr, "cclbench: error: %s\n", message.c_str());
  std::fflush(stderr);
}


/// Ranks to start when --np is absent: the cores of this host, at least 2 and at most 8.
int defaultLocalRanks() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(static_cast<int>(cores), 2, 8);
}

/// Ranks a --hosts list holds: one per host, or the count after a colon ("a:2").
int slotsOf(const std::vector<std::string>& hosts) {
  int slots = 0;
  for (const std::string& h : hosts) {
    const auto colon = h.rfind(':');
    slots += colon == std::string::npos ? 1 : std::max(1, std::atoi(h.c_str() + colon + 1));
  }
  return slots;
}

/// What one rank needs besides its bootstrap.
struct RankInputs {
  const RunOptions* options;                ///< null when this rank's arguments did not parse
  const std::optional<Error>* optionsError; ///< why they did not parse or validate
  std::string backend;                      ///< resolved (auto -> nccl or mpi)
  std::vector<std::string> commandLine;
  std::string launcher;
  std::string launcherInterface;
  int device = -1;
  std::string runId;                          ///< empty: rank 0's, agreed
  const TransportSetup* transport = nullptr;  ///< prepared by the process (thread mode)
  std::string algorithmsFile;                 ///< an earlier probe's choices, if any
  std::string mpiThreadRequested, mpiThreadProvided;
  bool progress = false;
  LiveRank* live = nullptr;
};

/// The NCCL log folder of a run.
std::string ncclLogFolder(const std::string& runId) { return "results/" + runId + "/nccl"; }

/// Collective: rank 0's run id (the one its parent chose, when self-launched) for everyone.
std::string agreedRunId(Bootstrap& bootstrap) {
  char id[64] = {};
  if (bootstrap.place().rank == 0) {
    const char* given = std::getenv("CCLBENCH_RUN_ID");
    const std::string mine = given && *given ? given : newRunId();
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

/// A fabric this host cannot have at all (no InfiniBand port for ib): exit 9 before the library
/// tries, with this rank and host.
std::optional<Error> fabricMissing(const std::string& fabric, const ProcessPlace& place) {
  const std::optional<Fabric> f = parseFabric(fabric);
  if (!f) return std::nullopt;
  const std::string missing = fabricMissingOnHost(*f);
  if (missing.empty()) return std::nullopt;
  return Error(ExitCode::kFabricMismatch, std::string("fabric mismatch: asked ") + name(*f) +
                                              ", and rank " + std::to_string(place.rank) +
                                              " (host " + place.host + "): " + missing);
}

/// The peers a rank connects to before measuring so the library reports its transports: the ring
/// neighbours and the point-to-point pair (each rank's list mirrors its peers' lists).
std::vector<int> reportPeers(const ProcessPlace& place, const RunConfig& config) {
  std::vector<int> peers;
  if (place.size < 2) return peers;
  if (config.allPairs) {  // every other rank is a partner in some round
    for (int r = 0; r < place.size; ++r) {
      if (r != place.rank) peers.push_back(r);
    }
    return peers;
  }
  peers.push_back((place.rank + 1) % place.size);
  peers.push_back((place.rank + place.size - 1) % place.size);
  if (place.rank == config.peerA && config.peerB < place.size) peers.push_back(config.peerB);
  if (place.rank == config.peerB && config.peerA < place.size) peers.push_back(config.peerA);
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  std::erase(peers, place.rank);
  return peers;
}

/// Open MPI reads its MCA environment in MPI_Init: a fabric's components go into this process's
/// environment first (the user's own values win, and the run header shows them), unless this host
/// cannot have the fabric at all (the ranks then agree on exit 9 once they can talk).
void applyMpiFabric(const std::string& fabric) {
  const std::optional<Fabric> f = fabric.empty() ? std::nullopt : parseFabric(fabric);
  if (!f || !fabricMissingOnHost(*f).empty()) return;
  const std::optional<MpiFabric> settings = mpiFabric(*f);
  if (!settings) return;
  for (const auto& [variable, value] : settings->variables) {
    setenv(variable.c_str(), value.c_str(), 0);
  }
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

/// The watchdog of one rank: on a hang it reports rank, host and step, lets rank 0 write the
/// run's end, releases the library's resources and ends this process with exit 4. It never calls
/// MPI (ranks measure below MPI_THREAD_MULTIPLE): the launcher sees the exit and ends the job.
std::unique_ptr<Watchdog> makeWatchdog(double timeout, int rank, LiveRank& live) {
  auto self = std::make_shared<Watchdog*>(nullptr);  // the handler asks its watchdog who is silent
  auto watchdog = std::make_unique<Watchdog>(
      timeout, 0.2 * std::min(rank, 15), [rank, &live, self](const std::string& activity, double s) {
        const std::string host = hostName();
        std::string who = "the rank that stopped answering is unknown (not on this host)";
        const Heartbeat* heartbeat = *self ? (*self)->heartbeat() : nullptr;
        if (!heartbeat) {
          who = "which rank stopped answering is unknown";
        } else if (const auto silent = heartbeat->silent(std::max(0.5, s / 2)); !silent.empty()) {
          char text[160];
          std::snprintf(text, sizeof text,
                        "rank %d (host %s) stopped answering: its process has not run for %.1f s",
                        silent.front().rank, host.c_str(), silent.front().seconds);
          who = text;
          if (silent.size() > 1) who += " (and " + std::to_string(silent.size() - 1) + " more)";
        }
        char text[768];
        std::snprintf(text, sizeof text,
                      "timeout: rank %d (host %s): %s did not finish within %g s; %s; aborting the job",
                      rank, host.c_str(), activity.c_str(), s, who.c_str());
        printError(text);
        live.endEarly("incomplete", code(ExitCode::kTimeout), text + std::strlen("timeout: "));
        std::_Exit(code(ExitCode::kTimeout));
      });
  *self = watchdog.get();
  return watchdog;
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
  if (Verdict v = agreeOn(bootstrap, *in.optionsError); !v.ok()) return finish(v);
  const RunOptions& options = *in.options;
  const uint64_t hash = fnv1a(jsonText(configJson(options)));
  if (Verdict v = agreeOn(bootstrap, compareWithRankZero(bootstrap, hash)); !v.ok()) {
    return finish(v);
  }

  const std::string runId = in.runId.empty() ? agreedRunId(bootstrap) : in.runId;
  // Signs of life for the other ranks of this host, so a timeout can name the rank that
  // stopped (processes only: threads stop together).
  const ProcessPlace& place = bootstrap.place();
  std::unique_ptr<Heartbeat> heartbeat;
  if (in.launcher != "threads") heartbeat = Heartbeat::open(runId, place.localRank, place.rank);
  struct Detach {
    Watchdog& w;
    ~Detach() { w.attach(nullptr); }
  } detach{watchdog};
  watchdog.attach(heartbeat.get());
  bootstrap.barrier();  // every local rank has the segment open: its name can go
  if (heartbeat && place.localRank == 0) heartbeat->unlinkName();
  watchdog.arm("start-up (creating the " + in.backend + " backend)");
  std::unique_ptr<Backend> backend;
  std::optional<Error> backendError;
  std::optional<TransportSetup> ownSetup;
  const TransportSetup* transport = in.transport;
  try {
    if (in.backend == "nccl" && !transport) {  // before NCCL reads its environment
      ownSetup = prepareNcclEnvironment(options.backend.fabric, options.nccl, ncclLogFolder(runId), processEnvironment());
      transport = &*ownSetup;
    }
    if (auto missing = fabricMissing(options.backend.fabric, bootstrap.place())) throw *missing;
    backend = createBackend(in.backend, bootstrap, options.backend, in.device);
  } catch (const Error& e) {
    backendError = transport ? fabricInitFailure(e, *transport) : e;
  }
  if (Verdict v = agreeOn(bootstrap, backendError); !v.ok()) return finish(v);
  LiveRank::Published published(in.live, backend.get());

  if (!options.nccl.algorithmProbeFile.empty()) {
    watchdog.arm("algorithm probe");
    return finish(runAlgorithmProbe(options.config, options.nccl.algorithmProbeFile, bootstrap,
                                    *backend, *transport));
  }

  nlohmann::json transportRecord;
  if (transport && options.nccl.transportCheck) {
    watchdog.arm("start-up (probing NCCL's transports)");
    std::optional<Error> mismatch;
    try {
      mismatch = verifyTransport(*backend, *transport, transportRecord);
    } catch (const Error& e) {
      mismatch = e;
    }
    if (Verdict v = agreeOn(bootstrap, mismatch); !v.ok()) return finish(v);
  } else if (!transport && options.nccl.transportCheck) {
    watchdog.arm("start-up (connecting to peers, reading back " + in.backend + "'s transports)");
    std::optional<Error> mismatch;
    try {
      transportRecord = backend->connectAndReport(reportPeers(bootstrap.place(), options.config));
    } catch (const Error& e) {
      mismatch = e;
    }
    if (Verdict v = agreeOn(bootstrap, mismatch); !v.ok()) return finish(v);
  }

  const std::string where = "rank " + std::to_string(bootstrap.place().rank) + " (host " +
                            bootstrap.place().host + "): ";
  SessionContext context{in.commandLine, in.launcher, in.launcherInterface, runId,
                         transportRecord, in.algorithmsFile, in.mpiThreadRequested,
                         in.mpiThreadProvided, in.progress, in.live};
  try {
    return finish(runSession(options, bootstrap, *backend, context, &watchdog));
  } catch (const Error& e) {
    printError(where + e.what());
    if (in.live) in.live->endEarly("incomplete", code(e.code()), where + e.what());
    bootstrap.abort(code(e.code()));
  } catch (const std::exception& e) {
    printError(where + "internal error: " + e.what());
    if (in.live) in.live->endEarly("incomplete", code(ExitCode::kInternal), where + e.what());
    bootstrap.abort(code(ExitCode::kInternal));
  }
  return code(ExitCode::kInternal);  // not reached: abort() ends the job
}

/// Outside any launcher, MPI backend: start the ranks through mpirun and pass their verdict on.
int selfLaunchMpi(const RunOptions& options, const Environment& env, const char* argv0) {
#if defined(CCLBENCH_HAVE_MPI)
  checkLauncherTmpdir();
  SelfLaunchRequest request;
  request.mpirun = findMpirun();
  request.ranks = options.np.value_or(options.hosts.empty() ? defaultLocalRanks()
                                                            : slotsOf(options.hosts));
  request.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  request.runningAsRoot = geteuid() == 0;
  request.executable = selfExecutable(argv0);
  request.args = {"run"};
  request.args.insert(request.args.end(), options.argsWithoutNp.begin(),
                      options.argsWithoutNp.end());
  request.hosts = options.hosts;
  // mpirun reads a hostfile several times: a pipe (--hostfile <(...)) gets a regular copy.
  std::optional<RereadableFile> hostfile;
  if (!options.hostfile.empty()) hostfile.emplace(options.hostfile);
  request.hostfile = hostfile ? hostfile->path() : "";
  const bool local = request.hosts.empty() && request.hostfile.empty();
  request.exports = forwardedToRanks(env);  // NCCL_* and the tuner config reach other hosts
  if (local && request.ranks > request.cores && !env.count("OMPI_MCA_mpi_yield_when_idle")) {
    request.yieldWhenIdle = true;
    request.exports["CCLBENCH_SET_YIELD_WHEN_IDLE"] = "1";  // so the header says who set it
  }
  const std::string runId = newRunId();
  request.exports["CCLBENCH_RUN_ID"] = runId;
  if (progressTerminal(env)) request.exports["CCLBENCH_PROGRESS"] = "1";
  const LaunchOutcome outcome = runLauncher(mpirunCommand(request));
  // mpirun failing (or killed) before any rank said why is the MPI runtime's failure (exit 3),
  // said in one line by runLauncher; an exit the ranks agreed on is passed on as it is.
  if (!outcome.signal && outcome.status != 0 && !outcome.spoke) return code(ExitCode::kLibraryError);
  if (!outcome.signal) return outcome.status;
  finishInterruptedRun(options, runId, outcome.signal);
  return 128 + outcome.signal;
#else
  (void)options;
  (void)env;
  (void)argv0;
  printError("this cclbench was built without MPI: it cannot start MPI ranks; use --backend nccl "
             "(one thread per GPU) or a build with MPI");
  return code(ExitCode::kNotAvailable);
#endif
}

/// Runs the algorithm probe as a process of its own (NCCL reads NCCL_DEBUG_SUBSYS once per
/// process, and the measuring run must not log per call). Returns the probe file, or "" after
/// printing why it failed.
std::string probeAlgorithmsInChild(const RunOptions& options, int ranks, const char* argv0) {
  const std::string file = "results/algorithms-" + newRunId() + ".json";
  std::vector<std::string> command{selfExecutable(argv0), "run"};
  for (const auto& a : options.argsWithoutNp) {
    if (a != "--capture-algorithms") command.push_back(a);
  }
  command.insert(command.end(), {"--np", std::to_string(ranks), "--algorithm-probe", file,
                                 "--no-db", "--no-jsonl", "--no-progress"});
  const LaunchOutcome outcome = runLauncher(command);
  if (outcome.status != 0) {
    printError("the algorithm probe (a separate untimed process) failed with exit " +
               std::to_string(outcome.status));
    return "";
  }
  return file;
}

/// Single-process mode (NCCL, like nccl-tests -g): one thread per rank, no MPI needed.
int runThreads(const RunOptions& options, const std::vector<std::string>& commandLine,
               const char* argv0) {
  const int ranks = options.np.value_or(std::max(1, visibleDevicesForThreads()));
  std::string algorithmsFile = options.nccl.algorithmsFile;
  if (options.nccl.captureAlgorithms) {
    algorithmsFile = probeAlgorithmsInChild(options, ranks, argv0);
    if (algorithmsFile.empty()) return code(ExitCode::kLibraryError);
  }
  const std::optional<Error> noError;
  // Once per process, before any thread calls NCCL: NCCL reads its environment once.
  const std::string runId = newRunId();
  TransportSetup transport;
  try {
    transport = prepareNcclEnvironment(options.backend.fabric, options.nccl, ncclLogFolder(runId), processEnvironment());
  } catch (const Error& e) {
    printError(e.what());
    return code(e.code());
  }
  const bool progress = progressTerminal(processEnvironment());
  auto group = createThreadGroup(ranks);
  std::vector<int> codes(static_cast<std::size_t>(ranks), 0);
  std::vector<std::thread> threads;
  LiveRank live;  // rank 0's: the process ends as one
  InterruptWatch interrupts(live, true);
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      LiveRank own;
      LiveRank& mine = r == 0 ? live : own;
      auto watchdog = makeWatchdog(options.config.timeoutSeconds, r, mine);
      std::unique_ptr<Bootstrap> bootstrap = createThreadBootstrap(group, r);
      mine.bootstrap = bootstrap.get();
      RankInputs in{&options, &noError, "nccl", commandLine, "threads", "", r, runId,
                    &transport, algorithmsFile, "", "", progress, &mine};
      codes[static_cast<std::size_t>(r)] = runRank(*bootstrap, in, *watchdog);
    });
  }
  for (auto& t : threads) t.join();
  return codes[0];
}

#if defined(CCLBENCH_HAVE_MPI)
/// This process is one rank under mpirun or srun.
int runMpiRank(int* argc, char*** argv, const RunOptionsParser& parse, const LaunchInfo& launch,
               const Environment& env) {
  std::optional<Error> optionsError;
  RunOptions options;
  std::string backend;
  try {
    options = parse(env, launch.rank == 0);
    if (options.helpShown) return 0;
    backend = resolveBackend(options.backend.name);
    validateRunOptions(options, backend, RankMode::kLaunched);
  } catch (const Error& e) {
    optionsError = e;
  }

  LiveRank live;
  auto watchdog = makeWatchdog(optionsError ? kDefaultTimeoutSeconds : options.config.timeoutSeconds,
                               launch.rank, live);
  watchdog->arm("start-up (MPI_Init)");
  if (!optionsError && backend == "mpi") {
    applyMpiFabric(options.backend.fabric);
    // Candidates forced per communicator need coll/tuned's dynamic rules from MPI_Init on (the
    // only coll/tuned switch Open MPI does not let MPI_T change later); the user's value wins.
    if (!options.config.candidateSweeps.empty()) {
      setenv("OMPI_MCA_coll_tuned_use_dynamic_rules", "1", 0);
    }
  }
  MpiRuntime runtime(argc, argv, options.mpiThread);
  // Declared after the runtime, so MPI_Finalize runs with the default handlers: a launcher ending
  // a rank that is only finalizing is no interruption of the run.
  InterruptWatch interrupts(live, launch.rank == 0 && !env.count("CCLBENCH_SELF_LAUNCHED"));
  std::unique_ptr<Bootstrap> bootstrap = createMpiBootstrap();
  live.bootstrap = bootstrap.get();
  const bool progress = launch.rank == 0 && progressTerminal(env);
  RankInputs in{&options,
                &optionsError,
                backend,
                {*argv, *argv + *argc},
                name(launch.launcher),
                launcherInterface(env),
                -1,
                "",
                nullptr,
                options.nccl.algorithmsFile,
                name(runtime.requested()),
                name(runtime.provided()),
                progress,
                &live};
  const int rc = runRank(*bootstrap, in, *watchdog);
  live.bootstrap = nullptr;
  return rc;
}
#endif

bool terminal(int fd) { return fd >= 0 && isatty(fd); }

}  // namespace

bool progressTerminal(const Environment& env) {
  if (const auto it = env.find("CCLBENCH_PROGRESS"); it != env.end()) return it->second == "1";
  if (terminal(STDERR_FILENO)) return true;
  // A rank of a launcher on this host: the launcher's stderr is what the user looks at.
  const std::string parent = "/proc/" + std::to_string(getppid()) + "/fd/2";
  const int fd = open(parent.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  const bool yes = terminal(fd);
  if (fd >= 0) close(fd);
  return yes;
}

int runMeasurement(int* argc, char*** argv, const RunOptionsParser& parse) {
  const Environment env = processEnvironment();
  const LaunchInfo launch = detectLaunch(env);
  const bool selfLaunched = env.count("CCLBENCH_SELF_LAUNCHED") > 0;

  if (srunWithoutPmi(env)) {
    // Open MPI would print a page about missing PMI support once per rank, then exit 1.
    if (intVariable(env, "SLURM_PROCID").value_or(0) == 0) {
      printError("started by srun without a process-management interface: Open MPI ranks need "
                 "`srun --mpi=pmix ...` (or MpiDefault=pmix in slurm.conf)");
    }
    return code(ExitCode::kInvalidUsage);
  }

  if (launch.launcher == Launcher::kNone && !selfLaunched) {
    RunOptions options;
    std::string backend;
    try {
      options = parse(env, true);
      if (options.helpShown) return 0;
      backend = resolveBackend(options.backend.name);
      validateRunOptions(options, backend,
                         backend == "nccl" ? RankMode::kThreads : RankMode::kSelfLaunch);
    } catch (const Error& e) {
      printError(e.what());
      return code(e.code());
    }
    if (backend == "nccl") return runThreads(options, {*argv, *argv + *argc}, (*argv)[0]);
    return selfLaunchMpi(options, env, (*argv)[0]);
  }
#if defined(CCLBENCH_HAVE_MPI)
  return runMpiRank(argc, argv, parse, launch, env);
#else
  printError("started by a launcher, but this cclbench was built without MPI");
  return code(ExitCode::kNotAvailable);
#endif
}

}  // namespace cclbench
