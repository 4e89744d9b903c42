#include "tuners/launch_runner.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

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
                                            const Effort& effort, const std::string& purpose) {
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
  for (Collective c : collectives) command.push_back(name(c));
  command.insert(command.end(),
                 {"--sizes", joined(sizes), "-d", name(o.dtype), "-o", name(o.op), "--place",
                  name(o.place), "--jsonl", base + ".jsonl", "--tag", "tuning", "--label",
                  "tune=" + o.tuneId, "--label", "purpose=" + purpose, "--no-progress", "-T",
                  number(o.timeoutSeconds), "--batch-time", number(effort.batchSeconds),
                  "--size-budget", number(effort.sizeBudgetSeconds), "--precision",
                  number(effort.precision)});
  if (effort.samples > 0) command.insert(command.end(), {"--samples", std::to_string(effort.samples)});
  if (!effort.check) command.insert(command.end(), {"-c", "0"});
  for (const auto& [k, v] : candidate) command.insert(command.end(), {"--candidate", k + "=" + v});
  if (!o.writeDatabase) command.push_back("--no-db");
  else if (!o.database.empty()) command.insert(command.end(), {"--db", o.database});
  if (!p.srun) {
    if (p.np) command.insert(command.end(), {"--np", std::to_string(*p.np)});
    for (const auto& h : p.hosts) command.insert(command.end(), {"--hosts", h});
    if (!p.hostfile.empty()) command.insert(command.end(), {"--hostfile", p.hostfile});
  }
  LaunchIo io;
  io.outputFile = base + ".log";
  for (const auto& [name, value] : settings.mca) io.env["OMPI_MCA_" + name] = value;
  for (const auto& [name, value] : settings.environment) io.env[name] = value;

  const auto start = std::chrono::steady_clock::now();
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

TrialResult LaunchRunner::run(const TrialRequest& request) {
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
  const Launched l = launch(collectives, sizes, settings, {{"config", tuned ? "tuned" : "default"}},
                            effort, tuned ? "validation-tuned" : "validation-default");
  if (l.status != 0) {
    throw Error(ExitCode::kLibraryError, std::string("the validation launch with the ") +
                                             (tuned ? "tuned" : "default") +
                                             " configuration failed: " + l.failure);
  }
  LaunchMeasurement m;
  m.tuned = tuned;
  m.runId = l.runId;
  for (const CaseRecord& c : l.cases) m.samplesUs[{c.collective, c.sizeBytes}] = c.samplesUs;
  return m;
}

}  // namespace cclbench::tune
