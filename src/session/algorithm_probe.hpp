#pragma once
/// NCCL's algorithm and protocol per collective and size, captured by an untimed probe: NCCL
/// logs its choice per call only with the TUNING subsystem on, and reads NCCL_DEBUG_SUBSYS once
/// per process, so the probe is a process of its own (one call per case, nothing timed) and the
/// measuring run attaches its findings to the records. Timed loops never run with TUNING on.

#include <map>
#include <string>
#include <tuple>

#include "backends/backend.hpp"
#include "session/agreement.hpp"
#include "session/transport_check.hpp"
#include "core/bootstrap.hpp"
#include "core/record.hpp"
#include "core/run_config.hpp"

namespace cclbench {

/// NCCL's choice for one (collective, bytes).
struct AlgorithmChoice {
  std::string algorithm;
  std::string protocol;
  int channels = 0;
};

/// Keyed by (cclbench collective name, bytes as NCCL logs them).
using AlgorithmChoices = std::map<std::pair<std::string, uint64_t>, AlgorithmChoice>;

/// Collective: issues every planned case once (out-of-place), then rank 0 reads its NCCL log and
/// writes the choices to `file` (JSON, written whole then renamed).
Verdict runAlgorithmProbe(const RunConfig& config, const std::string& file, Bootstrap& bootstrap,
                          Backend& backend, const TransportSetup& setup);

/// The choices an NCCL log holds (collectives NCCL tunes: all but send/recv and all-to-all).
AlgorithmChoices choicesFromLog(const NcclLogSummary& log);

/// Reads a probe file; throws Error(kInvalidUsage) naming it when unreadable or malformed.
AlgorithmChoices readAlgorithmChoices(const std::string& path);

/// Fills record.nccl* from `choices` when one matches (NCCL logs per-rank bytes for all-gather
/// and reduce-scatter: both the size column and count x element size are tried).
void attachAlgorithm(const AlgorithmChoices& choices, CaseRecord& record);

}  // namespace cclbench
