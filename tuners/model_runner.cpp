#include "tuners/model_runner.hpp"

#include <cmath>

#include "core/error.hpp"
#include "tuners/trial_cost.hpp"

namespace cclbench::tune {
namespace {

constexpr double kSwitchSeconds = 0.001;  ///< setting the forcing control, one warm-up call

int availableInModel(const void* env, int algorithm, int protocol) {
  const auto* ctx = static_cast<const std::pair<const model::NcclModel*, Collective>*>(env);
  return ctx->first->available(ctx->second, algorithm, protocol) ? 1 : 0;
}

}  // namespace

ModelRunner::ModelRunner(const model::SimulatedNccl& truth, uint64_t noiseSeed, double noise)
    : truth_(truth), noise_(noise), rng_(noiseSeed) {}

double ModelRunner::trueUs(Collective c, const Candidate& candidate, uint64_t bytes) const {
  if (candidate.isDefault()) return truth_.defaultUs(c, bytes);
  const auto a = model::parseAlgorithm(candidate.knobs.at("algorithm"));
  const auto p = model::parseProtocol(candidate.knobs.at("protocol"));
  if (!a || !p) throw Error(ExitCode::kInternal, "the model has no pair " + candidate.knobs.at("algorithm"));
  const auto ch = candidate.knobs.find("channels");
  return truth_.trueUs(c, *a, *p, ch == candidate.knobs.end() ? 0 : std::stoi(ch->second), bytes);
}

double ModelRunner::trueUsUnder(const cclt_table* rules, Collective c, uint64_t bytes) const {
  const auto f = model::ncclFunction(c);
  if (!rules || !f) return truth_.defaultUs(c, bytes);
  const std::pair<const model::NcclModel*, Collective> env{&truth_.model(), c};
  const cclt_rule* r = cclt_lookup(rules, *f, bytes, 1, 0, availableInModel, &env);
  if (!r) return truth_.defaultUs(c, bytes);
  return truth_.trueUs(c, r->algorithm, r->protocol, r->channels > 0 ? r->channels : 0, bytes);
}

std::vector<double> ModelRunner::batches(const Effort& effort, double trueUs, double* seconds,
                                         uint64_t bytes, double outpacedAboveUs) {
  std::normal_distribution<double> gauss(0, noise_);
  std::vector<double> samples = engineBatches(
      effort, trueUs * 1e-6, [&] { return trueUs * std::exp(gauss(rng_)); }, outpacedAboveUs);
  *seconds += measurementSeconds(bytes, trueUs * 1e-6, effort, samples.size());
  return samples;
}

std::string ModelRunner::nextRunId() {
  runIds_.push_back("model-" + std::to_string(runIds_.size() + 1));
  return runIds_.back();
}

TrialResult ModelRunner::run(const TrialRequest& r) {
  TrialResult out;
  out.seconds = kSwitchSeconds;
  out.runId = nextRunId();
  for (uint64_t bytes : r.sizes) {
    const double us = trueUs(r.collective, r.candidate, bytes);
    if (us < 0) {
      out.ok = false;
      out.exitCode = static_cast<int>(ExitCode::kLibraryError);
      out.failure = "NCCL does not offer this pair here";
      return out;
    }
    out.sizes[bytes] = measuredOf(batches(r.effort, us, &out.seconds, bytes, outpacing_.barUs(r, bytes)));
    outpacing_.finished(r, bytes, out.sizes[bytes].summary);
  }
  return out;
}

LaunchMeasurement ModelRunner::validationLaunch(bool tuned, const cclt_table* rules,
                                                const std::vector<Collective>& collectives,
                                                const std::vector<uint64_t>& sizes,
                                                const Effort& effort) {
  LaunchMeasurement m;
  m.tuned = tuned;
  m.runId = nextRunId();
  double seconds = 0;
  for (Collective c : collectives) {
    for (uint64_t bytes : sizes) {
      const double us = tuned ? trueUsUnder(rules, c, bytes) : truth_.defaultUs(c, bytes);
      m.samplesUs[{c, bytes}] = batches(effort, us, &seconds, bytes);
    }
  }
  return m;
}

}  // namespace cclbench::tune
