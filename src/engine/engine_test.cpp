#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/host_pattern.hpp"
#include "engine/fake_backend.hpp"
#include "engine/operation.hpp"
#include "launch/thread_bootstrap.hpp"

namespace cclbench {
namespace {

constexpr int kRanks = 4;
// Microseconds per iteration of each rank: rank 2 is the slowest, rank 1 the fastest.
constexpr double kRankUs[kRanks] = {3.0, 1.0, 4.0, 2.0};

fake::FakeOptions rankProfile() {
  fake::FakeOptions options;
  options.secondsPerIteration = [](int rank, int) { return kRankUs[rank] * 1e-6; };
  return options;
}

RunConfig fixedConfig() {
  RunConfig c;
  c.collectives = {Collective::kAllReduce};
  c.dtypes = {DType::kFloat};
  c.ops = {RedOp::kSum};
  c.sweep = {4096, 4096, 2.0, 0, {}};
  c.warmupIterations = 1;
  c.iterationsPerBatch = 3;
  c.batches = 5;
  c.checkIterations = 1;
  return c;
}

CaseSpec spec(Collective c, uint64_t bytes, DType type = DType::kFloat, RedOp op = RedOp::kSum,
              Placement placement = Placement::kOutOfPlace) {
  return {c,
          type,
          info(c).reduces ? op : RedOp::kNone,
          info(c).rooted ? 0 : -1,
          bytes,
          shapeOf(c, bytes, sizeOf(type), kRanks),
          placement,
          12345};
}

/// Measures `specs` on kRanks threads, each with its own engine; returns [rank][case].
std::vector<std::vector<CaseRecord>> measureAll(const RunConfig& config,
                                                const std::vector<CaseSpec>& specs,
                                                const fake::FakeOptions& options = rankProfile(),
                                                bool reserve = false) {
  auto world = fake::createFakeWorld(kRanks);
  auto group = createThreadGroup(kRanks);
  std::vector<std::vector<CaseRecord>> records(kRanks);
  std::vector<std::string> errors(kRanks);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < kRanks; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        auto bootstrap = createThreadBootstrap(group, rank);
        fake::FakeBackend backend(world, rank, options);
        // A rank stuck for 30 s (a broken exchange deadlocks the threads) fails the test binary.
        Watchdog hangGuard(30, 0, [rank](const std::string& activity, double) {
          std::fprintf(stderr, "rank %d hangs in %s\n", rank, activity.c_str());
          std::abort();
        });
        Engine engine(backend, *bootstrap, config, &hangGuard);
        if (reserve) engine.reserveFor(specs);
        engine.setMeasuringDefault(config.candidate.empty());  // as a run's --candidates table says
        for (const CaseSpec& s : specs) records[rank].push_back(engine.measure(s));
      } catch (const std::exception& e) {
        errors[rank] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int rank = 0; rank < kRanks; ++rank) EXPECT_EQ(errors[rank], "") << "rank " << rank;
  return records;
}

std::vector<CaseRecord> measureOne(const RunConfig& config, const CaseSpec& s,
                                   const fake::FakeOptions& options = rankProfile()) {
  std::vector<CaseRecord> out;
  for (auto& perRank : measureAll(config, {s}, options)) {
    EXPECT_EQ(perRank.size(), 1u);
    if (!perRank.empty()) out.push_back(perRank[0]);
  }
  return out;
}

TEST(Engine, FixedIterationsAndBatchesGiveThatManySamples) {
  RunConfig c = fixedConfig();
  c.batches = 7;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096))) {
    EXPECT_EQ(r.samplesUs.size(), 7u);
    EXPECT_EQ(r.timeUs.count, 7u);
    EXPECT_EQ(r.iterationsPerBatch, 3);
    EXPECT_EQ(r.stopReason, "fixed");
    EXPECT_EQ(r.ranks, kRanks);
    EXPECT_EQ(r.collective, Collective::kAllReduce);
    EXPECT_EQ(r.count, 1024u);
    EXPECT_EQ(r.sizeBytes, 4096u);
  }
}

TEST(Engine, RankTimesCombineAsAggregationSays) {
  const std::vector<std::pair<Aggregation, double>> expected{{Aggregation::kMax, 4.0},
                                                             {Aggregation::kMin, 1.0},
                                                             {Aggregation::kMean, 2.5},
                                                             {Aggregation::kRank0, 3.0}};
  for (const auto& [aggregation, us] : expected) {
    RunConfig c = fixedConfig();
    c.aggregation = aggregation;
    for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096))) {
      EXPECT_EQ(r.aggregation, aggregation);
      for (double sample : r.samplesUs) EXPECT_NEAR(sample, us, 1e-9) << name(aggregation);
      EXPECT_NEAR(r.timeUs.median, us, 1e-9) << name(aggregation);
      EXPECT_EQ(r.slowestRank, 2) << name(aggregation);
      EXPECT_NEAR(r.slowestRankMedianUs, 4.0, 1e-9);
    }
  }
}

TEST(Engine, BandwidthComesFromTheMedianTime) {
  // Every rank: warm-up 100 us, then batches of 2, 8, 4, 6 and 100 us per iteration.
  fake::FakeOptions options;
  options.secondsPerIteration = [](int, int call) {
    const double us[] = {100, 2, 8, 4, 6, 100};
    return us[call % 6] * 1e-6;
  };
  const auto records =
      measureAll(fixedConfig(),
                 {spec(Collective::kAllReduce, 6000), spec(Collective::kAllGather, 6000)}, options);
  for (const auto& perRank : records) {
    ASSERT_EQ(perRank.size(), 2u);
    // all-reduce: 6000 B in a median 6 us: 1 GB/s; busbw x 2(n-1)/n = 1.5.
    EXPECT_NEAR(perRank[0].timeUs.median, 6.0, 1e-9);
    EXPECT_NEAR(perRank[0].algBandwidthGBps, 1.0, 1e-9);
    EXPECT_NEAR(perRank[0].busBandwidthGBps, 1.5, 1e-9);
    // all-gather: 1500 floats, 375 per rank rounded to 372, 1488 floats = 5952 B in 6 us.
    EXPECT_EQ(perRank[1].sizeBytes, 5952u);
    EXPECT_NEAR(perRank[1].algBandwidthGBps, 5952.0 / 6e-6 / 1e9, 1e-9);
    EXPECT_NEAR(perRank[1].busBandwidthGBps, 0.75 * 5952.0 / 6e-6 / 1e9, 1e-9);
  }
}

TEST(Engine, CalibrationSizesBatchesToTheBatchTime) {
  // Slowest rank 4 us per iteration, batch time 40 us: 10 iterations per batch.
  RunConfig c = fixedConfig();
  c.iterationsPerBatch = 0;
  c.batchSeconds = 40e-6;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096))) {
    EXPECT_EQ(r.iterationsPerBatch, 10);
  }
}

TEST(Engine, CalibrationReachesTheBatchTimeDespiteAColdWarmUp) {
  // The warm-up (each rank's first timing call) is 50x slower than the steady 20 us per
  // iteration. Extrapolating from it gave batches of a fortieth of the target; every accepted
  // batch must now really last 0.75..1.5 x the 5 ms target, and say so in the record.
  fake::FakeOptions cold;
  cold.secondsPerIteration = [](int, int call) { return call == 0 ? 1e-3 : 20e-6; };
  RunConfig c = fixedConfig();
  c.iterationsPerBatch = 0;
  c.batchSeconds = 5e-3;
  // 4 KiB: the fake's times are the ones given above; a larger message only costs the fake's
  // reductions (44 s of the sanitizer build's unit tests at 64 KiB).
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096), cold)) {
    ASSERT_TRUE(r.calibration.has_value());
    EXPECT_GE(r.calibration->batchSeconds, 0.75 * c.batchSeconds);
    EXPECT_LE(r.calibration->batchSeconds, 1.5 * c.batchSeconds);
    EXPECT_GE(r.iterationsPerBatch * 20e-6, 0.75 * c.batchSeconds) << r.iterationsPerBatch;
    EXPECT_GE(r.calibration->probes, 2);
    EXPECT_EQ(r.timeUs.median, 20.0);
  }
}

TEST(Engine, CalibrationKeepsOneIterationWhenOneIsLongerThanTheTarget) {
  fake::FakeOptions slow;
  slow.secondsPerIteration = [](int, int) { return 8e-3; };
  RunConfig c = fixedConfig();
  c.iterationsPerBatch = 0;
  c.batchSeconds = 5e-3;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 65536), slow)) {
    EXPECT_EQ(r.iterationsPerBatch, 1);
    ASSERT_TRUE(r.calibration.has_value());
    EXPECT_DOUBLE_EQ(r.calibration->batchSeconds, 8e-3);
  }
  // A cold iteration far beyond the target settles it without a probe.
  slow.secondsPerIteration = [](int, int) { return 50e-3; };
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 65536), slow)) {
    EXPECT_EQ(r.iterationsPerBatch, 1);
    EXPECT_EQ(r.calibration->probes, 0);
  }
}

TEST(Engine, CalibrationComesBackDownFromAnOvershoot) {
  // Probes of 1 and then more iterations: per-iteration time jumps from 1 us to 200 us once
  // batches grow (a cache or queue effect): the second probe (64 iterations, 12.8 ms) overshoots,
  // and the count it comes back down to must be re-timed and land in the band.
  fake::FakeOptions jump;
  jump.secondsPerIteration = [](int, int call) { return call <= 1 ? 1e-6 : 200e-6; };
  RunConfig c = fixedConfig();
  c.iterationsPerBatch = 0;
  c.batchSeconds = 5e-3;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096), jump)) {
    ASSERT_TRUE(r.calibration.has_value());
    EXPECT_GE(r.calibration->batchSeconds, 0.75 * c.batchSeconds);
    EXPECT_LE(r.calibration->batchSeconds, 1.5 * c.batchSeconds);
    EXPECT_EQ(r.iterationsPerBatch, 25);
    EXPECT_EQ(r.calibration->probes, 3);
  }
}

TEST(Engine, SyncEachTimesEveryCallAloneAndSumsThem) {
  // Each rank's calls take a fixed time; with a barrier before each, the batch is the sum of the
  // calls and the per-iteration time the same as pipelined (the fake clock has no barrier cost).
  RunConfig c = fixedConfig();
  c.syncEach = true;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096))) {
    EXPECT_EQ(r.samplesUs.size(), 5u);
    EXPECT_DOUBLE_EQ(r.timeUs.median, 4.0);  // the slowest rank (-a 3)
  }
}

TEST(Engine, FixedIterationsRecordNoCalibration) {
  for (const CaseRecord& r : measureOne(fixedConfig(), spec(Collective::kAllReduce, 4096))) {
    EXPECT_FALSE(r.calibration.has_value());
  }
}

TEST(Engine, AdaptiveStopsOnPrecisionWhenTimesAreConstant) {
  RunConfig c = fixedConfig();
  c.batches = 0;
  c.minBatches = 5;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096))) {
    EXPECT_EQ(r.stopReason, "precision");
    EXPECT_EQ(r.samplesUs.size(), 5u);
  }
}

fake::FakeOptions noisyProfile() {
  fake::FakeOptions options;
  options.secondsPerIteration = [](int, int call) { return (call % 2 ? 1.0 : 20.0) * 1e-6; };
  return options;
}

TEST(Engine, AdaptiveStopsAtMaxBatchesWhenNoisy) {
  RunConfig c = fixedConfig();
  c.batches = 0;
  c.minBatches = 5;
  c.maxBatches = 9;
  c.sizeBudgetSeconds = 1000;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096), noisyProfile())) {
    EXPECT_EQ(r.stopReason, "max-batches");
    EXPECT_EQ(r.samplesUs.size(), 9u);
  }
}

TEST(Engine, AdaptiveStopsAtTheBudget) {
  RunConfig c = fixedConfig();
  c.batches = 0;
  c.minBatches = 6;
  c.sizeBudgetSeconds = 1e-9;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096), noisyProfile())) {
    EXPECT_EQ(r.stopReason, "budget");
    EXPECT_EQ(r.samplesUs.size(), 6u);
  }
}

/// The same case measured twice, as a --candidates run measures it for two candidates: the first
/// time 10 us every batch (it stops on precision after its warm-up and five batches: calls 0-5),
/// the second 30 or 60 us in turn, far slower and too noisy to reach the precision.
fake::FakeOptions leaderThenLoser() {
  fake::FakeOptions options;
  options.secondsPerIteration = [](int, int call) {
    return call < 6 ? 10e-6 : (call % 2 ? 30.0 : 60.0) * 1e-6;
  };
  return options;
}

RunConfig outpacedConfig(double margin) {
  RunConfig c = fixedConfig();
  c.batches = 0;
  c.maxBatches = 9;
  c.sizeBudgetSeconds = 1000;
  c.stopOutpaced = margin;
  c.candidate = {{"algorithm", "4"}};  // a forced candidate's cases (the default's never stop)
  return c;
}

/// The stop reasons of the second case of `specs` on every rank.
std::vector<std::string> secondStops(const RunConfig& c, const std::vector<CaseSpec>& specs,
                                     const fake::FakeOptions& options = leaderThenLoser()) {
  std::vector<std::string> out;
  for (const auto& perRank : measureAll(c, specs, options)) {
    EXPECT_EQ(perRank.size(), 2u);
    if (perRank.size() == 2) out.push_back(perRank[1].stopReason + " " + std::to_string(perRank[1].samplesUs.size()));
  }
  return out;
}

/// A loser stops after kOutpacedMinBatches (3), before the fewest batches a figure needs (5 by
/// default: the leader's precision stop waits for them).
TEST(Engine, ACaseOutpacedByOneBeforeItAtItsSizeStopsAfterThreeBatches) {
  const CaseSpec same = spec(Collective::kAllReduce, 4096);
  const std::vector<std::string> outpaced(kRanks, "outpaced 3"), ranOn(kRanks, "max-batches 9");
  for (const auto& perRank : measureAll(outpacedConfig(0), {same, same}, leaderThenLoser())) {
    ASSERT_EQ(perRank.size(), 2u);
    EXPECT_EQ(perRank[0].stopReason, "precision");
    EXPECT_EQ(perRank[0].samplesUs.size(), 5u);
    EXPECT_EQ(perRank[1].stopReason, "outpaced");
    EXPECT_EQ(perRank[1].samplesUs.size(), static_cast<std::size_t>(kOutpacedMinBatches));
  }
  EXPECT_EQ(secondStops(outpacedConfig(1.5), {same, same}), outpaced);  // 30 > 10 x 2.5
  // Not outpaced: off, a margin wider than the gap, another size, the default's case, or a first
  // case whose data check failed (a wrong result sets no bar).
  EXPECT_EQ(secondStops(outpacedConfig(-1), {same, same}), ranOn);
  RunConfig unforced = outpacedConfig(0);
  unforced.candidate.clear();
  EXPECT_EQ(secondStops(unforced, {same, same}), ranOn);
  EXPECT_EQ(secondStops(outpacedConfig(2.5), {same, same}), ranOn);
  EXPECT_EQ(secondStops(outpacedConfig(0), {same, spec(Collective::kAllReduce, 8192)}), ranOn);
  fake::FakeOptions corrupt = leaderThenLoser();
  corrupt.corruptRank = 1;
  EXPECT_EQ(secondStops(outpacedConfig(0), {same, same}, corrupt), ranOn);
}

TEST(Engine, PointToPointCombinesOnlyThePair) {
  // Pair 1,3: 1 and 2 us per iteration; latency reports half the round trip.
  const std::vector<std::pair<Aggregation, double>> latency{
      {Aggregation::kMax, 1.0},
      {Aggregation::kMin, 0.5},
      {Aggregation::kMean, 0.75},
      {Aggregation::kRank0, 0.5}};  // rank0 means the pair's first rank
  for (const auto& [aggregation, us] : latency) {
    RunConfig c = fixedConfig();
    c.peerA = 1;
    c.peerB = 3;
    c.aggregation = aggregation;
    for (const CaseRecord& r : measureOne(c, spec(Collective::kLatency, 64))) {
      EXPECT_NEAR(r.timeUs.median, us, 1e-9) << name(aggregation);
      EXPECT_EQ(r.slowestRank, 3);
      EXPECT_NEAR(r.slowestRankMedianUs, 1.0, 1e-9);
      EXPECT_EQ(r.wrong, 0u);
      EXPECT_TRUE(r.checked);
    }
  }
  RunConfig c = fixedConfig();
  c.window = 4;  // bw: pair 0,1 at 3 and 1 us per window of 4 messages
  for (const CaseRecord& r : measureOne(c, spec(Collective::kBandwidth, 64))) {
    EXPECT_NEAR(r.timeUs.median, 0.75, 1e-9);
    EXPECT_NEAR(r.algBandwidthGBps, 64 / 0.75e-6 / 1e9, 1e-9);
  }
}

TEST(Engine, AStreamedBwAcknowledgesOncePerBatchNotPerWindow) {
  RunConfig c = fixedConfig();  // one warm-up iteration, 5 batches of 3, a data check
  c.window = 4;
  c.stream = true;
  std::atomic<int> windows[kRanks] = {}, finishes[kRanks] = {};
  std::atomic<int> wrongDepth = 0;
  fake::FakeOptions o = rankProfile();
  o.streams = true;
  o.streamed = [&](int rank, bool finish, int depth) {
    if (finish) {
      ++finishes[rank];
    } else {
      ++windows[rank];
      wrongDepth += depth != 4;
    }
  };
  for (const CaseRecord& r : measureOne(c, spec(Collective::kBandwidth, 64), o)) {
    EXPECT_EQ(r.wrong, 0u);
    EXPECT_TRUE(r.checked);
    EXPECT_EQ(r.samplesUs.size(), 5u);
    EXPECT_NEAR(r.timeUs.median, 0.75, 1e-9);  // pair 0,1 at 3 and 1 us per window of 4
  }
  EXPECT_EQ(wrongDepth, 0);
  for (int rank : {0, 1}) {
    // Every iteration streams a window; the warm-up and each batch end once (the check reads the
    // last batch's output: bw repeats exactly).
    EXPECT_EQ(windows[rank], 1 + 5 * 3) << "rank " << rank;
    EXPECT_EQ(finishes[rank], 1 + 5) << "rank " << rank;
  }
  for (int rank : {2, 3}) EXPECT_EQ(windows[rank] + finishes[rank], 0) << "rank " << rank;
}

TEST(Engine, PerIterationAndPerRankTimes) {
  RunConfig c = fixedConfig();
  c.perIteration = true;
  c.perIterationCount = 10;
  c.perRankTimes = true;
  const auto records = measureOne(c, spec(Collective::kAllReduce, 4096));
  for (int rank = 0; rank < kRanks; ++rank) {
    const CaseRecord& r = records[rank];
    ASSERT_TRUE(r.perIteration.has_value());
    EXPECT_EQ(r.perIteration->count, 10u);
    EXPECT_NEAR(r.perIteration->p50Us, 4.0, 1e-9);
    EXPECT_NEAR(r.perIteration->maxUs, 4.0, 1e-9);
    EXPECT_EQ(r.perRankSamplesUs.size(), rank == 0 ? 4u : 0u);
  }
  for (int rank = 0; rank < kRanks; ++rank) {
    ASSERT_EQ(records[0].perRankSamplesUs[rank].size(), 5u);
    for (double us : records[0].perRankSamplesUs[rank]) EXPECT_NEAR(us, kRankUs[rank], 1e-9);
  }
}

TEST(Engine, AllPairsMeasuresEveryPairOfRanksInRoundsOfDisjointPairs) {
  // 4 ranks: 3 rounds of 2 pairs, every pair once, each from the plan; every rank's times kept.
  RunConfig c = fixedConfig();
  c.collectives = {Collective::kLatency, Collective::kBandwidth};
  c.sweep = {64, 64, 2.0, 0, {}};
  c.allPairs = true;
  c.window = 4;
  fake::FakeBackend planner(fake::createFakeWorld(kRanks), 0);
  std::vector<CaseSpec> specs;
  for (const PlanTable& table : buildPlan(c, kRanks, planner)) {
    ASSERT_EQ(table.rows.size(), 3u) << name(table.collective);
    for (const PlanRow& row : table.rows) {
      EXPECT_FALSE(row.runInPlace);
      specs.push_back(row.outOfPlace);
    }
  }
  const auto records = measureAll(c, specs);
  std::set<std::pair<int, int>> seen;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const CaseRecord& r = records[0][i];
    EXPECT_EQ(r.pairRound, specs[i].pairRound);
    ASSERT_EQ(r.pairs.size(), 2u);
    EXPECT_EQ(r.wrong, 0u) << describe(specs[i]);
    EXPECT_TRUE(r.checked);
    ASSERT_EQ(r.perRankSamplesUs.size(), static_cast<std::size_t>(kRanks));
    std::set<int> ranks;
    for (const auto& [a, b] : r.pairs) {
      EXPECT_LT(a, b);
      ranks.insert({a, b});
      if (r.collective == Collective::kLatency) seen.insert({a, b});
      // Latency is half of the slower rank's round trip, per pair: a pair's ranks agree.
      if (r.collective == Collective::kLatency) {
        const double slower = std::max(kRankUs[a], kRankUs[b]) / 2;
        EXPECT_NEAR(r.perRankSamplesUs[a][0], kRankUs[a] / 2, 1e-9);
        EXPECT_NEAR(std::max(r.perRankSamplesUs[a][0], r.perRankSamplesUs[b][0]), slower, 1e-9);
      }
    }
    EXPECT_EQ(ranks.size(), 4u) << "the pairs of a round are disjoint";
    // The combined time is the slowest pair's (aggregation max), as one case of the table.
    EXPECT_GT(r.timeUs.median, 0);
  }
  EXPECT_EQ(seen.size(), 6u) << "every pair of 4 ranks once";
}

std::vector<CaseSpec> everyCase() {
  RunConfig c = fixedConfig();
  c.collectives = allCollectives();
  c.dtypes = {DType::kFloat,    DType::kInt32,   DType::kHalf,
              DType::kBfloat16, DType::kFp8E4M3, DType::kUint8};
  c.ops = {RedOp::kSum, RedOp::kProd, RedOp::kMin, RedOp::kMax, RedOp::kAvg, RedOp::kPreMulSum};
  c.sweep = {1000, 1000, 2.0, 0, {}};
  c.root = 2;
  fake::FakeBackend planner(fake::createFakeWorld(kRanks), 0);
  std::vector<CaseSpec> specs;
  for (const PlanTable& table : buildPlan(c, kRanks, planner)) {
    for (const PlanRow& row : table.rows) {
      specs.push_back(row.outOfPlace);
      if (row.runInPlace) specs.push_back(row.inPlace());
    }
  }
  return specs;
}

TEST(Engine, EveryCollectiveTypeAndOpChecksClean) {
  RunConfig c = fixedConfig();
  c.iterationsPerBatch = 2;
  c.batches = 2;
  c.checkIterations = 2;  // the last batch's output and one fresh run
  const std::vector<CaseSpec> specs = everyCase();
  ASSERT_GT(specs.size(), 250u);
  const auto records = measureAll(c, specs);
  for (int rank = 0; rank < kRanks; ++rank) {
    ASSERT_EQ(records[rank].size(), specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
      EXPECT_TRUE(records[rank][i].checked) << describe(specs[i]);
      EXPECT_EQ(records[rank][i].wrong, 0u) << describe(specs[i]);
    }
  }
}

TEST(Engine, ReservedBuffersReuseTheirInputAndEveryCaseStillChecksClean) {
  // Sizes up and down, in- and out-of-place, collectives whose inputs differ: a case that reused
  // another's input wrongly would be caught by its check.
  RunConfig c = fixedConfig();
  c.checkIterations = 1;
  std::vector<CaseSpec> specs;
  for (uint64_t bytes : {4096u, 16384u, 1024u, 65536u, 16384u}) {
    for (Collective coll : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduce,
                            Collective::kAllToAll}) {
      CaseSpec s = spec(coll, bytes);
      specs.push_back(s);
      s.placement = Placement::kInPlace;
      specs.push_back(s);
      s.placement = Placement::kOutOfPlace;
      s.seed += 1;
      specs.push_back(s);
    }
  }
  const auto records = measureAll(c, specs, rankProfile(), /*reserve=*/true);
  for (const auto& perRank : records) {
    ASSERT_EQ(perRank.size(), specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
      EXPECT_TRUE(perRank[i].checked) << describe(specs[i]);
      EXPECT_EQ(perRank[i].wrong, 0u) << describe(specs[i]);
    }
  }
}

TEST(BufferPool, WritesOnlyTheInputElementsItDoesNotHoldYet) {
  fake::FakeBackend backend(fake::createFakeWorld(1), 0);
  BufferPool pool(backend);
  pool.reserve(1024 * sizeof(float), 1024 * sizeof(float));
  const pattern::InputSpec spec{pattern::ValueKind::kSum, 0, 2, 7, 0};
  std::vector<float> expected(1024);
  pattern::fillInputHost(expected.data(), expected.size(), DType::kFloat, spec);
  auto* send = static_cast<float*>(pool.send());
  pool.fillSendInput(100, DType::kFloat, spec);
  EXPECT_EQ(std::vector<float>(send, send + 100), std::vector<float>(expected.begin(), expected.begin() + 100));
  send[0] = -1;  // a sentinel: written again only where the pool forgets what it holds
  pool.fillSendInput(1024, DType::kFloat, spec);
  EXPECT_EQ(send[0], -1) << "the prefix it held was written again";
  EXPECT_EQ(std::vector<float>(send + 1, send + 1024), std::vector<float>(expected.begin() + 1, expected.end()));
  pool.fillSendInput(50, DType::kFloat, spec);
  EXPECT_EQ(send[0], -1) << "a smaller case of the same input writes nothing";
  pattern::InputSpec other = spec;
  other.seed = 8;
  pool.fillSendInput(10, DType::kFloat, other);
  EXPECT_NE(send[0], -1) << "another pattern is written whole";
  pool.fillSendInput(1024, DType::kFloat, spec);
  EXPECT_EQ(std::vector<float>(send, send + 1024), expected) << "and the first is written whole again";
  send[0] = -1;
  pool.forgetSendInput();
  pool.fillSendInput(1024, DType::kFloat, spec);
  EXPECT_EQ(send[0], expected[0]);
  send[0] = -1;
  pool.reserve(4096 * sizeof(float), 4096 * sizeof(float));  // a new allocation holds nothing
  pool.fillSendInput(1024, DType::kFloat, spec);
  EXPECT_EQ(static_cast<float*>(pool.send())[0], expected[0]);
}

TEST(Engine, ACorruptingBackendIsCaughtOnce) {
  fake::FakeOptions options = rankProfile();
  options.corruptRank = 2;
  const auto records =
      measureAll(fixedConfig(),
                 {spec(Collective::kAllReduce, 4096), spec(Collective::kAllGather, 4096),
                  spec(Collective::kSendRecv, 4096)},
                 options);
  for (const auto& perRank : records) {
    ASSERT_EQ(perRank.size(), 3u);
    for (const CaseRecord& r : perRank) EXPECT_EQ(r.wrong, 1u) << name(r.collective);
  }
}

TEST(Engine, TestCorruptRankIsReported) {
  RunConfig c = fixedConfig();
  c.testCorruptRank = 1;
  const auto records = measureAll(
      c, {spec(Collective::kAllReduce, 4096),
          spec(Collective::kAllReduce, 4096, DType::kFloat, RedOp::kSum, Placement::kInPlace)});
  for (const auto& perRank : records) {
    for (const CaseRecord& r : perRank) EXPECT_GT(r.wrong, 0u);
  }
}

TEST(Engine, NoChecksMeansUnchecked) {
  RunConfig c = fixedConfig();
  c.checkIterations = 0;
  fake::FakeOptions options = rankProfile();
  options.corruptRank = 0;
  for (const CaseRecord& r : measureOne(c, spec(Collective::kAllReduce, 4096), options)) {
    EXPECT_FALSE(r.checked);
    EXPECT_EQ(r.wrong, 0u);
  }
}

TEST(Engine, OperationsPerIterationAndDescription) {
  EXPECT_EQ(operationsPerIteration(Collective::kLatency, 64), 2);
  EXPECT_EQ(operationsPerIteration(Collective::kBandwidth, 16), 16);
  EXPECT_EQ(operationsPerIteration(Collective::kBiBandwidth, 8), 8);
  EXPECT_EQ(operationsPerIteration(Collective::kAllReduce, 64), 1);
  EXPECT_EQ(describe(spec(Collective::kAllReduce, 1024)), "allreduce 1 KiB float sum out-of-place");
  EXPECT_EQ(
      describe(spec(Collective::kBroadcast, 64, DType::kInt8, RedOp::kSum, Placement::kInPlace)),
      "broadcast 64 B int8 root 0 in-place");
}

}  // namespace
}  // namespace cclbench
