#pragma once
/// Statistics for comparing two sets of timings: the Mann-Whitney U test, a bootstrap
/// confidence interval of the ratio of medians, the Benjamini-Hochberg adjustment and the
/// geometric mean. Pure functions; everything random takes a seed and is reproducible on any
/// platform (the generator and the index draws are defined here, not by the standard library).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cclbench::analysis {

/// The outcome of a two-sided Mann-Whitney U (Wilcoxon rank-sum) test.
struct MannWhitney {
  double u = 0;        ///< U of the first sample: pairs (a, b) with a > b, ties counting 1/2
  double p = 1;        ///< two-sided p-value
  bool exact = false;  ///< true: exact null distribution; false: normal approximation
};

/// Largest sample size (each side) for which the exact distribution is used when there are
/// no ties (R's wilcox.test uses the same limit).
inline constexpr std::size_t kExactMannWhitneyLimit = 50;

/// Two-sided Mann-Whitney U test of "a and b come from the same distribution". Exact for
/// samples without ties of fewer than kExactMannWhitneyLimit values each; otherwise the normal
/// approximation with the tie correction of the variance and a continuity correction of 1/2.
/// p is 1 when either side is empty or every value is the same.
MannWhitney mannWhitney(const std::vector<double>& a, const std::vector<double>& b);

/// P(U <= u) under the null hypothesis for samples of sizes n1 and n2 without ties.
double mannWhitneyExactCdf(std::size_t n1, std::size_t n2, double u);

/// The smallest two-sided p-value the test can give for these sample sizes (no ties):
/// 2 / C(n1 + n2, n1). A test whose smallest p is not below alpha can never find a change.
double mannWhitneyMinimumP(std::size_t n1, std::size_t n2);

/// A percentile bootstrap interval of a ratio, with the ratio of the samples themselves.
struct RatioInterval {
  double estimate = 0;  ///< median(b) / median(a)
  double low = 0;
  double high = 0;
};

struct BootstrapOptions {
  int resamples = 2000;
  double confidence = 0.95;
  uint64_t seed = 0x5eed;
};

/// Confidence interval of median(b) / median(a): each side is resampled with replacement
/// independently, and the interval is the (1-c)/2 and (1+c)/2 quantiles of the resampled
/// ratios. Both sides must be non-empty with positive medians.
RatioInterval bootstrapMedianRatio(const std::vector<double>& a, const std::vector<double>& b,
                                   const BootstrapOptions& options = {});

/// Benjamini-Hochberg adjusted p-values (q-values), in the order given: rejecting every
/// hypothesis with q < alpha keeps the expected false discovery rate at or below alpha.
std::vector<double> benjaminiHochberg(const std::vector<double>& pValues);

/// exp(mean(log x)); NaN when empty or when any value is not positive.
double geometricMean(const std::vector<double>& values);

/// The median (mean of the middle two for an even count); 0 when empty.
double median(std::vector<double> values);

/// P(Z <= z) for a standard normal Z.
double normalCdf(double z);

/// A small, fully specified random generator (SplitMix64) so seeded results are identical on
/// every platform and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  /// Uniform in [0, bound) without modulo bias; bound > 0.
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};

}  // namespace cclbench::analysis
