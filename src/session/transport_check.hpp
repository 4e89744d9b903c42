#pragma once
/// Which path NCCL really used: `--fabric` sets the NCCL environment that forces a path, NCCL's
/// INFO log (INIT, NET and GRAPH subsystems only, one file per process in a per-run folder) is
/// parsed after a short untimed probe, and a path other than the one asked for is exit 9.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/environment.hpp"
#include "session/run_options.hpp"
#include "inspect/fabric.hpp"
#include "inspect/nccl_log.hpp"

namespace cclbench {

class Backend;

/// Decided once per process, before NCCL is first called (NCCL reads NCCL_DEBUG* once).
struct TransportSetup {
  std::optional<Fabric> fabric;
  std::optional<FabricEnvironment> fabricEnvironment;
  bool cclbenchOwnsDebug = false;  ///< false: the user set NCCL_DEBUG* and it is respected
  std::string logFolder;           ///< where this run's NCCL debug files go
  std::string note;                ///< e.g. why verification may be incomplete
};

/// Sets the process environment for an NCCL run: the fabric's variables (the user's own NCCL_*
/// values win) and NCCL_DEBUG=INFO / SUBSYS=INIT,NET,GRAPH / DEBUG_FILE in `logFolder`, unless the
/// user set NCCL_DEBUG* themselves. Throws Error(kInvalidUsage) for an unknown fabric.
TransportSetup prepareNcclEnvironment(const std::string& fabric, const NcclSessionSettings& settings,
                                      const std::string& logFolder, const Environment& userEnv);

/// What this process's NCCL log says so far, and the verdict for the fabric asked for.
struct TransportCheck {
  NcclLogSummary log;
  std::optional<FabricVerification> verification;
  bool logFound = false;
};

/// Parses this process's debug file(s) in the setup's folder.
TransportCheck checkTransport(const TransportSetup& setup);

/// One untimed all-reduce and one send/recv ring so NCCL connects its channels (it connects
/// lazily) and logs their transports.
void probeConnections(Backend& backend);

/// The run header's "transport" object.
nlohmann::json transportJson(const TransportSetup& setup, const TransportCheck& check);

}  // namespace cclbench
