// The importers on the real outputs of tests/fixtures/real-output/: every figure its README
// lists for each file.
#include "store/import.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "core/error.hpp"
#include "store/import_test_util.hpp"

namespace cclbench {
namespace {

using import_test::caseAt;
using import_test::hasNote;
using import_test::sizesOf;

ImportedRun readReal(const std::string& name) {
  const auto runs = readResultsFile(std::string(CCLBENCH_REAL_OUTPUT) + "/" + name);
  EXPECT_EQ(runs.size(), 1u) << name;
  return runs.empty() ? ImportedRun{} : runs.front();
}

/// The mean of every case's busbw: what nccl-tests' "# Avg bus bandwidth" averages.
double meanBusBandwidth(const ImportedRun& run) {
  double sum = 0;
  for (const CaseRecord& r : run.cases) sum += r.busBandwidthGBps;
  return sum / static_cast<double>(run.cases.size());
}

void expectNcclTestsRecords(const ImportedRun& run, int iterations) {
  for (const CaseRecord& r : run.cases) {
    EXPECT_EQ(r.aggregation, Aggregation::kMean);
    EXPECT_EQ(r.ranks, run.header.ranks);
    EXPECT_EQ(r.iterationsPerBatch, iterations);
    ASSERT_EQ(r.samplesUs.size(), 1u);
    EXPECT_DOUBLE_EQ(r.timeUs.median, r.samplesUs[0]);
  }
  EXPECT_EQ(run.header.aggregation, Aggregation::kMean);
  EXPECT_EQ(run.header.backend, "nccl");
  EXPECT_EQ(run.trailer.cases, run.cases.size());
}

TEST(ImportRealOutput, H100AllReduce16Ranks2Nodes) {
  const ImportedRun run = readReal("nccltests-allreduce-h100-16rank-2node.txt");
  EXPECT_EQ(run.source, "nccl-tests");
  EXPECT_EQ(run.header.ranks, 16);
  ASSERT_EQ(run.header.hosts.size(), 2u);
  EXPECT_EQ(run.header.hosts[0].host, "ztan-mig-235z");
  EXPECT_EQ(run.header.hosts[0].ranks, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(run.header.hosts[1].host, "ztan-mig-gq73");
  EXPECT_EQ(run.header.hosts[1].ranks.front(), 8);
  EXPECT_EQ(run.header.config["warmup_iters"], 5);
  EXPECT_EQ(run.header.config["iterations"], 20);
  EXPECT_EQ(run.header.config["collective"], "allreduce");  // from the file name
  EXPECT_EQ(run.cases.size(), 62u);                         // 31 rows x 2 placements
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 31u);
  EXPECT_EQ(sizes.front(), 8u);
  EXPECT_EQ(sizes.back(), 8589934592u);
  EXPECT_DOUBLE_EQ(caseAt(run, 8589934592, Placement::kOutOfPlace).busBandwidthGBps, 338.82);
  EXPECT_DOUBLE_EQ(caseAt(run, 8589934592, Placement::kInPlace).busBandwidthGBps, 337.35);
  EXPECT_DOUBLE_EQ(caseAt(run, 8589934592, Placement::kOutOfPlace).timeUs.median, 47535);
  ASSERT_TRUE(run.reportedAvgBusBandwidthGBps);
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 70.742);
  EXPECT_NEAR(meanBusBandwidth(run), 70.742, 0.01);
  EXPECT_EQ(run.reportedOutOfBounds, 0u);
  EXPECT_FALSE(run.incomplete);
  EXPECT_EQ(run.trailer.status, "complete");
  EXPECT_EQ(run.trailer.exitCode, 0);
  for (const CaseRecord& r : run.cases) {
    EXPECT_TRUE(r.checked);
    EXPECT_EQ(r.wrong, 0u);
    EXPECT_EQ(r.collective, Collective::kAllReduce);
    EXPECT_EQ(r.dtype, DType::kFloat);
    EXPECT_EQ(r.op, RedOp::kSum);
    EXPECT_EQ(r.root, -1);
  }
  expectNcclTestsRecords(run, 20);
}

TEST(ImportRealOutput, Gh200WrongDataWithoutFooter) {
  const ImportedRun run = readReal("nccltests-allreduce-gh200-16rank-wrong-nofooter.txt");
  EXPECT_EQ(run.header.ranks, 16);
  EXPECT_EQ(run.header.hosts.size(), 4u);
  EXPECT_EQ(run.header.libraryVersions.at("nccl_tests"), "nccl-tests 2.17.9");
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.29.2");
  EXPECT_EQ(run.header.config["warmup_iters"], 1);
  EXPECT_EQ(run.header.config["binary"], "all_reduce_perf");
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 28u);
  EXPECT_EQ(sizes.front(), 1u);
  EXPECT_EQ(sizes.back(), 134217728u);
  const std::vector<std::tuple<uint64_t, uint64_t, uint64_t>> wrong{
      {2097152, 18134, 9609},     {4194304, 96817, 124342},   {8388608, 763876, 530181},
      {16777216, 404221, 103664}, {33554432, 951005, 820604}, {67108864, 113492, 0}};
  uint64_t total = 0;
  for (const auto& [size, out, in] : wrong) {
    EXPECT_EQ(caseAt(run, size, Placement::kOutOfPlace).wrong, out) << size;
    EXPECT_EQ(caseAt(run, size, Placement::kInPlace).wrong, in) << size;
    total += out + in;
  }
  for (const CaseRecord& r : run.cases) {
    EXPECT_EQ(r.dtype, DType::kInt8);
    EXPECT_TRUE(r.checked);
    const bool listed = std::any_of(wrong.begin(), wrong.end(),
                                    [&](const auto& w) { return std::get<0>(w) == r.sizeBytes; });
    if (!listed) {
      EXPECT_EQ(r.wrong, 0u) << r.sizeBytes;
    }
  }
  EXPECT_DOUBLE_EQ(caseAt(run, 134217728, Placement::kOutOfPlace).busBandwidthGBps, 89.85);
  EXPECT_DOUBLE_EQ(caseAt(run, 134217728, Placement::kInPlace).busBandwidthGBps, 83.23);
  EXPECT_EQ(caseAt(run, 134217728, Placement::kOutOfPlace).wrong, 0u);
  EXPECT_TRUE(run.incomplete);
  EXPECT_FALSE(run.reportedAvgBusBandwidthGBps);
  EXPECT_TRUE(hasNote(run, "no footer"));
  EXPECT_EQ(run.trailer.wrongTotal, total);
  EXPECT_EQ(run.trailer.exitCode, 7);  // failure from #wrong, not from a footer
  EXPECT_EQ(run.trailer.status, "incomplete");
  expectNcclTestsRecords(run, 20);
}

TEST(ImportRealOutput, SendRecvRoceLinearStepInfoLinesInside) {
  const ImportedRun run = readReal("nccltests-sendrecv-h100-2rank-2node-roce.txt");
  EXPECT_EQ(run.header.ranks, 2);
  ASSERT_EQ(run.header.hosts.size(), 2u);
  EXPECT_EQ(run.header.hosts[0].host, "MOC-R4PCC04U37");
  EXPECT_EQ(run.header.hosts[1].host, "MOC-R4PCC04U35");
  EXPECT_EQ(run.header.config["step_bytes"], 2147483648);
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.26.2");
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 13u);
  EXPECT_EQ(sizes.front(), 1073741824u);
  EXPECT_EQ(sizes.back(), 26843545600u);
  for (const CaseRecord& r : run.cases) {
    EXPECT_EQ(r.collective, Collective::kSendRecv);
    EXPECT_EQ(r.op, RedOp::kNone);  // nccl-tests prints "sum"; cclbench records none
    EXPECT_EQ(r.checked, r.placement == Placement::kOutOfPlace);  // in-place #wrong is N/A
  }
  EXPECT_DOUBLE_EQ(caseAt(run, 26843545600, Placement::kOutOfPlace).busBandwidthGBps, 13.96);
  EXPECT_DOUBLE_EQ(caseAt(run, 26843545600, Placement::kInPlace).busBandwidthGBps, 13.97);
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 13.9592);
  EXPECT_NEAR(meanBusBandwidth(run), 13.9592, 0.01);
  EXPECT_FALSE(run.incomplete);
  expectNcclTestsRecords(run, 20);
}

TEST(ImportRealOutput, AllGatherTaggedOutput) {
  const ImportedRun run = readReal("nccltests-allgather-rtx5090-2rank-tagged.txt");
  EXPECT_EQ(run.header.launcher, "openmpi");
  EXPECT_EQ(run.header.ranks, 2);
  ASSERT_EQ(run.header.hosts.size(), 1u);
  EXPECT_EQ(run.header.hosts[0].host, "lab");
  EXPECT_EQ(run.header.hosts[0].ranks, (std::vector<int>{0, 1}));
  EXPECT_EQ(run.header.config["binary"], "all_gather_perf_mpi");
  EXPECT_EQ(run.header.libraryVersions.at("nccl_tests"), "nccl-tests 2.18.0");
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.29.7");
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 8u);
  EXPECT_EQ(sizes.front(), 1048576u);
  EXPECT_EQ(sizes.back(), 134217728u);
  EXPECT_EQ(caseAt(run, 1048576, Placement::kOutOfPlace).count, 131072u);  // per-rank count
  const CaseRecord& largestOut = caseAt(run, 134217728, Placement::kOutOfPlace);
  EXPECT_DOUBLE_EQ(largestOut.busBandwidthGBps, 2.30);
  EXPECT_DOUBLE_EQ(caseAt(run, 134217728, Placement::kInPlace).busBandwidthGBps, 2.29);
  for (const CaseRecord& r : run.cases) {
    EXPECT_EQ(r.collective, Collective::kAllGather);
    EXPECT_NEAR(r.busBandwidthGBps, r.algBandwidthGBps / 2, 0.011);
  }
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 1.54321);
  EXPECT_NEAR(meanBusBandwidth(run), 1.54321, 0.01);
  EXPECT_FALSE(run.incomplete);
  expectNcclTestsRecords(run, 50);
}

TEST(ImportRealOutput, V100SegfaultMidRunIsIncomplete) {
  const ImportedRun run = readReal("nccltests-allreduce-v100-mpirun-segfault-truncated.txt");
  EXPECT_EQ(run.header.ranks, 1);  // two independent 1-rank runs, both "Rank 0"
  ASSERT_EQ(run.header.hosts.size(), 1u);
  EXPECT_EQ(run.header.hosts[0].host, "gdr114");
  EXPECT_EQ(run.header.launcher, "openmpi");
  ASSERT_FALSE(run.header.commandLine.empty());
  EXPECT_EQ(run.header.commandLine.front(), "mpirun");
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.26.5");
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 29u);
  EXPECT_EQ(sizes.front(), 8u);
  EXPECT_EQ(sizes.back(), 2147483648u);
  for (const CaseRecord& r : run.cases) {
    EXPECT_EQ(r.collective, Collective::kAllReduce);  // from the mpirun command line
    EXPECT_EQ(r.busBandwidthGBps, 0.0);
    if (r.placement == Placement::kInPlace) {
      EXPECT_DOUBLE_EQ(r.timeUs.median, 0.13);
    }
  }
  EXPECT_DOUBLE_EQ(caseAt(run, 2147483648, Placement::kOutOfPlace).algBandwidthGBps, 405.95);
  EXPECT_TRUE(run.incomplete);
  EXPECT_FALSE(run.reportedAvgBusBandwidthGBps);
  EXPECT_TRUE(hasNote(run, "no footer"));
  EXPECT_TRUE(hasNote(run, "Segmentation fault"));
  EXPECT_TRUE(hasNote(run, "more than once"));
  EXPECT_EQ(run.trailer.status, "incomplete");
  expectNcclTestsRecords(run, 20);
}

TEST(ImportRealOutput, OldFormatErrorColumnInTaggedInfoLog) {
  const ImportedRun run = readReal("nccl-info-allreduce-a100-16rank-efa-p2pipc-gdrdma-tagged.log");
  EXPECT_EQ(run.header.launcher, "openmpi");
  EXPECT_EQ(run.header.ranks, 16);
  EXPECT_EQ(run.header.hosts.size(), 2u);
  EXPECT_EQ(run.header.config["iterations"], 100);
  EXPECT_EQ(run.header.libraryVersions.at("nccl"), "NCCL 2.9.9");
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 30u);
  EXPECT_EQ(sizes.front(), 8u);
  EXPECT_EQ(sizes.back(), 4294967296u);
  EXPECT_DOUBLE_EQ(caseAt(run, 4294967296, Placement::kOutOfPlace).busBandwidthGBps, 43.81);
  EXPECT_DOUBLE_EQ(caseAt(run, 4294967296, Placement::kInPlace).busBandwidthGBps, 43.72);
  for (const CaseRecord& r : run.cases) EXPECT_FALSE(r.checked);  // residuals, not counts
  EXPECT_TRUE(hasNote(run, "residual (largest here: 5e-07)"));
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 11.2432);
  EXPECT_NEAR(meanBusBandwidth(run), 11.2432, 0.01);
  EXPECT_EQ(run.reportedOutOfBounds, 0u);
  EXPECT_FALSE(run.incomplete);
  expectNcclTestsRecords(run, 100);
}

TEST(ImportRealOutput, SendRecvInsideInfoLog) {
  const ImportedRun run = readReal("nccl-info-sendrecv-h100-8rank-2node-p2p-ib-gdrdma.log");
  EXPECT_EQ(run.header.ranks, 8);
  EXPECT_EQ(run.header.hosts.size(), 2u);
  EXPECT_EQ(run.header.config["ngpus"], 4);
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 13u);
  EXPECT_EQ(sizes.front(), 1073741824u);
  EXPECT_EQ(sizes.back(), 26843545600u);
  EXPECT_DOUBLE_EQ(caseAt(run, 26843545600, Placement::kOutOfPlace).busBandwidthGBps, 5.85);
  EXPECT_DOUBLE_EQ(caseAt(run, 26843545600, Placement::kInPlace).busBandwidthGBps, 5.86);
  EXPECT_FALSE(caseAt(run, 26843545600, Placement::kInPlace).checked);
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 5.80752);
  EXPECT_NEAR(meanBusBandwidth(run), 5.80752, 0.01);
  expectNcclTestsRecords(run, 20);
}

TEST(ImportRealOutput, InfoLogWithoutTableIsRefused) {
  const std::string path =
      std::string(CCLBENCH_REAL_OUTPUT) + "/nccl-info-tuning-rtx5090-2rank-socket.log";
  try {
    readResultsFile(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_EQ(std::string(e.what()).rfind(path + ":1: ", 0), 0u) << e.what();
  }
}

TEST(ImportRealOutput, OsuLatency) {
  const ImportedRun run = readReal("osu-latency-ib-v5.3.2.txt");
  EXPECT_EQ(run.source, "osu");
  EXPECT_EQ(run.header.libraryVersions.at("osu"), "OSU micro-benchmarks 5.3.2");
  EXPECT_EQ(run.header.ranks, 2);
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 24u);
  EXPECT_EQ(sizes.front(), 0u);
  EXPECT_EQ(sizes.back(), 4194304u);
  EXPECT_DOUBLE_EQ(caseAt(run, 0, Placement::kOutOfPlace).timeUs.median, 1.11);
  EXPECT_DOUBLE_EQ(caseAt(run, 1048576, Placement::kOutOfPlace).timeUs.median, 96.12);
  const CaseRecord& largest = caseAt(run, 4194304, Placement::kOutOfPlace);
  EXPECT_DOUBLE_EQ(largest.timeUs.median, 354.98);
  EXPECT_DOUBLE_EQ(largest.algBandwidthGBps, 4194304 / 354.98 / 1e3);
  EXPECT_DOUBLE_EQ(largest.busBandwidthGBps, largest.algBandwidthGBps);
  for (const CaseRecord& r : run.cases) {
    EXPECT_EQ(r.collective, Collective::kLatency);
    EXPECT_EQ(r.dtype, DType::kInt8);
    EXPECT_EQ(r.count, r.sizeBytes);
    EXPECT_FALSE(r.checked);
  }
  EXPECT_FALSE(run.incomplete);
}

TEST(ImportRealOutput, OsuBiBandwidth) {
  const ImportedRun run = readReal("osu-bibw-ib-v5.3.2.txt");
  const auto sizes = sizesOf(run);
  EXPECT_EQ(sizes.size(), 23u);
  EXPECT_EQ(sizes.front(), 1u);
  EXPECT_EQ(sizes.back(), 4194304u);
  const CaseRecord& mib = caseAt(run, 1048576, Placement::kOutOfPlace);
  EXPECT_EQ(mib.collective, Collective::kBiBandwidth);
  EXPECT_DOUBLE_EQ(mib.algBandwidthGBps, 24.33173);  // MB/s / 1000, both directions
  EXPECT_DOUBLE_EQ(mib.timeUs.median, 2.0 * 1048576 / 24331.73);
  EXPECT_NEAR(algorithmBytes(Collective::kBiBandwidth, 1048576) / mib.timeUs.median / 1e3,
              mib.algBandwidthGBps, 1e-9);
  EXPECT_DOUBLE_EQ(caseAt(run, 4194304, Placement::kOutOfPlace).algBandwidthGBps, 24.46077);
}

}  // namespace
}  // namespace cclbench

namespace cclbench {
namespace {

// Every input a fuzzer once broke an importer with (tests/fuzz/regressions): now read or refused
// with the one-line usage error, in the normal build too.
TEST(ImportFuzzRegressions, EveryFoundInputIsReadOrRefused) {
  const std::filesystem::path root = std::filesystem::path(CCLBENCH_SOURCE_DIR) / "tests/fuzz/regressions";
  std::size_t inputs = 0;
  for (const char* target : {"fuzz_nccl_tests_text", "fuzz_nccl_tests_json", "fuzz_osu", "fuzz_jsonl"}) {
    if (!std::filesystem::is_directory(root / target)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(root / target)) {
      ++inputs;
      try {
        readResultsFile(entry.path().string());
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::kInvalidUsage) << entry.path() << ": " << e.what();
      } catch (const std::exception& e) {
        ADD_FAILURE() << entry.path() << ": escaped " << e.what();
      }
    }
  }
  EXPECT_GT(inputs, 0u);
}

}  // namespace
}  // namespace cclbench
