#include "core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cclbench::stats {

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double position = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double weight = position - static_cast<double>(below);
  return sorted[below] * (1 - weight) + sorted[above] * weight;
}

double binomialHalfCdf(std::size_t n, std::size_t k) {
  if (k >= n) return 1.0;
  // Sum in log space: C(n,i) / 2^n, stable for thousands of samples.
  const double logHalfPowN = -static_cast<double>(n) * std::log(2.0);
  const double logNFact = std::lgamma(static_cast<double>(n) + 1);
  double total = 0;
  for (std::size_t i = 0; i <= k; ++i) {
    const double logChoose = logNFact - std::lgamma(static_cast<double>(i) + 1) -
                             std::lgamma(static_cast<double>(n - i) + 1);
    total += std::exp(logChoose + logHalfPowN);
  }
  return std::min(total, 1.0);
}

Interval medianInterval(const std::vector<double>& sorted, double confidence) {
  const std::size_t n = sorted.size();
  if (n == 0) return {};
  const double alpha = 1 - confidence;
  // Coverage of [x_(j), x_(n+1-j)] (1-based) is 1 - 2 P(X <= j-1); the CDF is accumulated
  // term by term so the search stays linear in n.
  const double logHalfPowN = -static_cast<double>(n) * std::log(2.0);
  const double logNFact = std::lgamma(static_cast<double>(n) + 1);
  std::size_t best = 1;
  double cdf = 0;  // P(X <= j-1)
  for (std::size_t j = 1; 2 * j <= n; ++j) {
    const double i = static_cast<double>(j - 1);
    cdf += std::exp(logNFact - std::lgamma(i + 1) - std::lgamma(static_cast<double>(n) - i + 1) +
                    logHalfPowN);
    if (2 * cdf <= alpha) best = j;
    else break;
  }
  const double coverage = 1 - 2 * binomialHalfCdf(n, best - 1);
  return {sorted[best - 1], sorted[n - best], std::min(coverage, 1.0)};
}

Summary summarize(std::vector<double> samples, double confidence) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  s.median = quantile(samples, 0.5);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  if (s.count > 1) {
    double squares = 0;
    for (double x : samples) squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(s.count - 1));
  }
  s.cv = s.mean > 0 ? s.stddev / s.mean : 0;
  s.medianCi = medianInterval(samples, confidence);
  return s;
}

double relativeHalfWidth(const Summary& s) {
  if (s.median <= 0) return 0;
  return (s.medianCi.high - s.medianCi.low) / 2 / s.median;
}

}  // namespace cclbench::stats
