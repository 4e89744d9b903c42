#pragma once
/// Trials as real measurements: every trial and validation run is a `cclbench run` launch of
/// this binary (through mpirun as `run` self-launches, with hosts when given, or srun inside a
/// Slurm allocation), its candidate applied the way the space says (MCA values reach mpirun and
/// srun tasks as OMPI_MCA_* variables), its records in a JSON Lines file of the tune's folder
/// and in the results database, tagged `tuning`, labelled `tune=<id>`, the candidate in every
/// record.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/record.hpp"
#include "core/redop.hpp"
#include "core/run_config.hpp"
#include "tuners/decide.hpp"
#include "tuners/trials.hpp"

namespace cclbench::tune {

/// Where and how the ranks of every launch run.
struct RankPlacement {
  std::optional<int> np;           ///< --np (default: what `run` picks; the allocation's under srun)
  std::vector<std::string> hosts;  ///< --hosts
  std::string hostfile;            ///< --hostfile
  bool srun = false;               ///< inside a Slurm allocation: srun --mpi=pmix
};

struct RunnerOptions {
  std::string executable;  ///< this cclbench
  std::string folder;      ///< the tune's folder: launches/<n>-<what>.jsonl and .log
  std::string tuneId;
  RankPlacement placement;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;
  cclbench::Placement place = cclbench::Placement::kOutOfPlace;
  double timeoutSeconds = 120;   ///< -T of every launch
  std::string database;          ///< --db ("" = the default one)
  bool writeDatabase = true;
  std::string backend;           ///< --backend of every launch ("" = run's default)
  std::map<std::string, std::string> environment;  ///< for every launch (NCCL_TUNER_PLUGIN ...)
};

/// A launch was ended by a signal the user sent: the tune stops, writing no config.
struct Interrupted : std::runtime_error {
  explicit Interrupted(int signal)
      : std::runtime_error("interrupted by signal " + std::to_string(signal)), signal(signal) {}
  int signal;
};

class LaunchRunner final : public TrialRunner {
 public:
  LaunchRunner(const KnobSpace& space, RunnerOptions options);

  /// One trial: the candidate's launch, measuring the collective at the request's sizes; for a
  /// space that switches candidates per call, the answer prefetch() got, if it got one.
  TrialResult run(const TrialRequest& request) override;

  /// Where the space switches candidates inside a launch (NCCL's plugin, Open MPI's coll/tuned
  /// variables): the round's trials of one effort in one launch (`run --candidates`); a candidate
  /// NCCL did not honour fails. When the launch fails, nothing is kept and run() launches each
  /// trial alone, so the candidate at fault is found. Throws Error(kNotAvailable) when a launch
  /// exits 5 (no GPU, NCCL did not load the plugin, an MPI without coll/tuned's variables ...):
  /// nothing could be tuned.
  void prefetch(const std::vector<TrialRequest>& requests) override;

  /// One validation launch: every collective at every size, with the given settings (the
  /// emitted configuration, or none for the default). Throws Error when the launch fails.
  LaunchMeasurement validationLaunch(bool tuned, const LaunchSettings& settings,
                                     const std::vector<Collective>& collectives,
                                     const std::vector<uint64_t>& sizes, const Effort& effort);

  /// One launch measuring every collective at every size with `settings`, its records stamped
  /// with `label` as the candidate; `tuned` marks the side it stands for. Throws Error when the
  /// launch fails.
  LaunchMeasurement measureLaunch(bool tuned, const std::string& purpose,
                                  const std::map<std::string, std::string>& label,
                                  const LaunchSettings& settings,
                                  const std::vector<Collective>& collectives,
                                  const std::vector<uint64_t>& sizes, const Effort& effort);

  /// The ids of every run launched so far.
  const std::vector<std::string>& runIds() const { return runIds_; }
  /// The run header of the first launch that wrote one (ranks, topology, libraries).
  const std::optional<RunHeader>& firstHeader() const { return firstHeader_; }

 private:
  struct Launched {
    int status = 0;
    std::string failure;
    double seconds = 0;
    std::string runId;
    std::vector<CaseRecord> cases;
  };
  Launched launch(const std::vector<Collective>& collectives, const std::vector<uint64_t>& sizes,
                  const LaunchSettings& settings,
                  const std::map<std::string, std::string>& candidate, const Effort& effort,
                  const std::string& purpose, const std::vector<TrialRequest>& perCall = {});
  /// A per-call launch of `requests` (one effort): whether it ran, and one answer per request.
  std::pair<bool, std::vector<TrialResult>> launchPerCall(const std::vector<TrialRequest>& requests);

  const KnobSpace& space_;
  RunnerOptions options_;
  int launches_ = 0;
  std::vector<std::string> runIds_;
  std::optional<RunHeader> firstHeader_;
  std::vector<std::pair<TrialRequest, TrialResult>> prefetched_;
  double unchargedSeconds_ = 0;  ///< a failed batch's time, charged to the next trial
};

}  // namespace cclbench::tune
