#include "core/stats.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace cclbench::stats {
namespace {

TEST(Quantile, InterpolatesLinearly) {
  const std::vector<double> sorted{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile(sorted, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile(sorted, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile(sorted, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile(sorted, 0.25), 1.75);  // position 0.75
  EXPECT_DOUBLE_EQ(quantile(sorted, 0.9), 3.7);    // position 2.7
  const std::vector<double> odd{10, 20, 40};
  EXPECT_DOUBLE_EQ(quantile(odd, 0.5), 20.0);
  EXPECT_DOUBLE_EQ(quantile(odd, 0.75), 30.0);
}

TEST(Quantile, DegenerateInputs) {
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(quantile({7.5}, 0.0), 7.5);
  EXPECT_DOUBLE_EQ(quantile({7.5}, 0.99), 7.5);
  EXPECT_DOUBLE_EQ(quantile({7.5}, 1.0), 7.5);
}

TEST(BinomialHalfCdf, MatchesHandComputedSums) {
  EXPECT_NEAR(binomialHalfCdf(5, 0), 1.0 / 32, 1e-12);
  EXPECT_NEAR(binomialHalfCdf(5, 1), 6.0 / 32, 1e-12);
  EXPECT_NEAR(binomialHalfCdf(5, 2), 16.0 / 32, 1e-12);
  EXPECT_NEAR(binomialHalfCdf(10, 1), 11.0 / 1024, 1e-12);
  EXPECT_NEAR(binomialHalfCdf(10, 5), 638.0 / 1024, 1e-12);  // 1+10+45+120+210+252
  EXPECT_NEAR(binomialHalfCdf(20, 5), 21700.0 / 1048576, 1e-12);
  // C(30,0..9) = 1, 30, 435, 4060, 27405, 142506, 593775, 2035800, 5852925, 14307150.
  EXPECT_NEAR(binomialHalfCdf(30, 9), 22964087.0 / 1073741824, 1e-12);
  EXPECT_DOUBLE_EQ(binomialHalfCdf(5, 5), 1.0);
  EXPECT_DOUBLE_EQ(binomialHalfCdf(5, 9), 1.0);
}

TEST(BinomialHalfCdf, StaysFiniteForThousandsOfTrials) {
  const double half = binomialHalfCdf(5000, 2499);
  EXPECT_GT(half, 0.48);
  EXPECT_LT(half, 0.5);
  EXPECT_NEAR(binomialHalfCdf(5000, 2400), 0.0025, 0.001);  // about -2.83 sd
}

std::vector<double> oneToN(int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = i + 1;
  return v;
}

TEST(MedianInterval, UsesOrderStatisticsForN30) {
  // For n = 30 the 95% interval is [x(10), x(21)]: 2 P(X <= 9) = 0.0428 <= 0.05 while
  // 2 P(X <= 10) = 0.0987 is not.
  const Interval ci = medianInterval(oneToN(30), 0.95);
  EXPECT_DOUBLE_EQ(ci.low, 10.0);
  EXPECT_DOUBLE_EQ(ci.high, 21.0);
  EXPECT_NEAR(ci.coverage, 1 - 2 * 22964087.0 / 1073741824, 1e-9);
}

TEST(MedianInterval, TooFewSamplesGiveTheRangeAndItsTrueCoverage) {
  const Interval ci = medianInterval(oneToN(5), 0.95);
  EXPECT_DOUBLE_EQ(ci.low, 1.0);
  EXPECT_DOUBLE_EQ(ci.high, 5.0);
  EXPECT_NEAR(ci.coverage, 1 - 2.0 / 32, 1e-12);  // 0.9375 < 0.95
  const Interval one = medianInterval({3.0}, 0.95);
  EXPECT_DOUBLE_EQ(one.low, 3.0);
  EXPECT_DOUBLE_EQ(one.high, 3.0);
  EXPECT_EQ(medianInterval({}, 0.95).coverage, 0.0);
}

TEST(MedianInterval, SixSamplesReachNinetyFivePercent) {
  // n = 6: [min, max] covers 1 - 2/64 = 0.96875.
  const Interval ci = medianInterval(oneToN(6), 0.95);
  EXPECT_DOUBLE_EQ(ci.low, 1.0);
  EXPECT_DOUBLE_EQ(ci.high, 6.0);
  EXPECT_NEAR(ci.coverage, 62.0 / 64, 1e-12);
}

TEST(MedianInterval, WiderForHigherConfidence) {
  const auto v = oneToN(100);
  const Interval narrow = medianInterval(v, 0.80);
  const Interval wide = medianInterval(v, 0.99);
  EXPECT_LT(wide.low, narrow.low);
  EXPECT_GT(wide.high, narrow.high);
  EXPECT_GE(narrow.coverage, 0.80);
  EXPECT_GE(wide.coverage, 0.99);
}

struct Distribution {
  const char* name;
  std::function<double(std::mt19937_64&)> draw;
  double trueMedian;
};

std::vector<Distribution> distributions() {
  return {
      {"normal", [](std::mt19937_64& g) { return std::normal_distribution<double>(5, 2)(g); }, 5.0},
      {"exponential",
       [](std::mt19937_64& g) { return std::exponential_distribution<double>(1.0)(g); },
       std::log(2.0)},
      {"lognormal", [](std::mt19937_64& g) { return std::lognormal_distribution<double>(0, 1)(g); },
       1.0},
  };
}

/// Fraction of `trials` seeded samples of size n whose interval holds the true median.
double observedCoverage(const Distribution& d, int n, int trials, double* reported) {
  std::mt19937_64 generator(20240611 + n);
  int hits = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> sample(n);
    for (double& x : sample) x = d.draw(generator);
    std::sort(sample.begin(), sample.end());
    const Interval ci = medianInterval(sample, 0.95);
    *reported = ci.coverage;
    if (ci.low <= d.trueMedian && d.trueMedian <= ci.high) ++hits;
  }
  return static_cast<double>(hits) / trials;
}

TEST(MedianInterval, CoversTheTrueMedianAboutNinetyFivePercent) {
  for (const Distribution& d : distributions()) {
    double reported = 0;
    const double coverage = observedCoverage(d, 30, 2000, &reported);
    EXPECT_GE(coverage, 0.92) << d.name;
    EXPECT_LE(coverage, 0.985) << d.name;
    EXPECT_GE(reported, 0.95) << d.name;
  }
}

TEST(MedianInterval, SmallSamplesCoverWhatTheyReport) {
  for (const Distribution& d : distributions()) {
    double reported = 0;
    const double coverage = observedCoverage(d, 5, 2000, &reported);
    EXPECT_NEAR(reported, 0.9375, 1e-12);
    EXPECT_GE(coverage, reported - 0.02) << d.name;  // 0.02 is about 4 standard errors
  }
}

TEST(Summarize, FillsEveryField) {
  const Summary s = summarize({4, 1, 3, 2, 10});
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 10.0);
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  // Deviations 0, -3, -1, -2, 6: squares sum to 50, / (n-1) = 12.5.
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(12.5));
  EXPECT_DOUBLE_EQ(s.cv, std::sqrt(12.5) / 4.0);
  EXPECT_DOUBLE_EQ(s.medianCi.low, 1.0);
  EXPECT_DOUBLE_EQ(s.medianCi.high, 10.0);
  EXPECT_DOUBLE_EQ(relativeHalfWidth(s), (10.0 - 1.0) / 2 / 3.0);
}

TEST(Summarize, EvenCountMedianAndSingleSample) {
  EXPECT_DOUBLE_EQ(summarize({8, 2, 6, 4}).median, 5.0);
  const Summary one = summarize({2.5});
  EXPECT_DOUBLE_EQ(one.median, 2.5);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
  EXPECT_DOUBLE_EQ(one.cv, 0.0);
}

TEST(Summarize, EmptyInputGivesZeros) {
  const Summary s = summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.median, 0.0);
  EXPECT_EQ(s.mean, 0.0);
  EXPECT_EQ(relativeHalfWidth(s), 0.0);
}

TEST(Summarize, ConstantSamplesHaveZeroWidth) {
  const Summary s = summarize(std::vector<double>(20, 3.25));
  EXPECT_DOUBLE_EQ(s.median, 3.25);
  EXPECT_DOUBLE_EQ(s.stddev, 0.0);
  EXPECT_DOUBLE_EQ(relativeHalfWidth(s), 0.0);
}

}  // namespace
}  // namespace cclbench::stats
