#include "cli/run_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace cclbench {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

RunConfig parse(const std::vector<std::string>& args, const Environment& env = {}) {
  return parseRunOptions(args, env, /*printHelp=*/false).config;
}

TEST(RunOptions, Defaults) {
  const RunOptions options = parseRunOptions({}, {}, false);
  const RunConfig& c = options.config;
  EXPECT_THAT(c.collectives,
              ElementsAre(Collective::kAllReduce, Collective::kAllGather, Collective::kSendRecv));
  EXPECT_EQ(c.sweep.minBytes, 8u);
  EXPECT_EQ(c.sweep.maxBytes, 256u * 1024 * 1024);
  EXPECT_DOUBLE_EQ(c.sweep.factor, 2.0);
  EXPECT_EQ(c.sweep.stepBytes, 0u);
  EXPECT_THAT(c.dtypes, ElementsAre(DType::kFloat));
  EXPECT_THAT(c.ops, ElementsAre(RedOp::kSum));
  EXPECT_EQ(c.aggregation, Aggregation::kMax);
  EXPECT_TRUE(c.outOfPlace);
  EXPECT_TRUE(c.inPlace);
  EXPECT_EQ(c.warmupIterations, 1);
  EXPECT_EQ(c.iterationsPerBatch, 0);
  EXPECT_EQ(c.checkIterations, 1);
  EXPECT_EQ(c.root, 0);
  EXPECT_EQ(c.peerA, 0);
  EXPECT_EQ(c.peerB, 1);
  EXPECT_DOUBLE_EQ(c.precision, 0.01);
  EXPECT_FALSE(c.minBusBandwidth.has_value());
  EXPECT_FALSE(c.perIteration);
  ASSERT_EQ(options.outputs.reporters.size(), 3u);
  EXPECT_EQ(options.outputs.reporters[0].name, "console");
  EXPECT_EQ(options.outputs.reporters[1].name, "jsonl");
  EXPECT_EQ(options.outputs.reporters[2].name, "store");
  EXPECT_EQ(options.mpiThread, MpiThreadLevel::kSingle);
  EXPECT_EQ(options.backend.name, "auto");
  EXPECT_FALSE(options.np.has_value());
  EXPECT_FALSE(options.helpShown);
}

TEST(RunOptions, NcclTestsFlags) {
  const RunConfig c =
      parse({"allreduce", "-b",   "1K", "-e",  "1G", "-f", "4",  "-n", "20", "-w", "5",  "-c", "3",
             "-d",        "half", "-o", "max", "-r", "2",  "-a", "1",  "-T", "60", "-I", "1"});
  EXPECT_THAT(c.collectives, ElementsAre(Collective::kAllReduce));
  EXPECT_EQ(c.sweep.minBytes, 1024u);
  EXPECT_EQ(c.sweep.maxBytes, 1024u * 1024 * 1024);
  EXPECT_DOUBLE_EQ(c.sweep.factor, 4.0);
  EXPECT_EQ(c.iterationsPerBatch, 20);
  EXPECT_EQ(c.warmupIterations, 5);
  EXPECT_EQ(c.checkIterations, 3);
  EXPECT_THAT(c.dtypes, ElementsAre(DType::kHalf));
  EXPECT_THAT(c.ops, ElementsAre(RedOp::kMax));
  EXPECT_EQ(c.root, 2);
  EXPECT_EQ(c.aggregation, Aggregation::kMean);
  EXPECT_DOUBLE_EQ(c.timeoutSeconds, 60.0);
  EXPECT_TRUE(c.perIteration);
}

TEST(RunOptions, AggregationCodes) {
  EXPECT_EQ(parse({"-a", "0"}).aggregation, Aggregation::kRank0);
  EXPECT_EQ(parse({"-a", "1"}).aggregation, Aggregation::kMean);
  EXPECT_EQ(parse({"-a", "2"}).aggregation, Aggregation::kMin);
  EXPECT_EQ(parse({"-a", "3"}).aggregation, Aggregation::kMax);
}

TEST(RunOptions, StepInsteadOfFactor) {
  const RunConfig c = parse({"-b", "1M", "-e", "4M", "-i", "1M"});
  EXPECT_EQ(c.sweep.stepBytes, 1024u * 1024);
  EXPECT_EQ(sweepSizes(c.sweep).size(), 4u);
}

TEST(RunOptions, AllTypesAndAllOps) {
  EXPECT_THAT(
      parse({"-d", "all"}).dtypes,
      ElementsAre(DType::kInt8, DType::kUint8, DType::kInt32, DType::kUint32, DType::kInt64,
                  DType::kUint64, DType::kHalf, DType::kFloat, DType::kDouble, DType::kBfloat16));
  EXPECT_THAT(parse({"-o", "all"}).ops, UnorderedElementsAre(RedOp::kSum, RedOp::kProd, RedOp::kMax,
                                                             RedOp::kMin, RedOp::kAvg));
}

TEST(RunOptions, ListsAndAliases) {
  const RunConfig c = parse({"all_reduce_perf", "reduce_scatter", "bw", "-d", "bf16,fp16", "-d",
                             "e4m3", "-o", "min,mulsum", "--datatype", "fp64"});
  EXPECT_THAT(c.collectives, ElementsAre(Collective::kAllReduce, Collective::kReduceScatter,
                                         Collective::kBandwidth));
  EXPECT_THAT(c.dtypes,
              ElementsAre(DType::kBfloat16, DType::kHalf, DType::kFp8E4M3, DType::kDouble));
  EXPECT_THAT(c.ops, ElementsAre(RedOp::kMin, RedOp::kPreMulSum));
  EXPECT_EQ(parse({"--minbytes", "16", "--maxbytes", "32"}).sweep.maxBytes, 32u);
  EXPECT_EQ(parse({"--min-bytes", "16", "--max-bytes", "64"}).sweep.maxBytes, 64u);
}

TEST(RunOptions, AllCollectivesMeansTheNonPointToPointOnes) {
  EXPECT_THAT(parse({"all"}).collectives,
              ElementsAre(Collective::kAllReduce, Collective::kAllGather,
                          Collective::kReduceScatter, Collective::kBroadcast, Collective::kReduce,
                          Collective::kAllToAll, Collective::kSendRecv, Collective::kGather));
}

TEST(RunOptions, PlaceAndPair) {
  RunConfig c = parse({"--place", "in"});
  EXPECT_FALSE(c.outOfPlace);
  EXPECT_TRUE(c.inPlace);
  c = parse({"--place", "out"});
  EXPECT_TRUE(c.outOfPlace);
  EXPECT_FALSE(c.inPlace);
  c = parse({"latency", "--pair", "2,5"});
  EXPECT_EQ(c.peerA, 2);
  EXPECT_EQ(c.peerB, 5);
}

TEST(RunOptions, MinBandwidthFromEnvironmentIsNinetyPercent) {
  const Environment env{{"NCCL_TESTS_MIN_BW", "100"}};
  ASSERT_TRUE(parse({}, env).minBusBandwidth.has_value());
  EXPECT_DOUBLE_EQ(*parse({}, env).minBusBandwidth, 90.0);
  EXPECT_DOUBLE_EQ(*parse({"--min-busbw", "50"}, env).minBusBandwidth, 50.0);  // the flag wins
  EXPECT_DOUBLE_EQ(*parse({"--min-busbw", "50"}).minBusBandwidth, 50.0);
  EXPECT_FALSE(parse({}, {{"NCCL_TESTS_MIN_BW", ""}}).minBusBandwidth.has_value());
}

bool cudaGraph(const std::vector<std::string>& args) {
  return parseRunOptions(args, {}, false).backend.cudaGraph;
}

TEST(RunOptions, CudaGraphFromEitherFlag) {
  EXPECT_FALSE(cudaGraph({}));
  EXPECT_TRUE(cudaGraph({"--cuda-graph"}));
  EXPECT_TRUE(cudaGraph({"-G", "10"}));
  EXPECT_FALSE(cudaGraph({"-G", "0"}));
}

TEST(RunOptions, MpiThreadLevel) {
  EXPECT_EQ(parseRunOptions({"--mpi-thread", "multiple"}, {}, false).mpiThread,
            MpiThreadLevel::kMultiple);
  EXPECT_EQ(parseRunOptions({"--mpi-thread", "single"}, {}, false).mpiThread,
            MpiThreadLevel::kSingle);
}

TEST(RunOptions, PrecisionAsFractionOrPercent) {
  EXPECT_DOUBLE_EQ(parse({"--precision", "0.05"}).precision, 0.05);
  EXPECT_DOUBLE_EQ(parse({"--precision", "2%"}).precision, 0.02);
}

TEST(RunOptions, OutputsAndSamples) {
  const RunOptions o = parseRunOptions({"--no-jsonl", "--csv", "out.csv", "--samples", "7",
                                        "--no-progress", "--per-rank-times", "--window", "8",
                                        "--db", "h.db", "--tag", "a", "--label", "k=v=w"},
                                       {}, false);
  const RunConfig& c = o.config;
  ASSERT_EQ(o.outputs.reporters.size(), 3u);
  EXPECT_EQ(o.outputs.reporters[1].name, "csv");
  EXPECT_EQ(o.outputs.reporters[1].target, "out.csv");
  EXPECT_EQ(o.outputs.reporters[2].name, "store");
  EXPECT_EQ(o.outputs.reporters[2].target, "h.db");
  EXPECT_THAT(o.outputs.tags, ElementsAre("a"));
  ASSERT_EQ(o.outputs.labels.size(), 1u);
  EXPECT_EQ(o.outputs.labels[0].second, "v=w");
  EXPECT_EQ(c.batches, 7);
  EXPECT_FALSE(o.outputs.progress);
  EXPECT_TRUE(c.perRankTimes);
  EXPECT_EQ(c.window, 8);
  EXPECT_EQ(parseRunOptions({"--no-db", "--no-jsonl"}, {}, false).outputs.reporters.size(), 1u);
}

TEST(RunOptions, NpIsRemovedFromTheRanksArguments) {
  RunOptions o = parseRunOptions({"--np", "4", "allreduce", "-b", "8"}, {}, false);
  EXPECT_EQ(o.np, 4);
  EXPECT_THAT(o.argsWithoutNp, ElementsAre("allreduce", "-b", "8"));
  o = parseRunOptions({"allreduce", "--np=3", "-e", "64"}, {}, false);
  EXPECT_EQ(o.np, 3);
  EXPECT_THAT(o.argsWithoutNp, ElementsAre("allreduce", "-e", "64"));
  o = parseRunOptions({"sendrecv"}, {}, false);
  EXPECT_FALSE(o.np.has_value());
  EXPECT_THAT(o.argsWithoutNp, ElementsAre("sendrecv"));
}

TEST(RunOptions, HelpIsReportedNotPrinted) {
  testing::internal::CaptureStdout();
  const RunOptions o = parseRunOptions({"--help"}, {}, false);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_TRUE(o.helpShown);
}

/// What the user sees: parsing, then the session's one validation pass (MPI, self-launched).
void expectUsageError(const std::vector<std::string>& args, const Environment& env = {}) {
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  try {
    const RunOptions options = parseRunOptions(args, env, false);
    validateRunOptions(options, "mpi", RankMode::kSelfLaunch);
    ADD_FAILURE() << "accepted: " << joined;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage) << joined;
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "not one line: " << e.what();
  }
}

TEST(RunOptions, BadInputIsAUsageError) {
  expectUsageError({"allscatter"});
  expectUsageError({"-d", "float128"});
  expectUsageError({"-d", "float,bogus"});
  expectUsageError({"-o", "add"});
  expectUsageError({"-b", "1M", "-e", "1K"});  // min above max
  expectUsageError({"-b", "0"});
  expectUsageError({"-b", "-1"});
  expectUsageError({"-e", "0"});
  expectUsageError({"-f", "1"});
  expectUsageError({"-f", "0.5"});
  expectUsageError({"-f", "2", "-i", "1K"});
  expectUsageError({"-i", "0"});
  expectUsageError({"-b", "1X"});
  expectUsageError({"-e", "12Q"});
  expectUsageError({"-i", "abc"});
  expectUsageError({"--bogus"});
  expectUsageError({"-a", "4"});
  expectUsageError({"-a", "-1"});
  expectUsageError({"-a", "max"});
  expectUsageError({"-n", "many"});
  expectUsageError({"--place", "sideways"});
  expectUsageError({"--pair", "1"});
  expectUsageError({"--pair", "a,b"});
  expectUsageError({"--pair", "1,1"});
  expectUsageError({"--pair", "0x,1"});
  expectUsageError({"--pair", "0,1x"});
  expectUsageError({"--pair", "0,1,2"});
  expectUsageError({"--precision", "tight"});
  expectUsageError({"--np", "0"});
  expectUsageError({"-w", "-1"});
  expectUsageError({}, {{"NCCL_TESTS_MIN_BW", "fast"}});
  expectUsageError({}, {{"NCCL_TESTS_MIN_BW", "-1"}});
  expectUsageError({}, {{"NCCL_TESTS_MIN_BW", "nan"}});
  expectUsageError({"-n", "0"});
  expectUsageError({"--samples", "0"});
  expectUsageError({"--mpi-thread", "many"});
  expectUsageError({"--fabric", "nvlink"});           // a GPU path: no MPI fabric
  expectUsageError({"--fabric", "wifi"});             // no fabric at all
  expectUsageError({"--ucx-api", "put"});             // UCX only
  expectUsageError({"-G", "1"});                      // NCCL only
  expectUsageError({"--capture-algorithms"});         // NCCL only
  expectUsageError({"--label", "=x"});
}

TEST(RunOptions, NcclTestsMinBwIsBlamedOnTheVariable) {
  try {
    parseRunOptions({}, {{"NCCL_TESTS_MIN_BW", "-1"}}, false);
    ADD_FAILURE() << "accepted NCCL_TESTS_MIN_BW=-1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NCCL_TESTS_MIN_BW"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("--min-busbw"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cclbench
