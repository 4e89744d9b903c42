#pragma once
/// One rank's part of `cclbench run` once the world exists: plan, provenance, measure every
/// case, report (rank 0), and reach the run's verdict.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.hpp"
#include "cli/agreement.hpp"
#include "core/bootstrap.hpp"
#include "core/run_config.hpp"
#include "engine/watchdog.hpp"

namespace cclbench {

struct SessionContext {
  std::vector<std::string> commandLine;
  std::string launcher;
  std::string runId;          ///< agreed by all ranks before the backend exists
  nlohmann::json transport;   ///< NCCL transports seen by the start-up probe (null for MPI)
};

/// Collective over all ranks. Setup failures are agreed and returned; failures in the middle
/// of measuring throw (the caller reports them with rank and host and aborts the job).
Verdict runSession(const RunConfig& config, Bootstrap& bootstrap, Backend& backend,
                   const SessionContext& context, Watchdog* watchdog);

}  // namespace cclbench
