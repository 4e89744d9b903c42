#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"

namespace cclbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kRealOutput = CCLBENCH_REAL_OUTPUT;
const std::string kLogs = std::string(CCLBENCH_FIXTURES) + "/nccl-logs";

/// Runs `cclbench inspect-log ARGS` in this process; returns {exit code, stdout, stderr}.
std::tuple<int, std::string, std::string> inspectLog(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = inspectLogCommand(nullptr, nullptr, args);
  std::string err = ::testing::internal::GetCapturedStderr();
  return {code, ::testing::internal::GetCapturedStdout(), err};
}

TEST(InspectLogCommand, ReportOfTheEfaLog) {
  const std::string path =
      kRealOutput + "/nccl-info-allreduce-a100-16rank-efa-p2pipc-gdrdma-tagged.log";
  const auto [code, out, err] = inspectLog({path});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(err, "");
  EXPECT_THAT(out, StartsWith(path + ": NCCL 2.9.9, network AWS Libfabric (efa); 320 connections"));
  EXPECT_THAT(out, HasSubstr("NCCL:    2.9.9+cuda11.2\n"));
  EXPECT_THAT(out, HasSubstr("network: AWS Libfabric (OFI provider efa)\n"));
  EXPECT_THAT(out, HasSubstr("  P2P: 256\n"));
  EXPECT_THAT(out, HasSubstr("  NET_OTHER: 64\n"));
  EXPECT_THAT(out, HasSubstr("  rank 0 -> 3: P2P/IPC on "));
  EXPECT_THAT(out, HasSubstr("  rank 1 -> 8: NET/AWS Libfabric GDRDMA on 2 channels\n"));
  EXPECT_THAT(out, HasSubstr("  nccl-tests-efa-16-worker-1: rank 8 9 10 11 12 13 14 15"));
  EXPECT_THAT(out, HasSubstr("lines: 586 read, 530 from NCCL, 56 skipped\n"));
}

TEST(InspectLogCommand, ReportOfTheFallbackShowsTheWarning) {
  const auto [code, out, err] = inspectLog({kLogs + "/ib-fell-back-to-socket-2node.log"});
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("warnings: fell back to sockets"));
  EXPECT_THAT(out,
              HasSubstr("\nwarnings:\n  no InfiniBand/RoCE device found (NET/IB) (2 times)\n"));
  EXPECT_THAT(out, HasSubstr("  rank 0 -> 1: NET/Socket on 2 channels\n"));
  EXPECT_THAT(out,
              HasSubstr("NICs:    NET/Socket eth0 10.0.0.11<0>, NET/Socket eth0 10.0.0.12<0>"));
}

TEST(InspectLogCommand, ReportOfTheTuningLog) {
  const auto [code, out, err] =
      inspectLog({kRealOutput + "/nccl-info-tuning-rtx5090-2rank-socket.log"});
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("no channel connection lines"));
  EXPECT_THAT(out, HasSubstr("  Broadcast: RING/LL for 1024..16384 B (23 calls)\n"));
  EXPECT_THAT(out, HasSubstr("  Broadcast: RING/SIMPLE for 32768..134217728 B (49 calls)\n"));
  EXPECT_THAT(out, HasSubstr("TUNING table: 105 cells"));
}

TEST(InspectLogCommand, JsonIsOneDocument) {
  const auto [code, out, err] = inspectLog({"--json", kLogs + "/srun-4rank-2node-ib.log"});
  EXPECT_EQ(code, 0);
  const nlohmann::json doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc.at("schema"), "cclbench.nccl-log");
  EXPECT_EQ(doc.at("version"), "2.12.12");
  EXPECT_EQ(doc.at("connections").size(), 12u);
  EXPECT_EQ(doc.at("transport_counts").at("NET_IB"), 8);
  EXPECT_EQ(doc.at("peers").size(), 4u);
}

TEST(InspectLogCommand, HelpHasAnExample) {
  const auto [code, out, err] = inspectLog({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("cclbench inspect-log nccl.log"));
  EXPECT_THAT(out, HasSubstr("--json"));
}

TEST(InspectLogCommand, MissingFileIsOneLineAndExit6) {
  const auto [code, out, err] = inspectLog({"/nonexistent/nccl.log"});
  EXPECT_EQ(code, 6);
  EXPECT_EQ(out, "");
  EXPECT_THAT(err, StartsWith("cclbench: error: /nonexistent/nccl.log: cannot read: "));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

// A connection line whose transport holds bytes that are not UTF-8 (the input fuzz_nccl_log
// found: nlohmann's dump threw): --json replaces them with U+FFFD and writes the report.
TEST(InspectLogCommand, JsonOfALogWithInvalidUtf8IsWritten) {
  const auto [code, out, err] = inspectLog(
      {"--json", std::string(CCLBENCH_FIXTURES) + "/../fuzz/regressions/fuzz_nccl_log/invalid-utf8.log"});
  EXPECT_EQ(code, 0) << err;
  EXPECT_THAT(out, HasSubstr("\xEF\xBF\xBD"));
  EXPECT_NO_THROW((void)nlohmann::json::parse(out));
}

TEST(InspectLogCommand, NoFileOrBadOptionIsUsage) {
  EXPECT_EQ(std::get<0>(inspectLog({})), 6);
  EXPECT_EQ(std::get<0>(inspectLog({"--bogus", kLogs + "/shm-2rank-1node.log"})), 6);
}

TEST(InspectLogCommand, FileWithoutNcclLinesIsExit6) {
  const std::string path = ::testing::TempDir() + "/cclbench-not-nccl.log";
  {
    std::ofstream f(path);
    f << "hello\nthis is not an NCCL log\n\0\x01\x02\n";
  }
  const auto [code, out, err] = inspectLog({path});
  EXPECT_EQ(code, 6);
  EXPECT_EQ(err, "cclbench: error: no NCCL INFO lines found in " + path + "\n");
  std::ofstream(path, std::ios::trunc).close();
  EXPECT_EQ(std::get<0>(inspectLog({path})), 6);  // empty
  std::remove(path.c_str());
  EXPECT_THAT(std::get<1>(inspectLog({kLogs + "/shm-2rank-1node.log"})), Not(HasSubstr("error")));
}

}  // namespace
}  // namespace cclbench
