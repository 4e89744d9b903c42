#pragma once
/// The measurement engine: runs one case (warm-up, calibration, timed batches until the
/// confidence target or the budget, data checks) and returns its record. Never prints.

#include <memory>
#include <vector>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "core/record.hpp"
#include "core/run_config.hpp"
#include "engine/plan.hpp"
#include "engine/watchdog.hpp"

namespace cclbench {

class Engine {
 public:
  /// `watchdog` may be null (no timeouts). All references must outlive the engine.
  Engine(Backend& backend, Bootstrap& bootstrap, const RunConfig& config, Watchdog* watchdog);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Allocates, before the first case, the buffers the largest of `specs` needs, so that a sweep
  /// reuses one allocation and writes its input pattern once. Best effort: where that much memory
  /// cannot be had, buffers grow case by case and the case that does not fit fails as it would.
  void reserveFor(const std::vector<CaseSpec>& specs);

  /// Measures one case on every rank (a collective call: all ranks must call it with the same
  /// spec). The record is identical on all ranks except perRankSamplesUs (rank 0 only).
  CaseRecord measure(const CaseSpec& spec);

  /// Hidden test switch: this rank corrupts one output element of every following case's data
  /// check (-1: none; RunConfig::testCorruptRank at first).
  void setTestCorruptRank(int rank);

  /// Whether the cases that follow measure the default (no candidate forced: --candidates'
  /// entry without knobs; true at first). The default's cases never stop outpaced: every tuning
  /// decision compares against them.
  void setMeasuringDefault(bool measuringDefault);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// How many single operations one timed iteration holds, for the per-operation time:
/// 2 for latency (half the round trip), the window for bw and bibw, 1 otherwise.
int operationsPerIteration(Collective c, int window);

/// "allreduce 1 MiB float sum out-of-place": what a case is, for messages.
std::string describe(const CaseSpec& spec);

}  // namespace cclbench
