#pragma once
/// Timed batches and their calibration: the building blocks Engine::measure uses, exposed for
/// other drivers (the Google Benchmark programs in bench/) so they measure the same way.

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "engine/operation.hpp"

namespace cclbench {

/// The most iterations one batch may hold.
inline constexpr int kMaxIterationsPerBatch = 1 << 20;

/// Collective: all ranks line up (bootstrap barrier), then this rank times `iterations` calls.
/// Returns this rank's seconds (0 on ranks that take no part).
double timedBatch(Backend& backend, Bootstrap& bootstrap, Operation& op, int iterations);

/// Collective: the largest of the ranks' values.
double agreedMax(Bootstrap& bootstrap, double value);

/// Collective: iterations per batch such that one batch lasts about `batchSeconds` on the
/// slowest rank; every rank gets the same count. Probing batches double as warm-up. A batch
/// already timed (the warm-up: `knownIterations` iterations took the agreed `knownSeconds`)
/// serves as the first probe, which saves an iteration of the largest sizes.
int calibrateIterations(Backend& backend, Bootstrap& bootstrap, Operation& op, double batchSeconds,
                        int knownIterations = 0, double knownSeconds = 0);

}  // namespace cclbench
