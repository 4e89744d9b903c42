#include "engine/plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "engine/fake_backend.hpp"

namespace cclbench {
namespace {

using ::testing::ElementsAre;

RunConfig config(std::vector<Collective> collectives, uint64_t minBytes, uint64_t maxBytes) {
  RunConfig c;
  c.collectives = std::move(collectives);
  c.dtypes = {DType::kFloat};
  c.ops = {RedOp::kSum};
  c.sweep = {minBytes, maxBytes, 2.0, 0, {}};
  return c;
}

std::vector<PlanTable> plan(const RunConfig& c, int nranks, fake::FakeOptions options = {}) {
  fake::FakeBackend backend(fake::createFakeWorld(nranks), 0, std::move(options));
  return buildPlan(c, nranks, backend);
}

std::vector<uint64_t> requestedBytes(const PlanTable& table) {
  std::vector<uint64_t> out;
  for (const PlanRow& row : table.rows) out.push_back(row.outOfPlace.requestedBytes);
  return out;
}

TEST(BuildPlan, OneTablePerCollectiveOneRowPerSize) {
  const auto tables = plan(config({Collective::kAllReduce, Collective::kBroadcast}, 8, 64), 4);
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].collective, Collective::kAllReduce);
  EXPECT_EQ(tables[1].collective, Collective::kBroadcast);
  EXPECT_THAT(requestedBytes(tables[0]), ElementsAre(8, 16, 32, 64));
  EXPECT_TRUE(tables[0].skippedBytes.empty());
  const CaseSpec& first = tables[0].rows[0].outOfPlace;
  EXPECT_EQ(first.shape.count, 2u);
  EXPECT_EQ(first.dtype, DType::kFloat);
  EXPECT_EQ(first.op, RedOp::kSum);
  EXPECT_EQ(first.placement, Placement::kOutOfPlace);
}

TEST(BuildPlan, StreamingNeedsABackendThatStreams) {
  RunConfig c = config({Collective::kBandwidth}, 8, 64);
  c.stream = true;
  try {
    plan(c, 2);
    ADD_FAILURE() << "a backend that cannot stream took --stream";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotAvailable);
    EXPECT_NE(std::string(e.what()).find("--stream"), std::string::npos) << e.what();
  }
  fake::FakeOptions streams;
  streams.streams = true;
  const auto tables = plan(c, 2, streams);
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(tables[0].notes.size(), 1u);  // the table says how it was measured
  EXPECT_NE(tables[0].notes[0].find("64 messages kept in flight"), std::string::npos) << tables[0].notes[0];
}

TEST(BuildPlan, SkipsSizesThatRoundToZero) {
  // all-gather of float on 4 ranks: 8, 16 and 32 B give fewer than 4 elements (16 B) per rank.
  const auto tables = plan(config({Collective::kAllGather}, 8, 64), 4);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_THAT(tables[0].skippedBytes, ElementsAre(8, 16, 32));
  EXPECT_THAT(requestedBytes(tables[0]), ElementsAre(64));
  EXPECT_EQ(tables[0].rows[0].outOfPlace.shape.count, 4u);
}

TEST(BuildPlan, SkippedSizesAreListedOnceForSeveralTypes) {
  RunConfig c = config({Collective::kAllGather}, 8, 64);
  c.dtypes = {DType::kFloat, DType::kDouble};
  const auto tables = plan(c, 4);
  EXPECT_THAT(tables[0].skippedBytes, ElementsAre(8, 16, 32));
  // float keeps 64 B; double (2 elements per rank at 64 B) too.
  ASSERT_EQ(tables[0].rows.size(), 2u);
  EXPECT_EQ(tables[0].rows[1].outOfPlace.dtype, DType::kDouble);
  EXPECT_EQ(tables[0].rows[1].outOfPlace.shape.count, 2u);
}

void expectError(const RunConfig& c, int nranks, ExitCode code, fake::FakeOptions options = {}) {
  try {
    plan(c, nranks, std::move(options));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

TEST(BuildPlan, EverySizeRoundingToZeroIsAUsageError) {
  expectError(config({Collective::kAllGather}, 8, 32), 4, ExitCode::kInvalidUsage);
  expectError(config({Collective::kAllReduce, Collective::kAllToAll}, 8, 32), 4,
              ExitCode::kInvalidUsage);
  EXPECT_NO_THROW(plan(config({Collective::kAllGather}, 8, 32), 2));  // 32 B: 4 floats per rank
}

TEST(BuildPlan, InPlaceOnlyWhereItExists) {
  const auto tables = plan(config({Collective::kAllReduce, Collective::kAllToAll,
                                   Collective::kSendRecv, Collective::kBandwidth},
                                  64, 64),
                           4);
  ASSERT_EQ(tables.size(), 4u);
  EXPECT_TRUE(tables[0].rows[0].runInPlace);
  for (int t = 1; t < 4; ++t) {
    EXPECT_TRUE(tables[t].rows[0].runOutOfPlace) << t;
    EXPECT_FALSE(tables[t].rows[0].runInPlace) << t;
  }
}

TEST(BuildPlan, PlacementFlagsFollowTheConfig) {
  RunConfig c = config({Collective::kAllReduce}, 64, 64);
  c.outOfPlace = false;
  const auto tables = plan(c, 4);
  EXPECT_FALSE(tables[0].rows[0].runOutOfPlace);
  EXPECT_TRUE(tables[0].rows[0].runInPlace);
  c.collectives = {Collective::kAllToAll};  // in-place only, but all-to-all has none
  expectError(c, 4, ExitCode::kInvalidUsage);
}

TEST(BuildPlan, OpsOnlyForReductionsRootOnlyForRooted) {
  RunConfig c =
      config({Collective::kAllReduce, Collective::kBroadcast, Collective::kReduce}, 64, 64);
  c.ops = {RedOp::kSum, RedOp::kMax};
  c.root = 3;
  const auto tables = plan(c, 4);
  ASSERT_EQ(tables[0].rows.size(), 2u);
  EXPECT_EQ(tables[0].rows[0].outOfPlace.op, RedOp::kSum);
  EXPECT_EQ(tables[0].rows[1].outOfPlace.op, RedOp::kMax);
  EXPECT_EQ(tables[0].rows[0].outOfPlace.root, -1);
  ASSERT_EQ(tables[1].rows.size(), 1u);
  EXPECT_EQ(tables[1].rows[0].outOfPlace.op, RedOp::kNone);
  EXPECT_EQ(tables[1].rows[0].outOfPlace.root, 3);
  EXPECT_EQ(tables[2].rows.size(), 2u);
  EXPECT_EQ(tables[2].rows[1].outOfPlace.root, 3);
}

TEST(BuildPlan, EveryCaseHasItsOwnSeed) {
  RunConfig c = config({Collective::kAllReduce, Collective::kAllGather}, 64, 1024);
  c.dtypes = {DType::kFloat, DType::kInt8};
  c.ops = {RedOp::kSum, RedOp::kMin};
  std::set<uint64_t> seeds;
  std::size_t cases = 0;
  for (const PlanTable& table : plan(c, 2)) {
    for (const PlanRow& row : table.rows) {
      seeds.insert(row.outOfPlace.seed);
      seeds.insert(row.inPlace().seed);
      cases += 2;
      EXPECT_EQ(row.inPlace().placement, Placement::kInPlace);
      EXPECT_EQ(row.inPlace().requestedBytes, row.outOfPlace.requestedBytes);
      EXPECT_EQ(row.inPlace().shape.count, row.outOfPlace.shape.count);
    }
  }
  EXPECT_EQ(cases, 2u * (5 * 2 * 2 + 5 * 2));  // allreduce: sizes x types x ops; allgather: x types
  EXPECT_EQ(seeds.size(), cases);
}

TEST(BuildPlan, UnsupportedCombinationIsNotAvailable) {
  RunConfig c = config({Collective::kAllReduce}, 64, 64);
  c.ops = {RedOp::kSum, RedOp::kPreMulSum};
  fake::FakeOptions options;
  options.unsupportedOps = {RedOp::kPreMulSum};
  expectError(c, 4, ExitCode::kNotAvailable, options);
  c.collectives = {Collective::kAllGather};  // takes no op: mulsum does not matter
  fake::FakeOptions again;
  again.unsupportedOps = {RedOp::kPreMulSum};
  EXPECT_NO_THROW(plan(c, 4, again));
}

TEST(BuildPlan, CandidateSweepsGiveOneTablePerCandidateWithItsOwnSizes) {
  RunConfig c = config({Collective::kBroadcast}, 8, 64);  // ignored when sweeps are given
  c.candidateSweeps = {
      {Collective::kAllReduce, {}, {1024, 4096}},
      {Collective::kAllReduce, {{"algorithm", "ring"}, {"protocol", "ll"}}, {4096}},
      {Collective::kAllGather, {{"algorithm", "ring"}, {"protocol", "simple"}, {"channels", "4"}}, {8, 65536}}};
  const auto tables = plan(c, 4);
  ASSERT_EQ(tables.size(), 3u);
  EXPECT_EQ(tables[0].collective, Collective::kAllReduce);
  ASSERT_TRUE(tables[0].candidate);
  EXPECT_TRUE(tables[0].candidate->empty()) << "the default: NCCL's own choice";
  EXPECT_THAT(requestedBytes(tables[0]), ElementsAre(1024, 4096));
  EXPECT_EQ(tables[1].candidate->at("protocol"), "ll");
  EXPECT_THAT(requestedBytes(tables[1]), ElementsAre(4096));
  EXPECT_EQ(tables[2].collective, Collective::kAllGather);
  EXPECT_THAT(requestedBytes(tables[2]), ElementsAre(65536)) << "8 B rounds to 0 elements on 4 ranks";
  EXPECT_THAT(tables[2].skippedBytes, ElementsAre(8));
  EXPECT_FALSE(plan(config({Collective::kAllReduce}, 8, 64), 4)[0].candidate);
}

TEST(CandidateSweeps, ReadTheFileTuneWritesAndRefuseWhatIsWrong) {
  const auto sweeps = parseCandidateSweeps(
      R"([{"collective": "allreduce", "candidate": {}, "sizes": [4096, 1024]},
          {"collective": "all_gather", "candidate": {"algorithm": "ring", "protocol": "ll128"}, "sizes": [8]}])",
      "c.json");
  ASSERT_EQ(sweeps.size(), 2u);
  EXPECT_THAT(sweeps[0].sizes, ElementsAre(1024, 4096));
  EXPECT_EQ(sweeps[1].collective, Collective::kAllGather);
  EXPECT_EQ(sweeps[1].knobs.at("protocol"), "ll128");
  for (const char* bad : {"", "{}", "[]", R"([{"sizes": [8]}])", R"([{"collective": "allscatter", "sizes": [8]}])",
                          R"([{"collective": "allreduce"}])", R"([{"collective": "allreduce", "sizes": [0]}])",
                          R"([{"collective": "allreduce", "sizes": [-8]}])",
                          R"([{"collective": "allreduce", "candidate": {"algorithm": 1}, "sizes": [8]}])"}) {
    EXPECT_THROW(parseCandidateSweeps(bad, "bad.json"), Error) << bad;
  }
}

}  // namespace
}  // namespace cclbench
