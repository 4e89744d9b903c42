// `cclbench tune --backend model`: the tune of tune.cpp against the model's simulated NCCL.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/record.hpp"
#include "core/sizes.hpp"
#include "model/nccl_model.hpp"
#include "session/provenance.hpp"
#include "tuner_rules.h"
#include "tuners/model_runner.hpp"
#include "tuners/nccl_emit.hpp"
#include "tuners/nccl_space.hpp"
#include "tuners/tune.hpp"
#include "tuners/tune_steps.hpp"

#include "build_info.hpp"

namespace cclbench::tune {
namespace {

namespace fs = std::filesystem;

/// A plugin config parsed and indexed by the plugin's own code, for the model's rank counts.
class ConfigTable {
 public:
  ConfigTable(const std::string& text, int ranks, int nodes) {
    if (cclt_parse(text.data(), text.size(), &rules_) != 0) throw std::bad_alloc();
    table_ = cclt_table_build(&rules_, ranks, nodes);
    if (!table_) throw std::bad_alloc();
  }
  ~ConfigTable() {
    cclt_table_free(table_);
    cclt_rules_free(&rules_);
  }
  ConfigTable(const ConfigTable&) = delete;
  ConfigTable& operator=(const ConfigTable&) = delete;
  const cclt_table* table() const { return table_; }
  std::size_t skipped() const { return rules_.skippedLines; }

 private:
  cclt_rules rules_{};
  cclt_table* table_ = nullptr;
};

std::vector<NcclRule> ncclRules(const std::vector<Rule>& rules) {
  std::vector<NcclRule> out;
  for (const Rule& r : rules) {
    if (const auto n = ncclRuleOf(r)) out.push_back(*n);
  }
  return out;
}

/// Writes the plugin config of `rules` and reads it back with the plugin's parser: every line
/// parses, and at every size of every rule the lookup gives that rule's pair and channels.
std::unique_ptr<ConfigTable> writeConfig(const fs::path& path, const std::vector<Rule>& rules,
                                         const model::NcclModel& model,
                                         const std::vector<std::string>& comments) {
  const int ranks = model.topology().ranks(), nodes = model.topology().nodes;
  steps::writeWhole(path, ncclTunerConfig(ncclRules(rules), ranks, nodes, comments));
  auto table = std::make_unique<ConfigTable>(steps::readWhole(path), ranks, nodes);
  const auto fail = [&](const std::string& what) {
    throw Error(ExitCode::kInternal, "the plugin config " + path.string() + " " + what);
  };
  if (table->skipped() > 0) fail("has lines the plugin skips");
  for (const Rule& r : rules) {
    const auto n = ncclRuleOf(r);
    if (!n) continue;
    const int f = *model::ncclFunction(r.collective);
    for (const RuleSize& s : r.sizes) {
      const std::pair<const model::NcclModel*, Collective> env{&model, r.collective};
      const cclt_rule* hit = cclt_lookup(
          table->table(), f, s.bytes, 1, 0,
          [](const void* e, int a, int p) {
            const auto* ctx = static_cast<const std::pair<const model::NcclModel*, Collective>*>(e);
            return ctx->first->available(ctx->second, a, p) ? 1 : 0;
          },
          &env);
      if (!hit || n->algorithm != cclt_algorithm_name(hit->algorithm) ||
          n->protocol != cclt_protocol_name(hit->protocol) ||
          (n->channels > 0 ? n->channels : -1) != (hit->channels > 0 ? hit->channels : -1)) {
        fail("does not force " + r.description + " at " + formatBytes(s.bytes));
      }
    }
  }
  return table;
}

/// The plugin beside this cclbench: the build tree's, else an installed prefix's.
std::string pluginPath(const std::string& executable) {
  const fs::path dir = fs::path(executable).parent_path();
  for (const fs::path& p : {dir / "tuners/nccl-plugin/libnccl-tuner-cclbench.so",
                            dir / "../lib/libnccl-tuner-cclbench.so"}) {
    std::error_code ec;
    if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "<prefix>/lib/libnccl-tuner-cclbench.so";
}

std::string fingerprintOf(const model::Topology& t) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the description
  for (char c : model::describe(t) + "|" + std::to_string(t.channels) + "|" + std::to_string(t.pcieGBps)) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
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
  ModelRunner runner(truth, o.modelSeed * 7919 + 17);
  const std::vector<uint64_t> sizes = sweepSizes(o.sweep);

  TuneResult result;
  result.tuneId = "tune-" + newRunId();
  const fs::path folder = steps::prepareFolder(o.folder, result.tuneId);
  result.backend = "model";
  result.modelled = true;
  result.space = space.name();
  result.spaceSource = space.source();
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
  std::vector<Rule> kept, dropped;
  if (!proposed.empty()) {
    std::printf("# validating %zu rule(s) (modelled): %d launches each of the default and the "
                "plugin config, interleaved\n", proposed.size(), o.validationLaunches);
    const auto config = writeConfig(folder / "proposed-nccl-tuner.conf", proposed, model, comments);
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
  if (!kept.empty()) {
    const fs::path config = folder / "nccl-tuner.conf";
    writeConfig(config, kept, model, comments);
    std::map<Collective, std::vector<uint64_t>> tunedSizes;
    for (const CollectiveTune& c : result.collectives) {
      for (uint64_t s : sizes) {
        if (std::find(c.unmeasured.begin(), c.unmeasured.end(), s) == c.unmeasured.end()) {
          tunedSizes[c.collective].push_back(s);
        }
      }
    }
    const fs::path env = folder / "nccl.env";
    steps::writeWhole(env, ncclEnvironmentFile(ncclRules(kept), tunedSizes, {}, comments));
    result.files["nccl_tuner_config"] = fs::absolute(config).string();
    result.files["nccl_env"] = fs::absolute(env).string();
    result.usage["job environment (the plugin with its config)"] =
        ncclPluginLines(pluginPath(executable), fs::absolute(config).string());
    std::string& lines = result.usage["job environment (the plugin with its config)"];
    while (!lines.empty() && lines.back() == '\n') lines.pop_back();
  }
  steps::writeResultFiles(folder, result);
  steps::printEnd(result, folder);
  return 0;
}

}  // namespace cclbench::tune
