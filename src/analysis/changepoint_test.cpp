#include "analysis/changepoint.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cclbench::analysis {
namespace {

/// A case's nightly medians: 10 us with log-normal noise of `noise`, times `shape(night)`.
template <typename Shape>
std::vector<double> history(int nights, double noise, uint64_t seed, Shape shape) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, noise);
  std::vector<double> out;
  for (int night = 0; night < nights; ++night) out.push_back(10 * shape(night) * std::exp(n(rng)));
  return out;
}

/// What nightly calls an alarm: significant at 1%, and the recent values slower by over 3%.
bool alarm(const std::vector<double>& series) {
  const auto cp = findChangePoint(series);
  return cp && cp->p <= 0.01 && cp->change() > 0.03;
}

TEST(ChangePoint, AnEightPercentStepIsFoundAtItsNight) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto series = history(60, 0.01, seed, [](int night) { return night >= 30 ? 1.08 : 1.0; });
    const auto cp = findChangePoint(series);
    ASSERT_TRUE(cp);
    EXPECT_EQ(cp->index, 30u) << seed;
    EXPECT_LE(cp->p, 0.01);
    EXPECT_NEAR(cp->change(), 0.08, 0.03);
    EXPECT_TRUE(alarm(series));
  }
}

TEST(ChangePoint, ASlowDriftIsFlaggedWithinTenNightsNearItsStart) {
  const auto drift = [](int night) { return night >= 30 ? std::pow(1.005, night - 29) : 1.0; };
  // The premise: against the median of the last 7 nights, the drift alone never reaches 3%.
  std::vector<double> clean;
  for (int night = 0; night < 60; ++night) clean.push_back(10 * drift(night));
  for (int night = 7; night < 60; ++night) {
    std::vector<double> last(clean.begin() + night - 7, clean.begin() + night);
    std::sort(last.begin(), last.end());
    EXPECT_LT(clean[night] / last[3] - 1, 0.03) << night;
  }
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto series = history(60, 0.01, seed, drift);
    int flagged = -1;
    for (int night = 31; night <= 60 && flagged < 0; ++night) {
      if (alarm(std::vector<double>(series.begin(), series.begin() + night))) flagged = night - 1;
    }
    EXPECT_GE(flagged, 30) << seed;
    EXPECT_LE(flagged, 40) << seed << ": flagged " << flagged << " nights after night 30";
    const auto cp = findChangePoint(std::vector<double>(series.begin(), series.begin() + flagged + 1));
    EXPECT_NEAR(static_cast<double>(cp->index), 30.0, 5.0) << seed;
  }
}

TEST(ChangePoint, QuietHistoriesRarelyAlarm) {
  int alarms = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) alarms += alarm(history(60, 0.02, seed, [](int) { return 1.0; }));
  EXPECT_LE(alarms, 1);
}

TEST(ChangePoint, TooShortHasNoAnswerAndTheSameSeedTheSameAnswer) {
  EXPECT_FALSE(findChangePoint({1, 2, 3, 4, 5, 6, 7}));
  const auto series = history(30, 0.02, 3, [](int) { return 1.0; });
  EXPECT_EQ(findChangePoint(series)->p, findChangePoint(series)->p);
}

}  // namespace
}  // namespace cclbench::analysis
