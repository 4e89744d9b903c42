// The nccl-tests console reader on output shapes the real fixtures do not cover (v1, -I 1, -N,
// timestamps, srun and MPICH prefixes, several binaries in one file) and on malformed input.
#include <cmath>
#include <gtest/gtest.h>

#include "store/import.hpp"
#include "store/import_test_util.hpp"

namespace cclbench {
namespace {

using import_test::caseAt;
using import_test::expectUsageError;
using import_test::hasNote;
using import_test::sizesOf;
using import_test::writeTemp;

/// Prefixes every line of `text` with `prefix`.
std::string tagged(const std::string& prefix, const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out += prefix + text.substr(start, end - start) + "\n";
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

TEST(ImportNcclTestsConsole, Version1TableWithMillisecondsAndUnprefixedFooter) {
  const std::string path = writeTemp("allreduce-v1.txt", R"(# NCCL Tests compiled with NCCL 2.0
# Using devices
#   Rank  0 on     host-a device  0 [0x04] Tesla P100-SXM2-16GB
#   Rank  1 on     host-a device  1 [0x05] Tesla P100-SXM2-16GB

#                                                 out-of-place                    in-place
#      bytes             N    type      op     time  algbw  busbw      res     time  algbw  busbw      res
     1048576        262144   float     sum    0.128   8.19   8.19    1e-07    0.127   8.26   8.26    2e-07
 Out of bounds values : 0 OK
 Avg bus bandwidth    : 8.225 
)");
  const auto runs = readResultsFile(path);
  ASSERT_EQ(runs.size(), 1u);
  const ImportedRun& run = runs[0];
  EXPECT_EQ(run.header.ranks, 2);
  EXPECT_EQ(run.header.libraryVersions.at("nccl_headers"), "NCCL headers 2.0");
  const CaseRecord& out = caseAt(run, 1048576, Placement::kOutOfPlace);
  EXPECT_EQ(out.collective, Collective::kAllReduce);
  EXPECT_DOUBLE_EQ(out.timeUs.median, 128);  // v1 printed milliseconds
  EXPECT_FALSE(out.checked);
  EXPECT_TRUE(hasNote(run, "largest here: 2e-07"));
  EXPECT_DOUBLE_EQ(*run.reportedAvgBusBandwidthGBps, 8.225);
  EXPECT_FALSE(run.incomplete);
}

const char* kPerIterationRun = R"(# nccl-tests version 2.19.6 nccl-headers=22809 nccl-library=22809
# Collective test starting: all_reduce_perf
# nThread 1 nGpus 1 minBytes 1024 maxBytes 2048 step: 2(factor) warmup iters: 1 iters: 20 agg iters: 1 validation: 1 graph: 0 unalign: 0
# Per-Iteration Report: CUDA event timing; i_* uses max over process rows; summary skips first 2 iterations 
#
# Using devices
#  Rank  0 Group  0 Pid   1001 on     node-1 device  0 [0000:18:00] NVIDIA H100 80GB HBM3
#  Rank  1 Group  0 Pid   2001 on     node-2 device  0 [0000:18:00] NVIDIA H100 80GB HBM3
#
#                                                  out-of-place (+ per-iteration)                                in-place (+ per-iteration)
#       size         count      type   redop    root     time   algbw   busbw  #wrong    i_min    i_max    i_p99    i_cv%     time   algbw   busbw  #wrong    i_min    i_max    i_p99    i_cv% 
#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)     (us)     (us)      (%)     (us)  (GB/s)  (GB/s)             (us)     (us)     (us)      (%) 
        1024           256     float     sum      -1    10.50    0.10    0.10       0     9.80    12.10    12.00     5.10    10.40    0.10    0.10       0     9.70    11.90    11.80     4.90
        2048           512     float     sum      -1    10.60    0.19    0.19       0     9.90    12.30    12.20     5.00    10.50    0.20    0.20       0     9.80    12.00    11.90     4.80
        1024           256     float     sum      -1    10.70    0.10    0.10       0     9.90    12.20    12.10     5.20    10.30    0.10    0.10       0     9.60    11.80    11.70     4.70
        2048           512     float     sum      -1    10.80    0.19    0.19       0     9.95    12.40    12.30     5.10    10.60    0.19    0.19       0     9.85    12.10    12.00     4.90
# Out of bounds values : 0 OK
# Avg bus bandwidth    : 0.14625 
#
# Collective test concluded: all_reduce_perf
#
# nccl-tests version 2.19.6 nccl-headers=22809 nccl-library=22809
# Collective test starting: all_gather_perf
# nThread 1 nGpus 1 minBytes 4096 maxBytes 4096 step: 2(factor) warmup iters: 1 iters: 20 agg iters: 1 validation: 1 graph: 0 unalign: 0
#
# Using devices
#  Rank  0 Group  0 Pid   1002 on     node-1 device  0 [0000:18:00] NVIDIA H100 80GB HBM3
#  Rank  1 Group  0 Pid   2002 on     node-2 device  0 [0000:18:00] NVIDIA H100 80GB HBM3
#
#                                                              out-of-place                       in-place          
#       size         count      type   redop    root     time   algbw   busbw  #wrong     time   algbw   busbw  #wrong 
#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)         
        4096           512     float    none      -1    12.00    0.34    0.17       0    11.90    0.34    0.17       0
# Out of bounds values : 0 OK
# Avg bus bandwidth    : 0.17 
#
# Collective test concluded: all_gather_perf
)";

TEST(ImportNcclTestsConsole, SrunLabelsPerIterationRepeatsAndTwoBinaries) {
  std::string text = tagged("0: ", kPerIterationRun);
  text.insert(text.find("0: #  Rank  1"), "1: [node-2:2001] some MPI warning from rank 1\n");
  const auto runs = readResultsFile(writeTemp("sweep.txt", text));
  ASSERT_EQ(runs.size(), 2u);
  const ImportedRun& ar = runs[0];
  EXPECT_EQ(ar.header.launcher, "slurm");
  EXPECT_EQ(ar.header.ranks, 2);
  EXPECT_EQ(ar.header.config["per_iter_timing"], true);
  EXPECT_EQ(ar.header.config["per_iter_skip"], 2);
  EXPECT_EQ(ar.header.config["unalign"], 0);
  EXPECT_EQ(ar.cases.size(), 4u);  // -N 2: the sweep's second pass adds samples
  EXPECT_TRUE(hasNote(ar, "-N"));
  const CaseRecord& small = caseAt(ar, 1024, Placement::kOutOfPlace);
  EXPECT_EQ(small.samplesUs, (std::vector<double>{10.50, 10.70}));
  EXPECT_DOUBLE_EQ(small.timeUs.median, 10.6);
  EXPECT_NEAR(small.algBandwidthGBps, 0.10 * 10.50 / 10.6, 1e-12);
  ASSERT_TRUE(small.perIteration);
  EXPECT_EQ(small.perIteration->count, 18u);  // 20 iterations, 2 skipped
  EXPECT_DOUBLE_EQ(small.perIteration->minUs, 9.80);
  EXPECT_DOUBLE_EQ(small.perIteration->maxUs, 12.10);
  EXPECT_DOUBLE_EQ(small.perIteration->p99Us, 12.00);
  EXPECT_DOUBLE_EQ(caseAt(ar, 2048, Placement::kInPlace).perIteration->p99Us, 11.90);
  EXPECT_FALSE(ar.incomplete);
  const ImportedRun& ag = runs[1];
  EXPECT_EQ(ag.cases.size(), 2u);
  EXPECT_EQ(ag.cases[0].collective, Collective::kAllGather);
  EXPECT_FALSE(ag.cases[0].perIteration);
  EXPECT_DOUBLE_EQ(*ag.reportedAvgBusBandwidthGBps, 0.17);
  EXPECT_NE(ar.header.runId, ag.header.runId);
  EXPECT_EQ(ar.header.runId, ar.trailer.runId);
}

TEST(ImportNcclTestsConsole, MpichPrefixCpuTimeTimestampsAndAggregation) {
  const std::string text =
      tagged("[0] ", R"(# nccl-tests version 2.18.2 nccl-headers=22807 nccl-library=22807
# Collective test starting: reduce_scatter_perf
# nThread 1 nGpus 2 minBytes 64 maxBytes 64 step: 2(factor) warmup iters: 1 iters: 5 agg iters: 2 validation: 1 graph: 0 unalign: 0
#
# Using devices
#  Rank  0 Group  0 Pid    300 on       boxy device  0 [0000:18:00] NVIDIA H100 80GB HBM3
#  Rank  1 Group  0 Pid    300 on       boxy device  1 [0000:2a:00] NVIDIA H100 80GB HBM3
#
#                                                              out-of-place                       in-place          
#       size         count      type   redop    root  cputime   algbw   busbw  #wrong  cputime   algbw   busbw  #wrong            timestamp
#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)          %Y-%m-%d %H:%M:%S
          64             8      half    prod      -1     8.20    0.01    0.00       0     8.10    0.01    0.00       0  2026-03-20 10:11:12
# Out of bounds values : 0 OK
# Avg bus bandwidth    : 0.00395 
)");
  const auto runs = readResultsFile(writeTemp("rs.txt", text));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].header.launcher, "pmi");
  const CaseRecord& r = caseAt(runs[0], 64, Placement::kInPlace);
  EXPECT_EQ(r.collective, Collective::kReduceScatter);
  EXPECT_EQ(r.dtype, DType::kHalf);
  EXPECT_EQ(r.op, RedOp::kProd);
  EXPECT_DOUBLE_EQ(r.timeUs.median, 8.10);
  EXPECT_EQ(r.iterationsPerBatch, 10);  // iters x agg iters: time is per operation
}

const char* kShortRun =
    R"(# nThread 1 nGpus 1 minBytes 8 maxBytes 16 step: 2(factor) warmup iters: 5 iters: 20 agg iters: 1 validation: 1 graph: 0
#
# Using devices
#  Rank  0 Group  0 Pid    100 on      hostA device  0 [0000:18:00] NVIDIA A100
#
#                                                              out-of-place                       in-place          
#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong
#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)       
)";

TEST(ImportNcclTestsConsole, NoiseBetweenRowsIsSkipped) {
  const std::string text =
      std::string("$ mpirun -np 1 ./build/alltoall_perf -b 8 -e 16\n") + kShortRun +
      "           8             2     float    none      -1    10.1    0.00    "
      "0.00      0    10.2    0.00    0.00    N/A\n"
      "hostA:100:100 [0] NCCL INFO Channel 00/1 : 0[0] -> 0[0] via P2P\n"
      "3 more processes have sent help message help-mpi-btl-openib.txt\n"
      "[hostA:00100] 2 more processes have sent help message\n"
      "\n"
      "          16             4     float    none      -1    10.3    0.00    "
      "0.00      0    10.4    0.00    0.00    N/A\n"
      "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 0 \n";
  const auto runs = readResultsFile(writeTemp("log.txt", text));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(sizesOf(runs[0]), (std::vector<uint64_t>{8, 16}));
  EXPECT_EQ(runs[0].cases[0].collective, Collective::kAllToAll);  // from the command line
  EXPECT_FALSE(caseAt(runs[0], 16, Placement::kInPlace).checked);
  EXPECT_EQ(runs[0].header.commandLine.front(), "mpirun");
}

TEST(ImportNcclTestsConsole, OutputCutMidRowKeepsTheOutOfPlaceHalf) {
  const std::string text =
      std::string(kShortRun) +
      "           8             2     float     sum      -1    10.1    0.00    "
      "0.00      0    10.2    0.00    0.00      0\n"
      "          16             4     float     sum      -1    10.3    0.00    "
      "0.00      0\n";
  const auto runs = readResultsFile(writeTemp("allreduce-cut.txt", text));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].cases.size(), 3u);
  EXPECT_TRUE(runs[0].incomplete);
  EXPECT_TRUE(hasNote(runs[0], "no in-place result"));
}

TEST(ImportNcclTestsConsole, OutputCutInsideARowKeepsTheRowsBefore) {
  const std::string text =
      std::string(kShortRun) +
      "           8             2     float     sum      -1    10.1    0.00    "
      "0.00      0    10.2    0.00    0.00      0\n"
      "          16             4     float     s";  // the copy ends here
  const auto runs = readResultsFile(writeTemp("allreduce-cut-inside.txt", text));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].cases.size(), 2u);
  EXPECT_TRUE(runs[0].incomplete);
  EXPECT_TRUE(hasNote(runs[0], "line 10: the last row is cut short")) << runs[0].notes.front();
  // Text after the cut that is no table (a crash's messages) does not make it an error.
  const auto crashed = readResultsFile(writeTemp(
      "allreduce-cut-crash.txt", text + "\n[node1:1234] *** Process received signal ***\n"));
  ASSERT_EQ(crashed.size(), 1u);
  EXPECT_EQ(crashed[0].cases.size(), 2u);
}

TEST(ImportNcclTestsConsole, OutputWithoutAResultRowIsRefused) {
  const std::string message = expectUsageError(writeTemp("allreduce-norows.txt", kShortRun), 1);
  EXPECT_NE(message.find("without a single result row"), std::string::npos) << message;
  const std::string cutInFirst =
      std::string(kShortRun) + "           8             2     float     sum      -1    10";
  expectUsageError(writeTemp("allreduce-cut-first.txt", cutInFirst), 1);
}

TEST(ImportNcclTestsConsole, MalformedInputNamesFileAndLine) {
  const std::string row8 =
      "           8             2     float     sum      -1    10.1    0.00    "
      "0.00      0    10.2    0.00    0.00      0\n";
  const std::string badTime = std::string(kShortRun) + row8 +
                              "          16             4     float     sum      -1    abc    0.00 "
                              "   0.00      0    10.4    0.00    0.00      0\n";
  const std::string message = expectUsageError(writeTemp("allreduce-a.txt", badTime), 10);
  EXPECT_NE(message.find("time 'abc' is not a number"), std::string::npos) << message;
  // A row cut short is the output's end only where nothing of the table follows it.
  const std::string shortRow = "          16             4     float     sum      -1    10.3\n";
  const std::string cutThenRows = std::string(kShortRun) + shortRow + row8;
  const std::string cutMessage = expectUsageError(writeTemp("allreduce-b.txt", cutThenRows), 9);
  EXPECT_NE(cutMessage.find("yet more rows follow"), std::string::npos) << cutMessage;
  const std::string cutThenFooter =
      std::string(kShortRun) + row8 + shortRow + "# Avg bus bandwidth    : 0 \n";
  expectUsageError(writeTemp("allreduce-e.txt", cutThenFooter), 10);
  const std::string badType = std::string(kShortRun) +
                              "           8             2     fp4     sum      -1    10.1    0.00  "
                              "  0.00      0    10.2    0.00    0.00      0\n";
  expectUsageError(writeTemp("allreduce-c.txt", badType), 9);
  const std::string cutThenMore = std::string(kShortRun) +
                                  "           8             2     float     sum      -1    10.1   "
                                  " 0.00    0.00      0\n" +
                                  row8;
  expectUsageError(writeTemp("allreduce-d.txt", cutThenMore), 9);
  // No binary, command line or file name tells the collective: the run's first line.
  expectUsageError(writeTemp("output.txt", std::string(kShortRun) + row8), 1);
  const std::string scatter = "# Collective test starting: scatter_perf\n" + std::string(kShortRun);
  expectUsageError(writeTemp("g.txt", scatter), 1);
}

TEST(ImportNcclTestsConsole, ImpossibleValuesAreLeftOutOrRefusedNeverStored) {
  const std::string row8 =
      "           8             2     float     sum      -1    10.1    0.00    "
      "0.00      0    10.2    0.00    0.00      0\n";
  // A NaN or negative time leaves that result out (noted); an inf busbw with a real time is
  // what the size and time give.
  const std::string odd = std::string(kShortRun) + row8 +
                          "          16             4     float     sum      -1     nan    0.00 "
                          "   0.00      0    -3.5    0.00    0.00      0\n"
                          "          32             8     float     sum      -1    16.0     inf "
                          "    inf      0    16.0    0.00    0.00      0\n";
  const auto runs = readResultsFile(writeTemp("allreduce-odd.txt", odd));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].cases.size(), 4u);  // 8 B twice, 32 B twice; 16 B's two results left out
  EXPECT_TRUE(hasNote(runs[0], "2 results printed with a NaN, infinite or negative time"));
  EXPECT_TRUE(hasNote(runs[0], "recomputed from their size and time"));
  const CaseRecord& c32 = caseAt(runs[0], 32, Placement::kOutOfPlace);
  EXPECT_DOUBLE_EQ(c32.algBandwidthGBps, 32 / 16.0 / 1e3);
  EXPECT_DOUBLE_EQ(c32.busBandwidthGBps, 0.0);  // one rank: 2(n-1)/n = 0, as nccl-tests prints
  for (const CaseRecord& c : runs[0].cases) {
    for (double v : {c.timeUs.median, c.algBandwidthGBps, c.busBandwidthGBps}) {
      EXPECT_TRUE(std::isfinite(v) && v >= 0);
    }
  }
  const std::string negativeSize = std::string(kShortRun) + row8 +
                                   "          -16             4     float     sum      -1    "
                                   "10.1    0.00    0.00      0    10.2    0.00    0.00      0\n";
  const std::string message = expectUsageError(writeTemp("allreduce-neg.txt", negativeSize), 10);
  EXPECT_NE(message.find("negative"), std::string::npos) << message;
}

TEST(ImportNcclTestsConsole, WindowsLineEndingsAndByteOrderMark) {
  std::string text = "\xEF\xBB\xBF" + std::string(kShortRun) +
                     "           8             2     float     sum      -1    10.1    0.00    "
                     "0.00      0    10.2    0.00    0.00      0\n# Avg bus bandwidth    : 0 \n";
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) {
    text.insert(at, "\r");
  }
  const auto runs = readResultsFile(writeTemp("allreduce-crlf.txt", text));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].cases.size(), 2u);
  EXPECT_EQ(runs[0].header.config["iterations"], 20);
  EXPECT_FALSE(runs[0].incomplete);
}

TEST(ImportFormats, EmptyUnknownAndMissingFiles) {
  expectUsageError(writeTemp("empty.txt", ""), 1);
  expectUsageError(writeTemp("blank.txt", "\n  \n\t\n"), 1);
  expectUsageError(writeTemp("prose.txt", "hello\nthis is not a benchmark output\n"), 1);
  try {
    readResultsFile(::testing::TempDir() + "cclbench-import-does-not-exist.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
  }
}

}  // namespace
}  // namespace cclbench
