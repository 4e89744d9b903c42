/// The parser on small inline logs: launcher prefixes, rarer transports, garbage, encodings,
/// volume and the old TUNING table format.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "inspect/nccl_log.hpp"

namespace cclbench {
namespace {

using ::testing::ElementsAre;

NcclLogSummary parseText(const std::string& text) {
  std::istringstream in(text);
  return parseNcclLog(in);
}

TEST(NcclLogParsing, LauncherPrefixesAndHeaders) {
  const auto log = parseText(
      "[1,3]<stderr>:node01:1:2 [3] NCCL INFO Channel 00/0 : 3[3] -> 0[0] via P2P/IPC\n"
      " 12: node02:5:6 [1] NCCL INFO Channel 01/0 : 12[1] -> 13[2] via P2P/CUMEM/read\n"
      "[7] node03:5:6 [0] NCCL INFO Channel 02/1 : 7[0] -> 8[0] [send] via NET/IBext_v8/2/GDRDMA\n"
      "[default2]:node04:5:6 [2] NCCL INFO Channel 03 : 2[2] -> 3[3] via direct shared memory\n"
      "[2025-03-01 10:00:00] node05:7:8 [0] transport.cc:12 NCCL WARN Cuda failure 'out of "
      "memory'\n");
  ASSERT_EQ(log.connections.size(), 4u);
  EXPECT_EQ(log.connections[0].source.launcherRank, 3);
  EXPECT_EQ(log.connections[1].source.launcherRank, 12);
  EXPECT_EQ(log.connections[1].source.host, "node02");
  EXPECT_EQ(log.connections[1].label(), "P2P/CUMEM");
  EXPECT_EQ(log.connections[2].source.launcherRank, 7);
  EXPECT_EQ(log.connections[2].kind, TransportKind::kNetIb);
  EXPECT_EQ(log.connections[2].netName, "IBext_v8");
  EXPECT_EQ(log.connections[3].source.launcherRank, 2);
  EXPECT_EQ(log.connections[3].kind, TransportKind::kShm);
  ASSERT_EQ(log.warnings.size(), 1u);
  EXPECT_EQ(log.warnings[0].kind, NcclWarningKind::kNcclWarn);
  EXPECT_EQ(log.warnings[0].message, "Cuda failure 'out of memory'");
  EXPECT_THAT(log.hosts, ElementsAre("node01", "node02", "node03", "node04", "node05"));
  EXPECT_EQ(log.skippedLines, 0u);
}

TEST(NcclLogParsing, OtherTransports) {
  const auto log = parseText(
      "n:1:2 [0] NCCL INFO CollNet 00/0 : 3 [send] via COLLNET/SHARP/0/GDRDMA\n"
      "n:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/indirect/2[2]\n"
      "n:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via FOO/bar\n"
      "n:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] [receive] via NET/IB/0/GDRDMA(PCI)/Shared\n"
      "n:1:2 [0] NCCL INFO NVLS multicast support is available on dev 0\n"
      "n:1:2 [0] NCCL INFO Connected NVLS tree\n");
  ASSERT_EQ(log.connections.size(), 4u);
  EXPECT_EQ(log.connections[0].kind, TransportKind::kCollNet);
  EXPECT_EQ(log.connections[0].netName, "SHARP");
  EXPECT_EQ(log.connections[0].toRank, -1);
  EXPECT_EQ(log.connections[0].loggingRank(), 3);
  EXPECT_EQ(log.connections[1].label(), "P2P/indirect");
  EXPECT_EQ(log.connections[2].kind, TransportKind::kUnknown);
  EXPECT_TRUE(log.connections[3].gdrdma);
  EXPECT_EQ(log.connections[3].loggingRank(), 1);
  EXPECT_EQ(log.nvlsSupported, true);
  EXPECT_TRUE(log.nvlsConnected);
}

TEST(NcclLogParsing, GarbageTruncatedAndBinaryLinesAreSkipped) {
  std::string text =
      "random application output\n"
      "\n"
      "node01:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[\n"         // truncated
      "node01:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via \n"  // no transport
      "node01:1:2 [0] NCCL INFO Bytes -> Algo\n"
      "node01:1:2 [0] NCCL INFO   Broadcast |   1.0/ x |\n"  // a row with no header
      "node01:1:2 [0] NCCL INFO comm 0x1 rank 99999999999999999999 nranks 2\n"
      "node01:1:2 [0] NCCL INFO Pattern x, type\n"
      "0: \n"
      "[1,0]<stdout>:\n"
      "node01:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC\r\n"
      "node02:99999999999999999999999:1 [0] NCCL INFO Using network IB\n";
  text += std::string("\0\xff\xfe NCCL INFO \x01\x02 via", 20) + "\n";
  text += std::string(100000, 'x') + "\n";
  const auto log = parseText(text);
  EXPECT_EQ(log.lines, 14u);
  EXPECT_THAT(log.networks, ElementsAre("IB"));  // a pid too large for any integer
  ASSERT_EQ(log.connections.size(), 1u);
  EXPECT_EQ(log.connections[0].transport, "P2P/IPC");  // the \r is gone
  EXPECT_TRUE(log.ranks.empty());
  EXPECT_TRUE(log.graphs.empty());
  EXPECT_TRUE(log.tuning.empty());
  EXPECT_TRUE(log.algorithms.empty());
  EXPECT_EQ(log.ncclLines + log.skippedLines, log.lines);
}

TEST(NcclLogParsing, KeptTextIsValidUtf8ForJson) {
  const auto log = parseText(
      "n\xc3\xa9:1:2 [0] misc.cc:1 NCCL WARN bad \xff\xc0\xaf byte \xed\xa0\x80 \xe2\x82\xac\n"
      "n:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC\xf4\x90\x80\x80\n");
  ASSERT_EQ(log.warnings.size(), 1u);
  EXPECT_EQ(log.warnings[0].message, "bad ??? byte ??? \xe2\x82\xac");  // the euro sign stays
  EXPECT_EQ(log.hosts.front(), "n\xc3\xa9");
  ASSERT_EQ(log.connections.size(), 1u);
  EXPECT_EQ(log.connections[0].transport, "P2P/IPC????");
  EXPECT_NO_THROW(toJson(log).dump());
}

TEST(NcclLogParsing, ManyLinesAreCheapAndCollapsed) {
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text +=
        "node01:1:2 [0] NCCL INFO AllReduce: 1024 Bytes -> Algo RING proto LL "
        "channel{Lo..Hi}={0..0}\n";
    text += "node01:1:2 [0] NCCL INFO [Proxy Progress] Device 0 CPU core 3\n";
  }
  const auto log = parseText(text);
  EXPECT_EQ(log.lines, 40000u);
  ASSERT_EQ(log.algorithms.size(), 1u);
  EXPECT_EQ(log.algorithms[0].count, 20000u);
}

TEST(NcclLogParsing, OldTuningTableFormat) {
  const auto log = parseText(
      "h:1:2 [0] NCCL INFO Latency/AlgBw |    Tree/    LL |    Tree/ LL128 |    Ring/Simple |\n"
      "h:1:2 [0] NCCL INFO  Max NThreads |            512 |            640 |            512 |\n"
      "h:1:2 [0] NCCL INFO     AllReduce |     6.8/   4.2 |    14.0/  12.5 |    18.3/  20.0 |\n");
  ASSERT_EQ(log.tuning.size(), 3u);
  EXPECT_EQ(log.tuning[2].algorithm, "Ring");
  EXPECT_EQ(log.tuning[2].protocol, "Simple");
  EXPECT_DOUBLE_EQ(log.tuning[2].bandwidth, 20.0);
}

}  // namespace
}  // namespace cclbench
