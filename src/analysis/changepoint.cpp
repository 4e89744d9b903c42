#include "analysis/changepoint.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace cclbench::analysis {
namespace {

/// The best split of `v` (its index and scaled divergence), in O(n^2): within-segment sums are
/// grown from each end, the between sum is what the total leaves.
std::pair<std::size_t, double> bestSplit(const std::vector<double>& v, std::size_t minSegment) {
  const std::size_t n = v.size();
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = i + 1; k < n; ++k) total += std::fabs(v[i] - v[k]);
  }
  // left[t] = sum over i < k < t; right[t] = sum over t <= i < k
  std::vector<double> left(n + 1, 0.0), right(n + 1, 0.0);
  for (std::size_t t = 1; t <= n; ++t) {
    double add = 0;
    for (std::size_t i = 0; i + 1 < t; ++i) add += std::fabs(v[i] - v[t - 1]);
    left[t] = left[t - 1] + add;
  }
  for (std::size_t t = n; t-- > 0;) {
    double add = 0;
    for (std::size_t k = t + 1; k < n; ++k) add += std::fabs(v[t] - v[k]);
    right[t] = right[t + 1] + add;
  }
  std::size_t best = 0;
  double bestQ = -1;
  for (std::size_t t = minSegment; t + minSegment <= n; ++t) {
    const double m = static_cast<double>(t), k = static_cast<double>(n - t);
    const double between = total - left[t] - right[t];
    const double e = 2 * between / (m * k) - left[t] / (m * (m - 1) / 2) - right[t] / (k * (k - 1) / 2);
    const double q = m * k / static_cast<double>(n) * e;
    if (q > bestQ) bestQ = q, best = t;
  }
  return {best, bestQ};
}

/// Where a change starts and how far it has gone, by least squares on the log values: a step
/// (two levels) or a hinge (a level, then a straight line from the split on), whichever fits
/// better. E-divisive places a ramp's split in its middle; the hinge finds where it began. The
/// change is the fitted model's last value against its level before the split, which is far
/// steadier than any few nights' values.
struct Fit {
  std::size_t index;
  double change;  ///< e^(fitted last - fitted before) - 1
};

Fit changeStart(const std::vector<double>& v, std::size_t minSegment, std::size_t stepAt) {
  const std::size_t n = v.size();
  double before = 0, after = 0;
  for (std::size_t i = 0; i < stepAt; ++i) before += v[i];
  for (std::size_t i = stepAt; i < n; ++i) after += v[i];
  before /= static_cast<double>(stepAt);
  after /= static_cast<double>(n - stepAt);
  double stepError = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double m = i < stepAt ? before : after;
    stepError += (v[i] - m) * (v[i] - m);
  }
  // y = a + s * max(0, i - t + 1): linear least squares in (a, s) for each t.
  Fit hinge{stepAt, 0};
  double hingeBest = 1e300;
  for (std::size_t t = minSegment; t + 2 <= n; ++t) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = i + 1 > t ? static_cast<double>(i + 1 - t) : 0.0;
      sx += x, sy += v[i], sxx += x * x, sxy += x * v[i];
    }
    const double dn = static_cast<double>(n), det = dn * sxx - sx * sx;
    if (det <= 0) continue;
    const double slope = (dn * sxy - sx * sy) / det, a = (sy - slope * sx) / dn;
    double e = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = i + 1 > t ? static_cast<double>(i + 1 - t) : 0.0;
      e += (v[i] - a - slope * x) * (v[i] - a - slope * x);
    }
    if (e < hingeBest) hingeBest = e, hinge = {t, std::exp(slope * static_cast<double>(n - t)) - 1};
  }
  return hingeBest < stepError ? hinge : Fit{stepAt, std::exp(after - before) - 1};
}

}  // namespace

std::optional<ChangePoint> findChangePoint(const std::vector<double>& series, const ChangePointOptions& options) {
  const std::size_t minSegment = std::max<std::size_t>(options.minSegment, 2);
  if (series.size() < 2 * minSegment) return std::nullopt;
  std::vector<double> logs;
  for (double x : series) logs.push_back(std::log(std::max(x, 1e-300)));
  const auto [index, statistic] = bestSplit(logs, minSegment);
  ChangePoint cp;
  cp.statistic = statistic;
  std::mt19937_64 rng(options.seed);
  int asStrong = 0;
  std::vector<double> shuffled = logs;
  for (int r = 0; r < options.permutations; ++r) {
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    if (bestSplit(shuffled, minSegment).second >= statistic) ++asStrong;
  }
  cp.p = (asStrong + 1.0) / (options.permutations + 1.0);
  const Fit fit = changeStart(logs, minSegment, index);
  cp.index = fit.index;
  cp.fitted = fit.change;
  return cp;
}

}  // namespace cclbench::analysis
