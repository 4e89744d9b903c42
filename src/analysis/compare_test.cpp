#include "analysis/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "analysis/compare_report.hpp"

namespace cclbench::analysis {
namespace {

CaseRecord record(uint64_t bytes, std::vector<double> samples,
                  Collective collective = Collective::kAllReduce) {
  CaseRecord r;
  r.collective = collective;
  r.dtype = DType::kFloat;
  r.op = info(collective).reduces ? RedOp::kSum : RedOp::kNone;
  r.sizeBytes = bytes;
  r.count = bytes / 4;
  r.ranks = 8;
  r.samplesUs = std::move(samples);
  r.timeUs = stats::summarize(r.samplesUs);
  r.busBandwidthGBps = r.timeUs.median > 0 ? static_cast<double>(bytes) / r.timeUs.median / 1e3 : 0;
  return r;
}

RunCases run(const std::string& label, std::vector<CaseRecord> cases, int ranks = 8,
             const std::string& backend = "nccl", Aggregation aggregation = Aggregation::kMax) {
  return {label, ranks, backend, aggregation, std::move(cases)};
}

/// n log-normal samples with the given median: median x exp(sigma x N(0,1)).
std::vector<double> lognormal(std::mt19937_64& rng, std::size_t n, double medianUs, double sigma) {
  std::normal_distribution<double> normal(0, sigma);
  std::vector<double> out(n);
  for (double& x : out) x = medianUs * std::exp(normal(rng));
  return out;
}

/// A run of `sizes` cases whose medians are scaled by `factor` (the true time ratio).
RunCases syntheticRun(std::mt19937_64& rng, const std::string& label, std::size_t sizes,
                      std::size_t samples, double factor, double sigma = 0.02) {
  std::vector<CaseRecord> cases;
  for (std::size_t i = 0; i < sizes; ++i) {
    const uint64_t bytes = 8 * (i + 1);
    const double baseUs = 10 + static_cast<double>(i);
    cases.push_back(record(bytes, lognormal(rng, samples, baseUs * factor, sigma)));
  }
  return run(label, std::move(cases));
}

Comparison compareRuns(const RunCases& a, const RunCases& b, CompareOptions options = {}) {
  return compare(sideOfRun(a.label, a), sideOfRun(b.label, b), options);
}

TEST(Compare, IdenticalDistributionsGiveNoChange) {
  std::mt19937_64 rng(1);
  const Comparison c =
      compareRuns(syntheticRun(rng, "A", 20, 30, 1.0), syntheticRun(rng, "B", 20, 30, 1.0));
  ASSERT_EQ(c.cases.size(), 20u);
  EXPECT_EQ(c.tested, 20u);
  EXPECT_EQ(c.count(Verdict::kNoChange), 20u);
  EXPECT_FALSE(c.anySlower());
  for (const CaseComparison& k : c.cases) {
    EXPECT_FALSE(k.thresholdOnly);
    EXPECT_EQ(k.verdictText(), "no change");
    ASSERT_TRUE(k.timeRatioCi);
    EXPECT_NEAR(k.timeRatio, 1, 0.03);
  }
}

TEST(Compare, TenPercentShiftIsFlaggedSlowerAndTheReverseFaster) {
  std::mt19937_64 rng(2);
  const RunCases base = syntheticRun(rng, "A", 12, 20, 1.0);
  const Comparison slower = compareRuns(base, syntheticRun(rng, "B", 12, 20, 1.10));
  EXPECT_EQ(slower.count(Verdict::kSlower), 12u);
  EXPECT_TRUE(slower.anySlower());
  for (const CaseComparison& k : slower.cases) {
    EXPECT_EQ(k.verdictText(), "slower");
    EXPECT_NEAR(k.timeRatio, 1.10, 0.03);
    EXPECT_LT(*k.q, 0.05);
    EXPECT_NEAR(k.busBandwidthRatio, 1 / k.timeRatio, 1e-9);
  }
  const Comparison faster = compareRuns(base, syntheticRun(rng, "C", 12, 20, 0.90));
  EXPECT_EQ(faster.count(Verdict::kFaster), 12u);
  EXPECT_FALSE(faster.anySlower());
}

TEST(Compare, ASignificantChangeBelowTheThresholdIsNoChange) {
  std::mt19937_64 rng(3);
  const RunCases base = syntheticRun(rng, "A", 5, 200, 1.0, 0.005);
  const RunCases b = syntheticRun(rng, "B", 5, 200, 1.02, 0.005);
  const Comparison c = compareRuns(base, b);
  for (const CaseComparison& k : c.cases) {
    EXPECT_LT(*k.q, 0.001);                    // clearly real ...
    EXPECT_EQ(k.verdict, Verdict::kNoChange);  // ... but under 3%
  }
  CompareOptions strict;
  strict.threshold = 0.01;
  EXPECT_EQ(compareRuns(base, b, strict).count(Verdict::kSlower), 5u);
}

TEST(Compare, BootstrapIntervalCoversTheTrueRatioInMostTrials) {
  std::mt19937_64 rng(4);
  const double trueRatio = 1.10;  // medians of log-normals scale exactly
  int covered = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    CompareOptions options;
    options.bootstrap.seed = static_cast<uint64_t>(t);
    const Comparison c = compareRuns(syntheticRun(rng, "A", 1, 25, 1.0, 0.05),
                                     syntheticRun(rng, "B", 1, 25, trueRatio, 0.05), options);
    const RatioInterval& ci = *c.cases.at(0).timeRatioCi;
    covered += ci.low <= trueRatio && trueRatio <= ci.high;
  }
  EXPECT_GE(covered, 180) << covered << " of " << trials << " intervals covered the true ratio";
}

TEST(Compare, FalseAlarmsOverManyUnchangedCasesStayBelowTheRate) {
  std::mt19937_64 rng(5);
  const RunCases a = syntheticRun(rng, "A", 500, 10, 1.0, 0.05);
  const RunCases b = syntheticRun(rng, "B", 500, 10, 1.0, 0.05);
  CompareOptions significanceOnly;
  significanceOnly.threshold = 0;  // the test and BH alone decide
  const Comparison c = compareRuns(a, b, significanceOnly);
  ASSERT_EQ(c.tested, 500u);
  std::size_t rawBelowAlpha = 0;
  for (const CaseComparison& k : c.cases) rawBelowAlpha += *k.p < 0.05;
  // The uncorrected test is calibrated: about 5% of unchanged cases have p < 0.05 ...
  EXPECT_GE(rawBelowAlpha, 10u);
  EXPECT_LE(rawBelowAlpha, 40u);
  // ... and after Benjamini-Hochberg almost none is flagged (at most alpha x 500 allowed).
  const std::size_t flagged = c.count(Verdict::kSlower) + c.count(Verdict::kFaster);
  EXPECT_LE(flagged, 25u);
  EXPECT_LE(flagged, 3u);
  EXPECT_EQ(compareRuns(a, b).count(Verdict::kNoChange), 500u);  // with the 3% threshold
}

TEST(Compare, FalseDiscoveriesAmongRealChangesStayNearAlpha) {
  std::mt19937_64 rng(6);
  RunCases a = syntheticRun(rng, "A", 500, 12, 1.0, 0.05);
  RunCases b = syntheticRun(rng, "B", 500, 12, 1.0, 0.05);
  std::set<CaseKey> changed;
  for (std::size_t i = 0; i < 50; ++i) {  // 50 cases truly 15% slower
    for (double& x : b.cases[i].samplesUs) x *= 1.15;
    changed.insert(keyOf(b.cases[i]));
  }
  CompareOptions significanceOnly;
  significanceOnly.threshold = 0;
  const Comparison c = compareRuns(a, b, significanceOnly);
  std::size_t trueFlags = 0, falseFlags = 0;
  for (const CaseComparison& k : c.cases) {
    const bool flagged = k.verdict != Verdict::kNoChange;
    (changed.count(k.key) ? trueFlags : falseFlags) += flagged;
  }
  EXPECT_GE(trueFlags, 40u);
  EXPECT_LE(static_cast<double>(falseFlags), 0.1 * static_cast<double>(trueFlags + falseFlags));
}

TEST(Compare, SingleSampleSidesRestOnTheThresholdAndSaySo) {
  // Imported nccl-tests rows: one time per case and no samples kept.
  auto imported = [](uint64_t bytes, double us) {
    CaseRecord r = record(bytes, {});
    r.timeUs.median = us;
    r.busBandwidthGBps = static_cast<double>(bytes) / us / 1e3;
    return r;
  };
  const RunCases a =
      run("nccl-tests A", {imported(1024, 10), imported(2048, 20), imported(4096, 40)}, 8, "nccl",
          Aggregation::kMean);
  const RunCases b =
      run("nccl-tests B", {imported(1024, 10.5), imported(2048, 19.9), imported(4096, 36)}, 8,
          "nccl", Aggregation::kMean);
  const Comparison c = compareRuns(a, b);
  ASSERT_EQ(c.cases.size(), 3u);
  EXPECT_EQ(c.tested, 0u);
  EXPECT_EQ(c.cases[0].verdictText(), "slower (threshold only)");
  EXPECT_EQ(c.cases[1].verdictText(), "no change (threshold only)");
  EXPECT_EQ(c.cases[2].verdictText(), "faster (threshold only)");
  for (const CaseComparison& k : c.cases) {
    EXPECT_FALSE(k.p);
    EXPECT_FALSE(k.q);
    EXPECT_FALSE(k.timeRatioCi);
    EXPECT_EQ(k.samplesA, 1u);
  }
  EXPECT_NE(consoleReport(c).find("slower (threshold only)"), std::string::npos);
}

TEST(Compare, BaselineOfRunsContributesEachRunsMedian) {
  std::vector<RunCases> runs;
  for (int r = 0; r < 5; ++r) {
    const double level = 10 + r * 0.1;
    runs.push_back(run("run " + std::to_string(r + 1),
                       {record(1024, {level - 1, level, level + 5}), record(2048, {2 * level})}));
  }
  runs[4].cases.pop_back();  // the last run lacks the 2048-byte case
  const Side side = pooledSide("baseline:nightly~5", runs);
  EXPECT_TRUE(side.pooled);
  EXPECT_EQ(side.runs.size(), 5u);
  const CaseSamples& small = side.cases.at(keyOf(runs[0].cases[0]));
  EXPECT_EQ(small.timeUs, (std::vector<double>{10, 10.1, 10.2, 10.3, 10.4}));
  EXPECT_EQ(side.cases.at(keyOf(runs[0].cases[1])).timeUs.size(), 4u);
  // 5 run medians against a 20-batch run: testable.
  std::mt19937_64 rng(7);
  const RunCases candidate = run("run 9", {record(1024, lognormal(rng, 20, 11.5, 0.01))});
  const Comparison c = compare(side, sideOfRun("run 9", candidate));
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_EQ(c.onlyInA, 1u);
  EXPECT_EQ(c.cases[0].verdictText(), "slower");
  // 3 run medians against 3: the test can never reach p < 0.05, so the threshold decides.
  runs.resize(3);
  const Side three = pooledSide("baseline~3", runs);
  const Comparison tiny = compare(three, three);
  EXPECT_TRUE(tiny.cases[0].thresholdOnly);
  EXPECT_EQ(tiny.cases[0].verdictText(), "no change (threshold only)");
}

TEST(Compare, RefusesDifferentRanksBackendOrAggregationUnlessForced) {
  const std::vector<CaseRecord> cases = {record(1024, {10, 11, 12}), record(2048, {20, 21, 22})};
  const RunCases base = run("A", cases, 8, "nccl", Aggregation::kMax);
  for (const RunCases& other : {run("B", cases, 16, "nccl", Aggregation::kMax),
                                run("B", cases, 8, "mpi", Aggregation::kMax),
                                run("B", cases, 8, "nccl", Aggregation::kMean)}) {
    const Comparison refused = compareRuns(base, other);
    EXPECT_TRUE(refused.refused);
    EXPECT_TRUE(refused.cases.empty());
    ASSERT_EQ(refused.differences.size(), 1u);
    CompareOptions force;
    force.force = true;
    const Comparison forced = compareRuns(base, other, force);
    EXPECT_FALSE(forced.refused);
    EXPECT_EQ(forced.cases.size(), 2u);
    EXPECT_EQ(forced.differences.size(), 1u);
    EXPECT_NE(consoleReport(forced).find("despite differences"), std::string::npos);
  }
  const Comparison ranks = compareRuns(base, run("B", cases, 16, "mpi", Aggregation::kMean));
  ASSERT_EQ(ranks.differences.size(), 3u);
  EXPECT_EQ(ranks.differences[0].what, "ranks");
  EXPECT_EQ(ranks.differences[0].a, "8");
  EXPECT_EQ(ranks.differences[0].b, "16");
  EXPECT_EQ(ranks.differences[1].what, "backend");
  EXPECT_EQ(ranks.differences[2].b, "mean");
  // An unknown backend or rank count (0, "") is not a difference.
  EXPECT_FALSE(compareRuns(base, run("B", cases, 0, "", Aggregation::kMax)).refused);
  // A baseline that mixes rank counts differs even from a side with the same mix.
  const Side mixed = pooledSide("mixed", {run("r1", cases, 8), run("r2", cases, 16)});
  EXPECT_TRUE(compare(mixed, mixed).refused);
}

TEST(Compare, GeometricMeanPerCollective) {
  const std::vector<double> times = {10, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9};
  auto scaled = [&](double f) {
    std::vector<double> out;
    for (double t : times) out.push_back(t * f);
    return out;
  };
  const RunCases a = run("A", {record(1024, scaled(1)), record(2048, scaled(2)),
                               record(1024, scaled(1), Collective::kAllGather)});
  const RunCases b = run("B", {record(1024, scaled(1.1)), record(2048, scaled(2 / 1.1)),
                               record(1024, scaled(1.2), Collective::kAllGather)});
  const Comparison c = compareRuns(a, b);
  ASSERT_EQ(c.collectives.size(), 2u);
  EXPECT_EQ(c.collectives[0].collective, Collective::kAllReduce);
  EXPECT_EQ(c.collectives[0].cases, 2u);
  EXPECT_NEAR(c.collectives[0].geometricMeanTimeRatio, 1.0, 1e-9);
  EXPECT_EQ(c.collectives[1].collective, Collective::kAllGather);
  EXPECT_NEAR(c.collectives[1].geometricMeanTimeRatio, 1.2, 1e-9);
}

TEST(Compare, ReportsRenderEveryCaseAndJsonRoundTrips) {
  std::mt19937_64 rng(8);
  const RunCases a = syntheticRun(rng, "run 1", 4, 20, 1.0);
  const RunCases b = syntheticRun(rng, "run 2", 4, 20, 1.1);
  const Comparison c = compareRuns(a, b);
  const nlohmann::json j = nlohmann::json::parse(toJson(c).dump());
  EXPECT_EQ(j["cases"].size(), 4u);
  EXPECT_EQ(j["summary"]["slower"], 4);
  EXPECT_EQ(j["cases"][0]["verdict"], "slower");
  EXPECT_EQ(j["cases"][0]["time_ratio_ci"].size(), 2u);
  EXPECT_EQ(j["a"]["label"], "run 1");
  const std::string console = consoleReport(c);
  EXPECT_NE(console.find("allreduce: geometric mean of B/A time 1.0"), std::string::npos);
  EXPECT_NEAR(j["collectives"][0]["geomean_time_ratio"].get<double>(), 1.1, 0.02);
  EXPECT_NE(console.find("4 slower, 0 faster, 0 no change"), std::string::npos);
  const std::string markdown = markdownReport(c);
  EXPECT_NE(markdown.find("| collective | type |"), std::string::npos);
  EXPECT_NE(markdown.find("**slower**"), std::string::npos);
  // Seeded: the same comparison twice gives the same intervals, and JSON.
  EXPECT_EQ(toJson(compareRuns(a, b)).dump(), toJson(c).dump());
}

}  // namespace
}  // namespace cclbench::analysis
