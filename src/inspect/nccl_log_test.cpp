#include "inspect/nccl_log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace cclbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

NcclLogSummary realLog(const std::string& file) {
  return parseNcclLogFile(std::string(CCLBENCH_REAL_OUTPUT) + "/" + file);
}
NcclLogSummary fixture(const std::string& file) {
  return parseNcclLogFile(std::string(CCLBENCH_FIXTURES) + "/" + file);
}

std::size_t countIf(const NcclLogSummary& log, bool (*predicate)(const NcclConnection&)) {
  return static_cast<std::size_t>(
      std::count_if(log.connections.begin(), log.connections.end(), predicate));
}

const NcclTuningCell* cell(const NcclLogSummary& log, const std::string& collective,
                           const std::string& algorithm, const std::string& protocol) {
  for (const NcclTuningCell& c : log.tuning) {
    if (c.collective == collective && c.algorithm == algorithm && c.protocol == protocol) return &c;
  }
  return nullptr;
}

bool hasWarning(const NcclLogSummary& log, NcclWarningKind kind) {
  return std::any_of(log.warnings.begin(), log.warnings.end(),
                     [&](const NcclWarning& w) { return w.kind == kind; });
}

TEST(NcclLogReal, A100EfaTaggedOldFormat) {
  const auto log = realLog("nccl-info-allreduce-a100-16rank-efa-p2pipc-gdrdma-tagged.log");
  EXPECT_EQ(log.version(), "2.9.9");
  EXPECT_THAT(log.versions, ElementsAre("2.9.9+cuda11.2"));  // a plain line behind the tag
  EXPECT_THAT(log.networks, ElementsAre("AWS Libfabric"));
  EXPECT_EQ(log.ofiProvider, "efa");
  EXPECT_THAT(log.hosts, ElementsAre("nccl-tests-efa-16-worker-0", "nccl-tests-efa-16-worker-1"));
  EXPECT_EQ(log.lines, 586u);
  EXPECT_EQ(log.ncclLines, 530u);
  EXPECT_EQ(log.skippedLines, 56u);
  EXPECT_EQ(log.rankCount(), 16);
  EXPECT_EQ(log.ranks.size(), 16u);

  ASSERT_EQ(log.connections.size(), 320u);
  const auto counts = log.transportCounts();
  EXPECT_EQ(counts.at(TransportKind::kP2p), 256u);
  EXPECT_EQ(counts.at(TransportKind::kNetOther), 64u);
  EXPECT_EQ(counts.at(TransportKind::kNetIb), 0u);
  EXPECT_EQ(log.labelCounts().at("P2P/IPC"), 256u);
  EXPECT_EQ(log.labelCounts().at("NET/AWS Libfabric GDRDMA"), 64u);
  EXPECT_EQ(countIf(log, [](const NcclConnection& c) { return c.transport == "P2P/IPC/read"; }),
            256u);
  EXPECT_EQ(countIf(log,
                    [](const NcclConnection& c) {
                      return c.direction == ConnectionDirection::kSend && c.gdrdma;
                    }),
            32u);
  EXPECT_EQ(countIf(log,
                    [](const NcclConnection& c) {
                      return c.direction == ConnectionDirection::kReceive && c.gdrdma;
                    }),
            32u);

  // [1,1]<stdout>:nccl-tests-efa-16-worker-0:26:68 [1] NCCL INFO Channel 00 : 1[101d0] ->
  // 8[101c0] [send] via NET/AWS Libfabric/1/GDRDMA
  const NcclConnection& first = log.connections.front();
  EXPECT_EQ(first.source.launcherRank, 1);
  EXPECT_EQ(first.source.host, "nccl-tests-efa-16-worker-0");
  EXPECT_EQ(first.source.pid, 26);
  EXPECT_EQ(first.channel, 0);
  EXPECT_FALSE(first.connIndex.has_value());
  EXPECT_EQ(first.fromRank, 1);
  EXPECT_EQ(first.toRank, 8);
  EXPECT_EQ(first.fromDevice, "101d0");
  EXPECT_EQ(first.toDevice, "101c0");
  EXPECT_EQ(first.direction, ConnectionDirection::kSend);
  EXPECT_EQ(first.kind, TransportKind::kNetOther);
  EXPECT_EQ(first.netName, "AWS Libfabric");
  EXPECT_EQ(first.netDevice, 1);
  EXPECT_TRUE(first.gdrdma);
  EXPECT_EQ(first.loggingRank(), 1);
  EXPECT_EQ(log.oneLine(),
            "NCCL 2.9.9, network AWS Libfabric (efa); 320 connections: P2P/IPC 256, "
            "NET/AWS Libfabric GDRDMA 64");
}

TEST(NcclLogReal, H100TwoNodeIbRoce) {
  const auto log = realLog("nccl-info-sendrecv-h100-8rank-2node-p2p-ib-gdrdma.log");
  EXPECT_EQ(log.version(), "2.26.2");
  EXPECT_THAT(log.versions, ElementsAre("2.26.2+cuda."));
  EXPECT_THAT(log.networks, ElementsAre("IB"));
  EXPECT_THAT(log.hosts, ElementsAre("MOC-R4PCC04U37"));
  ASSERT_EQ(log.nics.size(), 1u);
  EXPECT_EQ(log.nics[0].net, "IB");
  EXPECT_EQ(log.nics[0].name, "mlx5_5");
  EXPECT_EQ(log.nics[0].port, 1);
  EXPECT_EQ(log.nics[0].linkLayer, "RoCE");
  EXPECT_EQ(log.nics[0].label(), "mlx5_5:1/RoCE");
  EXPECT_EQ(log.lines, 140u);
  EXPECT_EQ(log.ncclLines, 101u);  // the Func/Proto/Algo matrix rows have no NCCL prefix
  EXPECT_EQ(log.skippedLines, 39u);
  EXPECT_EQ(log.rankCount(), 8);
  ASSERT_EQ(log.ranks.size(), 4u);
  for (const NcclRank& r : log.ranks) {
    EXPECT_EQ(r.nRanks, 8);
    EXPECT_EQ(r.nNodes, 2);
    EXPECT_EQ(r.localRanks, 4);
    EXPECT_EQ(r.cudaDev, r.rank);
  }

  ASSERT_EQ(log.connections.size(), 10u);
  EXPECT_EQ(log.transportCounts().at(TransportKind::kP2p), 6u);
  EXPECT_EQ(log.transportCounts().at(TransportKind::kNetIb), 4u);
  EXPECT_EQ(log.labelCounts().at("P2P/direct"), 6u);
  EXPECT_EQ(log.labelCounts().at("NET/IB GDRDMA"), 4u);
  const auto send = std::find_if(
      log.connections.begin(), log.connections.end(),
      [](const NcclConnection& c) { return c.transport.find("(2)") != std::string::npos; });
  ASSERT_NE(send, log.connections.end());
  EXPECT_EQ(send->transport, "NET/IB/1(2)/GDRDMA/Shared");
  EXPECT_EQ(send->channel, 1);
  EXPECT_EQ(send->connIndex, 1);
  EXPECT_EQ(send->fromRank, 3);
  EXPECT_EQ(send->toRank, 4);
  EXPECT_EQ(send->netDevice, 1);
  EXPECT_EQ(send->proxyRank, 2);
  const auto receive = std::find_if(
      log.connections.begin(), log.connections.end(),
      [](const NcclConnection& c) { return c.direction == ConnectionDirection::kReceive; });
  ASSERT_NE(receive, log.connections.end());
  EXPECT_EQ(receive->loggingRank(), 0);
  EXPECT_EQ(receive->transport, "NET/IB/1/GDRDMA/Shared");
  EXPECT_FALSE(receive->proxyRank.has_value());
  EXPECT_EQ(log.nvlsSupported, false);
  EXPECT_EQ(
      log.oneLine(),
      "NCCL 2.26.2, network IB (mlx5_5:1/RoCE); 10 connections: P2P/direct 6, NET/IB GDRDMA 4");
}

TEST(NcclLogReal, RtxTuningTableAndAlgorithms) {
  const auto log = realLog("nccl-info-tuning-rtx5090-2rank-socket.log");
  EXPECT_EQ(log.version(), "2.29.7");
  EXPECT_EQ(log.lines, 100u);
  EXPECT_EQ(log.ncclLines, 100u);
  EXPECT_EQ(log.skippedLines, 0u);
  EXPECT_TRUE(log.connections.empty());
  // 3 blocks x 5 collectives: 9 + 9 + 3 cells per collective; the PAT block's 9-column
  // Protocol row does not add cells.
  EXPECT_EQ(log.tuning.size(), 105u);
  const NcclTuningCell* ringSimple = cell(log, "Broadcast", "Ring", "Simple");
  ASSERT_NE(ringSimple, nullptr);
  EXPECT_DOUBLE_EQ(ringSimple->latencyUs, 22.4);
  EXPECT_DOUBLE_EQ(ringSimple->bandwidth, 2.4);
  const NcclTuningCell* treeLl = cell(log, "AllReduce", "Tree", "LL");
  ASSERT_NE(treeLl, nullptr);
  EXPECT_DOUBLE_EQ(treeLl->latencyUs, 16.8);
  EXPECT_DOUBLE_EQ(treeLl->bandwidth, 0.5);
  const NcclTuningCell* chain = cell(log, "AllReduce", "CollNetChain", "Simple");
  ASSERT_NE(chain, nullptr);
  EXPECT_DOUBLE_EQ(chain->latencyUs, 14.0);
  const NcclTuningCell* pat = cell(log, "AllGather", "PAT", "Simple");
  ASSERT_NE(pat, nullptr);
  EXPECT_DOUBLE_EQ(pat->latencyUs, 17.6);
  EXPECT_DOUBLE_EQ(pat->bandwidth, 3.6);
  EXPECT_EQ(cell(log, "AllGather", "PAT", "LL")->bandwidth, 0.0);
  EXPECT_EQ(std::count_if(log.tuning.begin(), log.tuning.end(),
                          [](const NcclTuningCell& c) { return c.algorithm == "PAT"; }),
            15);

  std::size_t calls = 0;
  for (const NcclAlgoChoice& a : log.algorithms) calls += a.count;
  EXPECT_EQ(calls, 72u);
  EXPECT_EQ(log.algorithms.size(), 18u);  // identical lines collapsed
  const NcclAlgoChoice& first = log.algorithms.front();
  EXPECT_EQ(first.collective, "Broadcast");
  EXPECT_EQ(first.bytes, 1024u);
  EXPECT_EQ(first.algorithm, "RING");
  EXPECT_EQ(first.protocol, "LL");
  EXPECT_EQ(first.channelLo, 0);
  EXPECT_EQ(first.channelHi, 0);
  const auto ranges = algorithmRanges(log);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].protocol, "LL");
  EXPECT_EQ(ranges[0].minBytes, 1024u);
  EXPECT_EQ(ranges[0].maxBytes, 16384u);  // LL up to 16384 B
  EXPECT_EQ(ranges[0].calls, 23u);
  EXPECT_EQ(ranges[1].protocol, "SIMPLE");
  EXPECT_EQ(ranges[1].minBytes, 32768u);  // SIMPLE from 32768 B
  EXPECT_EQ(ranges[1].maxBytes, 134217728u);
  EXPECT_EQ(ranges[1].calls, 49u);
}

TEST(NcclLogReal, H200OneRankSocketFallback) {
  const auto log = fixture("h200-1gpu/nccl-info-allreduce-sendrecv-1rank-socket.log");
  EXPECT_EQ(log.version(), "2.28.9");
  EXPECT_THAT(log.networks, ElementsAre("Socket"));
  ASSERT_EQ(log.nics.size(), 1u);  // "NET/IB : Using [RO]; OOB ..." names no device
  EXPECT_EQ(log.nics[0].net, "Socket");
  EXPECT_EQ(log.nics[0].name, "eth0");
  EXPECT_EQ(log.nics[0].address, "192.0.2.2<0>");
  EXPECT_EQ(log.lines, 306u);
  EXPECT_EQ(log.skippedLines, 0u);
  ASSERT_EQ(log.ranks.size(), 1u);
  EXPECT_EQ(log.ranks[0].nRanks, 1);
  EXPECT_EQ(log.ranks[0].nNodes, 1);
  EXPECT_EQ(log.ranks[0].cudaDev, 0);
  EXPECT_TRUE(log.connections.empty());
  ASSERT_EQ(log.graphs.size(), 2u);
  EXPECT_EQ(log.graphs[0].pattern, 4);
  EXPECT_EQ(log.graphs[0].nChannels, 32);
  EXPECT_EQ(log.graphs[0].typeIntra, "LOC");
  EXPECT_EQ(log.graphs[0].typeInter, "PIX");
  EXPECT_DOUBLE_EQ(log.graphs[0].bwIntra, 60.0);
  EXPECT_TRUE(hasWarning(log, NcclWarningKind::kIbUnavailable));
  EXPECT_TRUE(hasWarning(log, NcclWarningKind::kNetPluginFailed));
  EXPECT_TRUE(hasWarning(log, NcclWarningKind::kGdrDisabled));
  ASSERT_TRUE(hasWarning(log, NcclWarningKind::kFellBackToSockets));
  EXPECT_THAT(log.warnings.back().line, HasSubstr("Using network Socket"));
  EXPECT_EQ(log.oneLine(),
            "NCCL 2.28.9, network Socket (eth0); no connection lines; warnings: fell back to "
            "sockets, GPU Direct RDMA disabled");
}

TEST(NcclLogFixtures, ShmOneNode) {
  const auto log = fixture("nccl-logs/shm-2rank-1node.log");
  EXPECT_EQ(log.version(), "2.21.5");
  EXPECT_EQ(log.skippedLines, 13u);
  ASSERT_EQ(log.connections.size(), 4u);
  EXPECT_EQ(log.transportCounts().at(TransportKind::kShm), 4u);
  EXPECT_EQ(log.connections[0].transport, "SHM/direct/direct");
  EXPECT_EQ(log.connections[0].label(), "SHM");
  EXPECT_EQ(log.ranks.size(), 2u);
  const auto peers = peerTransports(log);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].fromRank, 0);
  EXPECT_EQ(peers[0].toRank, 1);
  EXPECT_EQ(peers[0].label, "SHM");
  EXPECT_EQ(peers[0].channels, 2u);
  EXPECT_TRUE(log.warnings.empty());
}

TEST(NcclLogLines, CallsAreKeptInOrderFromTheFirstSourceOnly) {
  // One process with two GPUs (threads mode): both devices log every call; another process too.
  NcclLogParser parser;
  for (const char* line : {
           "h:10:11 [0] NCCL INFO AllReduce: 4096 Bytes -> Algo RING proto SIMPLE channel{Lo..Hi}={0..1}",
           "h:10:12 [1] NCCL INFO AllReduce: 4096 Bytes -> Algo RING proto SIMPLE channel{Lo..Hi}={0..1}",
           "h:20:21 [0] NCCL INFO AllReduce: 4096 Bytes -> Algo TREE proto LL channel{Lo..Hi}={0..0}",
           "h:10:11 [0] NCCL INFO AllReduce: 4096 Bytes -> Algo TREE proto LL channel{Lo..Hi}={0..0}",
           "h:10:12 [1] NCCL INFO AllReduce: 4096 Bytes -> Algo TREE proto LL channel{Lo..Hi}={0..0}",
           "h:10:11 [0] NCCL INFO AllReduce: 4096 Bytes -> Algo RING proto SIMPLE channel{Lo..Hi}={0..1}"}) {
    parser.addLine(line);
  }
  const NcclLogSummary log = std::move(parser).summary();
  ASSERT_EQ(log.algorithmCalls.size(), 3u);
  EXPECT_EQ(log.algorithmCalls[0].algorithm, "RING");
  EXPECT_EQ(log.algorithmCalls[1].algorithm, "TREE");
  EXPECT_EQ(log.algorithmCalls[2].algorithm, "RING");
  EXPECT_EQ(log.algorithms.size(), 2u);  // the distinct choices, every source's
}

TEST(NcclLogFixtures, SocketTwoNodes) {
  const auto log = fixture("nccl-logs/socket-2rank-2node.log");
  EXPECT_EQ(log.version(), "2.23.4");
  EXPECT_THAT(log.hosts, ElementsAre("node01", "node02"));
  ASSERT_EQ(log.connections.size(), 8u);
  EXPECT_EQ(log.transportCounts().at(TransportKind::kNetSocket), 8u);
  EXPECT_EQ(log.nics.size(), 2u);
  EXPECT_TRUE(log.warnings.empty());  // sockets were asked for: no fallback
  ASSERT_EQ(log.algorithms.size(), 2u);
  EXPECT_EQ(log.algorithms[0].collective, "AllReduce");
  EXPECT_EQ(log.algorithms[0].algorithm, "RING");  // "Algo 1 proto 2"
  EXPECT_EQ(log.algorithms[0].protocol, "SIMPLE");
  EXPECT_EQ(log.algorithms[0].count, 2u);
  EXPECT_EQ(log.algorithms[1].protocol, "LL");
  const auto peers = peerTransports(log);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].channels, 2u);  // send and receive lines of one channel count once
}

TEST(NcclLogFixtures, SrunPrefixes) {
  const auto log = fixture("nccl-logs/srun-4rank-2node-ib.log");
  EXPECT_EQ(log.version(), "2.12.12");
  EXPECT_EQ(log.skippedLines, 7u);
  EXPECT_THAT(log.hosts, ElementsAre("node01", "node02"));
  ASSERT_EQ(log.connections.size(), 12u);
  EXPECT_EQ(log.labelCounts().at("P2P/IPC"), 4u);
  EXPECT_EQ(log.labelCounts().at("NET/IB GDRDMA"), 8u);
  for (const NcclConnection& c : log.connections) {
    EXPECT_EQ(c.source.launcherRank, c.loggingRank()) << c.line;
  }
  EXPECT_EQ(log.connections[0].fromDevice, "1b000");
  EXPECT_EQ(log.nics.size(), 2u);  // mlx5_0 on each host
  EXPECT_EQ(log.rankCount(), 4);
}

TEST(NcclLogFixtures, FallbackToSockets) {
  const auto log = fixture("nccl-logs/ib-fell-back-to-socket-2node.log");
  EXPECT_EQ(log.version(), "2.19.3");
  EXPECT_EQ(log.transportCounts().at(TransportKind::kNetSocket), 8u);
  EXPECT_TRUE(hasWarning(log, NcclWarningKind::kFellBackToSockets));
  const auto ib = std::find_if(log.warnings.begin(), log.warnings.end(), [](const NcclWarning& w) {
    return w.kind == NcclWarningKind::kIbUnavailable;
  });
  ASSERT_NE(ib, log.warnings.end());
  EXPECT_EQ(ib->count, 2u);  // once per rank, collapsed
  EXPECT_THAT(log.oneLine(), HasSubstr("warnings: fell back to sockets"));
}

TEST(NcclLogFile, MissingFileIsUsageError) {
  try {
    parseNcclLogFile("/nonexistent/nccl.log");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/nccl.log"));
  }
  EXPECT_THROW(parseNcclLogFile(CCLBENCH_FIXTURES), Error);  // a directory
}

TEST(NcclLogFile, SeveralFilesIntoOneSummary) {  // one NCCL_DEBUG_FILE per rank
  NcclLogParser parser;
  parser.addFile(std::string(CCLBENCH_FIXTURES) + "/nccl-logs/shm-2rank-1node.log");
  parser.addFile(std::string(CCLBENCH_FIXTURES) + "/nccl-logs/socket-2rank-2node.log");
  const auto log = parser.summary();
  EXPECT_EQ(log.connections.size(), 12u);
  EXPECT_THAT(log.versions, ElementsAre("2.21.5+cuda12.4", "2.23.4+cuda12.6"));
  EXPECT_THAT(log.networks, ElementsAre("IB", "Socket"));
  EXPECT_THROW(parser.addFile("/nonexistent/rank1.log"), Error);
}

TEST(NcclLogFile, RepeatedConnectionLinesAreCountedNotKept) {
  // The same log twice (as a job that re-creates its communicators logs it): every connection
  // once, with a line count of 2; the counts are of lines; lines are kept for a few per host.
  const std::string file =
      std::string(CCLBENCH_REAL_OUTPUT) + "/nccl-info-allreduce-a100-16rank-efa-p2pipc-gdrdma-tagged.log";
  NcclLogParser parser;
  parser.addFile(file);
  parser.addFile(file);
  const auto once = parseNcclLogFile(file);
  const auto twice = std::move(parser).summary();
  ASSERT_EQ(twice.connections.size(), once.connections.size());
  EXPECT_EQ(once.connectionLines(), 320u);
  EXPECT_EQ(twice.connectionLines(), 640u);
  EXPECT_EQ(twice.labelCounts().at("P2P/IPC"), 512u);
  EXPECT_EQ(twice.transportCounts().at(TransportKind::kNetOther), 128u);
  EXPECT_THAT(twice.oneLine(), HasSubstr("640 connections"));
  EXPECT_EQ(toJson(twice)["connections"][0]["lines"], 2);
  std::map<std::pair<std::string, std::string>, std::size_t> kept;
  for (std::size_t i = 0; i < twice.connections.size(); ++i) {
    const NcclConnection& c = twice.connections[i];
    EXPECT_EQ(c.count, 2u);
    EXPECT_EQ(once.connections[i].count, 1u);
    if (!c.line.empty()) ++kept[{c.label(), c.source.host}];
  }
  // 2 hosts, labels P2P/IPC and NET/AWS Libfabric GDRDMA on each: the first lines of each pair.
  ASSERT_EQ(kept.size(), 4u);
  for (const auto& [key, n] : kept) EXPECT_EQ(n, kConnectionLinesKept) << key.first << " " << key.second;
}

TEST(NcclLogJson, CarriesSchemaCountsAndConnections) {
  const auto log = fixture("nccl-logs/srun-4rank-2node-ib.log");
  const auto j = toJson(log);
  EXPECT_EQ(j["schema"], kNcclLogSchemaName);
  EXPECT_EQ(j["schema_version"], kNcclLogSchemaVersion);
  EXPECT_EQ(j["version"], "2.12.12");
  EXPECT_EQ(j["transport_counts"]["P2P"], 4);
  EXPECT_EQ(j["transport_counts"]["NET_IB"], 8);
  EXPECT_EQ(j["transport_counts"]["SHM"], 0);
  EXPECT_EQ(j["connections"].size(), 12u);
  EXPECT_EQ(j["connections"][0]["kind"], "P2P");
  EXPECT_EQ(j["connections"][0]["conn_index"], nullptr);
  EXPECT_EQ(j["connections"][0]["launcher_rank"], 0);
  EXPECT_EQ(j["lines"]["skipped"], 7);
  EXPECT_EQ(j["nics"][0]["link_layer"], "IB");
  EXPECT_EQ(j["summary"], log.oneLine());
}

}  // namespace
}  // namespace cclbench
