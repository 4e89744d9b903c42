#include "analysis/significance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "core/stats.hpp"

namespace cclbench::analysis {
namespace {

/// Ranks of the pooled samples (average ranks for ties), the rank sum of `a`, and the tie term
/// sum(t^3 - t) over groups of t equal values.
struct Ranking {
  double rankSumA = 0;
  double tieTerm = 0;
};

Ranking rankPooled(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, bool>> pooled;  // value, from a
  pooled.reserve(a.size() + b.size());
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  Ranking out;
  for (std::size_t first = 0; first < pooled.size();) {
    std::size_t last = first;
    while (last + 1 < pooled.size() && pooled[last + 1].first == pooled[first].first) ++last;
    const double t = static_cast<double>(last - first + 1);
    const double averageRank = (static_cast<double>(first + last) + 2) / 2;  // 1-based
    for (std::size_t i = first; i <= last; ++i) {
      if (pooled[i].second) out.rankSumA += averageRank;
    }
    out.tieTerm += t * t * t - t;
    first = last + 1;
  }
  return out;
}

/// P(U = u) for u = 0 .. n1*n2 without ties. The largest of the n1 + n2 values belongs to the
/// first sample with probability n1/(n1+n2) and then exceeds all n2 values of the second, so
/// p(n1, n2, u) = n1/(n1+n2) p(n1-1, n2, u-n2) + n2/(n1+n2) p(n1, n2-1, u); probabilities (not
/// counts) keep every term positive and in range.
std::vector<double> exactDistribution(std::size_t n1, std::size_t n2) {
  std::vector<std::vector<double>> previous(n2 + 1, std::vector<double>{1.0});  // i = 0
  for (std::size_t i = 1; i <= n1; ++i) {
    std::vector<std::vector<double>> current(n2 + 1);
    current[0] = {1.0};
    for (std::size_t j = 1; j <= n2; ++j) {
      std::vector<double>& dist = current[j];
      dist.assign(i * j + 1, 0.0);
      const double fromA = static_cast<double>(i) / static_cast<double>(i + j);
      const std::vector<double>& withoutA = previous[j];  // (i-1, j), U shifted by j
      for (std::size_t u = 0; u < withoutA.size(); ++u) dist[u + j] += fromA * withoutA[u];
      const std::vector<double>& withoutB = current[j - 1];  // (i, j-1)
      for (std::size_t u = 0; u < withoutB.size(); ++u) dist[u] += (1 - fromA) * withoutB[u];
    }
    previous = std::move(current);
  }
  return previous[n2];
}

double medianInPlace(std::vector<double>& values) {
  const std::size_t n = values.size();
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (n % 2 == 1) return *middle;
  const double below = *std::max_element(values.begin(), middle);
  return (below + *middle) / 2;
}

/// The median of one resample (n draws with replacement) of `sorted`, found by counting how often
/// each index is drawn: the resample's k-th smallest value is sorted[i] for the first i whose
/// running count passes k. O(n) cheap steps, no copy and no selection.
double resampledMedian(const std::vector<double>& sorted, std::vector<uint32_t>& counts,
                       SplitMix64& rng) {
  const std::size_t n = sorted.size();
  counts.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) ++counts[rng.below(n)];
  const std::size_t lowRank = (n - 1) / 2, highRank = n / 2;  // 0-based middle positions
  std::size_t seen = 0, i = 0;
  while (seen + counts[i] <= lowRank) seen += counts[i++];
  const double low = sorted[i];
  while (seen + counts[i] <= highRank) seen += counts[i++];
  return (low + sorted[i]) / 2;
}

}  // namespace

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Lemire's multiply-and-shift with rejection: unbiased, and a division only in rare cases.
  unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
  if (static_cast<uint64_t>(product) < bound) {
    const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    while (static_cast<uint64_t>(product) < threshold) {
      product = static_cast<unsigned __int128>(next()) * bound;
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

double normalCdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

double mannWhitneyExactCdf(std::size_t n1, std::size_t n2, double u) {
  if (u < 0) return 0;
  const std::vector<double> dist = exactDistribution(n1, n2);
  const auto last = std::min(static_cast<std::size_t>(std::floor(u)), dist.size() - 1);
  double total = 0;
  for (std::size_t k = 0; k <= last; ++k) total += dist[k];
  return std::min(total, 1.0);
}

double mannWhitneyMinimumP(std::size_t n1, std::size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  const double logChoose = std::lgamma(static_cast<double>(n1 + n2) + 1) -
                           std::lgamma(static_cast<double>(n1) + 1) -
                           std::lgamma(static_cast<double>(n2) + 1);
  return std::min(1.0, 2 * std::exp(-logChoose));
}

MannWhitney mannWhitney(const std::vector<double>& a, const std::vector<double>& b) {
  MannWhitney result;
  if (a.empty() || b.empty()) return result;
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  const Ranking ranking = rankPooled(a, b);
  result.u = ranking.rankSumA - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  if (ranking.tieTerm == 0 && a.size() < kExactMannWhitneyLimit &&
      b.size() < kExactMannWhitneyLimit) {
    result.exact = true;
    const double tail = result.u > mean ? 1 - mannWhitneyExactCdf(a.size(), b.size(), result.u - 1)
                                        : mannWhitneyExactCdf(a.size(), b.size(), result.u);
    result.p = std::clamp(2 * tail, 0.0, 1.0);
    return result;
  }
  const double n = n1 + n2;
  const double variance = n1 * n2 / 12 * ((n + 1) - ranking.tieTerm / (n * (n - 1)));
  if (variance <= 0) return result;  // every value equal: nothing to tell apart
  const double distance = result.u - mean;
  const double corrected = distance - (distance > 0 ? 0.5 : distance < 0 ? -0.5 : 0.0);
  result.p = std::min(1.0, 2 * normalCdf(-std::fabs(corrected) / std::sqrt(variance)));
  return result;
}

RatioInterval bootstrapMedianRatio(const std::vector<double>& a, const std::vector<double>& b,
                                   const BootstrapOptions& options) {
  if (a.empty() || b.empty()) throw std::invalid_argument("bootstrap of an empty sample");
  RatioInterval out;
  out.estimate = median(b) / median(a);
  std::vector<double> sortedA = a, sortedB = b;
  std::sort(sortedA.begin(), sortedA.end());
  std::sort(sortedB.begin(), sortedB.end());
  SplitMix64 rng(options.seed);
  std::vector<uint32_t> counts;
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(std::max(options.resamples, 0)));
  for (int r = 0; r < options.resamples; ++r) {
    const double medianA = resampledMedian(sortedA, counts, rng);
    ratios.push_back(resampledMedian(sortedB, counts, rng) / medianA);
  }
  if (ratios.empty()) {
    out.low = out.high = out.estimate;
    return out;
  }
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - options.confidence) / 2;
  out.low = stats::quantile(ratios, tail);
  out.high = stats::quantile(ratios, 1 - tail);
  return out;
}

std::vector<double> benjaminiHochberg(const std::vector<double>& pValues) {
  const std::size_t m = pValues.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t l, std::size_t r) { return pValues[l] < pValues[r]; });
  std::vector<double> q(m);
  double running = 1;
  for (std::size_t k = m; k-- > 0;) {  // largest p first: q_(k) = min over j >= k
    const double scaled = pValues[order[k]] * static_cast<double>(m) / static_cast<double>(k + 1);
    running = std::min(running, scaled);
    q[order[k]] = running;
  }
  return q;
}

double geometricMean(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  double logSum = 0;
  for (double x : values) {
    if (!(x > 0)) return std::numeric_limits<double>::quiet_NaN();
    logSum += std::log(x);
  }
  return std::exp(logSum / static_cast<double>(values.size()));
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  return medianInPlace(values);
}

}  // namespace cclbench::analysis
