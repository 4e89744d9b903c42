#include "analysis/pair_matrix.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/pair_rounds.hpp"

namespace cclbench::analysis {
namespace {

CaseRecord pairCase(Collective c, uint64_t bytes, double medianUs, double busbw) {
  CaseRecord r;
  r.collective = c;
  r.sizeBytes = bytes;
  r.timeUs.median = medianUs;
  r.busBandwidthGBps = busbw;
  return r;
}

RunHeader twoHosts(const std::string& a, const std::string& b) {
  RunHeader h;
  h.ranks = 2;
  h.hosts = {{a, {0}, {}}, {b, {1}, {}}};
  return h;
}

const PairFigure& pairOf(const PairMatrix& m, const std::string& a, const std::string& b) {
  for (const PairFigure& p : m.pairs) {
    if ((p.a == a && p.b == b) || (p.a == b && p.b == a)) return p;
  }
  throw std::runtime_error("no pair " + a + " - " + b);
}

TEST(PairMatrix, HostPairsComeFromTwoHostRunsOfLatencyAndBw) {
  // 3 hosts, every pair measured but c-a's bandwidth job missing; a local 2-rank run is no pair
  std::vector<RunHeader> headers{twoHosts("b", "a"), twoHosts("b", "a"), twoHosts("c", "b"), twoHosts("c", "b"),
                                 twoHosts("a", "c"), RunHeader{}};
  headers.back().ranks = 2;
  headers.back().hosts = {{"a", {0, 1}, {}}};
  std::vector<std::vector<CaseRecord>> cases{
      {pairCase(Collective::kLatency, 8, 2.0, 0)},
      // the largest out-of-place size is the figure; the smaller and the in-place one are not
      {pairCase(Collective::kBandwidth, 1 << 20, 100, 9.0), pairCase(Collective::kBandwidth, 1 << 22, 400, 10.0)},
      {pairCase(Collective::kLatency, 8, 3.0, 0)},
      {pairCase(Collective::kBandwidth, 1 << 22, 800, 6.0)},
      {pairCase(Collective::kLatency, 8, 2.5, 0)},
      {pairCase(Collective::kLatency, 8, 99, 0)}};
  cases[1].push_back(pairCase(Collective::kBandwidth, 1 << 22, 40, 100.0));
  cases[1].back().placement = Placement::kInPlace;
  std::vector<PairRun> runs;
  for (std::size_t i = 0; i < headers.size(); ++i) runs.push_back({headers[i], cases[i], static_cast<int>(i / 2) + 1});
  PairMatrix m = pairMatrixOf(runs);
  EXPECT_EQ(m.kind, "hosts");
  EXPECT_EQ(m.members, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(m.pairs.size(), 3u);
  EXPECT_TRUE(m.hasLatency && m.hasBandwidth);
  EXPECT_EQ(m.rounds, 3);
  const PairFigure& ab = pairOf(m, "a", "b");
  EXPECT_TRUE(ab.ran);
  EXPECT_DOUBLE_EQ(ab.latencyUs, 2.0);
  EXPECT_DOUBLE_EQ(ab.bandwidthGbps, 10.0);
  EXPECT_EQ(ab.round, 1);
  EXPECT_DOUBLE_EQ(pairOf(m, "b", "c").bandwidthGbps, 6.0);
  const PairFigure& ac = pairOf(m, "a", "c");
  EXPECT_FALSE(ac.ran) << "a pair without its bandwidth figure did not run";
  EXPECT_DOUBLE_EQ(ac.latencyUs, 2.5);
  judgePairMatrix(m);
  EXPECT_EQ(m.exitCode, 7);
  EXPECT_DOUBLE_EQ(m.medianBandwidthGbps, 8.0);
  EXPECT_FALSE(ab.flagged);
  EXPECT_FALSE(pairOf(m, "b", "c").flagged) << "6 >= 0.7 x 8";
  EXPECT_TRUE(ac.flagged);
  m.minFraction = 0.9;
  judgePairMatrix(m);
  EXPECT_TRUE(pairOf(m, "b", "c").flagged);
  EXPECT_NE(pairOf(m, "b", "c").why.find("< 0.9 x median"), std::string::npos) << pairOf(m, "b", "c").why;
  // pairs are listed lower member first, in member order
  EXPECT_EQ(m.pairs[0].a + m.pairs[0].b + m.pairs[1].a + m.pairs[1].b + m.pairs[2].a + m.pairs[2].b, "abacbc");

  // What the matrix asked for: 4 hosts (one stored nothing) and both metrics; b-c's bandwidth job
  // did not complete (it timed out).
  runs[3].complete = false;
  PairMatrix asked = pairMatrixOf(runs, {4, true});
  ASSERT_EQ(asked.members, (std::vector<std::string>{"a", "b", "c", "(no record 1)"}));
  ASSERT_EQ(asked.pairs.size(), 6u);
  EXPECT_FALSE(pairOf(asked, "b", "c").ran);
  EXPECT_EQ(pairOf(asked, "b", "c").why, "its job did not complete");
  for (const char* x : {"a", "b", "c"}) EXPECT_FALSE(pairOf(asked, x, "(no record 1)").ran) << x;
  judgePairMatrix(asked);
  int flagged = 0;
  for (const PairFigure& p : asked.pairs) flagged += p.flagged ? 1 : 0;
  EXPECT_EQ(flagged, 5) << "only a-b ran";
  // Every bandwidth job failed: with both metrics asked, nothing ran; read as found, latency only.
  std::vector<PairRun> latencyOnly{runs[0], runs[2], runs[4]};
  PairMatrix none = pairMatrixOf(latencyOnly, {0, true});
  for (const PairFigure& p : none.pairs) EXPECT_FALSE(p.ran);
  PairMatrix found = pairMatrixOf(latencyOnly);
  EXPECT_FALSE(found.hasBandwidth);
  for (const PairFigure& p : found.pairs) EXPECT_TRUE(p.ran);
}

TEST(PairMatrix, RankPairsAreTheSlowerRankOfEachPairInItsRound) {
  RunHeader h;
  h.ranks = 4;
  h.hosts = {{"n1", {0, 1}, {}}, {"n2", {2, 3}, {}}};
  std::vector<CaseRecord> latency, bandwidth;
  const auto rounds = circleRounds(4);
  ASSERT_EQ(rounds.size(), 3u);
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    CaseRecord lat = pairCase(Collective::kLatency, 8, 0, 0);
    lat.pairRound = static_cast<int>(r);
    lat.pairs = rounds[r];
    // rank i's samples: i + 1 us, plus 10 us for rank 3 (a slow link on n2)
    for (int i = 0; i < 4; ++i) lat.perRankSamplesUs.push_back({i + 1.0, i + 1.0 + (i == 3 ? 10 : 0), i + 1.0 + (i == 3 ? 10 : 0)});
    latency.push_back(lat);
    CaseRecord bw = pairCase(Collective::kBandwidth, 1 << 20, 0, 0);
    bw.pairRound = static_cast<int>(r);
    bw.pairs = rounds[r];
    for (int i = 0; i < 4; ++i) bw.perRankSamplesUs.push_back({i == 3 ? 1000.0 : 100.0});
    bandwidth.push_back(bw);
  }
  // A smaller size measured too, its figures far off: each metric is read at its largest size.
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    CaseRecord small = latency[r];
    small.sizeBytes = 4;
    for (auto& samples : small.perRankSamplesUs) samples = {1000.0};
    latency.push_back(small);
  }
  // Only the latency job: a one-run report shows one metric and judges nothing on bandwidth.
  PairMatrix one = pairMatrixOf({{h, latency, 0}});
  EXPECT_EQ(one.kind, "ranks");
  EXPECT_TRUE(one.hasLatency);
  EXPECT_FALSE(one.hasBandwidth);
  for (const PairFigure& p : one.pairs) EXPECT_TRUE(p.ran) << p.a << " " << p.b;
  judgePairMatrix(one);
  EXPECT_EQ(one.exitCode, 0);

  PairMatrix m = pairMatrixOf({{h, latency, 0}, {h, bandwidth, 0}});
  EXPECT_EQ(m.members, (std::vector<std::string>{"0@n1", "1@n1", "2@n2", "3@n2"}));
  ASSERT_EQ(m.pairs.size(), 6u);
  EXPECT_EQ(m.rounds, 3);
  std::map<int, int> perRound;
  for (const PairFigure& p : m.pairs) ++perRound[p.round];
  EXPECT_EQ(perRound, (std::map<int, int>{{1, 2}, {2, 2}, {3, 2}}));
  EXPECT_DOUBLE_EQ(pairOf(m, "0@n1", "1@n1").latencyUs, 2.0);   // max(1, 2)
  EXPECT_DOUBLE_EQ(pairOf(m, "0@n1", "3@n2").latencyUs, 14.0);  // rank 3's median
  EXPECT_NEAR(pairOf(m, "1@n1", "2@n2").bandwidthGbps, (1 << 20) / 100.0 / 1e3, 1e-12);
  EXPECT_NEAR(pairOf(m, "2@n2", "3@n2").bandwidthGbps, (1 << 20) / 1000.0 / 1e3, 1e-12);
  judgePairMatrix(m);
  EXPECT_EQ(m.exitCode, 7);
  for (const PairFigure& p : m.pairs) {
    EXPECT_EQ(p.flagged, p.a == "3@n2" || p.b == "3@n2") << p.a << " " << p.b;
  }
  // A round whose case is missing: its pairs did not run.
  latency.resize(rounds.size() - 1);
  bandwidth.pop_back();
  PairMatrix partial = pairMatrixOf({{h, latency, 0}, {h, bandwidth, 0}});
  int notRun = 0;
  for (const PairFigure& p : partial.pairs) notRun += p.ran ? 0 : 1;
  EXPECT_EQ(notRun, 2);
}

TEST(PairMatrix, RankPairsListedEitherWayAndAHeaderWithoutRanksOrHosts) {
  RunHeader bare;  // no rank count, no hosts: the cases' ranks, named "rank N"
  const auto rounds = circleRounds(2);
  CaseRecord c = pairCase(Collective::kLatency, 8, 0, 0);
  c.pairRound = 0;
  c.pairs = {{1, 0}};  // higher rank first
  c.perRankSamplesUs = {{3.0}, {5.0}};
  const std::vector<CaseRecord> cases{c};
  PairMatrix m = pairMatrixOf({{bare, cases, 0}});
  ASSERT_EQ(m.members, (std::vector<std::string>{"rank 0", "rank 1"}));
  ASSERT_EQ(m.pairs.size(), 1u);
  EXPECT_TRUE(m.pairs[0].ran);
  EXPECT_DOUBLE_EQ(m.pairs[0].latencyUs, 5.0);
  EXPECT_EQ(m.pairs[0].round, 1);
  // a pair naming a rank past the recorded times is left alone
  std::vector<CaseRecord> shortCases{c};
  shortCases[0].perRankSamplesUs.resize(1);
  RunHeader two;
  two.ranks = 2;
  EXPECT_FALSE(pairMatrixOf({{two, shortCases, 0}}).pairs[0].ran);
}

TEST(PairMatrix, ATimeoutIsExitFourAndAHealthyMatrixZero) {
  PairMatrix m;
  m.members = {"a", "b"};
  m.pairs = {{"a", "b", 1, true, 2, 10, false, ""}};
  judgePairMatrix(m);
  EXPECT_EQ(m.exitCode, 0);
  m.timedOut = true;
  judgePairMatrix(m);
  EXPECT_EQ(m.exitCode, 4);
}

}  // namespace
}  // namespace cclbench::analysis
