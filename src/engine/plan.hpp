#pragma once
/// From configuration to the list of cases: one table per collective, one row per
/// (type, op, size), each row measured out-of-place and/or in-place.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/collective.hpp"
#include "core/run_config.hpp"

namespace cclbench {

class Backend;

/// Everything that identifies one measured case.
struct CaseSpec {
  Collective collective;
  DType dtype;
  RedOp op;
  int root;  ///< -1 where the collective has none
  uint64_t requestedBytes;
  CaseShape shape;
  Placement placement;
  uint64_t seed;  ///< pattern seed, different for every case
  int pairRound = -1;  ///< --all-pairs: the circle method's round (-1: the configured pair)
};

struct PlanRow {
  CaseSpec outOfPlace;  ///< placement kOutOfPlace; the in-place case differs only in placement
  bool runOutOfPlace;
  bool runInPlace;
  CaseSpec inPlace() const;
};

/// All rows of one collective: one console table and one footer.
struct PlanTable {
  Collective collective;
  std::vector<PlanRow> rows;
  std::vector<uint64_t> skippedBytes;  ///< requested sizes whose count rounds down to 0
  std::vector<std::string> notes;      ///< e.g. sizes dropped because memory is short
  /// With candidate sweeps: the candidate forced while this table runs (empty: NCCL's own).
  std::optional<std::map<std::string, std::string>> candidate;
};

/// Builds the plan; throws Error(kInvalidUsage) when a collective has no size left after
/// rounding, and Error(kNotAvailable) when the backend cannot run a requested combination.
/// Sizes whose buffers need more than `memoryLimitBytes` (agreed across ranks: the tightest
/// rank's) are dropped with one note per table.
std::vector<PlanTable> buildPlan(const RunConfig& config, int nranks, const Backend& backend,
                                 std::optional<uint64_t> memoryLimitBytes = std::nullopt);

/// Bytes of buffers a case needs on one rank (send buffer plus the larger of send and receive).
uint64_t bufferBytesOf(const CaseShape& shape, DType type);

}  // namespace cclbench
