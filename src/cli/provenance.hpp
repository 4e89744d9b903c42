#pragma once
/// The run header: who ran what, where, with which libraries and environment.

#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "core/record.hpp"

namespace cclbench {

/// Collective: every rank sends its host and CPU binding to rank 0 (fixed-size, once per run).
/// The returned header is complete on rank 0 only.
RunHeader collectProvenance(Bootstrap& bootstrap, const Backend& backend, const RunConfig& config,
                            const std::vector<std::string>& commandLine,
                            const std::string& launcher);

/// A fresh run id: UTC time plus random hex.
std::string newRunId();

/// results/cclbench-<run id>.jsonl
std::string defaultRecordsPath(const std::string& runId);

}  // namespace cclbench
