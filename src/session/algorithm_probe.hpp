#pragma once
/// NCCL's algorithm and protocol per collective and size, captured by an untimed probe: NCCL
/// logs its choice per call only with the TUNING subsystem on, and reads NCCL_DEBUG_SUBSYS once
/// per process, so the probe is a process of its own (one call per case, nothing timed) and the
/// measuring run attaches its findings to the records. Timed loops never run with TUNING on.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

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
  bool operator==(const AlgorithmChoice&) const = default;
};

/// Keyed by (candidate forced, cclbench collective name, bytes as NCCL logs them); the candidate
/// is candidateKey() of its knobs, "" where none was forced.
using AlgorithmChoices = std::map<std::tuple<std::string, std::string, uint64_t>, AlgorithmChoice>;

/// "algorithm=ring,protocol=simple": a candidate's knobs as one key ("" for none).
std::string candidateKey(const std::map<std::string, std::string>& knobs);

/// Collective: issues every planned case once (out-of-place; a --candidates table with its
/// candidate forced, as the measuring run forces it), then rank 0 reads its NCCL log and writes
/// the choices to `file` (JSON, written whole then renamed).
Verdict runAlgorithmProbe(const RunConfig& config, const std::string& file, Bootstrap& bootstrap,
                          Backend& backend, const TransportSetup& setup);

/// The choices an NCCL log holds (collectives NCCL tunes: all but send/recv and all-to-all).
AlgorithmChoices choicesFromLog(const NcclLogSummary& log);

/// One call the probe made, in order.
struct ProbeCall {
  std::string candidate;  ///< candidateKey of what was forced
  Collective collective;
  uint64_t sizeBytes;     ///< the size column
  uint64_t countBytes;    ///< count x element size (NCCL logs per-rank bytes for some)
};

/// NCCL's logged choices (NcclLogSummary::algorithmCalls, in order) assigned to the probe's
/// calls in order: each call takes the next logged choice of its collective and bytes, so a
/// (collective, bytes) that every candidate repeats is told apart by position. A call NCCL logged
/// nothing for (send/recv, one rank) gets no choice.
AlgorithmChoices choicesOfCalls(const std::vector<ProbeCall>& calls,
                                const std::vector<NcclAlgoChoice>& logged);

/// Whether the choice attachAlgorithm gave this record is the candidate forced for it (algorithm
/// and protocol, NCCL's spelling or cclbench's); nullopt where no pair was forced or the probe saw
/// no choice.
std::optional<bool> probeSawCandidate(const CaseRecord& record);

/// Reads a probe file; throws Error(kInvalidUsage) naming it when unreadable or malformed.
AlgorithmChoices readAlgorithmChoices(const std::string& path);

/// Fills record.nccl* from `choices` when one matches the record's collective, size and candidate
/// (NCCL logs per-rank bytes for all-gather and reduce-scatter: both the size column and count x
/// element size are tried).
void attachAlgorithm(const AlgorithmChoices& choices, CaseRecord& record);

}  // namespace cclbench
