#pragma once
/// A change in a case's nightly history, jumps and slow drifts alike: E-divisive means (Matteson
/// and James, 2014; the method of MongoDB's performance CI and Hunter) for one change point, with
/// a permutation test. The split that maximises the energy divergence between the values before
/// and after it is the candidate; shuffling the series many times says how often a split that
/// strong appears by chance (the p-value). Values are compared on a log scale, so a 5% change
/// weighs the same at 2 us and at 2 ms.
///
/// Against a moving baseline (the median of the last nights) a drift of 0.5% a night never looks
/// like more than a couple of percent, because the baseline drifts too; the change point sees the
/// whole history, so the drift's start stands out. Where the change began, and how far it has
/// gone, come from a least-squares fit: a step (two levels) or a hinge (a level, then a line),
/// whichever fits better.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace cclbench::analysis {

struct ChangePointOptions {
  int permutations = 199;      ///< shuffles for the p-value (p >= 1 / (permutations + 1))
  std::size_t minSegment = 4;  ///< values on each side of a split, at least
  uint64_t seed = 1;           ///< the shuffles are seeded: the same history, the same answer
};

struct ChangePoint {
  std::size_t index = 0;  ///< the first value after the change (for a drift: where it began)
  double statistic = 0;   ///< the energy divergence of the split, scaled by its sizes
  double p = 1;           ///< permutation p-value
  double fitted = 0;      ///< the fitted step or hinge: its last value against its level before
  /// How far the series has moved from its level before the change, by the fit (+0.05: 5% higher).
  double change() const { return fitted; }
};

/// The most likely change point of `series` (positive values) and its p-value; nothing when the
/// series is too short for two segments of minSegment.
std::optional<ChangePoint> findChangePoint(const std::vector<double>& series, const ChangePointOptions& options = {});

}  // namespace cclbench::analysis
