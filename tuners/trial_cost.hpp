#pragma once
/// What a trial costs when the engine measures it: the warm-up, calibration, batches and data
/// check of each size, and what a launch spends before its first size. The test oracles and the
/// model's simulated NCCL charge trials with it, so that strategies are compared by the time a
/// real tune would spend.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "core/run_config.hpp"
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
/// precision (after the effort's fewest batches), its low end lies above `outpacedAboveUs`
/// (--stop-outpaced, after kOutpacedMinBatches), the size budget is spent, or 1000.
template <typename Draw>
std::vector<double> engineBatches(const Effort& effort, double opSeconds, Draw draw,
                                  double outpacedAboveUs = std::numeric_limits<double>::infinity()) {
  std::vector<double> samples;
  const double batch = std::max(opSeconds, effort.batchSeconds);
  while (true) {
    samples.push_back(draw());
    const int n = static_cast<int>(samples.size());
    if (effort.samples > 0) {
      if (n >= effort.samples) break;
      continue;
    }
    const bool mayStop = n >= effort.minSamples, mayLose = n >= kOutpacedMinBatches;
    if (!mayStop && !mayLose) continue;
    const stats::Summary s = stats::summarize(samples);
    if (mayStop && stats::relativeHalfWidth(s) <= effort.precision) break;
    if (mayLose && s.medianCi.low > outpacedAboveUs) break;
    if (mayStop && (n * batch >= effort.sizeBudgetSeconds || n >= 1000)) break;
  }
  return samples;
}

/// What a launch that switches candidates per case knows when --stop-outpaced is on: the best
/// case it finished at each size. The simulated runners keep one per announced round (LaunchRunner
/// measures a round's trials of one effort in one launch, in the order they were announced); a
/// trial asked for alone is a launch of its own and has nothing to be outpaced by.
class Outpacing {
 public:
  void announce(const std::vector<TrialRequest>& requests) {
    announced_ = requests;
    bestHighUs_.clear();
  }
  /// The bar a case of `r` at `size` stops above (infinity: none).
  double barUs(const TrialRequest& r, uint64_t size) const {
    if (r.effort.outpaced < 0 || r.candidate.isDefault() || !isAnnounced(r)) {
      return std::numeric_limits<double>::infinity();
    }
    const auto it = bestHighUs_.find({keyOf(r.effort), size});
    return it == bestHighUs_.end() ? std::numeric_limits<double>::infinity()
                                   : it->second * (1 + r.effort.outpaced);
  }
  void finished(const TrialRequest& r, uint64_t size, const stats::Summary& s) {
    if (r.effort.outpaced < 0 || !isAnnounced(r)) return;
    auto [it, added] = bestHighUs_.emplace(std::make_pair(keyOf(r.effort), size), s.medianCi.high);
    if (!added) it->second = std::min(it->second, s.medianCi.high);
  }

 private:
  bool isAnnounced(const TrialRequest& r) const {
    return std::find(announced_.begin(), announced_.end(), r) != announced_.end();
  }
  /// One launch per effort in a round.
  std::size_t keyOf(const Effort& e) const {
    for (std::size_t i = 0; i < announced_.size(); ++i) {
      if (announced_[i].effort == e) return i;
    }
    return announced_.size();
  }
  std::vector<TrialRequest> announced_;
  std::map<std::pair<std::size_t, uint64_t>, double> bestHighUs_;
};

}  // namespace cclbench::tune
