#pragma once
/// The run header: who ran what, where, with which libraries and environment.

#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "core/environment.hpp"
#include "core/record.hpp"
#include "session/run_options.hpp"

namespace cclbench {

/// Collective: every rank sends its host and CPU binding to rank 0 (fixed-size, once per run).
/// The returned header is complete on rank 0 only.
RunHeader collectProvenance(Bootstrap& bootstrap, const Backend& backend,
                            const RunOptions& options,
                            const std::vector<std::string>& commandLine,
                            const std::string& launcher);

/// The CPUs of a list like "0-3,8" (empty for text that is not one).
std::vector<int> parseCpuList(const std::string& list);

/// Whether any host runs more ranks than the cores they may use (the union of their CPU
/// bindings): {oversubscribed, hosts: [{host, ranks, cores}] (oversubscribed hosts only, at most
/// 16), yield_when_idle: Open MPI's setting or null, set_by: "cclbench" | "user"}.
nlohmann::json oversubscriptionOf(const std::vector<HostEntry>& hosts, const Environment& env);

/// One line for an oversubscribed run ("" when it is not).
std::string oversubscriptionWarning(const nlohmann::json& oversubscription);

/// A fresh run id: UTC time plus random hex.
std::string newRunId();

/// results/cclbench-<run id>.jsonl
std::string defaultRecordsPath(const std::string& runId);

}  // namespace cclbench
