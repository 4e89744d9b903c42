#pragma once
/// Everything one `cclbench run` was asked for, typed: what is measured (core's RunConfig), the
/// backend's settings, NCCL session settings, the outputs, and how ranks are started. cli/ fills
/// it from the command line; validateRunOptions() is the one place its rules are checked; nothing
/// changes it afterwards.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backends/registry.hpp"
#include "core/run_config.hpp"
#include "launch/launch_env.hpp"

namespace cclbench {

/// Self-launched local ranks allowed per core: more measures the scheduler, not the library.
inline constexpr unsigned kMaxLocalRanksPerCore = 8;

/// NCCL runs: path forcing and verification, and NCCL's algorithm choices.
struct NcclSessionSettings {
  bool transportCheck = true;       ///< INFO log + start-up probe to record transports
  std::string algorithmProbeFile;   ///< time nothing; one call per case, write NCCL's choices
  std::string algorithmsFile;       ///< attach the choices of an earlier probe to the records
  bool captureAlgorithms = false;   ///< single-process: run the probe first, automatically
};

/// One sink of the run's records, chosen by name from the reporter table (session/reporters).
struct ReporterSpec {
  std::string name;    ///< console, jsonl, csv, store
  std::string target;  ///< file or database path ("" = the sink's default)
};

/// Where the records go (rank 0 only; not part of the configuration hash).
struct OutputSettings {
  std::vector<ReporterSpec> reporters;  ///< console first; in the order given
  std::vector<std::string> tags;        ///< nightly, acceptance, tuning ...
  std::vector<std::pair<std::string, std::string>> labels;  ///< free-form key=value
  bool progress = true;  ///< a progress line where the user's terminal can show it
};

struct RunOptions {
  RunConfig config;
  BackendSettings backend;
  NcclSessionSettings nccl;
  OutputSettings outputs;
  MpiThreadLevel mpiThread = MpiThreadLevel::kSingle;  ///< what MPI_Init_thread asks for
  std::optional<int> np;                   ///< --np: ranks to self-launch (outside a launcher)
  std::vector<std::string> hosts;          ///< --hosts: where self-launched ranks run
  std::string hostfile;                    ///< --hostfile: the same from a file
  bool helpShown = false;                  ///< --help was asked for and printed
  std::vector<std::string> argsWithoutNp;  ///< what each self-launched rank gets
};

/// How the ranks of this run exist.
enum class RankMode {
  kSelfLaunch,   ///< no launcher: this process starts them (mpirun, or threads for NCCL)
  kThreads,      ///< ranks are threads of this process (single-process NCCL)
  kLaunched,     ///< this process is one rank under mpirun, srun or another launcher
};

/// The one validation pass: every rule over the typed options, with the backend resolved (auto ->
/// nccl or mpi) and knowing how ranks exist. Throws Error(kInvalidUsage) with one line.
void validateRunOptions(const RunOptions& options, const std::string& backend, RankMode mode);

/// The run header's `config`: the measurement plus the backend's and NCCL's settings. Ranks
/// compare its hash at start-up.
nlohmann::json configJson(const RunOptions& options);

}  // namespace cclbench
