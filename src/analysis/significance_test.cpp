#include "analysis/significance.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <random>

namespace cclbench::analysis {
namespace {

/// U of a against b by counting pairs (independent of the rank-based computation under test).
double pairCountU(const std::vector<double>& a, const std::vector<double>& b) {
  double u = 0;
  for (double x : a) {
    for (double y : b) u += x > y ? 1.0 : x == y ? 0.5 : 0.0;
  }
  return u;
}

/// Visits every way of choosing which n1 of the pooled values form the first sample.
void forEachSplit(
    const std::vector<double>& pooled, std::size_t n1,
    const std::function<void(const std::vector<double>&, const std::vector<double>&)>& visit) {
  const std::size_t n = pooled.size();
  std::vector<bool> chosen(n, false);
  std::fill(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(n1), true);
  std::sort(chosen.begin(), chosen.end());
  do {
    std::vector<double> a, b;
    for (std::size_t i = 0; i < n; ++i) (chosen[i] ? a : b).push_back(pooled[i]);
    visit(a, b);
  } while (std::next_permutation(chosen.begin(), chosen.end()));
}

/// The exact two-sided permutation p-value by enumeration: P(|U - mean| >= |u - mean|).
double enumeratedP(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  const double mean = static_cast<double>(a.size() * b.size()) / 2;
  const double observed = std::fabs(pairCountU(a, b) - mean);
  double extreme = 0, total = 0;
  forEachSplit(pooled, a.size(), [&](const auto& x, const auto& y) {
    total += 1;
    if (std::fabs(pairCountU(x, y) - mean) >= observed - 1e-9) extreme += 1;
  });
  return extreme / total;
}

/// Phi(z) by Simpson integration of the normal density from -12 (no erfc involved).
double integratedNormalCdf(double z) {
  const int steps = 20000;
  const double from = -12, h = (z - from) / steps;
  auto density = [](double x) { return std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi); };
  double sum = density(from) + density(z);
  for (int i = 1; i < steps; ++i) sum += density(from + i * h) * (i % 2 ? 4 : 2);
  return sum * h / 3;
}

TEST(MannWhitney, ExactSmallCasesComputedByHand) {
  // {1,2,3} vs {4,5,6}: U = 0, the most extreme of C(6,3) = 20 splits, so p = 2/20.
  const MannWhitney separated = mannWhitney({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(separated.exact);
  EXPECT_DOUBLE_EQ(separated.u, 0);
  EXPECT_NEAR(separated.p, 0.1, 1e-12);
  // {1,2,4} vs {3,5,6}: U = 1; P(U <= 1) = 2/20, two-sided 0.2.
  const MannWhitney oneSwap = mannWhitney({1, 2, 4}, {3, 5, 6});
  EXPECT_DOUBLE_EQ(oneSwap.u, 1);
  EXPECT_NEAR(oneSwap.p, 0.2, 1e-12);
  // The other direction gives the same two-sided p.
  EXPECT_NEAR(mannWhitney({3, 5, 6}, {1, 2, 4}).p, 0.2, 1e-12);
  EXPECT_NEAR(mannWhitneyExactCdf(3, 3, 0), 1.0 / 20, 1e-12);
  EXPECT_NEAR(mannWhitneyExactCdf(3, 3, 9), 1.0, 1e-12);
}

TEST(MannWhitney, MatchesRDocumentationExample) {
  // R's ?wilcox.test: W = 35, one-sided p-value = 0.1272, so two-sided 0.2544.
  const std::vector<double> x = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
  const std::vector<double> y = {1.15, 0.88, 0.90, 0.74, 1.21};
  const MannWhitney r = mannWhitney(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 35);
  EXPECT_NEAR(r.p, 0.2544, 1e-4);
  EXPECT_NEAR(r.p, enumeratedP(x, y), 1e-12);
}

TEST(MannWhitney, ExactDistributionMatchesEnumeration) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (auto [n1, n2] : {std::pair<int, int>{4, 6}, {7, 5}, {2, 9}, {6, 6}}) {
    std::vector<double> a(n1), b(n2);
    for (double& v : a) v = uniform(rng);
    for (double& v : b) v = uniform(rng) + 0.3;
    EXPECT_NEAR(mannWhitney(a, b).p, enumeratedP(a, b), 1e-12) << n1 << " vs " << n2;
  }
}

TEST(MannWhitney, NormalApproximationWithTiesMatchesAnIndependentComputation) {
  const std::vector<double> a = {3, 4, 4, 5, 6, 6, 6, 8};
  const std::vector<double> b = {5, 6, 7, 7, 8, 8, 9, 9};
  const MannWhitney r = mannWhitney(a, b);
  EXPECT_FALSE(r.exact);  // ties: normal approximation
  EXPECT_DOUBLE_EQ(r.u, pairCountU(a, b));

  // Independently: rank sum of a by average ranks counted pairwise, the permutation variance of
  // the rank sum from the ranks themselves, a continuity correction, Phi by integration.
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  std::vector<double> ranks;
  for (double v : pooled) {
    double below = 0, equal = 0;
    for (double w : pooled) below += w < v, equal += w == v;
    ranks.push_back(below + (equal + 1) / 2);
  }
  const double n1 = 8, n2 = 8, n = 16;
  double rankSum = 0, meanRank = (n + 1) / 2, squares = 0;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (i < a.size()) rankSum += ranks[i];
    squares += (ranks[i] - meanRank) * (ranks[i] - meanRank);
  }
  const double variance = n1 * n2 / (n * (n - 1)) * squares;
  const double distance = rankSum - n1 * (n + 1) / 2;
  const double z = (std::fabs(distance) - 0.5) / std::sqrt(variance);
  EXPECT_NEAR(r.p, 2 * (1 - integratedNormalCdf(z)), 1e-7);
  // And close to the exact permutation p-value with these ties (12870 splits).
  EXPECT_NEAR(r.p, enumeratedP(a, b), 0.01);
}

TEST(MannWhitney, LargeSamplesUseTheNormalApproximationConsistently) {
  std::vector<double> a, b;
  for (int i = 0; i < 49; ++i) {
    a.push_back(i * 1.0 + 0.25);
    b.push_back(i * 1.0 + 7.5);
  }
  const MannWhitney exact = mannWhitney(a, b);
  EXPECT_TRUE(exact.exact);
  a.push_back(100.25);
  b.push_back(100.5);
  const MannWhitney approximate = mannWhitney(a, b);
  EXPECT_FALSE(approximate.exact);
  EXPECT_NEAR(approximate.p, exact.p, 0.02);
}

TEST(MannWhitney, IdenticalValuesAndEmptySidesGiveOne) {
  EXPECT_DOUBLE_EQ(mannWhitney({5, 5, 5}, {5, 5}).p, 1);
  EXPECT_DOUBLE_EQ(mannWhitney({}, {1, 2}).p, 1);
  EXPECT_NEAR(mannWhitneyMinimumP(3, 3), 0.1, 1e-12);
  EXPECT_NEAR(mannWhitneyMinimumP(1, 20), 2.0 / 21, 1e-12);
}

TEST(BenjaminiHochberg, WorkedExampleOfThe1995Paper) {
  // Benjamini & Hochberg (1995), section 3.3: 15 p-values; at 0.05 the first four are rejected.
  const std::vector<double> p = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                                 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000};
  // q_(i) = min over j >= i of p_(j) * 15 / j, worked out by hand.
  const std::vector<double> expected = {0.0015,   0.003,    0.0095,   0.035625, 0.0603,
                                        0.063857, 0.063857, 0.0645,   0.0765,   0.486,
                                        0.581182, 0.714875, 0.753231, 0.813214, 1.0};
  // Shuffled, to check the q-values come back in the order given.
  std::vector<std::size_t> order = {14, 3, 0, 9, 7, 1, 12, 5, 2, 11, 6, 13, 4, 10, 8};
  std::vector<double> shuffled;
  for (std::size_t i : order) shuffled.push_back(p[i]);
  const std::vector<double> q = benjaminiHochberg(shuffled);
  ASSERT_EQ(q.size(), p.size());
  int rejected = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    EXPECT_NEAR(q[k], expected[order[k]], 1e-6) << "p = " << shuffled[k];
    rejected += q[k] < 0.05;
  }
  EXPECT_EQ(rejected, 4);
  EXPECT_TRUE(benjaminiHochberg({}).empty());
}

TEST(GeometricMean, OfKnownValues) {
  EXPECT_NEAR(geometricMean({1, 4, 16}), 4, 1e-12);
  EXPECT_NEAR(geometricMean({1.1, 1 / 1.1}), 1, 1e-12);
  EXPECT_TRUE(std::isnan(geometricMean({})));
  EXPECT_TRUE(std::isnan(geometricMean({1, 0})));
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
}

TEST(Bootstrap, IsReproducibleAndBracketsTheEstimate) {
  const std::vector<double> a = {10, 10.2, 9.9, 10.1, 10.4, 9.8, 10.0, 10.3};
  const std::vector<double> b = {11, 11.1, 10.8, 11.3, 10.9, 11.2, 11.0, 11.4};
  const RatioInterval first = bootstrapMedianRatio(a, b, {2000, 0.95, 42});
  const RatioInterval again = bootstrapMedianRatio(a, b, {2000, 0.95, 42});
  const RatioInterval other = bootstrapMedianRatio(a, b, {2000, 0.95, 43});
  EXPECT_DOUBLE_EQ(first.low, again.low);
  EXPECT_DOUBLE_EQ(first.high, again.high);
  EXPECT_TRUE(first.low != other.low || first.high != other.high);
  EXPECT_NEAR(first.estimate, median(b) / median(a), 1e-12);
  EXPECT_LE(first.low, first.estimate);
  EXPECT_GE(first.high, first.estimate);
  EXPECT_GT(first.low, 1.0);  // clearly slower
  const RatioInterval flat = bootstrapMedianRatio({2, 2, 2}, {3, 3});
  EXPECT_DOUBLE_EQ(flat.low, 1.5);
  EXPECT_DOUBLE_EQ(flat.high, 1.5);
}

TEST(SplitMix64, MatchesTheReferenceSequenceAndDrawsInRange) {
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafull);  // Vigna's splitmix64.c, seed 0
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.below(7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

}  // namespace
}  // namespace cclbench::analysis
