#include "tuners/launch_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "core/error.hpp"
#include "launch/self_launch.hpp"
#include "store/import.hpp"

namespace cclbench::tune {
namespace {

std::string joined(const std::vector<uint64_t>& sizes) {
  std::string out;
  for (uint64_t s : sizes) out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

/// A file name from a candidate's knobs ("algorithm-4-segsize-131072", "default").
std::string stem(const std::map<std::string, std::string>& knobs) {
  if (knobs.empty()) return "default";
  std::string out;
  for (const auto& [k, v] : knobs) out += (out.empty() ? "" : "-") + k + "-" + v;
  for (char& ch : out) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '_';
  }
  return out;
}

}  // namespace

LaunchRunner::LaunchRunner(const KnobSpace& space, RunnerOptions options)
    : space_(space), options_(std::move(options)) {
  std::filesystem::create_directories(std::filesystem::path(options_.folder) / "launches");
}

LaunchRunner::Launched LaunchRunner::launch(const std::vector<Collective>& collectives,
                                            const std::vector<uint64_t>& sizes,
                                            const LaunchSettings& settings,
                                            const std::map<std::string, std::string>& candidate,
                                            const Effort& effort, const std::string& purpose,
                                            const std::vector<TrialRequest>& perCall) {
  const RunnerOptions& o = options_;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%04d", ++launches_);
  const std::string base = (std::filesystem::path(o.folder) / "launches" /
                            (std::string(prefix) + "-" + purpose + "-" + stem(candidate)))
                               .string();
  std::vector<std::string> command;
  const RankPlacement& p = o.placement;
  if (p.srun) {
    command = {"srun", "--mpi=pmix"};
    if (p.np) command.insert(command.end(), {"-n", std::to_string(*p.np)});
  }
  command.insert(command.end(), {o.executable, "run"});
  if (!o.backend.empty()) command.insert(command.end(), {"--backend", o.backend});
  for (Collective c : collectives) command.push_back(name(c));
  command.insert(command.end(),
                 {"--sizes", joined(sizes), "-d", name(o.dtype), "-o", name(o.op), "--place",
                  name(o.place), "--jsonl", base + ".jsonl", "--tag", "tuning", "--label",
                  "tune=" + o.tuneId, "--label", "purpose=" + purpose, "--no-progress", "-T",
                  number(o.timeoutSeconds), "--batch-time", number(effort.batchSeconds),
                  "--size-budget", number(effort.sizeBudgetSeconds), "--precision",
                  number(effort.precision)});
  if (effort.samples > 0) command.insert(command.end(), {"--samples", std::to_string(effort.samples)});
  else if (effort.minSamples != Effort{}.minSamples) {
    command.insert(command.end(), {"--min-samples", std::to_string(effort.minSamples)});
  }
  if (effort.outpaced >= 0) command.insert(command.end(), {"--stop-outpaced", number(effort.outpaced)});
  if (!effort.check) command.insert(command.end(), {"-c", "0"});
  for (const auto& [k, v] : candidate) command.insert(command.end(), {"--candidate", k + "=" + v});
  if (!perCall.empty()) {  // every candidate in one communicator, each forced in turn
    nlohmann::json list = nlohmann::json::array();
    for (const TrialRequest& r : perCall) {
      list.push_back({{"collective", name(r.collective)}, {"candidate", r.candidate.knobs}, {"sizes", r.sizes}});
    }
    const std::string file = base + "-candidates.json";
    std::ofstream(file) << list.dump(1) << "\n";
    command.insert(command.end(), {"--candidates", file});
  }
  if (!o.writeDatabase) command.push_back("--no-db");
  else if (!o.database.empty()) command.insert(command.end(), {"--db", o.database});
  if (!p.srun) {
    if (p.np) command.insert(command.end(), {"--np", std::to_string(*p.np)});
    for (const auto& h : p.hosts) command.insert(command.end(), {"--hosts", h});
    if (!p.hostfile.empty()) command.insert(command.end(), {"--hostfile", p.hostfile});
  }
  LaunchIo io;
  io.outputFile = base + ".log";
  // A driver deadline far beyond any healthy launch (every case may take -T, and start-up):
  // what -T cannot see, a wire-up that hangs on a silent host, still ends.
  std::size_t cases = collectives.size() * sizes.size();
  if (!perCall.empty()) {
    cases = 0;
    for (const TrialRequest& r : perCall) cases += r.sizes.size();
  }
  io.deadlineSeconds = o.timeoutSeconds * static_cast<double>(cases + 4);
  for (const auto& [name, value] : o.environment) io.env[name] = value;
  for (const auto& [name, value] : settings.mca) io.env["OMPI_MCA_" + name] = value;
  for (const auto& [name, value] : settings.environment) io.env[name] = value;

  const auto start = std::chrono::steady_clock::now();
  // NCCL's candidates: what NCCL ran for each is read back by an untimed probe launch first (one
  // call per case, each candidate forced as the trials force it, NCCL's TUNING log on: NCCL reads
  // its debug settings once per process, so never in the timed one); the trials' records then
  // carry NCCL's choice, and a candidate it did not run is not honoured. A probe that fails
  // leaves the plugin's own counts to judge, and says so in its log.
  if (!perCall.empty() && o.backend == "nccl") {
    std::vector<std::string> probe = command;
    const auto jsonl = std::find(probe.begin(), probe.end(), "--jsonl");
    probe.erase(jsonl, jsonl + 2);
    const auto db = std::find(probe.begin(), probe.end(), "--db");
    if (db != probe.end()) probe.erase(db, db + 2);
    probe.erase(std::remove(probe.begin(), probe.end(), "--no-db"), probe.end());
    const std::string choices = base + "-algorithms.json";
    probe.insert(probe.end(), {"--no-jsonl", "--no-db", "--algorithm-probe", choices});
    LaunchIo probeIo = io;
    probeIo.outputFile = base + "-algorithm-probe.log";
    const LaunchOutcome probed = runLauncher(probe, probeIo);
    if (probed.signal) throw Interrupted(probed.signal);
    if (probed.status == 0) command.insert(command.end(), {"--algorithms", choices});
  }
  const LaunchOutcome outcome = runLauncher(command, io);
  Launched result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (outcome.signal) throw Interrupted(outcome.signal);
  result.status = outcome.status;
  result.failure = outcome.lastError;
  std::error_code ec;
  if (std::filesystem::exists(base + ".jsonl", ec)) {
    try {
      for (ImportedRun& run : readResultsFile(base + ".jsonl")) {
        result.runId = run.header.runId;
        if (!firstHeader_) firstHeader_ = run.header;
        for (CaseRecord& c : run.cases) result.cases.push_back(std::move(c));
      }
    } catch (const Error& e) {
      if (result.failure.empty()) result.failure = e.what();
    }
  }
  if (!result.runId.empty()) runIds_.push_back(result.runId);
  if (result.status != 0 && result.failure.empty()) {
    result.failure = "exit " + std::to_string(result.status) + " (see " + io.outputFile + ")";
  }
  return result;
}

std::pair<bool, std::vector<TrialResult>> LaunchRunner::launchPerCall(
    const std::vector<TrialRequest>& requests) {
  std::vector<Collective> collectives;
  std::set<uint64_t> sizes;
  for (const TrialRequest& r : requests) {
    if (std::find(collectives.begin(), collectives.end(), r.collective) == collectives.end()) {
      collectives.push_back(r.collective);
    }
    sizes.insert(r.sizes.begin(), r.sizes.end());
  }
  const Launched l = launch(collectives, {sizes.begin(), sizes.end()}, {}, {}, requests.front().effort,
                            requests.size() > 1 ? "trials" : "trial", requests);
  if (l.status == static_cast<int>(ExitCode::kNotAvailable)) {  // no GPU, no plugin loaded ...
    const bool nccl = space_.name() == "nccl";
    throw Error(ExitCode::kNotAvailable,
                (nccl ? "cannot tune NCCL: " : "cannot switch Open MPI's candidates per communicator: ") +
                    l.failure + (nccl ? "" : " (tune --apply launch does without)"));
  }
  std::vector<TrialResult> out;
  for (const TrialRequest& request : requests) {
    TrialResult r;
    r.seconds = l.seconds / static_cast<double>(requests.size());
    r.runId = l.runId;
    r.exitCode = l.status;
    r.ok = l.status == 0;
    r.failure = l.failure;
    for (const CaseRecord& c : l.cases) {
      if (c.collective != request.collective || c.candidate != request.candidate.knobs ||
          !std::binary_search(request.sizes.begin(), request.sizes.end(), c.sizeBytes)) {
        continue;
      }
      if (c.candidateHonoured == false && r.ok) {
        r.ok = false;
        r.failure = "NCCL did not run " + space_.describe(request.collective, request.candidate) +
                    " (it never asked the tuner, had the pair marked unavailable, or its TUNING log "
                    "shows another choice)";
      }
      r.sizes[c.sizeBytes] = measuredOf(c.samplesUs);
    }
    out.push_back(std::move(r));
  }
  return {l.status == 0, std::move(out)};
}

void LaunchRunner::prefetch(const std::vector<TrialRequest>& requests) {
  if (space_.application() != Application::kPerCase) return;
  prefetched_.clear();  // the last round was asked for (or cut short by the budget)
  std::vector<std::vector<TrialRequest>> byEffort;
  for (const TrialRequest& r : requests) {
    auto it = std::find_if(byEffort.begin(), byEffort.end(),
                           [&](const auto& g) { return g.front().effort == r.effort; });
    if (it == byEffort.end()) byEffort.push_back({r});
    else it->push_back(r);
  }
  for (const auto& group : byEffort) {
    auto [ran, results] = launchPerCall(group);
    if (!ran) {  // run() launches each alone, the candidate at fault fails by itself; the time
      for (const TrialResult& r : results) unchargedSeconds_ += r.seconds;  // spent is charged
      continue;
    }
    for (std::size_t i = 0; i < group.size(); ++i) prefetched_.emplace_back(group[i], std::move(results[i]));
  }
}

TrialResult LaunchRunner::run(const TrialRequest& request) {
  if (space_.application() == Application::kPerCase) {
    const auto it = std::find_if(prefetched_.begin(), prefetched_.end(),
                                 [&](const auto& p) { return p.first == request; });
    TrialResult r;
    if (it != prefetched_.end()) {
      r = std::move(it->second);
      prefetched_.erase(it);
    } else {
      r = launchPerCall({request}).second.front();
    }
    r.seconds += std::exchange(unchargedSeconds_, 0.0);
    return r;
  }
  const Launched l = launch({request.collective}, request.sizes,
                            space_.launchSettings(request.collective, request.candidate),
                            request.candidate.knobs, request.effort, "trial");
  TrialResult r;
  r.seconds = l.seconds;
  r.runId = l.runId;
  r.exitCode = l.status;
  r.ok = l.status == 0;
  r.failure = l.failure;
  for (const CaseRecord& c : l.cases) {
    if (c.collective == request.collective) r.sizes[c.sizeBytes] = measuredOf(c.samplesUs);
  }
  return r;  // sizes it did not measure: the search tells a skipped size from a failure
}

LaunchMeasurement LaunchRunner::validationLaunch(bool tuned, const LaunchSettings& settings,
                                                 const std::vector<Collective>& collectives,
                                                 const std::vector<uint64_t>& sizes,
                                                 const Effort& effort) {
  return measureLaunch(tuned, tuned ? "validation-tuned" : "validation-default",
                       {{"config", tuned ? "tuned" : "default"}}, settings, collectives, sizes, effort);
}

LaunchMeasurement LaunchRunner::measureLaunch(bool tuned, const std::string& purpose,
                                              const std::map<std::string, std::string>& label,
                                              const LaunchSettings& settings,
                                              const std::vector<Collective>& collectives,
                                              const std::vector<uint64_t>& sizes, const Effort& effort) {
  const Launched l = launch(collectives, sizes, settings, label, effort, purpose);
  if (l.status != 0) {
    throw Error(ExitCode::kLibraryError, "the " + purpose + " launch failed: " + l.failure);
  }
  LaunchMeasurement m;
  m.tuned = tuned;
  m.runId = l.runId;
  for (const CaseRecord& c : l.cases) m.samplesUs[{c.collective, c.sizeBytes}] = c.samplesUs;
  return m;
}

}  // namespace cclbench::tune
