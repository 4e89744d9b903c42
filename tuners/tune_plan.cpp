#include "tuners/tune_plan.hpp"

#include <cstdio>
#include <memory>
#include <optional>

#include "core/sizes.hpp"
#include "model/nccl_model.hpp"
#include "tuners/model_runner.hpp"
#include "tuners/search.hpp"
#include "tuners/trial_cost.hpp"

namespace cclbench::tune {
namespace {

/// Counts what a runner that batches per call would launch: one launch per announced round and
/// effort, one per trial asked for alone.
class LaunchCounter final : public TrialRunner {
 public:
  explicit LaunchCounter(TrialRunner& inner, bool perCall) : inner_(inner), perCall_(perCall) {}
  TrialResult run(const TrialRequest& r) override {
    const auto it = std::find(announced_.begin(), announced_.end(), r);
    if (it != announced_.end()) announced_.erase(it);
    else ++launches;
    return inner_.run(r);
  }
  void prefetch(const std::vector<TrialRequest>& requests) override {
    if (!perCall_) return;
    std::vector<Effort> efforts;
    for (const TrialRequest& r : requests) {
      if (std::find(efforts.begin(), efforts.end(), r.effort) == efforts.end()) efforts.push_back(r.effort);
    }
    launches += static_cast<int>(efforts.size());
    announced_.insert(announced_.end(), requests.begin(), requests.end());
  }
  int launches = 0;

 private:
  TrialRunner& inner_;
  bool perCall_;
  std::vector<TrialRequest> announced_;
};

std::string minutes(double seconds) {
  char text[48];
  if (seconds < 120) std::snprintf(text, sizeof text, "%.0f s", seconds);
  else if (seconds < 7200) std::snprintf(text, sizeof text, "%.1f min", seconds / 60);
  else std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
  return text;
}

}  // namespace

void printTunePlan(const TuneOptions& o, const KnobSpace& space, double launchSeconds) {
  const std::vector<uint64_t> sizes = sweepSizes(o.sweep);
  const bool perCall = space.application() == Application::kPerCase;
  std::printf("# cclbench tune --plan: nothing is run\n");
  std::printf("# backend %s, space %s (%s)\n", o.backend.c_str(), space.name().c_str(), space.source().c_str());
  std::printf("# %zu sizes, %s to %s; strategy %s; %d validation launches per side; threshold %.1f%%\n",
              sizes.size(), formatBytes(sizes.front()).c_str(), formatBytes(sizes.back()).c_str(),
              name(o.strategy), o.validationLaunches, 100 * o.threshold);
  std::printf("# candidates are applied %s\n",
              perCall ? "inside one launch (NCCL: per call through the tuner plugin; Open MPI: a "
                        "fresh communicator per candidate): one launch per round of trials"
                      : "per launch: one launch per trial");
  std::optional<model::NcclModel> model;
  if (!o.topology.empty()) model.emplace(model::loadTopology(o.topology, o.nodes));
  double total = 0;
  int launches = 0;
  for (Collective c : o.collectives) {
    const std::size_t all = space.candidates(c).size(), seeds = space.seeds(c).size();
    std::printf("# %s: %zu candidates (exhaustive measures each at every size), %zu seeds for the race\n",
                name(c), all, seeds);
    if (!model) {
      // Without a model the sizes' times are unknown: the size budget per size and candidate is
      // what short iterations cost; a size whose iteration is longer costs about 8 of them.
      const double exhaustive = static_cast<double>(all) * sizes.size() * o.full.sizeBudgetSeconds;
      std::printf("#   measuring roughly %s for exhaustive if iterations are short (%zu x %zu sizes "
                  "x the %.2f s size budget; a size whose iteration takes longer costs about 8 "
                  "iterations); the race measured 11-33%% of exhaustive in this project's tests; "
                  "launches: exhaustive %zu, race about %s\n",
                  minutes(exhaustive).c_str(), all, sizes.size(), o.full.sizeBudgetSeconds,
                  perCall ? std::size_t{2} : all, perCall ? "10 rounds" : "2 per candidate");
      total += (o.strategy == Strategy::kExhaustive ? 1.0 : 0.33) * exhaustive;
      launches += perCall ? (o.strategy == Strategy::kExhaustive ? 2 : 10)
                          : static_cast<int>(o.strategy == Strategy::kExhaustive ? all : 2 * all);
      continue;
    }
    const model::SimulatedNccl truth(*model, o.modelSeed);
    ModelRunner inner(truth, o.modelSeed);
    LaunchCounter counter(inner, perCall);
    SearchOptions so;
    so.strategy = o.strategy;
    so.full = o.full;
    so.threshold = o.threshold;
    const SearchOutcome out = search(space, counter, c, sizes, so);
    std::printf("#   dry run on the model: %d trials in %d launch(es), %s of measuring\n", out.trials,
                counter.launches, minutes(out.trialSeconds).c_str());
    total += out.trialSeconds;
    launches += counter.launches;
    // Validation: every size of the collective, full effort, each side.
    double validation = 0;
    for (uint64_t s : sizes) {
      const double op = truth.defaultUs(c, s) * 1e-6;
      validation += measurementSeconds(s, op, o.full, 5);
    }
    total += 2 * o.validationLaunches * validation;
  }
  if (o.backend == "nccl" && perCall) {
    // Each trial launch is preceded by its untimed algorithm probe (one call per case): a
    // start-up more, next to nothing measured.
    std::printf("# each of the %d search launch(es) is preceded by an untimed algorithm probe "
                "launch (what NCCL ran per candidate): %d more start-ups\n",
                launches, launches);
    launches *= 2;
  }
  launches += 2 * o.validationLaunches;
  std::printf("# validation: %d launches (the default and the tuned config, interleaved)\n",
              2 * o.validationLaunches);
  if (model) {
    std::printf("# estimate from the model of %s (MODELLED, docs/model.md): measuring %s\n",
                describe(model->topology()).c_str(), minutes(total).c_str());
  } else {
    std::printf("# rough estimate without a topology (the sizes' times are unknown; with "
                "--backend nccl, --topology gives a dry run on the model): measuring about %s\n",
                minutes(total).c_str());
  }
  if (launchSeconds > 0) {
    std::printf("# launches: about %d x %.3g s start-up (--launch-seconds: what starting a job and "
                "its communicator takes on this cluster) = %s\n",
                launches, launchSeconds, minutes(launches * launchSeconds).c_str());
  }
  std::printf("# estimated wall time: %s\n", minutes(total + launches * launchSeconds).c_str());
}

}  // namespace cclbench::tune
