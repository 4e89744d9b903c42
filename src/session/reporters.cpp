#include "session/reporters.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "report/console_reporter.hpp"
#include "report/file_reporters.hpp"
#include "session/provenance.hpp"
#include "session/run_sources.hpp"
#if defined(CCLBENCH_HAVE_STORE)
#include "session/store_reporter.hpp"
#endif

namespace cclbench {
namespace {

/// `records` is the run's JSON Lines file ("" when none): where a failing database sends readers.
using Factory = std::unique_ptr<Reporter> (*)(const std::string& target, const std::string& runId,
                                              const std::string& records);

std::string recordsPath(const std::string& target, const std::string& runId) {
  return target.empty() ? defaultRecordsPath(runId) : target;
}

struct ReporterKind {
  const char* name;
  Factory create;
};

const ReporterKind kReporters[] = {
    {"console",
     [](const std::string&, const std::string&, const std::string&) {
       return createConsoleReporter(stdout);
     }},
    {"jsonl",
     [](const std::string& target, const std::string& runId, const std::string&) {
       return createJsonlReporter(recordsPath(target, runId));
     }},
    {"csv",
     [](const std::string& target, const std::string&, const std::string&) {
       return createCsvReporter(target);
     }},
#if defined(CCLBENCH_HAVE_STORE)
    // The header carries the run's tags and labels; the store files them from there.
    {"store",
     [](const std::string& target, const std::string&, const std::string& records) {
       return createStoreReporter(resultsDatabasePath(target), RunMeta{}, records);
     }},
#endif
};

}  // namespace

std::unique_ptr<ReporterList> createReporters(const std::vector<ReporterSpec>& specs,
                                              const std::string& runId) {
  auto list = std::make_unique<ReporterList>();
  std::string records;
  for (const ReporterSpec& spec : specs) {
    if (spec.name == "jsonl") records = recordsPath(spec.target, runId);
  }
  for (const ReporterSpec& spec : specs) {
    const ReporterKind* kind = nullptr;
    for (const ReporterKind& k : kReporters) {
      if (spec.name == k.name) kind = &k;
    }
    if (!kind) {
      if (spec.name == "store") continue;  // a build without SQLite keeps no history
      throw usageError("unknown output '" + spec.name + "'");
    }
    list->add(kind->create(spec.target, runId, records));
  }
  return list;
}

std::vector<std::string> reporterNames() {
  std::vector<std::string> names;
  for (const ReporterKind& k : kReporters) names.push_back(k.name);
  return names;
}

}  // namespace cclbench
