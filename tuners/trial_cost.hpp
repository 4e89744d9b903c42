#pragma once
/// What a trial costs when the engine measures it: the warm-up, calibration, batches and data
/// check of each size, and what a launch spends before its first size. The test oracles and the
/// model's simulated NCCL charge trials with it, so that strategies are compared by the time a
/// real tune would spend.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/stats.hpp"
#include "tuners/trials.hpp"

namespace cclbench::tune {

/// What a launch spends on its buffers per byte of its largest size: allocating and touching
/// them (once: the smaller sizes reuse them), and writing the input pattern (once, and only where
/// the data is checked); and what the data check costs per byte beyond its one run of the
/// collective. Measured with `cclbench run allreduce --np 2 --samples 1 -c 0|1` at 64 and
/// 256 MiB on the 2-core machines of this project (tests/fixtures/tune/README.md).
inline constexpr double kTouchSecondsPerByte = 1.5e-9;
inline constexpr double kPatternSecondsPerByte = 1.7e-9;
inline constexpr double kCheckSecondsPerByte = 1.2e-9;

/// What a launch costs before its measurements: starting the ranks, and the buffers.
inline double startUpSeconds(double startSeconds, const TrialRequest& r) {
  const double bytes = static_cast<double>(r.sizes.back());
  return startSeconds + bytes * kTouchSecondsPerByte +
         (r.effort.check ? bytes * kPatternSecondsPerByte : 0);
}

/// The cost the engine pays for one size of a trial: a warm-up iteration, calibration unless
/// that cold iteration was already four times the target (then about one probe and one batch),
/// the batches (each about the target, or one iteration when that is longer), and the data
/// check where the effort asks for it.
inline double measurementSeconds(uint64_t bytes, double opSeconds, const Effort& effort,
                                 std::size_t batches) {
  const double batch = std::max(opSeconds, effort.batchSeconds);
  return opSeconds + (opSeconds > 4 * effort.batchSeconds ? 0 : opSeconds + effort.batchSeconds) +
         static_cast<double>(batches) * batch +
         (effort.check ? opSeconds + static_cast<double>(bytes) * kCheckSecondsPerByte : 0);
}

/// How many batches the engine takes: fixed, or until the median's interval is within the
/// precision (at least five), the size budget is spent, or 1000.
template <typename Draw>
std::vector<double> engineBatches(const Effort& effort, double opSeconds, Draw draw) {
  std::vector<double> samples;
  const double batch = std::max(opSeconds, effort.batchSeconds);
  while (true) {
    samples.push_back(draw());
    const int n = static_cast<int>(samples.size());
    if (effort.samples > 0) {
      if (n >= effort.samples) break;
      continue;
    }
    if (n < 5) continue;
    if (stats::relativeHalfWidth(stats::summarize(samples)) <= effort.precision ||
        n * batch >= effort.sizeBudgetSeconds || n >= 1000) {
      break;
    }
  }
  return samples;
}

}  // namespace cclbench::tune
