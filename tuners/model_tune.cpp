// `cclbench tune --backend model`: the tune of tune.cpp against the model's simulated NCCL.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/record.hpp"
#include "core/run_config.hpp"
#include "core/sizes.hpp"
#include "model/nccl_model.hpp"
#include "session/provenance.hpp"
#include "tuner_rules.h"
#include "tuners/model_runner.hpp"
#include "tuners/nccl_config.hpp"
#include "tuners/nccl_space.hpp"
#include "tuners/tune.hpp"
#include "tuners/tune_plan.hpp"
#include "tuners/tune_steps.hpp"

#include "build_info.hpp"

namespace cclbench::tune {
namespace {

namespace fs = std::filesystem;

std::string fingerprintOf(const model::Topology& t) {
  const uint64_t h =
      fnv1a(model::describe(t) + "|" + std::to_string(t.channels) + "|" + std::to_string(t.pcieGBps));
  char text[32];
  std::snprintf(text, sizeof text, "model-%016llx", static_cast<unsigned long long>(h));
  return text;
}

}  // namespace

int runModelTune(const TuneOptions& o, const std::string& executable) {
  const model::NcclModel model(model::loadTopology(o.topology, o.nodes));
  const model::Topology& topo = model.topology();
  if (topo.ranks() < 2) {
    throw usageError("the model needs 2 GPUs or more: NCCL runs one rank as a local copy and never tunes it");
  }
  std::map<Collective, std::vector<NcclPair>> pairs;
  for (Collective c : o.collectives) {
    if (!model::ncclFunction(c)) {
      throw usageError(std::string("NCCL's tuner decides allreduce allgather reducescatter broadcast "
                                   "reduce, not ") + name(c));
    }
    for (const auto& [a, p] : model.pairs(c)) pairs[c].emplace_back(model::algorithmName(a), model::protocolName(p));
  }
  const model::SimulatedNccl truth(model, o.modelSeed);
  const NcclSpace space(pairs, model.channels(),
                        "MODELLED: NCCL 2.28's cost model for " + topo.name + " (" + describe(topo) +
                            "), deviation seed " + std::to_string(o.modelSeed));
  if (o.plan) {
    printTunePlan(o, space, 0);
    return 0;
  }
  ModelRunner runner(truth, o.modelSeed * 7919 + 17);
  const std::vector<uint64_t> sizes = sweepSizes(o.sweep);

  TuneResult result;
  result.tuneId = "tune-" + newRunId();
  const fs::path folder = prepareOutputFolder(o.folder, result.tuneId);
  result.backend = "model";
  result.modelled = true;
  result.space = space.name();
  result.spaceSource = space.source();
  result.spaceApplication = space.application() == Application::kPerCase ? "case" : "launch";
  steps::describeOptions(o, sizes, result);
  result.toolVersion = build::kVersion;
  result.gitRevision = build::kGitRevision;
  result.createdUtc = utcNow();
  result.ranks = topo.ranks();
  result.nodes = topo.nodes;
  result.fingerprint = fingerprintOf(topo);
  result.libraries["model"] = "NCCL 2.28.9 cost model (modelled, not measured)";
  std::printf("# cclbench tune %s: MODELLED, not measured: %s; %zu collective(s), %s to %s (%zu "
              "sizes), %s; written to %s\n",
              result.tuneId.c_str(), describe(topo).c_str(), o.collectives.size(),
              formatBytes(sizes.front()).c_str(), formatBytes(sizes.back()).c_str(), sizes.size(),
              result.strategy.c_str(), folder.string().c_str());
  std::fflush(stdout);

  const std::vector<Rule> proposed = steps::searchAll(o, space, runner, sizes, result);
  result.trialRunIds = runner.runIds();
  const std::vector<std::string> comments = {
      "NCCL tuner plugin config written by cclbench " + result.toolVersion + " (git " +
          result.gitRevision + "), tune " + result.tuneId + ", " + result.createdUtc,
      space.source() + " (not measured)",
      "topology fingerprint " + result.fingerprint + "; load with libnccl-tuner-cclbench.so"};
  const PairOffered offered = [&](Collective c, int a, int p) { return model.available(c, a, p); };
  std::vector<Rule> kept, dropped;
  if (!proposed.empty()) {
    std::printf("# validating %zu rule(s) (modelled): %d launches each of the default and the "
                "plugin config, interleaved\n", proposed.size(), o.validationLaunches);
    const auto config = writeNcclConfig(folder / "proposed-nccl-tuner.conf", proposed, topo.ranks(),
                                        topo.nodes, comments, offered);
    const std::vector<Collective> tuned = steps::collectivesOf(proposed);
    std::vector<LaunchMeasurement> launches;
    for (int i = 0; i < o.validationLaunches; ++i) {
      for (bool side : {false, true}) {
        launches.push_back(runner.validationLaunch(side, config->table(), tuned, sizes, o.full));
        (side ? result.validationTunedRunIds : result.validationDefaultRunIds).push_back(launches.back().runId);
      }
    }
    kept = validate(proposed, launches, o.threshold, dropped);
  }
  steps::attachRules(result, kept, dropped);
  emitNcclOutputs(folder, kept, result, comments, installedPluginPath(executable), offered);
  steps::writeResultFiles(folder, result);
  steps::printEnd(result, folder);
  return 0;
}

}  // namespace cclbench::tune
