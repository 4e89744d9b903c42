#pragma once
/// Sample statistics for timing: median with a distribution-free confidence interval,
/// quantiles, coefficient of variation.

#include <cstddef>
#include <vector>

namespace cclbench::stats {

/// A confidence interval for the median from order statistics (no normality assumed):
/// [x_(j), x_(n+1-j)] with the largest j whose binomial coverage is >= the confidence asked.
/// With too few samples for that coverage (n < 6 at 95%) it is [min, max] and `coverage`
/// says what that interval really covers.
struct Interval {
  double low = 0;
  double high = 0;
  double coverage = 0;
  bool operator==(const Interval&) const = default;
};

struct Summary {
  std::size_t count = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;  ///< sample standard deviation (n-1)
  double cv = 0;      ///< stddev / mean
  Interval medianCi;
  bool operator==(const Summary&) const = default;
};

/// Quantile q in [0,1] of sorted samples, linearly interpolated (Hyndman-Fan type 7).
double quantile(const std::vector<double>& sorted, double q);

/// P(X <= k) for X ~ Binomial(n, 1/2).
double binomialHalfCdf(std::size_t n, std::size_t k);

Interval medianInterval(const std::vector<double>& sorted, double confidence);

/// Summarises samples (any order); an empty input gives a zero summary.
Summary summarize(std::vector<double> samples, double confidence = 0.95);

/// Half-width of the median's interval relative to the median.
double relativeHalfWidth(const Summary& s);

}  // namespace cclbench::stats
