#pragma once
/// Timed batches and their calibration: the building blocks Engine::measure uses, exposed for
/// other drivers (the Google Benchmark programs in bench/) so they measure the same way.

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "engine/operation.hpp"

namespace cclbench {

/// The most iterations one batch may hold.
inline constexpr int kMaxIterationsPerBatch = 1 << 20;

/// How the calls of a batch are timed.
enum class BatchTiming {
  kPipelined,  ///< back to back, one clock around the batch (nccl-tests)
  kSyncEach,   ///< a barrier before every call (Backend::lineUp), each timed alone, summed (OSU)
};

/// Collective: all ranks line up (bootstrap barrier; before every call with kSyncEach,
/// Backend::lineUp), then this rank times `iterations` calls.
/// Returns this rank's seconds (0 on ranks that take no part).
double timedBatch(Backend& backend, Bootstrap& bootstrap, Operation& op, int iterations,
                  BatchTiming timing = BatchTiming::kPipelined);

/// Collective: the largest of the ranks' values.
double agreedMax(Bootstrap& bootstrap, double value);

/// What calibration settled on.
struct Calibration {
  int iterations = 1;        ///< per batch, the same on every rank
  double batchSeconds = 0;   ///< the agreed (slowest rank's) time of the accepted batch
  int probes = 0;            ///< batches timed to get there
};

/// A batch within this band around the target is accepted: close enough that timer and launch
/// noise stay small against it, and no batch runs much longer than asked.
inline constexpr double kAcceptLow = 0.75;
inline constexpr double kAcceptHigh = 1.5;

/// Collective: iterations per batch such that one batch really lasts about `batchSeconds` on the
/// slowest rank: every guess is timed (warm, all ranks agreeing on each time), and the count is
/// accepted only once a batch of it lands within [0.75, 1.5] x the target, or one iteration
/// alone takes longer. The warm-up (`warmupIterations` took the agreed `warmupSeconds`, cold)
/// only short-cuts sizes where one iteration takes far longer than the target.
Calibration calibrate(Backend& backend, Bootstrap& bootstrap, Operation& op, double batchSeconds,
                      int warmupIterations = 0, double warmupSeconds = 0,
                      BatchTiming timing = BatchTiming::kPipelined);

}  // namespace cclbench
