#include "engine/plan.hpp"

#include "backends/backend.hpp"
#include <algorithm>

#include "core/error.hpp"
#include "core/pair_rounds.hpp"
#include "core/sizes.hpp"

namespace cclbench {
namespace {

uint64_t caseSeed(Collective c, DType t, RedOp op, uint64_t bytes) {
  return fnv1a(std::string(name(c)) + "/" + name(t) + "/" + name(op) + "/" + std::to_string(bytes));
}

}  // namespace

CaseSpec PlanRow::inPlace() const {
  CaseSpec spec = outOfPlace;
  spec.placement = Placement::kInPlace;
  spec.seed ^= 0x5bd1e995ull;
  return spec;
}

uint64_t bufferBytesOf(const CaseShape& shape, DType type) {
  return (shape.sendCount + std::max(shape.sendCount, shape.recvCount)) * sizeOf(type);
}

std::vector<PlanTable> buildPlan(const RunConfig& config, int nranks, const Backend& backend,
                                 std::optional<uint64_t> memoryLimitBytes) {
  if (!config.candidateSweeps.empty()) {  // one table per candidate, its own sizes
    std::vector<PlanTable> tables;
    for (const RunConfig::CandidateSweep& s : config.candidateSweeps) {
      RunConfig one = config;
      one.candidateSweeps.clear();
      one.collectives = {s.collective};
      one.sweep.sizes = s.sizes;
      for (PlanTable& t : buildPlan(one, nranks, backend, memoryLimitBytes)) {
        t.candidate = s.knobs;
        tables.push_back(std::move(t));
      }
    }
    return tables;
  }
  if (config.stream) {
    if (const std::string why = backend.streamUnsupportedReason(); !why.empty()) {
      throw Error(ExitCode::kNotAvailable, why);
    }
  }
  const std::vector<uint64_t> sizes = sweepSizes(config.sweep);
  std::vector<PlanTable> tables;
  for (Collective c : config.collectives) {
    const CollectiveInfo& ci = info(c);
    if (!config.outOfPlace && !ci.hasInPlace) {
      throw usageError(std::string(ci.name) + " has no in-place variant: use --place out or both");
    }
    PlanTable table{c, {}, {}, {}, std::nullopt};
    if (c == Collective::kBandwidth && config.stream) {
      table.notes.push_back("streamed: " + std::to_string(config.window) +
                            " messages kept in flight, one ack per timed batch (ucx_perftest's "
                            "tag_bw), not one per window (osu_bw)");
    }
    const std::vector<RedOp> ops = ci.reduces ? config.ops : std::vector<RedOp>{RedOp::kNone};
    for (DType type : config.dtypes) {
      for (RedOp op : ops) {
        if (const std::string why = backend.unsupportedReason(c, type, op); !why.empty()) {
          throw Error(ExitCode::kNotAvailable, std::string(ci.name) + " " + name(type) + " " +
                                                   name(op) + ": " + why);
        }
        for (uint64_t bytes : sizes) {
          const CaseShape shape = shapeOf(c, bytes, sizeOf(type), nranks);
          if (memoryLimitBytes && bufferBytesOf(shape, type) > *memoryLimitBytes) {
            if (table.notes.empty()) {
              table.notes.push_back(
                  "sizes from " + formatBytes(shape.sizeBytes) + " up need more than the " +
                  formatBytesApprox(*memoryLimitBytes) +
                  " of buffer memory free on the tightest rank: the sweep is capped below");
            }
            continue;
          }
          if (shape.count == 0) {
            if (type == config.dtypes.front() && op == ops.front()) {
              table.skippedBytes.push_back(bytes);
            }
            continue;
          }
          PlanRow row{{c, type, op, ci.rooted ? config.root : -1, bytes, shape,
                       Placement::kOutOfPlace, caseSeed(c, type, op, bytes)},
                      config.outOfPlace,
                      config.inPlace && ci.hasInPlace};
          if (!row.runOutOfPlace && !row.runInPlace) continue;
          if (!(config.allPairs && ci.pointToPoint)) {
            table.rows.push_back(row);
            continue;
          }
          // Every pair of ranks: one row per round of the circle method, same size.
          const int rounds = static_cast<int>(circleRounds(nranks).size());
          for (int round = 0; round < rounds; ++round) {
            row.outOfPlace.pairRound = round;
            table.rows.push_back(row);
          }
        }
      }
    }
    if (table.rows.empty()) {
      throw usageError(std::string(ci.name) + ": every size rounds down to 0 elements on " +
                       std::to_string(nranks) + " ranks; raise -e (at least " +
                       std::to_string(16 * nranks) + " bytes)");
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

}  // namespace cclbench
