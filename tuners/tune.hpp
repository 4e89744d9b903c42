#pragma once
/// `cclbench tune`: search a backend's knob space per collective and size, decide where a
/// candidate beats the default, validate the emitted configuration against the default in
/// interleaved launches, and write what held up (tune.json, the library's config, a summary).
/// cli/ parses into TuneOptions; everything else is here.

#include <optional>
#include <string>
#include <vector>

#include "core/run_config.hpp"
#include "tuners/search.hpp"

namespace cclbench::tune {

struct TuneOptions {
  std::vector<Collective> collectives{Collective::kAllReduce, Collective::kAllGather,
                                      Collective::kReduceScatter};
  std::string backend = "mpi";
  SweepSpec sweep{8, 256u << 20, 2.0, 0, {}};
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;
  Placement placement = Placement::kOutOfPlace;
  std::optional<int> np;
  std::vector<std::string> hosts;
  std::string hostfile;
  Strategy strategy = Strategy::kRace;
  /// --apply: Open MPI's candidates per communicator inside a launch (nullopt: the default) or
  /// per launch.
  std::optional<Application> openMpiApplication;
  double budgetSeconds = 0;
  double threshold = 0.03;
  std::string folder;  ///< "" = results/tune-<time>/
  std::string database;
  bool writeDatabase = true;
  int validationLaunches = 3;  ///< per side (default and tuned), interleaved
  double timeoutSeconds = 120;
  Effort full;                 ///< the effort of exhaustive trials and the race's last round
  // --backend model (model_tune.cpp)
  std::string topology;        ///< a preset name or a TOML file
  int nodes = 0;               ///< overrides the topology's node count when > 0
  uint64_t modelSeed = 1;      ///< the deviation field's and the noise's seed
  std::string processKnobs;    ///< --process-knobs NTHREADS,BUFFSIZE,... (NCCL; process_knobs.hpp)
  bool plan = false;           ///< --plan: print what would run and its estimated time, run nothing
  double launchSeconds = 0;    ///< --launch-seconds: start-up of one launch for --plan (0: default)
};

/// Runs the tune and prints its summary; returns the exit code (0 also when the defaults win;
/// 6 bad options or started as a rank of a launcher; 128 + N when a signal ended it).
int runTune(const TuneOptions& options, const std::string& executable);

/// Checks the options that can be checked before anything runs; throws Error(kInvalidUsage).
void validateTuneOptions(const TuneOptions& options);

/// `tune --backend model`: the same search, decisions, validation and NCCL emitters against the
/// model's simulated NCCL for a described topology (model_tune.cpp). Everything it writes is
/// labelled modelled; nothing reaches the results database.
int runModelTune(const TuneOptions& options, const std::string& executable);

}  // namespace cclbench::tune
