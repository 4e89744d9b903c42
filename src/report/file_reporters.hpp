#pragma once
/// File sinks: JSON Lines (canonical, streamed and flushed record by record, trailer last) and
/// CSV (derived from the records, written whole at the end, atomically).

#include <memory>
#include <string>

#include "report/reporter.hpp"

namespace cclbench {

/// Creates parent folders; throws Error(kInvalidUsage) when the file cannot be created.
std::unique_ptr<Reporter> createJsonlReporter(const std::string& path);
std::unique_ptr<Reporter> createCsvReporter(const std::string& path);

/// The CSV header and one line for a record (exposed for tests and `cclbench export`).
std::string csvHeader();
std::string csvLine(const CaseRecord& record, const std::string& runId);

}  // namespace cclbench
