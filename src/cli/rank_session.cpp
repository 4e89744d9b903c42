#include "cli/rank_session.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/algorithm_probe.hpp"
#include "cli/provenance.hpp"
#include "cli/run_sources.hpp"
#if defined(CCLBENCH_HAVE_STORE)
#include "cli/store_reporter.hpp"
#endif
#include "core/sizes.hpp"
#include "engine/engine.hpp"
#include "report/console_reporter.hpp"
#include "report/file_reporters.hpp"

namespace cclbench {
namespace {

/// "[cclbench] allreduce 64 KiB (13/52)" on stderr, redrawn in place, when stderr is a terminal.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }
  void show(const std::string& what, std::size_t done, std::size_t total) {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K[cclbench] %s (%zu/%zu)", what.c_str(), done + 1, total);
    std::fflush(stderr);
  }
  void clear() {
    if (enabled_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
};

std::unique_ptr<ReporterList> createReporters(const RunConfig& config, const std::string& runId) {
  auto reporters = std::make_unique<ReporterList>();
  reporters->add(createConsoleReporter(stdout));
  if (config.writeJsonl) {
    reporters->add(createJsonlReporter(config.jsonlPath.empty() ? defaultRecordsPath(runId)
                                                                : config.jsonlPath));
  }
  if (!config.csvPath.empty()) reporters->add(createCsvReporter(config.csvPath));
#if defined(CCLBENCH_HAVE_STORE)
  if (config.writeDb) {
    // The header carries the run's tags and labels; the store files them from there.
    reporters->add(createStoreReporter(resultsDatabasePath(config.dbPath), RunMeta{}));
  }
#endif
  return reporters;
}

std::string failureMessage(const TableSummary& s) {
  char text[256];
  if (s.wrong) {
    std::snprintf(text, sizeof text, "%s: %llu wrong elements", name(s.collective),
                  static_cast<unsigned long long>(s.wrong));
  } else {
    std::snprintf(text, sizeof text, "%s: busbw %.2f GB/s at %s is under the floor %.2f GB/s",
                  name(s.collective), s.largestBusBandwidth, formatBytes(s.largestBytes).c_str(),
                  *s.busBwFloor);
  }
  return text;
}

/// The tightest rank's buffer memory limit (collective: every rank must plan the same sizes).
std::optional<uint64_t> agreedMemoryLimit(Bootstrap& bootstrap, const Backend& backend) {
  uint64_t limit = backend.memoryLimitBytes().value_or(UINT64_MAX);
  bootstrap.allReduce(&limit, 1, Bootstrap::Op::kMin);
  return limit == UINT64_MAX ? std::nullopt : std::optional<uint64_t>(limit);
}

}  // namespace

Verdict runSession(const RunConfig& config, Bootstrap& bootstrap, Backend& backend,
                   const SessionContext& context, Watchdog* watchdog) {
  const auto start = std::chrono::steady_clock::now();
  const bool reporting = bootstrap.place().rank == 0;

  // Setup: plan and sinks. Failures here are agreed, so every rank ends the same way.
  std::vector<PlanTable> plan;
  std::unique_ptr<ReporterList> reporters;
  std::optional<Error> setupError;
  const std::string& runId = context.runId;
  const std::optional<uint64_t> memoryLimit = agreedMemoryLimit(bootstrap, backend);
  AlgorithmChoices algorithms;
  try {
    validateForWorld(config, backend.size());
    if (!config.algorithmsFile.empty()) algorithms = readAlgorithmChoices(config.algorithmsFile);
    plan = buildPlan(config, backend.size(), backend, memoryLimit);
    if (reporting) reporters = createReporters(config, runId);
  } catch (const Error& e) {
    setupError = e;
  }
  if (Verdict v = agreeOn(bootstrap, setupError); !v.ok()) return v;

  RunHeader header = collectProvenance(bootstrap, backend, config, context.commandLine,
                                       context.launcher);
  header.runId = runId;
  if (!context.transport.is_null()) header.transport = context.transport;
  if (reporting) reporters->beginRun(header);

  std::size_t totalRows = 0, doneRows = 0;
  for (const PlanTable& t : plan) totalRows += t.rows.size();
  ProgressLine progress(reporting && config.progress);
  Engine engine(backend, bootstrap, config, watchdog);
  Trailer trailer{runId, "complete", 0, "", 0, 0, "", 0};
  Verdict verdict;
  for (const PlanTable& table : plan) {
    if (reporting) {
      reporters->beginTable({table.collective, info(table.collective).hasInPlace,
                             table.skippedBytes, table.notes});
    }
    TableTally tally(table.collective, config.minBusBandwidth);
    for (const PlanRow& row : table.rows) {
      if (reporting) progress.show(describe(row.outOfPlace), doneRows, totalRows);
      RowRecords records;
      if (row.runOutOfPlace) records.outOfPlace = engine.measure(row.outOfPlace);
      if (row.runInPlace) records.inPlace = engine.measure(row.inPlace());
      for (auto* r : {&records.outOfPlace, &records.inPlace}) {
        if (*r) attachAlgorithm(algorithms, **r);
      }
      trailer.cases += records.outOfPlace.has_value() + records.inPlace.has_value();
      tally.add(records);
      ++doneRows;
      if (reporting) {
        progress.clear();
        reporters->row(records);
      }
    }
    const TableSummary summary = tally.summary();
    trailer.wrongTotal += summary.wrong;
    if (verdict.ok() && (summary.wrong > 0 || summary.belowFloor)) {
      verdict = {ExitCode::kWrongData, failureMessage(summary)};
    }
    if (reporting) reporters->endTable(summary);
  }

  trailer.exitCode = static_cast<int>(verdict.code);
  trailer.message = verdict.message;
  trailer.endUtc = utcNow();
  trailer.wallSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (reporting) reporters->endRun(trailer);
  return verdict;
}

}  // namespace cclbench
