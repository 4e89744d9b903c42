#include "report/console_reporter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace cclbench {
namespace {

/// nccl-tests' getFloatStr as its source describes it: count the digits before the point, then
/// pick "%.2f", "%.1f", "%.0f" or an exponent so the number fills `width`.
std::string ncclTestsFloat(double value, int width) {
  int power = 0;
  for (uint64_t v = 1; value >= static_cast<double>(v); v *= 10) ++power;
  char text[64];
  if (power < width - 2)
    std::snprintf(text, sizeof text, "%*.2f", width, value);
  else if (power < width - 1)
    std::snprintf(text, sizeof text, "%*.1f", width, value);
  else if (power < width + 1)
    std::snprintf(text, sizeof text, "%*.0f", width, value);
  else if (width >= 7)
    std::snprintf(text, sizeof text, "%*.1e", width, value);
  else
    std::snprintf(text, sizeof text, "%*.0e", width, value);
  return text;
}

TEST(FitNumber, KnownValues) {
  EXPECT_EQ(fitNumber(2191.72, 7), "2191.72");
  EXPECT_EQ(fitNumber(14987.66, 7), "14987.7");
  EXPECT_EQ(fitNumber(123456.7, 7), " 123457");
  EXPECT_EQ(fitNumber(1234567.0, 7), "1234567");
  EXPECT_EQ(fitNumber(12345678.0, 7), "1.2e+07");
  EXPECT_EQ(fitNumber(0.13, 7), "   0.13");
  EXPECT_EQ(fitNumber(0.0, 6), "  0.00");
  EXPECT_EQ(fitNumber(0.48, 6), "  0.48");
  EXPECT_EQ(fitNumber(338.82, 6), "338.82");
  EXPECT_EQ(fitNumber(1234.5, 6), "1234.5");
  EXPECT_EQ(fitNumber(12345.6, 6), " 12346");
  EXPECT_EQ(fitNumber(123456.0, 6), "123456");
  EXPECT_EQ(fitNumber(1234567.0, 6), " 1e+06");
}

TEST(FitNumber, MatchesNcclTestsAwayFromRoundingEdges) {
  for (int width : {6, 7}) {
    for (double mantissa : {1.0, 1.234, 4.5678, 9.87}) {
      for (int exponent = -3; exponent <= 10; ++exponent) {
        const double v = mantissa * std::pow(10.0, exponent);
        EXPECT_EQ(fitNumber(v, width), ncclTestsFloat(v, width)) << v << " width " << width;
      }
    }
  }
}

TEST(FitNumber, NeverWiderThanTheColumn) {
  // Where rounding carries into a new digit (9999.996 -> 10000.00) nccl-tests overflows its
  // column by one; cclbench keeps the width.
  for (int width : {6, 7}) {
    for (double v :
         {9.999, 99.996, 999.996, 9999.996, 99999.96, 999999.6, 9999999.6, 99999999.0, 1e12}) {
      EXPECT_EQ(fitNumber(v, width).size(), static_cast<std::size_t>(width)) << v;
    }
  }
}

/// Collects what a reporter prints into a temporary file.
class Captured {
 public:
  Captured() : file_(std::tmpfile()) {}
  ~Captured() { std::fclose(file_); }
  std::FILE* file() const { return file_; }
  std::vector<std::string> lines() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) text.append(buffer, n);
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::FILE* file_;
};

RunHeader header() {
  RunConfig config;
  config.collectives = {Collective::kAllGather};
  config.dtypes = {DType::kFloat};
  config.ops = {RedOp::kSum};
  config.sweep = {1048576, 134217728, 2.0, 0, {}};
  RunHeader h;
  h.runId = "test";
  h.toolVersion = "0.1.0";
  h.gitRevision = "abc";
  h.ranks = 2;
  h.hosts = {{"lab", {0, 1}, {"0", "1"}}};
  h.backend = "fake";
  h.config = toJson(config);
  return h;
}

/// Reads one row of a real nccl-tests table into the two records it came from.
RowRecords recordsOfRow(const std::string& line) {
  unsigned long long size = 0, count = 0;
  char type[16], op[16];
  int root = 0;
  double time[2], alg[2], bus[2], wrong[2];
  const int fields = std::sscanf(
      line.c_str(), "%llu %llu %15s %15s %d %lf %lf %lf %lf %lf %lf %lf %lf", &size, &count, type,
      op, &root, &time[0], &alg[0], &bus[0], &wrong[0], &time[1], &alg[1], &bus[1], &wrong[1]);
  EXPECT_EQ(fields, 13) << line;
  RowRecords row;
  for (int place = 0; place < 2; ++place) {
    CaseRecord r;
    r.collective = Collective::kAllGather;
    r.sizeBytes = size;
    r.count = count;
    r.dtype = *parseDType(type);
    r.op = std::string(op) == "none" ? RedOp::kNone : *parseRedOp(op);
    r.root = root;
    r.timeUs.median = time[place];
    r.algBandwidthGBps = alg[place];
    r.busBandwidthGBps = bus[place];
    r.checked = true;
    r.wrong = static_cast<uint64_t>(wrong[place]);
    r.slowestRank = 1;
    (place == 0 ? row.outOfPlace : row.inPlace) = r;
  }
  return row;
}

// Real nccl-tests rows: 2.18.0 all_gather (fixtures/real-output/nccltests-allgather-rtx5090-
// 2rank-tagged.txt) and 2.17.9 all_reduce with wrong data (nccltests-allreduce-gh200-16rank-
// wrong-nofooter.txt).
// clang-format off
const std::vector<std::string> kRealRows{
    "     1048576        131072     float    none      -1  2191.72    0.48    0.24       0  2194.02    0.48    0.24       0",
    "     8388608       1048576     float    none      -1  2489.25    3.37    1.68       0  2355.03    3.56    1.78       0",
    "    67108864       8388608     float    none      -1  14987.7    4.48    2.24       0  14882.2    4.51    2.25       0",
    "   134217728      16777216     float    none      -1  29185.2    4.60    2.30       0  29349.9    4.57    2.29       0",
    "           1             1      int8     sum      -1    24.41    0.00    0.00       0    21.26    0.00    0.00       0",
    "     4194304       4194304      int8     sum      -1  9489.31    0.44    0.83   96817  10542.7    0.40    0.75  124342",
    "     8388608       8388608      int8     sum      -1  9733.76    0.86    1.62  763876  9510.45    0.88    1.65  530181",
    "    67108864      67108864      int8     sum      -1  34125.2    1.97    3.69  113492  43656.8    1.54    2.88       0",
};
// clang-format on

TEST(ConsoleReporter, RowsReproduceRealNcclTestsColumns) {
  for (const std::string& real : kRealRows) {
    Captured out;
    auto reporter = createConsoleReporter(out.file());
    reporter->row(recordsOfRow(real));
    const auto lines = out.lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].substr(0, real.size()), real);
    EXPECT_EQ(lines[0].substr(real.size(), 3), "   ") << lines[0];  // cclbench's own columns
    EXPECT_EQ(lines[0].substr(lines[0].size() - 8), "       1") << lines[0];  // slowest rank
  }
}

TEST(ConsoleReporter, MissingInPlaceAndUncheckedShowNA) {
  CaseRecord r;
  r.collective = Collective::kSendRecv;
  r.dtype = DType::kFloat;
  r.op = RedOp::kNone;
  r.root = -1;
  r.sizeBytes = 1024;
  r.count = 256;
  r.timeUs.median = 12.34;
  r.algBandwidthGBps = 0.08;
  r.busBandwidthGBps = 0.08;
  r.checked = true;
  Captured out;
  auto reporter = createConsoleReporter(out.file());
  reporter->row({r, std::nullopt});
  r.checked = false;
  reporter->row({r, std::nullopt});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 2u);
  // "%12li  %12li  %8s  %6s  %6i", then "  %7s  %6s  %6s  %6g" or N/A for each place.
  const std::string identity = "        1024           256     float    none      -1";
  const std::string noInPlace = "      N/A     N/A     N/A     N/A";
  EXPECT_EQ(lines[0].substr(0, 118), identity + "    12.34    0.08    0.08       0" + noInPlace);
  EXPECT_EQ(lines[1].substr(0, 117), identity + "    12.34    0.08    0.08    N/A" + noInPlace);
}

TEST(ConsoleReporter, TableHeaderStartsWithNcclTestsHeader) {
  // The three header lines of the real 2.18.0 table, trailing blanks removed.
  // clang-format off
  const std::vector<std::string> real{
      "#                                                              out-of-place                       in-place",
      "#       size         count      type   redop    root     time   algbw   busbw  #wrong     time   algbw   busbw  #wrong",
      "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)"};
  // clang-format on
  Captured out;
  auto reporter = createConsoleReporter(out.file());
  reporter->beginTable({Collective::kAllGather, true, {8, 16}, {}});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "#");
  EXPECT_EQ(lines[1], "# Collective: allgather");
  EXPECT_EQ(lines[2], "# skipped 8 B: rounds down to 0 elements per rank");
  EXPECT_EQ(lines[3], "# skipped 16 B: rounds down to 0 elements per rank");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lines[4 + i].substr(0, real[i].size()), real[i]) << i;
}

CaseRecord withBusBandwidth(uint64_t bytes, double busbw, uint64_t wrong = 0) {
  CaseRecord r;
  r.sizeBytes = bytes;
  r.busBandwidthGBps = busbw;
  r.wrong = wrong;
  return r;
}

TEST(TableTally, AveragesEveryBusBandwidthValue) {
  TableTally tally(Collective::kAllReduce, std::nullopt);
  tally.add({withBusBandwidth(8, 1.0), withBusBandwidth(8, 2.0)});
  tally.add({withBusBandwidth(16, 6.0), std::nullopt});  // in-place not run
  const TableSummary s = tally.summary();
  EXPECT_DOUBLE_EQ(s.averageBusBandwidth, 3.0);  // (1 + 2 + 6) / 3
  EXPECT_EQ(s.largestBytes, 16u);
  EXPECT_DOUBLE_EQ(s.largestBusBandwidth, 6.0);
  EXPECT_FALSE(s.belowFloor);
}

TEST(TableTally, FloorJudgesTheLowestRowAtTheLargestSize) {
  TableTally tally(Collective::kAllReduce, 5.0);
  tally.add({withBusBandwidth(1024, 9.0, 1), withBusBandwidth(1024, 9.5, 2)});
  tally.add({withBusBandwidth(8, 0.1), withBusBandwidth(8, 0.1)});
  tally.add({withBusBandwidth(1024, 4.0), std::nullopt});  // another type at the largest size
  const TableSummary s = tally.summary();
  EXPECT_EQ(s.wrong, 3u);
  EXPECT_EQ(s.largestBytes, 1024u);
  EXPECT_DOUBLE_EQ(s.largestBusBandwidth, 4.0);
  EXPECT_TRUE(s.belowFloor);
  TableTally passing(Collective::kAllReduce, 3.5);
  passing.add({withBusBandwidth(1024, 4.0), std::nullopt});
  EXPECT_FALSE(passing.summary().belowFloor);
}

std::vector<std::string> footer(const TableSummary& s) {
  Captured out;
  createConsoleReporter(out.file())->endTable(s);
  return out.lines();
}

TEST(ConsoleReporter, FooterFollowsNcclTests) {
  TableTally tally(Collective::kAllGather, std::nullopt);
  for (const std::string& real : {kRealRows[0], kRealRows[1], kRealRows[2], kRealRows[3]}) {
    tally.add(recordsOfRow(real));
  }
  const auto lines = footer(tally.summary());
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "# Out of bounds values : 0 OK");
  // (0.24 + 0.24 + 1.68 + 1.78 + 2.24 + 2.25 + 2.30 + 2.29) / 8 = 13.02 / 8 = 1.6275
  EXPECT_EQ(lines[1], "# Avg bus bandwidth    : 1.6275 ");
  EXPECT_EQ(lines[2], "# Bus bandwidth        : 2.30 GB/s at 128 MiB");
}

TEST(ConsoleReporter, FooterReportsWrongValuesAndTheFloor) {
  TableTally tally(Collective::kAllReduce, 7.0);
  tally.add({withBusBandwidth(4096, 6.0, 5), withBusBandwidth(4096, 6.5)});
  const auto lines = footer(tally.summary());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "# Out of bounds values : 5 FAILED");
  EXPECT_EQ(lines[1], "# Avg bus bandwidth    : 6.25 FAILED");
  EXPECT_EQ(lines[2], "# Bus bandwidth        : 6.00 GB/s at 4 KiB");
  EXPECT_EQ(lines[3], "# Bus bandwidth floor  : 7.00 GB/s at the largest size: FAILED");
}

TEST(ConsoleReporter, RunHeaderAndResultLines) {
  Captured out;
  auto reporter = createConsoleReporter(out.file());
  reporter->beginRun(header());
  Trailer t;
  t.exitCode = 7;
  t.cases = 16;
  t.wallSeconds = 2.0;
  t.message = "allgather: 3 wrong elements";
  reporter->endRun(t);
  const auto lines = out.lines();
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("# cclbench 0.1.0 (git abc)  backend fake", 0), 0u) << lines[0];
  EXPECT_NE(lines[1].find("minBytes 1048576 maxBytes 134217728"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("iters: auto"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("slowest rank (-a 3"), std::string::npos) << lines[2];
  EXPECT_NE(lines[5].find("ranks 0-1"), std::string::npos) << lines[5];
  EXPECT_EQ(lines.back(), "# Result: FAILED  (16 cases, 2.0 s)  allgather: 3 wrong elements");
}

}  // namespace
}  // namespace cclbench
