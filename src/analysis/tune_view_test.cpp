#include "analysis/tune_view.hpp"

#include <gtest/gtest.h>

namespace cclbench::analysis {
namespace {

CaseRecord caseOf(uint64_t size, std::vector<double> samples,
                  std::map<std::string, std::string> candidate = {}) {
  CaseRecord c;
  c.collective = Collective::kAllReduce;
  c.dtype = DType::kFloat;
  c.op = RedOp::kSum;
  c.sizeBytes = size;
  c.ranks = 2;
  c.samplesUs = std::move(samples);
  c.timeUs = stats::summarize(c.samplesUs);
  c.candidate = std::move(candidate);
  return c;
}

const std::map<std::string, std::string> kRing = {{"algorithm", "4"}};

std::vector<double> around(double us, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(us * (1 + 0.002 * (i % 5)));
  return out;
}

TEST(TuneView, PoolsTrialsPerCandidateAndMarksTheBestPerSize) {
  const std::vector<TuneLaunch> launches = {
      {"trial", {caseOf(1024, {10, 11, 12}), caseOf(2048, {20, 21, 22})}},
      {"trial", {caseOf(1024, {30, 31}, kRing), caseOf(2048, {5, 6}, kRing)}},
      {"trial", {caseOf(2048, {7, 8, 9}, kRing)}},  // a later round at one size
  };
  const std::vector<TuneCollectiveView> views = tuneViews(launches);
  ASSERT_EQ(views.size(), 1u);
  const TuneCollectiveView& v = views[0];
  EXPECT_EQ(v.sizes, (std::vector<uint64_t>{1024, 2048}));
  ASSERT_EQ(v.candidates.size(), 2u);
  EXPECT_TRUE(v.candidates[0].isDefault());
  EXPECT_EQ(v.candidates[0].description, "default");
  EXPECT_EQ(v.candidates[1].description, "algorithm=4");
  EXPECT_EQ(v.candidates[1].sizes.at(2048).count, 5u) << "both trials' samples pooled";
  EXPECT_DOUBLE_EQ(v.candidates[1].sizes.at(2048).median, 7);
  EXPECT_EQ(v.best.at(1024), 0u);
  EXPECT_EQ(v.best.at(2048), 1u);
  EXPECT_TRUE(v.validated.empty()) << "no validation launches";
}

TEST(TuneView, ComparesThePooledValidationLaunches) {
  std::vector<TuneLaunch> launches = {{"trial", {caseOf(1024, {10}), caseOf(2048, {20})}}};
  for (int round = 0; round < 3; ++round) {
    launches.push_back({"validation-default", {caseOf(1024, around(100, 20)), caseOf(2048, around(50, 20))}});
    launches.push_back({"validation-tuned", {caseOf(1024, around(50, 20)), caseOf(2048, around(50.01, 20))}});
  }
  const TuneCollectiveView v = tuneViews(launches).at(0);
  ASSERT_EQ(v.validated.size(), 2u);
  const ValidatedSize& fast = v.validated.at(1024);
  EXPECT_NEAR(fast.speedup, 2.0, 0.01);
  EXPECT_EQ(fast.verdict, "faster");
  ASSERT_TRUE(fast.speedupLow && fast.speedupHigh);
  EXPECT_LE(*fast.speedupLow, fast.speedup);
  EXPECT_GE(*fast.speedupHigh, fast.speedup);
  EXPECT_EQ(v.validated.at(2048).verdict, "no change");
}

TEST(TuneView, KeepsOneShapePerCollectiveAndOrdersCollectivesAsMeasured) {
  CaseRecord inPlace = caseOf(1024, {1}, kRing);
  inPlace.placement = Placement::kInPlace;
  CaseRecord gather = caseOf(1024, {3});
  gather.collective = Collective::kAllGather;
  gather.op = RedOp::kNone;
  const std::vector<TuneLaunch> launches = {
      {"trial", {caseOf(1024, {10}), inPlace}},
      {"trial", {gather}},
      {"other", {caseOf(4096, {1})}},  // not a trial: no candidate times
  };
  const std::vector<TuneCollectiveView> views = tuneViews(launches);
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].collective, Collective::kAllReduce);
  EXPECT_EQ(views[1].collective, Collective::kAllGather);
  EXPECT_EQ(views[0].candidates.size(), 1u) << "the in-place case is another shape";
  EXPECT_EQ(views[0].sizes, std::vector<uint64_t>{1024});
}

TEST(TuneView, APooledCaseRecomputesItsSummaryAndBandwidth) {
  const CaseRecord a = caseOf(1 << 20, {100, 110});
  const CaseRecord b = caseOf(1 << 20, {90});
  const CaseRecord pooled = pooledCase({&a, &b});
  EXPECT_EQ(pooled.samplesUs.size(), 3u);
  EXPECT_DOUBLE_EQ(pooled.timeUs.median, 100);
  EXPECT_NEAR(pooled.algBandwidthGBps, (1 << 20) / 100.0 / 1e3, 1e-12);
  EXPECT_NEAR(pooled.busBandwidthGBps, pooled.algBandwidthGBps * 1.0, 1e-12) << "2 ranks: 2(n-1)/n = 1";
}

}  // namespace
}  // namespace cclbench::analysis
