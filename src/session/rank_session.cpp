#include "session/rank_session.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "analysis/run_verdict.hpp"
#include "core/environment.hpp"
#include "engine/engine.hpp"
#include "session/algorithm_probe.hpp"
#include "session/provenance.hpp"
#include "session/reporters.hpp"

namespace cclbench {
namespace {

/// "[cclbench] allreduce 64 KiB (13/52)" on stderr, redrawn in place.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { clear(); }
  void show(const std::string& what, std::size_t done, std::size_t total) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K[cclbench] %s (%zu/%zu)", what.c_str(), done + 1, total);
    std::fflush(stderr);
  }
  void clear() {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
};

/// Rank 0's sinks, shared with the helper threads that may end the run early (a timeout, a
/// signal): every event is written under one lock, and the end record is written once.
class GuardedSinks final : public RunEnding {
 public:
  GuardedSinks(std::unique_ptr<ReporterList> sinks, LiveRank* live)
      : sinks_(std::move(sinks)), live_(live) {}
  ~GuardedSinks() override {
    if (live_) live_->ending = nullptr;
  }

  void beginRun(const RunHeader& header) {
    std::lock_guard lock(mutex_);
    sinks_->beginRun(header);
    trailer_.runId = header.runId;
    if (live_) live_->ending = this;
  }
  void beginTable(const TableInfo& t) {
    std::lock_guard lock(mutex_);
    sinks_->beginTable(t);
  }
  void row(const RowRecords& row) {
    std::lock_guard lock(mutex_);
    sinks_->row(row);
    trailer_.cases += row.outOfPlace.has_value() + row.inPlace.has_value();
    for (const auto* r : {&row.outOfPlace, &row.inPlace}) {
      if (*r) trailer_.wrongTotal += (*r)->wrong;
    }
  }
  void endTable(const TableSummary& s) {
    std::lock_guard lock(mutex_);
    sinks_->endTable(s);
  }
  void endRun(const Trailer& t) {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    sinks_->endRun(t);
  }

  void endEarly(const std::string& status, int exitCode,
                const std::string& message) noexcept override {
    std::unique_lock lock(mutex_, std::chrono::seconds(1));
    if (!lock.owns_lock() || ended_) return;
    ended_ = true;
    try {
      Trailer t = trailer_;
      t.status = status;
      t.exitCode = exitCode;
      t.message = message;
      t.endUtc = utcNow();
      t.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
                          .count();
      sinks_->endRun(t);
    } catch (...) {
      // The process is ending: a sink that cannot write leaves its run without an end.
    }
  }

 private:
  std::unique_ptr<ReporterList> sinks_;
  LiveRank* live_;
  std::timed_mutex mutex_;
  Trailer trailer_;
  bool ended_ = false;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// The tightest rank's buffer memory limit (collective: every rank must plan the same sizes).
std::optional<uint64_t> agreedMemoryLimit(Bootstrap& bootstrap, const Backend& backend) {
  uint64_t limit = backend.memoryLimitBytes().value_or(UINT64_MAX);
  bootstrap.allReduce(&limit, 1, Bootstrap::Op::kMin);
  return limit == UINT64_MAX ? std::nullopt : std::optional<uint64_t>(limit);
}

}  // namespace

Verdict runSession(const RunOptions& options, Bootstrap& bootstrap, Backend& backend,
                   const SessionContext& context, Watchdog* watchdog) {
  const auto start = std::chrono::steady_clock::now();
  const RunConfig& config = options.config;
  const bool reporting = bootstrap.place().rank == 0;

  // Setup: plan and sinks. Failures here are agreed, so every rank ends the same way.
  std::vector<PlanTable> plan;
  std::unique_ptr<GuardedSinks> sinks;
  std::optional<Error> setupError;
  const std::string& runId = context.runId;
  const std::optional<uint64_t> memoryLimit = agreedMemoryLimit(bootstrap, backend);
  AlgorithmChoices algorithms;
  try {
    validateForWorld(config, backend.size());
    if (!context.algorithmsFile.empty()) algorithms = readAlgorithmChoices(context.algorithmsFile);
    plan = buildPlan(config, backend.size(), backend, memoryLimit);
    if (reporting) {
      sinks = std::make_unique<GuardedSinks>(createReporters(options.outputs.reporters, runId),
                                             context.live);
    }
  } catch (const Error& e) {
    setupError = e;
  }
  if (Verdict v = agreeOn(bootstrap, setupError); !v.ok()) return v;

  RunHeader header =
      collectProvenance(bootstrap, backend, options, context.commandLine, context.launcher);
  header.runId = runId;
  header.launcherInterface = context.launcherInterface;
  header.mpiThreadRequested = context.mpiThreadRequested;
  header.mpiThreadProvided = context.mpiThreadProvided;
  if (!context.transport.is_null()) header.transport = context.transport;
  if (reporting) {
    header.oversubscription = oversubscriptionOf(header.hosts, processEnvironment());
    if (const std::string warning = oversubscriptionWarning(header.oversubscription);
        !warning.empty()) {
      std::fprintf(stderr, "cclbench: warning: %s\n", warning.c_str());
      std::fflush(stderr);
    }
    sinks->beginRun(header);
  }

  std::size_t totalRows = 0, doneRows = 0;
  for (const PlanTable& t : plan) totalRows += t.rows.size();
  ProgressLine progress(reporting && options.outputs.progress && context.progress);
  Engine engine(backend, bootstrap, config, watchdog);
  {
    std::vector<CaseSpec> specs;
    for (const PlanTable& t : plan) {
      for (const PlanRow& row : t.rows) {
        if (row.runOutOfPlace) specs.push_back(row.outOfPlace);
        if (row.runInPlace) specs.push_back(row.inPlace());
      }
    }
    engine.reserveFor(specs);
  }
  Trailer trailer{runId, "complete", 0, "", 0, 0, "", 0, {}};
  Verdict verdict;
  for (const PlanTable& table : plan) {
    if (reporting) {
      sinks->beginTable({table.collective, info(table.collective).hasInPlace, table.skippedBytes,
                         table.notes});
    }
    TableTally tally(table.collective, config.minBusBandwidth);
    engine.setMeasuringDefault(!table.candidate || table.candidate->empty());
    if (table.candidate) {
      backend.forceCandidate(table.collective, *table.candidate);
      if (!config.testCorruptCandidate.empty()) {
        engine.setTestCorruptRank(hasKnob(*table.candidate, config.testCorruptCandidate) ? 0 : -1);
      }
    }
    // A forced candidate is honoured when NCCL asked the tuner on the case's calls and never
    // found the pair unavailable (the plugin's counts, process-wide).
    const auto measure = [&](const CaseSpec& spec) {
      const auto before = backend.forcingCounts();
      CaseRecord r = engine.measure(spec);
      if (table.candidate) r.candidate = *table.candidate;
      const auto after = backend.forcingCounts();
      if (before && after && !r.candidate.empty()) {
        r.candidateHonoured = after->first > before->first && after->second == before->second;
      }
      return r;
    };
    for (const PlanRow& row : table.rows) {
      if (reporting) progress.show(describe(row.outOfPlace), doneRows, totalRows);
      RowRecords records;
      if (row.runOutOfPlace) records.outOfPlace = measure(row.outOfPlace);
      if (row.runInPlace) records.inPlace = measure(row.inPlace());
      for (auto* r : {&records.outOfPlace, &records.inPlace}) {
        if (!*r) continue;
        attachAlgorithm(algorithms, **r);
        // What the untimed probe saw NCCL run for this candidate has the last word: a forced pair
        // NCCL did not run is not honoured, whatever the plugin was asked.
        if (const std::optional<bool> seen = probeSawCandidate(**r); seen) {
          (*r)->candidateHonoured = (*r)->candidateHonoured.value_or(true) && *seen;
        }
      }
      trailer.cases += records.outOfPlace.has_value() + records.inPlace.has_value();
      tally.add(records);
      ++doneRows;
      if (reporting) {
        progress.clear();
        sinks->row(records);
      }
    }
    const TableSummary summary = tally.summary();
    trailer.wrongTotal += summary.wrong;
    if (verdict.ok() && summary.failed()) {
      verdict = {ExitCode::kWrongData, failureMessage(summary)};
    }
    if (reporting) sinks->endTable(summary);
  }

  trailer.exitCode = static_cast<int>(verdict.code);
  trailer.message = verdict.message;
  trailer.endUtc = utcNow();
  trailer.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (reporting) sinks->endRun(trailer);
  return verdict;
}

}  // namespace cclbench
