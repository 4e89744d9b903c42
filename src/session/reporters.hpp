#pragma once
/// The sinks of a run's records, chosen by name from one table (as Google Benchmark's
/// CreateReporter): console, jsonl, csv, store. Only rank 0 creates them.

#include <memory>
#include <string>
#include <vector>

#include "report/reporter.hpp"
#include "session/run_options.hpp"

namespace cclbench {

/// Creates the sinks `specs` names, in order. Every target is opened now (files created,
/// the database opened and migrated), so a bad path fails before anything is measured.
/// Throws Error(kInvalidUsage) naming the path, or for a name the table does not hold.
std::unique_ptr<ReporterList> createReporters(const std::vector<ReporterSpec>& specs,
                                              const std::string& runId);

/// The names the table holds, in its order.
std::vector<std::string> reporterNames();

}  // namespace cclbench
