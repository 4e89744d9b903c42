// The nccl-tests -J reader on the fixtures of tests/fixtures/nccl-tests-json/ (built from the
// writer's layout, see its README) and on broken documents.
#include <gtest/gtest.h>

#include <cmath>

#include "store/import.hpp"
#include "store/import_test_util.hpp"

namespace cclbench {
namespace {

using import_test::caseAt;
using import_test::expectUsageError;
using import_test::hasNote;
using import_test::sizesOf;
using import_test::writeTemp;

ImportedRun readJson(const std::string& name) {
  const auto runs = readResultsFile(std::string(CCLBENCH_FIXTURES) + "/nccl-tests-json/" + name);
  EXPECT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.front().source, "nccl-tests-json");
  return runs.front();
}

void expectAverageMatchesCases(const ImportedRun& run) {
  ASSERT_TRUE(run.reportedAvgBusBandwidthGBps);
  double sum = 0;
  for (const CaseRecord& r : run.cases) sum += r.busBandwidthGBps;
  EXPECT_NEAR(sum / static_cast<double>(run.cases.size()), *run.reportedAvgBusBandwidthGBps, 1e-5);
}

TEST(ImportNcclTestsJson, Version1WithMisspelledKeys) {
  const ImportedRun run = readJson("v1-allreduce-2.17.5-misspelled.json");
  ASSERT_TRUE(run.reportedAvgBusBandwidthGBps);  // from "average_bus_bandwidith"/"bandwidith"
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 106.073864);
  expectAverageMatchesCases(run);
  EXPECT_EQ(run.reportedOutOfBounds, 0u);
  EXPECT_FALSE(run.incomplete);
  EXPECT_EQ(run.trailer.exitCode, 0);
  // "devices" has one entry per process; each process ran 4 GPUs.
  EXPECT_EQ(run.header.ranks, 8);
  ASSERT_EQ(run.header.hosts.size(), 2u);
  EXPECT_EQ(run.header.hosts[0].host, "node-a");
  EXPECT_EQ(run.header.hosts[0].ranks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(run.header.hosts[1].ranks, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(run.header.commandLine.front(), "./build/all_reduce_perf_mpi");  // "\/" unescaped
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.27.3");
  EXPECT_EQ(run.header.startUtc, "2025-11-03 14:22:07");
  EXPECT_EQ(run.trailer.endUtc, "2025-11-03 14:22:41");
  EXPECT_EQ(run.header.environment.at("NCCL_IB_HCA"), "mlx5_0,mlx5_1");
  EXPECT_EQ(run.header.environment.count("OMPI_COMM_WORLD_RANK"), 1u);
  EXPECT_EQ(run.header.environment.count("HOME"), 0u);
  EXPECT_EQ(run.header.config["blocking_collectives"], false);  // the string "false"
  EXPECT_EQ(run.header.config["step_factor"], 4);
  EXPECT_EQ(run.header.config["collective"], "allreduce");
  EXPECT_EQ(sizesOf(run), (std::vector<uint64_t>{1048576, 4194304, 16777216, 67108864}));
  const CaseRecord& first = caseAt(run, 1048576, Placement::kOutOfPlace);
  EXPECT_EQ(first.collective, Collective::kAllReduce);
  EXPECT_EQ(first.count, 262144u);
  EXPECT_EQ(first.root, -1);  // "    -1"
  EXPECT_EQ(first.op, RedOp::kSum);
  EXPECT_DOUBLE_EQ(first.timeUs.median, 61.23);
  EXPECT_DOUBLE_EQ(first.algBandwidthGBps, 17.1252);
  EXPECT_DOUBLE_EQ(first.busBandwidthGBps, 29.9691);
  EXPECT_TRUE(first.checked);  // nwrong 0.000000
  EXPECT_EQ(first.aggregation, Aggregation::kMean);
  EXPECT_EQ(first.iterationsPerBatch, 20);
  EXPECT_EQ(first.ranks, 8);
  EXPECT_DOUBLE_EQ(caseAt(run, 67108864, Placement::kInPlace).busBandwidthGBps, 192.519117);
}

TEST(ImportNcclTestsJson, Version1FixedSpellingWithWrongDataAndLinearStep) {
  const ImportedRun run = readJson("v1-allgather-2.17.9-wrong.json");
  expectAverageMatchesCases(run);
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 127.378368);
  EXPECT_EQ(run.reportedOutOfBounds, 1u);
  EXPECT_EQ(run.header.config["step_bytes"], 67108864);
  EXPECT_EQ(run.header.ranks, 4);
  ASSERT_EQ(run.header.hosts.size(), 2u);
  EXPECT_EQ(run.header.hosts[1].host, "gpu-01");
  EXPECT_EQ(run.header.hosts[1].ranks, (std::vector<int>{2, 3}));
  EXPECT_EQ(run.header.environment.at("NCCL_TESTS_MIN_BW"), "100");
  const CaseRecord& bad = caseAt(run, 134217728, Placement::kOutOfPlace);
  EXPECT_TRUE(bad.checked);
  EXPECT_EQ(bad.wrong, 18134u);  // 18134.000000
  EXPECT_EQ(caseAt(run, 134217728, Placement::kInPlace).wrong, 0u);
  EXPECT_EQ(bad.dtype, DType::kHalf);
  EXPECT_EQ(bad.op, RedOp::kNone);
  EXPECT_EQ(bad.count, 16777216u);  // per-rank count: 128 MiB of half over 4 ranks
  EXPECT_EQ(run.trailer.wrongTotal, 18134u);
  EXPECT_EQ(run.trailer.exitCode, 7);
  EXPECT_FALSE(run.incomplete);
}

TEST(ImportNcclTestsJson, Version2PerIterationAndNullAndNan) {
  const ImportedRun run = readJson("v2-alltoall-per-iter.json");
  EXPECT_EQ(run.header.config["per_iter_timing"], true);
  EXPECT_EQ(run.header.ranks, 2);
  EXPECT_EQ(run.cases.size(), 4u);
  const CaseRecord& out = caseAt(run, 8388608, Placement::kOutOfPlace);
  EXPECT_EQ(out.collective, Collective::kAllToAll);
  EXPECT_TRUE(out.checked);
  ASSERT_TRUE(out.perIteration);
  EXPECT_EQ(out.perIteration->count, 5u);
  EXPECT_DOUBLE_EQ(out.perIteration->minUs, 88.1);
  EXPECT_DOUBLE_EQ(out.perIteration->maxUs, 90.5);
  EXPECT_DOUBLE_EQ(out.perIteration->p50Us, 88.7);
  EXPECT_DOUBLE_EQ(out.perIteration->p99Us, 90.5);
  const CaseRecord& in = caseAt(run, 8388608, Placement::kInPlace);
  EXPECT_FALSE(in.checked);  // nwrong null: alltoall has no in-place check
  ASSERT_TRUE(in.perIteration);
  EXPECT_DOUBLE_EQ(in.perIteration->p50Us, 89.1);
  const CaseRecord& nan = caseAt(run, 16777216, Placement::kInPlace);
  // "nan" alg_bw: what the row's own size and time give (16 MiB in 170.85 us), the printed
  // bus_bw kept as printed.
  EXPECT_NEAR(nan.algBandwidthGBps, 16777216 / 170.85 / 1e3, 1e-9);
  EXPECT_DOUBLE_EQ(nan.busBandwidthGBps, 49.099257);
  EXPECT_TRUE(hasNote(run, "recomputed from their size and time"));
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 48.145611);
  EXPECT_FALSE(run.incomplete);
}

TEST(ImportNcclTestsJson, Version3SkippedIterationsCpuTimeNoValidation) {
  const ImportedRun run = readJson("v3-broadcast-skip.json");
  EXPECT_EQ(run.header.config["per_iter_skip"], 2);
  EXPECT_EQ(run.header.config["validation"], 0);
  EXPECT_EQ(run.header.ranks, 1);
  ASSERT_EQ(run.cases.size(), 2u);
  const CaseRecord& out = caseAt(run, 1073741824, Placement::kOutOfPlace);
  EXPECT_EQ(out.collective, Collective::kBroadcast);
  EXPECT_EQ(out.root, 0);  // "     0"
  EXPECT_EQ(out.dtype, DType::kBfloat16);
  EXPECT_DOUBLE_EQ(out.timeUs.median, 2801.44);  // "cpu_time" (-C 1)
  EXPECT_FALSE(out.checked);
  EXPECT_FALSE(caseAt(run, 1073741824, Placement::kInPlace).checked);
  ASSERT_TRUE(out.perIteration);
  EXPECT_EQ(out.perIteration->count, 4u);  // 6 iterations, 2 skipped
  EXPECT_DOUBLE_EQ(out.perIteration->p50Us, 2801.0);
  EXPECT_DOUBLE_EQ(out.perIteration->minUs, 2799.5);
  EXPECT_EQ(out.iterationsPerBatch, 6);
  expectAverageMatchesCases(run);
}

TEST(ImportNcclTestsJson, Version4TuningObjectIsTolerated) {
  const ImportedRun run = readJson("v4-reduce-tuning.json");
  EXPECT_FALSE(hasNote(run, "not one this reader knows"));
  ASSERT_EQ(run.cases.size(), 4u);
  const CaseRecord& r = caseAt(run, 8192, Placement::kInPlace);
  EXPECT_EQ(r.collective, Collective::kReduce);
  EXPECT_EQ(r.op, RedOp::kMax);
  EXPECT_EQ(r.root, 0);
  EXPECT_EQ(r.dtype, DType::kInt32);
  EXPECT_DOUBLE_EQ(r.timeUs.median, 10.51);
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.30.3");
  expectAverageMatchesCases(run);
}

TEST(ImportNcclTestsJson, WriterStoppedMidFileKeepsCompleteResults) {
  const ImportedRun run = readJson("v3-allreduce-cut-short.json");
  EXPECT_TRUE(run.incomplete);
  EXPECT_TRUE(hasNote(run, "ends early"));
  EXPECT_EQ(sizesOf(run), (std::vector<uint64_t>{1048576, 4194304}));
  EXPECT_EQ(run.cases.size(), 4u);
  EXPECT_FALSE(run.reportedAvgBusBandwidthGBps);
  EXPECT_EQ(run.trailer.status, "incomplete");
}

TEST(ImportNcclTestsJson, MalformedDocumentsNameFileAndLine) {
  expectUsageError(writeTemp("bad1.json", R"({"version":1,"results":[{"size":1,,}]})"), 1);
  expectUsageError(writeTemp("bad2.json", "{\n  \"version\": 2,\n  \"results\": [}\n}\n"), 3);
  const std::string noResults = expectUsageError(writeTemp("bad3.json", R"({"a":1})"), 1);
  EXPECT_NE(noResults.find("results"), std::string::npos);
  const std::string badType = expectUsageError(
      writeTemp("allreduce-bad4.json",
                R"({"version":3,"results":[{"size":8,"count":2,"type":"fp4","redop":"sum",)"
                R"("root":"    -1","out_of_place":{"time":1.0,"alg_bw":0.0,"bus_bw":0.0,)"
                R"("nwrong":0.0}}]})"),
      1);
  EXPECT_NE(badType.find("results[0].type"), std::string::npos) << badType;
  const std::string noCollective = expectUsageError(
      writeTemp("results.json",
                R"({"version":3,"args":["./mytest"],"results":[{"size":8,"count":2,)"
                R"("type":"float","redop":"sum","root":"    -1","out_of_place":{"time":1.0,)"
                R"("alg_bw":0.0,"bus_bw":0.0,"nwrong":0.0}}]})"),
      1);
  EXPECT_NE(noCollective.find("collective"), std::string::npos);
  const std::string badKind = expectUsageError(
      writeTemp("allreduce-bad5.json", R"({"version":3,"start_time":5,"results":[]})"), 1);
  EXPECT_NE(badKind.find("nccl-tests JSON"), std::string::npos) << badKind;
}

}  // namespace
}  // namespace cclbench
