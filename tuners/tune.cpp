#include "tuners/tune.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_text.hpp"
#include "core/record.hpp"
#include "core/sizes.hpp"
#include "launch/launch_env.hpp"
#include "launch/self_launch.hpp"
#include "session/provenance.hpp"
#include "backends/registry.hpp"
#include "tuners/launch_runner.hpp"
#include "tuners/nccl_config.hpp"
#include "tuners/nccl_space.hpp"
#include "tuners/openmpi_rules.hpp"
#include "tuners/openmpi_space.hpp"
#include "tuners/process_knobs.hpp"
#include "tuners/tune_plan.hpp"
#include "tuners/tune_result.hpp"
#include "tuners/tune_steps.hpp"

#include "build_info.hpp"

namespace cclbench::tune {
namespace {

namespace fs = std::filesystem;

/// The Open MPI rules file of `rules` for `ranks`, written and read back with our own parser.
RulesFile writeRulesFile(const fs::path& path, const std::vector<Rule>& rules, int ranks,
                         const std::vector<std::string>& comments) {
  std::vector<RulesRange> ranges;
  for (const Rule& r : rules) {
    const auto k = collTunedNames(r.collective);
    if (!k) continue;
    const CollTunedSetting forced = collTunedSetting(r.candidate.knobs);
    ranges.push_back({k->rulesId, r.minBytes(), r.maxBytes(), forced.algorithm,
                      static_cast<uint64_t>(forced.segmentBytes)});
  }
  const RulesFile file = rulesFor(ranges, ranks);
  writeWholeFile(path, formatRules(file, comments));
  if (parseRules(readWholeFile(path)) != file) {
    throw Error(ExitCode::kInternal, "the rules file " + path.string() +
                                         " does not read back as written");
  }
  for (const Rule& r : rules) {  // and it decides what the rules say, at every size
    const auto k = collTunedNames(r.collective);
    for (const RuleSize& s : r.sizes) {
      if (k && lookupAlgorithm(file, k->rulesId, ranks, s.bytes) !=
                   collTunedSetting(r.candidate.knobs).algorithm) {
        throw Error(ExitCode::kInternal, "the rules file does not force " + r.description +
                                             " at " + formatBytes(s.bytes));
      }
    }
  }
  return file;
}

LaunchSettings rulesSettings(const fs::path& rules) {
  return {{{"coll_tuned_use_dynamic_rules", "1"},
           {"coll_tuned_dynamic_rules_filename", fs::absolute(rules).string()}},
          {}};
}

std::vector<std::string> rulesComments(const TuneResult& t, const fs::path& rules) {
  std::vector<std::string> c = {
      "Open MPI coll/tuned dynamic rules written by cclbench " + t.toolVersion + " (git " +
          t.gitRevision + "), tune " + t.tuneId + ", " + t.createdUtc,
      "tuned at " + std::to_string(t.ranks) + " ranks on " + std::to_string(t.nodes) +
          " node(s), topology fingerprint " + t.fingerprint + "; other rank counts fall through",
      name(t.dtype) + std::string(" ") + name(t.op) + ", sizes in total bytes (the size column)"};
  for (const auto& [k, v] : t.libraries) c.push_back(k + ": " + v);
  c.push_back("use: mpirun --mca coll_tuned_use_dynamic_rules 1 --mca "
              "coll_tuned_dynamic_rules_filename " + fs::absolute(rules).string() + " ...");
  return c;
}

/// The provenance lines of an NCCL plugin config.
std::vector<std::string> ncclComments(const TuneResult& t) {
  std::vector<std::string> c = {
      "NCCL tuner plugin config written by cclbench " + t.toolVersion + " (git " + t.gitRevision +
          "), tune " + t.tuneId + ", " + t.createdUtc,
      "tuned at " + std::to_string(t.ranks) + " ranks on " + std::to_string(t.nodes) +
          " node(s), topology fingerprint " + t.fingerprint + "; load with libnccl-tuner-cclbench.so"};
  for (const auto& [k, v] : t.libraries) c.push_back(k + ": " + v);
  return c;
}

/// Real NCCL says per call what it offers: a config's read-back takes every pair as offered.
PairOffered everyPairOffered() {
  return [](Collective, int, int) { return true; };
}

/// NCCL's process-wide knobs (process_knobs.hpp): per knob, a reference launch (the plugin with
/// the kept rules, the knob unset), one launch per value, a second reference; the proposed value
/// then in interleaved launches against the reference. Returns the kept values.
std::map<std::string, std::string> tuneProcessKnobs(const TuneOptions& o, LaunchRunner& runner,
                                                    const fs::path& folder, const std::vector<Rule>& kept,
                                                    TuneResult& result) {
  LaunchSettings base;
  if (!kept.empty()) {
    const fs::path config = folder / "nccl-tuner.conf";
    writeNcclConfig(config, kept, result.ranks, result.nodes, ncclComments(result), everyPairOffered());
    base.environment["CCLBENCH_TUNER_CONFIG"] = fs::absolute(config).string();
  }
  std::map<std::string, std::string> out;
  for (const ProcessKnob& knob : parseProcessKnobs(o.processKnobs)) {
    std::printf("# process knob %s: %zu values, one launch each, between two reference launches\n",
                knob.variable.c_str(), knob.values.size());
    std::fflush(stdout);
    ProcessKnobOutcome outcome;
    outcome.variable = knob.variable;
    const auto measure = [&](bool withValue, const std::string& value) {
      LaunchSettings s = base;
      if (withValue) s.environment[knob.variable] = value;
      return runner.measureLaunch(withValue, "knob-" + knob.variable + "-" + (withValue ? value : "unset"),
                                  {{knob.variable, withValue ? value : "unset"}}, s, o.collectives,
                                  result.sizes, o.full);
    };
    std::vector<LaunchMeasurement> reference{measure(false, "")};
    std::map<std::string, LaunchMeasurement> byValue;
    for (const std::string& v : knob.values) {
      try {
        byValue[v] = measure(true, v);
      } catch (const Error&) {  // a value NCCL refuses or that breaks the run: not a candidate
        outcome.screened[v] = 0;
      }
    }
    reference.push_back(measure(false, ""));
    outcome.proposed = proposeValue(reference, byValue, o.threshold, outcome.screened);
    if (outcome.proposed.empty()) {
      outcome.reason = "no value beat the reference by the threshold without being slower at some size";
    } else {
      std::vector<LaunchMeasurement> launches;
      for (int i = 0; i < o.validationLaunches; ++i) {
        launches.push_back(measure(false, ""));
        launches.push_back(measure(true, outcome.proposed));
      }
      if (holdsUp(launches, o.threshold, outcome.speedup, outcome.reason)) {
        outcome.kept = outcome.proposed;
        out[knob.variable] = outcome.kept;
        base.environment[knob.variable] = outcome.kept;  // the next knobs are judged on top of it
      }
    }
    result.processKnobs.push_back(outcome);
  }
  return out;
}

void fillProvenance(TuneResult& t, const std::optional<RunHeader>& header) {
  t.toolVersion = build::kVersion;
  t.gitRevision = build::kGitRevision;
  t.createdUtc = utcNow();
  if (!header) return;
  t.ranks = header->ranks;
  t.fingerprint = header->fingerprint;
  t.libraries = header->libraryVersions;
  t.nodes = header->topology.is_object() ? header->topology.value("nodes", 1) : 1;
}

}  // namespace

void validateTuneOptions(const TuneOptions& o) {
  if (o.collectives.empty()) throw usageError("nothing to tune: no collective");
  if (!(o.threshold > 0) || !std::isfinite(o.threshold) || o.threshold >= 1) {
    throw usageError("--threshold must be a fraction between 0 and 1, e.g. 0.03");
  }
  if (!(o.budgetSeconds >= 0) || !std::isfinite(o.budgetSeconds)) {
    throw usageError("--budget must be 0 (none) or a number of seconds");
  }
  if (o.validationLaunches < 3) throw usageError("--validation-launches must be 3 or more");
  if (!(o.timeoutSeconds > 0)) throw usageError("--timeout must be positive");
  if (o.np && *o.np < 1) throw usageError("--np must be 1 or more");
  if (!o.hosts.empty() && !o.hostfile.empty()) throw usageError("give --hosts or --hostfile, not both");
  if (!o.hostfile.empty() && !o.np) throw usageError("--hostfile needs --np (the rank count)");
  if (o.backend != "mpi" && o.backend != "nccl" && o.backend != "model") {
    throw usageError("unknown backend '" + o.backend + "' for tune (mpi, nccl or model)");
  }
  if (o.openMpiApplication && o.backend != "mpi") throw usageError("--apply is for --backend mpi");
  if (o.backend == "model" && o.topology.empty()) {
    throw usageError("--backend model needs --topology PRESET|FILE");
  }
  if (!o.topology.empty() && o.backend != "model" && !(o.backend == "nccl" && o.plan)) {
    throw usageError("--topology describes the model: give --backend model (or --backend nccl --plan)");
  }
  if (!(o.launchSeconds >= 0) || !std::isfinite(o.launchSeconds)) {
    throw usageError("--launch-seconds must be 0 or more");
  }
  if (o.nodes < 0) throw usageError("--nodes must be 1 or more");
  if (!o.processKnobs.empty()) {
    if (o.backend != "nccl") throw usageError("--process-knobs tunes NCCL's process-wide knobs: give --backend nccl");
    parseProcessKnobs(o.processKnobs);
  }
  sweepSizes(o.sweep);
}

int runTune(const TuneOptions& o, const std::string& executable) {
  validateTuneOptions(o);
  if (o.backend == "model") return runModelTune(o, executable);
  const Environment env = processEnvironment();
  if (detectLaunch(env).launcher != Launcher::kNone || env.count("CCLBENCH_SELF_LAUNCHED")) {
    throw usageError("cclbench tune starts every launch itself: run it outside mpirun and srun "
                     "(inside a Slurm allocation it launches with srun)");
  }
  const bool nccl = o.backend == "nccl";
  std::unique_ptr<KnobSpace> space;
  std::string plugin;
  if (nccl) {
    const std::vector<std::string> built = builtBackends();
    if (std::find(built.begin(), built.end(), "nccl") == built.end()) {
      throw Error(ExitCode::kNotAvailable,
                  "this cclbench was built without NCCL (CUDA and NCCL are looked up at build "
                  "time): --backend model tunes against NCCL's own cost model");
    }
    // What the tune compares must be NCCL's own choices: a config, a forced pair or a process
    // knob inherited from the environment would be in every launch, the defaults included.
    std::vector<std::string> set;
    std::vector<std::string> owned = {"CCLBENCH_TUNER_CONFIG", "NCCL_TUNER_CONFIG_FILE", "NCCL_ALGO", "NCCL_PROTO"};
    if (!o.processKnobs.empty()) {
      for (const ProcessKnob& k : parseProcessKnobs(o.processKnobs)) owned.push_back(k.variable);
    }
    for (const std::string& name : owned) {
      if (env.count(name)) set.push_back(name);
    }
    if (!set.empty()) {
      std::string list;
      for (const std::string& s : set) list += (list.empty() ? "" : " ") + s;
      throw usageError("unset " + list + " before tuning NCCL: every launch would inherit it, the "
                       "defaults included");
    }
    plugin = installedPluginPath(executable);
    if (plugin.empty()) {
      throw Error(ExitCode::kNotAvailable,
                  "libnccl-tuner-cclbench.so is not beside this cclbench (build tree or "
                  "<prefix>/lib): tuning NCCL forces every candidate through it");
    }
    for (Collective c : o.collectives) {
      if (ncclPairsAtMost({c}).empty()) {
        throw usageError(std::string("NCCL's tuner decides allreduce allgather reducescatter "
                                     "broadcast reduce, not ") + name(c));
      }
    }
    space = std::make_unique<NcclSpace>(
        ncclPairsAtMost(o.collectives), kNcclMaxChannels,
        "NCCL 2.28's algorithm and protocol pairs (a pair this NCCL does not offer fails its first "
        "trial), channels 1 to " + std::to_string(kNcclMaxChannels) + ", forced per call through " + plugin);
  } else {
    auto openMpi = installedOpenMpiSpace(o.openMpiApplication.value_or(Application::kPerCase));
    for (Collective c : o.collectives) {
      if (!openMpi->tunes(c)) {
        throw usageError(std::string("Open MPI's coll/tuned has no knobs for ") + name(c) +
                         " (tunable: allreduce allgather reducescatter broadcast reduce alltoall "
                         "gather)");
      }
    }
    space = std::move(openMpi);
  }
  if (o.plan) {
    // Start-up per launch unless given: mpirun with 2 local ranks measured 0.45 s here; NCCL's
    // communicator init at scale is assumed 10 s (the plan says so).
    printTunePlan(o, *space, o.launchSeconds > 0 ? o.launchSeconds : nccl ? 10 : 0.45);
    return 0;
  }
  if (env.count("SLURM_JOB_ID") == 0 && (!nccl || !o.hosts.empty() || !o.hostfile.empty())) {
    checkLauncherTmpdir();
  }
  // Read once and kept in --out: every launch needs it, and a pipe (<(...)) is read only once.
  const std::string hostfileText = o.hostfile.empty() ? "" : readInputFile(o.hostfile);
  const std::vector<uint64_t> sizes = sweepSizes(o.sweep);
  TuneResult result;
  result.tuneId = "tune-" + newRunId();
  const fs::path folder = prepareOutputFolder(o.folder, result.tuneId);

  std::string hostfile;
  if (!o.hostfile.empty()) {
    hostfile = (folder / "hostfile").string();
    writeWholeFile(hostfile, hostfileText);
  }
  RunnerOptions ro;
  ro.executable = executable;
  ro.folder = folder.string();
  ro.tuneId = result.tuneId;
  ro.placement = {o.np, o.hosts, hostfile,
                  env.count("SLURM_JOB_ID") && o.hosts.empty() && o.hostfile.empty()};
  ro.dtype = o.dtype;
  ro.op = o.op;
  ro.place = o.placement;
  ro.timeoutSeconds = o.timeoutSeconds;
  ro.database = o.database;
  ro.writeDatabase = o.writeDatabase;
  if (nccl) {
    ro.backend = "nccl";
    ro.environment["NCCL_TUNER_PLUGIN"] = plugin;
  }
  LaunchRunner runner(*space, ro);
  result.backend = o.backend;
  result.space = space->name();
  result.spaceSource = space->source();
  result.spaceApplication = space->application() == Application::kPerCase ? "case" : "launch";
  steps::describeOptions(o, sizes, result);
  std::printf("# cclbench tune %s: %zu collective(s), %s to %s (%zu sizes), %s, %s (%s); every "
              "launch in %s\n",
              result.tuneId.c_str(), o.collectives.size(), formatBytes(sizes.front()).c_str(),
              formatBytes(sizes.back()).c_str(), sizes.size(), result.strategy.c_str(),
              result.space.c_str(), result.spaceSource.c_str(), folder.string().c_str());
  std::fflush(stdout);

  try {
    const std::vector<Rule> proposed = steps::searchAll(o, *space, runner, sizes, result);
    result.trialRunIds = runner.runIds();
    fillProvenance(result, runner.firstHeader());

    std::vector<Rule> kept, dropped;
    if (!proposed.empty()) {
      std::printf("# validating %zu rule(s): %d launches each of the default and the tuned "
                  "configuration, interleaved\n",
                  proposed.size(), o.validationLaunches);
      std::fflush(stdout);
      LaunchSettings tunedSettings;
      if (nccl) {  // the plugin with the proposed config; the default: the plugin without one
        const fs::path config = folder / "proposed-nccl-tuner.conf";
        writeNcclConfig(config, proposed, result.ranks, result.nodes, ncclComments(result), everyPairOffered());
        tunedSettings.environment["CCLBENCH_TUNER_CONFIG"] = fs::absolute(config).string();
      } else {
        const fs::path candidateRules = folder / "proposed-rules.conf";
        writeRulesFile(candidateRules, proposed, result.ranks, rulesComments(result, candidateRules));
        tunedSettings = rulesSettings(candidateRules);
      }
      const std::vector<Collective> tuned = steps::collectivesOf(proposed);
      std::vector<LaunchMeasurement> launches;
      for (int i = 0; i < o.validationLaunches; ++i) {
        for (bool side : {false, true}) {
          launches.push_back(runner.validationLaunch(
              side, side ? tunedSettings : LaunchSettings{}, tuned, sizes, o.full));
          (side ? result.validationTunedRunIds : result.validationDefaultRunIds)
              .push_back(launches.back().runId);
        }
      }
      kept = validate(proposed, launches, o.threshold, dropped);
    }
    steps::attachRules(result, kept, dropped);
    if (nccl) {
      const std::map<std::string, std::string> knobs =
          o.processKnobs.empty() ? std::map<std::string, std::string>{}
                                 : tuneProcessKnobs(o, runner, folder, kept, result);
      emitNcclOutputs(folder, kept, result, ncclComments(result), plugin, everyPairOffered(), knobs);
    } else if (!kept.empty()) {
      const fs::path rules = folder / "openmpi-rules.conf";
      writeRulesFile(rules, kept, result.ranks, rulesComments(result, rules));
      const std::string path = fs::absolute(rules).string();
      result.files["openmpi_rules"] = path;
      result.usage["mpirun flags"] = "mpirun --mca coll_tuned_use_dynamic_rules 1 --mca "
                                     "coll_tuned_dynamic_rules_filename " + path;
      result.usage["environment (srun jobs, batch scripts)"] =
          "export OMPI_MCA_coll_tuned_use_dynamic_rules=1 "
          "OMPI_MCA_coll_tuned_dynamic_rules_filename=" + path;
    }
    steps::writeResultFiles(folder, result);
  } catch (const Interrupted& e) {
    std::fprintf(stderr,
                 "cclbench: error: tune %s interrupted by signal %d: its launches are kept "
                 "(tag tuning, label tune=%s); no configuration was written\n",
                 result.tuneId.c_str(), e.signal, result.tuneId.c_str());
    return 128 + e.signal;
  }

  steps::printEnd(result, folder);
  return 0;
}

}  // namespace cclbench::tune
