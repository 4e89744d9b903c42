#pragma once
/// Trials against the model's simulated NCCL (`tune --backend model`): a candidate's "true" time
/// is NCCL's estimate times the seeded deviation field (model/nccl_model.hpp), each batch drawn
/// with a seeded 2% log-normal noise, and a trial costs what the engine would spend measuring it
/// in one communicator with forcing (no launch per trial: trial_cost.hpp's per-size cost and a
/// millisecond to switch the candidate). Everything it returns is modelled; run ids start with
/// "model-" and nothing reaches the results database.

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "model/nccl_model.hpp"
#include "tuner_rules.h"
#include "tuners/decide.hpp"
#include "tuners/trial_cost.hpp"
#include "tuners/trials.hpp"

namespace cclbench::tune {

class ModelRunner final : public TrialRunner {
 public:
  ModelRunner(const model::SimulatedNccl& truth, uint64_t noiseSeed, double noise = 0.02);

  TrialResult run(const TrialRequest& request) override;
  /// A round is one communicator's run of every trial in it: what --stop-outpaced compares.
  void prefetch(const std::vector<TrialRequest>& requests) override { outpacing_.announce(requests); }

  /// One modelled validation launch of every collective at every size: NCCL's own choices, or
  /// (tuned) what the plugin config `rules` forces, looked up with the plugin's own code.
  LaunchMeasurement validationLaunch(bool tuned, const cclt_table* rules,
                                     const std::vector<Collective>& collectives,
                                     const std::vector<uint64_t>& sizes, const Effort& effort);

  /// The truth of a candidate (knobs algorithm, protocol, channels; empty: NCCL's own pick).
  double trueUs(Collective c, const Candidate& candidate, uint64_t bytes) const;
  /// The truth of what the config `rules` makes NCCL run (NCCL's own pick where no rule matches).
  double trueUsUnder(const cclt_table* rules, Collective c, uint64_t bytes) const;

  const std::vector<std::string>& runIds() const { return runIds_; }

 private:
  std::vector<double> batches(const Effort& effort, double trueUs, double* seconds, uint64_t bytes,
                              double outpacedAboveUs = std::numeric_limits<double>::infinity());
  std::string nextRunId();

  const model::SimulatedNccl& truth_;
  double noise_;
  std::mt19937_64 rng_;
  std::vector<std::string> runIds_;
  Outpacing outpacing_;
};

}  // namespace cclbench::tune
