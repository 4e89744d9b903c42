#include "tuners/decide.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tuners/oracle_testing.hpp"

namespace cclbench::tune {
namespace {

/// Twelve samples around `us` with a relative spread of `spread`.
Measured around(double us, double spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(1 - spread, 1 + spread);
  std::vector<double> s;
  for (int i = 0; i < 12; ++i) s.push_back(us * u(rng));
  return measuredOf(s);
}

const Candidate kA{{{"algorithm", "1"}}};
const Candidate kB{{{"algorithm", "2"}}};

/// Sizes 1..5 KiB: A wins 2 and 3 KiB clearly, B wins 4 KiB by 1%, A wins 5 KiB by 10% with
/// overlapping intervals (wide spread).
SearchOutcome outcome() {
  SearchOutcome o;
  o.sizes = {1024, 2048, 3072, 4096, 5120};
  o.candidates = {{Candidate{}, {}, {"d"}, false, ""}, {kA, {}, {"a"}, false, ""},
                  {kB, {}, {"b"}, false, ""}};
  const double base = 100;
  for (uint64_t s : o.sizes) o.candidates[0].sizes[s] = around(base, 0.01, s);
  o.candidates[1].sizes[2048] = around(80, 0.01, 1);
  o.candidates[1].sizes[3072] = around(82, 0.01, 2);
  o.candidates[2].sizes[4096] = around(99, 0.005, 3);
  o.candidates[1].sizes[5120] = around(90, 0.30, 4);
  o.best = {{1024, 0}, {2048, 1}, {3072, 1}, {4096, 2}, {5120, 1}};
  return o;
}

TEST(Decide, RulesOnlyWhereTheWinnerClearlyBeatsTheDefaultMergedIntoRanges) {
  const testing::OracleSpace space(2, {});
  const std::vector<Rule> rules = decide(outcome(), space, 0.03);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].candidate, kA);
  EXPECT_EQ(rules[0].minBytes(), 2048u);
  EXPECT_EQ(rules[0].maxBytes(), 3072u);
  EXPECT_EQ(rules[0].trialRunIds, std::vector<std::string>{"a"});
  EXPECT_NEAR(rules[0].sizes[0].searchDefaultUs / rules[0].sizes[0].searchTunedUs, 1.25, 0.03);
  // A higher threshold leaves no rule.
  EXPECT_TRUE(decide(outcome(), space, 0.3).empty());
}

TEST(Decide, TheSameWinnerAcrossAGapMakesTwoRules) {
  SearchOutcome o = outcome();
  o.candidates[1].sizes[5120] = around(70, 0.01, 5);
  const std::vector<Rule> rules = decide(o, testing::OracleSpace(2, {}), 0.03);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1].minBytes(), 5120u);
}

LaunchMeasurement launch(bool tuned, const std::map<uint64_t, double>& us, uint64_t seed) {
  LaunchMeasurement m;
  m.tuned = tuned;
  m.runId = (tuned ? "t" : "d") + std::to_string(seed);
  for (const auto& [size, t] : us) m.samplesUs[{Collective::kAllReduce, size}] = around(t, 0.01, seed + size).samplesUs;
  return m;
}

Rule proposedRule(std::vector<uint64_t> sizes) {
  Rule r;
  r.collective = Collective::kAllReduce;
  r.candidate = kA;
  r.description = "algorithm=1";
  for (uint64_t s : sizes) r.sizes.push_back({s, 100, 80, 0, 0, 0, 0, 0, false, ""});
  return r;
}

TEST(Validate, KeepsWhatHoldsUpAndSplitsAroundWhatDoesNot) {
  // Three interleaved launches per side: 2 and 4 KiB hold up (20% faster), 3 KiB does not.
  std::vector<LaunchMeasurement> launches;
  for (uint64_t i = 0; i < 3; ++i) {
    launches.push_back(launch(false, {{2048, 100}, {3072, 100}, {4096, 100}}, 10 * i));
    launches.push_back(launch(true, {{2048, 80}, {3072, 101}, {4096, 80}}, 10 * i + 5));
  }
  std::vector<Rule> dropped;
  const std::vector<Rule> kept =
      validate({proposedRule({2048, 3072, 4096})}, launches, 0.03, dropped);
  ASSERT_EQ(kept.size(), 2u);  // 2 KiB and 4 KiB, no longer adjacent
  EXPECT_EQ(kept[0].minBytes(), 2048u);
  EXPECT_EQ(kept[1].minBytes(), 4096u);
  EXPECT_NEAR(kept[0].sizes[0].speedup, 1.25, 0.03);
  EXPECT_GT(kept[0].sizes[0].speedupLow, 1.15);
  EXPECT_LT(kept[0].sizes[0].speedupHigh, 1.35);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].sizes[0].bytes, 3072u);
  EXPECT_NE(dropped[0].sizes[0].reason.find("below the threshold"), std::string::npos);
}

TEST(Validate, OneTunedLaunchInASlowerStateDropsTheRule) {
  // Pooled, the tuned side looks faster; but one tuned launch was as slow as the default's
  // launches (a slower state of the machine, not the rule): the rule is not trusted.
  std::vector<LaunchMeasurement> launches;
  for (uint64_t i = 0; i < 3; ++i) {
    launches.push_back(launch(false, {{2048, 100}}, 10 * i));
    launches.push_back(launch(true, {{2048, i == 1 ? 100.5 : 60}}, 10 * i + 5));
  }
  std::vector<Rule> dropped;
  EXPECT_TRUE(validate({proposedRule({2048})}, launches, 0.03, dropped).empty());
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0].sizes[0].reason.find("every default launch"), std::string::npos)
      << dropped[0].sizes[0].reason;
}

TEST(Validate, ASizeTheLaunchesDidNotMeasureIsDropped) {
  std::vector<LaunchMeasurement> launches{launch(false, {{2048, 100}}, 1), launch(true, {}, 2)};
  std::vector<Rule> dropped;
  EXPECT_TRUE(validate({proposedRule({2048})}, launches, 0.03, dropped).empty());
  EXPECT_NE(dropped.at(0).sizes[0].reason.find("not measured"), std::string::npos);
}

}  // namespace
}  // namespace cclbench::tune
