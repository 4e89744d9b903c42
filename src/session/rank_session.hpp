#pragma once
/// One rank's part of a measuring session once the world exists: plan, provenance, measure every
/// case, report (rank 0), and reach the run's verdict.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "engine/watchdog.hpp"
#include "session/agreement.hpp"
#include "session/interruption.hpp"
#include "session/run_options.hpp"

namespace cclbench {

/// What the process knows about this rank's run besides its options.
struct SessionContext {
  std::vector<std::string> commandLine;
  std::string launcher;
  std::string launcherInterface;  ///< pmix, pmi2 ... ("" unknown)
  std::string runId;              ///< agreed by all ranks before the backend exists
  nlohmann::json transport;       ///< NCCL transports seen by the start-up probe (null for MPI)
  std::string algorithmsFile;     ///< NCCL's choices from an earlier probe ("" none)
  std::string mpiThreadRequested; ///< "" without MPI
  std::string mpiThreadProvided;
  bool progress = false;          ///< rank 0 may draw a progress line on stderr
  LiveRank* live = nullptr;       ///< where helper threads find the sinks to end the run
};

/// Collective over all ranks. Setup failures are agreed and returned; failures in the middle
/// of measuring throw (the caller reports them with rank and host and aborts the job).
Verdict runSession(const RunOptions& options, Bootstrap& bootstrap, Backend& backend,
                   const SessionContext& context, Watchdog* watchdog);

}  // namespace cclbench
