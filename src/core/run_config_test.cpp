#include "core/run_config.hpp"
#include "core/pair_rounds.hpp"

#include <set>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cclbench {
namespace {

RunConfig validConfig() {
  RunConfig c;
  c.collectives = {Collective::kAllReduce, Collective::kBroadcast};
  c.dtypes = {DType::kFloat};
  c.ops = {RedOp::kSum};
  c.sweep = {8, 1024, 2.0, 0, {}};
  return c;
}

void expectUsageError(const std::function<void()>& call, const std::string& what) {
  try {
    call();
    ADD_FAILURE() << "no error for " << what;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage) << what;
  }
}

TEST(Validate, AcceptsAValidConfig) {
  EXPECT_NO_THROW(validate(validConfig()));
}

TEST(Validate, RejectsEachBadSetting) {
  const std::vector<std::pair<std::string, std::function<void(RunConfig&)>>> breakers{
      {"no collective", [](RunConfig& c) { c.collectives.clear(); }},
      {"no type", [](RunConfig& c) { c.dtypes.clear(); }},
      {"no op", [](RunConfig& c) { c.ops.clear(); }},
      {"min above max",
       [](RunConfig& c) {
         c.sweep = {2048, 1024, 2.0, 0, {}};
       }},
      {"zero size", [](RunConfig& c) { c.sweep.minBytes = 0; }},
      {"factor 1", [](RunConfig& c) { c.sweep.factor = 1.0; }},
      {"no placement", [](RunConfig& c) { c.outOfPlace = c.inPlace = false; }},
      {"negative warmup", [](RunConfig& c) { c.warmupIterations = -1; }},
      {"negative iterations", [](RunConfig& c) { c.iterationsPerBatch = -1; }},
      {"negative batches", [](RunConfig& c) { c.batches = -1; }},
      {"min batches 0", [](RunConfig& c) { c.minBatches = 0; }},
      {"max below min", [](RunConfig& c) { c.maxBatches = c.minBatches - 1; }},
      {"batch time 0", [](RunConfig& c) { c.batchSeconds = 0; }},
      {"budget 0", [](RunConfig& c) { c.sizeBudgetSeconds = 0; }},
      {"precision 0", [](RunConfig& c) { c.precision = 0; }},
      {"precision NaN", [](RunConfig& c) { c.precision = NAN; }},
      {"negative checks", [](RunConfig& c) { c.checkIterations = -1; }},
      {"negative timeout", [](RunConfig& c) { c.timeoutSeconds = -1; }},
      {"negative root", [](RunConfig& c) { c.root = -1; }},
      {"window 0", [](RunConfig& c) { c.window = 0; }},
      {"same peers", [](RunConfig& c) { c.peerA = c.peerB = 1; }},
      {"negative peer", [](RunConfig& c) { c.peerA = -1; }},
      {"per-iteration count 0", [](RunConfig& c) { c.perIterationCount = 0; }},
      {"negative floor", [](RunConfig& c) { c.minBusBandwidth = -1.0; }},
      {"stream without bw", [](RunConfig& c) { c.stream = true; }},
      {"stream with sync-each",
       [](RunConfig& c) {
         c.collectives = {Collective::kBandwidth};
         c.stream = c.syncEach = true;
       }},
      {"stream with per-iteration",
       [](RunConfig& c) {
         c.collectives = {Collective::kBandwidth};
         c.stream = c.perIteration = true;
       }},
      {"stop-outpaced without candidates", [](RunConfig& c) { c.stopOutpaced = 0; }},
      {"stop-outpaced with fixed batches",
       [](RunConfig& c) {
         c.candidateSweeps = {{Collective::kAllReduce, {{"algorithm", "4"}}, {1024}}};
         c.batches = 3;
         c.stopOutpaced = 0.05;
       }},
  };
  for (const auto& [what, breakIt] : breakers) {
    RunConfig c = validConfig();
    breakIt(c);
    expectUsageError([&] { validate(c); }, what);
  }
}

TEST(Validate, BoundaryValuesAreAccepted) {
  RunConfig c = validConfig();
  c.warmupIterations = 0;
  c.checkIterations = 0;
  c.timeoutSeconds = 0;
  c.minBatches = c.maxBatches = 1;
  c.minBusBandwidth = 0.0;
  c.inPlace = false;
  EXPECT_NO_THROW(validate(c));
}

TEST(ValidateForWorld, RootMustExistForRootedCollectives) {
  RunConfig c = validConfig();  // has broadcast
  c.root = 3;
  EXPECT_NO_THROW(validateForWorld(c, 4));
  c.root = 4;
  expectUsageError([&] { validateForWorld(c, 4); }, "root 4 of 4");
  c.collectives = {Collective::kAllReduce};  // not rooted: the root is unused
  EXPECT_NO_THROW(validateForWorld(c, 4));
}

TEST(ValidateForWorld, PairMustExistForPointToPoint) {
  RunConfig c = validConfig();
  c.collectives = {Collective::kLatency};
  c.peerA = 0;
  c.peerB = 3;
  EXPECT_NO_THROW(validateForWorld(c, 4));
  c.peerB = 4;
  expectUsageError([&] { validateForWorld(c, 4); }, "pair 0,4 of 4");
  c.peerA = 5;
  c.peerB = 1;
  expectUsageError([&] { validateForWorld(c, 4); }, "pair 5,1 of 4");
  c.collectives = {Collective::kAllReduce};
  EXPECT_NO_THROW(validateForWorld(c, 4));
}

TEST(ValidateForWorld, AllPairsNeedsPairBenchmarksAndTwoRanks) {
  RunConfig c = validConfig();
  c.collectives = {Collective::kLatency, Collective::kBandwidth};
  c.allPairs = true;
  c.peerB = 9;  // the configured pair is not used
  EXPECT_NO_THROW(validate(c));
  EXPECT_NO_THROW(validateForWorld(c, 5));
  expectUsageError([&] { validateForWorld(c, 1); }, "2 or more ranks");
  c.collectives.push_back(Collective::kSendRecv);
  expectUsageError([&] { validate(c); }, "sendrecv is not a pair benchmark");
  EXPECT_EQ(toJson(c).at("all_pairs"), true);
}

TEST(PairRounds, EveryPairOnceInRoundsOfDisjointPairs) {
  for (int n = 2; n <= 9; ++n) {
    const auto rounds = circleRounds(n);
    EXPECT_EQ(rounds.size(), static_cast<std::size_t>(n % 2 ? n : n - 1));
    std::set<std::pair<int, int>> seen;
    for (const auto& round : rounds) {
      std::set<int> members;
      for (const auto& [a, b] : round) {
        EXPECT_LT(a, b);
        EXPECT_TRUE(members.insert(a).second && members.insert(b).second);
        EXPECT_EQ(partnerIn(round, a), b);
        EXPECT_EQ(partnerIn(round, b), a);
        seen.insert({a, b});
      }
      EXPECT_EQ(members.size(), static_cast<std::size_t>(n - n % 2));
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(n * (n - 1) / 2));
  }
  EXPECT_EQ(partnerIn(circleRounds(3)[0], 7), -1);
}

TEST(ValidateForWorld, CorruptRankMustExist) {
  RunConfig c = validConfig();
  c.testCorruptRank = 1;
  EXPECT_NO_THROW(validateForWorld(c, 2));
  c.testCorruptRank = 2;
  expectUsageError([&] { validateForWorld(c, 2); }, "corrupt rank 2 of 2");
}

TEST(ConfigJson, ChangesWithEveryMeasurementSetting) {
  const nlohmann::json base = toJson(validConfig());
  EXPECT_EQ(toJson(validConfig()), base);
  const std::vector<std::pair<std::string, std::function<void(RunConfig&)>>> changes{
      {"collectives", [](RunConfig& c) { c.collectives.pop_back(); }},
      {"dtypes", [](RunConfig& c) { c.dtypes = {DType::kHalf}; }},
      {"ops", [](RunConfig& c) { c.ops = {RedOp::kMax}; }},
      {"max bytes", [](RunConfig& c) { c.sweep.maxBytes = 2048; }},
      {"factor", [](RunConfig& c) { c.sweep.factor = 4.0; }},
      {"step", [](RunConfig& c) { c.sweep.stepBytes = 8; }},
      {"root", [](RunConfig& c) { c.root = 1; }},
      {"in-place", [](RunConfig& c) { c.inPlace = false; }},
      {"warmup", [](RunConfig& c) { c.warmupIterations = 5; }},
      {"iterations", [](RunConfig& c) { c.iterationsPerBatch = 20; }},
      {"batches", [](RunConfig& c) { c.batches = 3; }},
      {"precision", [](RunConfig& c) { c.precision = 0.02; }},
      {"aggregation", [](RunConfig& c) { c.aggregation = Aggregation::kMean; }},
      {"checks", [](RunConfig& c) { c.checkIterations = 0; }},
      {"timeout", [](RunConfig& c) { c.timeoutSeconds = 10; }},
      {"floor", [](RunConfig& c) { c.minBusBandwidth = 100.0; }},
      {"pair", [](RunConfig& c) { c.peerB = 2; }},
      {"window", [](RunConfig& c) { c.window = 8; }},
      {"per-iteration", [](RunConfig& c) { c.perIteration = true; }},
      {"sync each", [](RunConfig& c) { c.syncEach = true; }},
      {"stream", [](RunConfig& c) { c.stream = true; }},
      {"stop outpaced", [](RunConfig& c) { c.stopOutpaced = 0; }},
      {"corrupt rank", [](RunConfig& c) { c.testCorruptRank = 0; }},
  };
  for (const auto& [what, change] : changes) {
    RunConfig c = validConfig();
    change(c);
    EXPECT_NE(toJson(c), base) << what;
  }
}

TEST(ConfigJson, NamesTheSweepAndSettings) {
  RunConfig c = validConfig();
  nlohmann::json j = toJson(c);
  EXPECT_EQ(j.at("collectives"), nlohmann::json({"allreduce", "broadcast"}));
  EXPECT_EQ(j.at("min_bytes"), 8);
  EXPECT_EQ(j.at("max_bytes"), 1024);
  EXPECT_DOUBLE_EQ(j.at("step_factor").get<double>(), 2.0);
  EXPECT_FALSE(j.contains("step_bytes"));
  EXPECT_TRUE(j.at("min_busbw_gbps").is_null());
  c.sweep.stepBytes = 64;
  j = toJson(c);
  EXPECT_EQ(j.at("step_bytes"), 64);
  EXPECT_FALSE(j.contains("step_factor"));
}

TEST(Fnv1a, StandardTestVectors) {
  EXPECT_EQ(fnv1a(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
}

TEST(Names, AggregationAndPlacement) {
  EXPECT_STREQ(name(Aggregation::kRank0), "rank0");
  EXPECT_STREQ(name(Aggregation::kMean), "mean");
  EXPECT_STREQ(name(Aggregation::kMin), "min");
  EXPECT_STREQ(name(Aggregation::kMax), "max");
  EXPECT_STREQ(name(Placement::kInPlace), "in");
  EXPECT_STREQ(name(Placement::kOutOfPlace), "out");
  // The numeric values are nccl-tests' -a codes.
  EXPECT_EQ(static_cast<int>(Aggregation::kRank0), 0);
  EXPECT_EQ(static_cast<int>(Aggregation::kMean), 1);
  EXPECT_EQ(static_cast<int>(Aggregation::kMin), 2);
  EXPECT_EQ(static_cast<int>(Aggregation::kMax), 3);
}

}  // namespace
}  // namespace cclbench
