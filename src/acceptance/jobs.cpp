#include "acceptance/jobs.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "acceptance/text.hpp"
#include "core/error.hpp"
#include "launch/self_launch.hpp"
#include "store/import.hpp"

namespace cclbench::acceptance {
namespace {

/// Letters and digits of a name, for file names ("host pairs" -> "host-pairs").
std::string fileStem(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += plain ? c : '-';
  }
  return out.substr(0, 40);
}

/// Runs `work(i)` for i in [0, n), at most `limit` at once (1: one after another).
template <typename Work>
void forEachBounded(std::size_t n, int limit, Work work) {
  if (limit <= 1 || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) work(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  const std::size_t count = std::min<std::size_t>(n, static_cast<std::size_t>(limit));
  for (std::size_t t = 0; t < count; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < n; i = next++) work(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

/// A job may take -T per case and its start-up; the driver's deadline lies beyond any healthy one.
double deadlineFor(const CheckSpec& check, double timeoutSeconds) {
  std::size_t sizes = 1;
  for (uint64_t b = check.minBytes; b < check.maxBytes; b *= 2) ++sizes;
  return timeoutSeconds * static_cast<double>(sizes + 2);
}

}  // namespace

const CaseRecord* largestCase(const std::vector<CaseRecord>& cases, const CheckSpec& check) {
  const CaseRecord* found = nullptr;
  for (const CaseRecord& c : cases) {
    if (c.collective != check.collective || c.placement != Placement::kOutOfPlace) continue;
    if (c.sizeBytes > check.maxBytes || (found && c.sizeBytes <= found->sizeBytes)) continue;
    found = &c;
  }
  return found;
}

bool figureOf(const std::vector<CaseRecord>& cases, const CheckSpec& check, double& figure,
              uint64_t& sizeBytes) {
  const CaseRecord* c = largestCase(cases, check);
  if (!c) return false;
  figure = c->busBandwidthGBps;
  sizeBytes = c->sizeBytes;
  return true;
}

LaunchJobRunner::LaunchJobRunner(LaunchOptions options) : options_(std::move(options)) {
  std::filesystem::create_directories(std::filesystem::path(options_.folder) / "launches");
}

std::string LaunchJobRunner::nextBase(const std::string& what) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%04d", ++launches_);
  return (std::filesystem::path(options_.folder) / "launches" / (std::string(prefix) + "-" + fileStem(what)))
      .string();
}

std::vector<std::string> LaunchJobRunner::jobCommand(const CheckSpec& check, int ranksPerHost,
                                                     double timeoutSeconds, const HostGroup& group,
                                                     const RoundContext& context,
                                                     const std::string& jsonl) const {
  const int ranks = options_.via == LaunchVia::kLocal
                        ? options_.localRanks
                        : ranksPerHost * static_cast<int>(group.size());
  std::vector<std::string> command;
  if (options_.via == LaunchVia::kSrun) {
    command = {"srun", "--mpi=pmix", "--exact", "-N", std::to_string(group.size()), "-n",
               std::to_string(ranks), "--ntasks-per-node", std::to_string(ranksPerHost), "-w",
               hostList(group, "")};
  }
  command.insert(command.end(), {options_.executable, "run", name(check.collective), "-b",
                                 std::to_string(check.minBytes), "-e", std::to_string(check.maxBytes),
                                 "-f", "2", "-d", name(check.dtype), "--place", "out", "--backend",
                                 check.backend, "-T", formatted(timeoutSeconds, "%g"), "--jsonl", jsonl,
                                 "--tag", context.tag, "--label", "spec=" + context.spec, "--label",
                                 "check=" + context.check, "--label", "purpose=" + context.purpose,
                                 "--label", "round=" + std::to_string(context.round), "--no-progress"});
  // Which hosts a job ran on, as a label: nightly keeps one history per check and group.
  command.insert(command.end(), {"--label", "hosts=" + hostList(group, "")});
  for (const auto& [k, v] : context.labels) command.insert(command.end(), {"--label", k + "=" + v});
  if (!check.fabric.empty()) command.insert(command.end(), {"--fabric", check.fabric});
  if (check.allPairs) command.push_back("--all-pairs");
  if (!options_.writeDatabase) command.push_back("--no-db");
  else if (!options_.database.empty()) command.insert(command.end(), {"--db", options_.database});
  if (options_.via == LaunchVia::kMpirun) {
    command.insert(command.end(), {"--np", std::to_string(ranks), "--hosts",
                                   hostList(group, ":" + std::to_string(ranksPerHost))});
  } else if (options_.via == LaunchVia::kLocal) {
    command.insert(command.end(), {"--np", std::to_string(ranks)});
  }
  return command;
}

std::vector<JobOutcome> LaunchJobRunner::runRound(const CheckSpec& check, int ranksPerHost,
                                                  double timeoutSeconds,
                                                  const std::vector<HostGroup>& groups,
                                                  const RoundContext& context) {
  std::vector<std::string> bases;
  for (const HostGroup& g : groups) {
    bases.push_back(nextBase(context.check + "-" + context.purpose + "-" + hostList(g, "")));
  }
  std::vector<JobOutcome> out(groups.size());
  const int limit = check.parallel ? options_.maxConcurrent : 1;
  forEachBounded(groups.size(), limit, [&](std::size_t i) {
    JobOutcome& o = out[i];
    const std::string jsonl = o.jsonl = bases[i] + ".jsonl";
    LaunchIo io;
    io.outputFile = o.log = bases[i] + ".log";
    io.deadlineSeconds = deadlineFor(check, timeoutSeconds);
    const LaunchOutcome l =
        runLauncher(jobCommand(check, ranksPerHost, timeoutSeconds, groups[i], context, jsonl), io);
    o.status = l.status;
    o.timedOut = l.timedOut || l.status == static_cast<int>(ExitCode::kTimeout);
    o.failure = l.lastError;
    std::error_code ec;
    if (std::filesystem::exists(jsonl, ec)) {
      try {
        for (ImportedRun& run : readResultsFile(jsonl)) {
          o.runId = run.header.runId;
          if (const CaseRecord* c = largestCase(run.cases, check)) {
            o.ran = true;
            o.figure = c->busBandwidthGBps;
            o.timeUs = c->timeUs.median;
            o.sizeBytes = c->sizeBytes;
          }
        }
      } catch (const Error& e) {
        if (o.failure.empty()) o.failure = e.what();
      }
    }
    if (l.signal) {
      o.signal = l.signal;
      o.failure = "interrupted by signal " + std::to_string(l.signal);
    }
    // A case that measured but failed its data check (exit 7) still has a figure; anything else
    // that ended early did not run the check.
    if (l.status != 0 && l.status != static_cast<int>(ExitCode::kWrongData)) o.ran = false;
    if (!o.ran && o.failure.empty()) {
      o.failure = l.status == 0 ? "no record of the largest size" : "exit " + std::to_string(l.status);
    }
  });
  for (const JobOutcome& o : out) {
    if (o.signal) throw Interrupted(o.signal);
  }
  return out;
}

std::vector<HostAnswer> LaunchJobRunner::probe(const std::vector<std::string>& hosts, double timeoutSeconds) {
  std::vector<std::string> bases;
  for (const std::string& h : hosts) bases.push_back(nextBase("topo-" + h));
  std::vector<HostAnswer> out(hosts.size());
  std::atomic<int> interrupted{0};
  forEachBounded(hosts.size(), options_.maxConcurrent, [&](std::size_t i) {
    std::vector<std::string> command;
    if (options_.via == LaunchVia::kMpirun) {
      command = {findMpirun()};
      if (geteuid() == 0) command.push_back("--allow-run-as-root");
      command.insert(command.end(), {"-np", "1", "--host", hosts[i]});
    } else if (options_.via == LaunchVia::kSrun) {
      command = {"srun", "--exact", "-N", "1", "-n", "1", "-w", hosts[i]};
    }
    command.insert(command.end(), {options_.executable, "topo", "--json"});
    LaunchIo io;
    io.outputFile = bases[i] + ".log";
    io.stdoutFile = bases[i] + ".json";
    io.deadlineSeconds = timeoutSeconds;
    const LaunchOutcome l = runLauncher(command, io);
    if (l.signal) {
      interrupted = l.signal;
      return;
    }
    HostAnswer& a = out[i];
    if (l.status != 0) {
      a.failure = l.timedOut ? "did not answer within " + formatted(timeoutSeconds, "%g") + " s"
                             : (l.lastError.empty() ? "exit " + std::to_string(l.status) : l.lastError) +
                                   " (see " + io.outputFile + ")";
      return;
    }
    std::ifstream in(io.stdoutFile);
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
    if (!doc.is_object() || !doc.contains("fingerprint") || !doc["fingerprint"].is_string()) {
      a.failure = "cclbench topo printed no fingerprint (see " + io.stdoutFile + ")";
      return;
    }
    a.answered = true;
    a.fingerprint = doc["fingerprint"].get<std::string>();
    const auto host = doc.find("host");
    if (host != doc.end() && host->is_object() && host->contains("notes") && (*host)["notes"].is_array()) {
      for (const auto& note : (*host)["notes"]) {
        if (note.is_string()) a.health.push_back(note.get<std::string>());
      }
    }
  });
  if (interrupted) throw Interrupted(interrupted);
  return out;
}

}  // namespace cclbench::acceptance
