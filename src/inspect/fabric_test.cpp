#include "inspect/fabric.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace cclbench {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

NcclLogSummary fixture(const std::string& file) {
  return parseNcclLogFile(std::string(CCLBENCH_FIXTURES) + "/" + file);
}
NcclLogSummary realLog(const std::string& file) {
  return parseNcclLogFile(std::string(CCLBENCH_REAL_OUTPUT) + "/" + file);
}
NcclLogSummary parseText(const std::string& text) {
  std::istringstream in(text);
  return parseNcclLog(in);
}

const std::string kFallback = "nccl-logs/ib-fell-back-to-socket-2node.log";
const std::string kSocket = "nccl-logs/socket-2rank-2node.log";
const std::string kShm = "nccl-logs/shm-2rank-1node.log";
const std::string kSrunIb = "nccl-logs/srun-4rank-2node-ib.log";
const std::string kNvlink = "nccl-logs/nvlink-p2p-4rank-1node.log";
const std::string kH100Roce = "nccl-info-sendrecv-h100-8rank-2node-p2p-ib-gdrdma.log";

std::vector<std::pair<std::string, std::string>> variables(Fabric fabric) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const FabricVariable& v : fabricEnvironment(fabric, {}).variables) {
    out.emplace_back(v.name, v.value);
  }
  return out;
}

TEST(Fabric, NamesParseBothWays) {
  for (Fabric f : allFabrics()) EXPECT_EQ(parseFabric(name(f)), f);
  EXPECT_EQ(parseFabric("IB"), Fabric::kIb);
  EXPECT_EQ(parseFabric("NVLink"), Fabric::kNvlink);
  EXPECT_FALSE(parseFabric("ethernet").has_value());
  EXPECT_FALSE(parseFabric("").has_value());
  EXPECT_EQ(fabricSpellings(), "nvlink (p2p), pcie, shm, ib, roce, tcp (socket), cuda_ipc");
}

TEST(Fabric, EnvironmentPerFabric) {
  EXPECT_THAT(variables(Fabric::kNvlink),
              ElementsAre(Pair("NCCL_P2P_LEVEL", "NVL"), Pair("NCCL_SHM_DISABLE", "1")));
  EXPECT_THAT(variables(Fabric::kPcie), ElementsAre(Pair("NCCL_SHM_DISABLE", "1")));
  EXPECT_THAT(variables(Fabric::kShm), ElementsAre(Pair("NCCL_P2P_DISABLE", "1")));
  EXPECT_THAT(variables(Fabric::kIb),
              ElementsAre(Pair("NCCL_NET", "IB"), Pair("NCCL_P2P_DISABLE", "1"),
                          Pair("NCCL_SHM_DISABLE", "1")));
  EXPECT_THAT(variables(Fabric::kRoce),
              ElementsAre(Pair("NCCL_NET", "IB"), Pair("NCCL_P2P_DISABLE", "1"),
                          Pair("NCCL_SHM_DISABLE", "1"), Pair("NCCL_IB_GID_INDEX", "3")));
  EXPECT_THAT(variables(Fabric::kTcp),
              ElementsAre(Pair("NCCL_NET", "Socket"), Pair("NCCL_P2P_DISABLE", "1"),
                          Pair("NCCL_SHM_DISABLE", "1"), Pair("NCCL_IB_DISABLE", "1")));
  const FabricEnvironment pcie = fabricEnvironment(Fabric::kPcie, {});
  EXPECT_TRUE(pcie.verifyOnly);
  EXPECT_THAT(pcie.note, HasSubstr("verify-only"));
  for (Fabric f : allFabrics()) {
    EXPECT_EQ(fabricEnvironment(f, {}).verifyOnly, f == Fabric::kPcie);
    EXPECT_FALSE(fabricEnvironment(f, {}).note.empty());
  }
}

TEST(Fabric, UserVariablesWinAndAreReported) {
  const Environment user = {
      {"NCCL_IB_GID_INDEX", "5"}, {"NCCL_P2P_DISABLE", "0"}, {"NCCL_DEBUG", "INFO"}};
  const FabricEnvironment roce = fabricEnvironment(Fabric::kRoce, user);
  EXPECT_THAT(roce.toSet(), ElementsAre(Pair("NCCL_NET", "IB"), Pair("NCCL_SHM_DISABLE", "1")));
  EXPECT_THAT(roce.keptFromUser(),
              ElementsAre(Pair("NCCL_IB_GID_INDEX", "5"), Pair("NCCL_P2P_DISABLE", "0")));
  const FabricVariable& gid = roce.variables.back();
  EXPECT_EQ(gid.name, "NCCL_IB_GID_INDEX");
  EXPECT_EQ(gid.fabricValue, "3");
  EXPECT_EQ(gid.value, "5");
  EXPECT_TRUE(gid.keptFromUser);
  const auto j = toJson(roce);
  EXPECT_EQ(j["fabric"], "roce");
  EXPECT_EQ(j["variables"][3]["kept_from_user"], true);
  EXPECT_EQ(j["variables"][3]["fabric_value"], "3");
  EXPECT_EQ(j["variables"][3]["value"], "5");
}

TEST(FabricVerify, IbAskedButFellBackToSockets) {
  const auto v = verifyFabric(Fabric::kIb, fixture(kFallback));
  EXPECT_FALSE(v.ok);
  EXPECT_FALSE(v.verificationIncomplete);
  EXPECT_EQ(v.used, "NET/Socket on 8 of 8 connections");
  EXPECT_EQ(v.detail,
            "8 of 8 network connections used NET/Socket instead of NET/IB over InfiniBand");
  EXPECT_THAT(v.evidence, SizeIs(5));
  EXPECT_THAT(v.evidence[0], HasSubstr("Using network Socket"));
  EXPECT_THAT(v.evidence, Contains(HasSubstr("NET/IB : No device found.")));
  EXPECT_THAT(v.evidence, Contains(HasSubstr("via NET/Socket/0")));
  EXPECT_EQ(v.message(),
            "fabric mismatch: asked ib, NCCL used NET/Socket on 8 of 8 connections (8 of 8 "
            "network connections used NET/Socket instead of NET/IB over InfiniBand)");
  const auto j = toJson(v);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["fabric"], "ib");
  EXPECT_EQ(j["evidence"].size(), 5u);
}

TEST(FabricVerify, SocketMatches) {
  for (const std::string& file : {kSocket, kFallback}) {
    const auto v = verifyFabric(Fabric::kTcp, fixture(file));
    EXPECT_TRUE(v.ok) << file << ": " << v.message();
    EXPECT_FALSE(v.verificationIncomplete);
    EXPECT_EQ(v.used, "NET/Socket on 8 of 8 connections");
    EXPECT_THAT(v.evidence, AllOf(SizeIs(::testing::Le(kMaxEvidenceLines)),
                                  Contains(HasSubstr("Using network Socket"))));
  }
  EXPECT_EQ(verifyFabric(Fabric::kTcp, fixture(kSocket)).message(),
            "fabric tcp verified: NCCL used NET/Socket on 8 of 8 connections");
}

TEST(FabricVerify, IbAndRoceFromLinkLayer) {
  const auto srun = fixture(kSrunIb);
  const auto ib = verifyFabric(Fabric::kIb, srun);
  EXPECT_TRUE(ib.ok) << ib.message();
  EXPECT_EQ(ib.used, "NET/IB over InfiniBand GDRDMA on 8 of 12 connections, P2P/IPC on 4");
  EXPECT_FALSE(verifyFabric(Fabric::kRoce, srun).ok);

  const auto h100 = realLog(kH100Roce);
  const auto roce = verifyFabric(Fabric::kRoce, h100);
  EXPECT_TRUE(roce.ok) << roce.message();
  EXPECT_FALSE(roce.verificationIncomplete);
  const auto notIb = verifyFabric(Fabric::kIb, h100);
  EXPECT_FALSE(notIb.ok);
  EXPECT_EQ(notIb.detail,
            "4 of 4 network connections used NET/IB over RoCE GDRDMA instead of NET/IB over "
            "InfiniBand");
  EXPECT_THAT(notIb.evidence, Contains(HasSubstr("mlx5_5:1/RoCE")));
}

TEST(FabricVerify, IbWithoutNicLinesIsIncomplete) {
  const auto v = verifyFabric(
      Fabric::kIb,
      parseText("n1:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/IB/0/GDRDMA\n"));
  EXPECT_TRUE(v.ok);
  EXPECT_TRUE(v.verificationIncomplete);
  EXPECT_THAT(v.incompleteReason, HasSubstr("link layer"));
}

TEST(FabricVerify, NetworkAskedButNothingWentThroughIt) {
  const auto shm = verifyFabric(Fabric::kIb, fixture(kShm));
  EXPECT_FALSE(shm.ok);
  EXPECT_EQ(shm.detail, "no connection went through the network");
  const auto efa = verifyFabric(
      Fabric::kIb, realLog("nccl-info-allreduce-a100-16rank-efa-p2pipc-gdrdma-tagged.log"));
  EXPECT_FALSE(efa.ok);
  EXPECT_EQ(efa.detail,
            "64 of 64 network connections used NET/AWS Libfabric GDRDMA instead of NET/IB over "
            "InfiniBand");
}

TEST(FabricVerify, Shm) {
  const auto ok = verifyFabric(Fabric::kShm, fixture(kShm));
  EXPECT_TRUE(ok.ok) << ok.message();
  EXPECT_EQ(ok.used, "SHM on 4 of 4 connections");
  EXPECT_THAT(ok.evidence, SizeIs(4));
  const auto p2p = verifyFabric(Fabric::kShm, fixture(kNvlink));
  EXPECT_FALSE(p2p.ok);
  EXPECT_EQ(p2p.detail, "8 of 8 same-host connections used P2P/CUMEM instead of SHM");
  // Cross-host network connections are not same-host ones: only the 4 P2P lines count.
  EXPECT_EQ(verifyFabric(Fabric::kShm, fixture(kSrunIb)).detail,
            "4 of 4 same-host connections used P2P/IPC instead of SHM");
  const auto remote = verifyFabric(Fabric::kShm, fixture(kSocket));
  EXPECT_TRUE(remote.ok);
  EXPECT_TRUE(remote.verificationIncomplete);
}

TEST(FabricVerify, NvlinkAndPcieFromGraphLines) {
  const auto nvlinkLog = fixture(kNvlink);
  const auto nvlink = verifyFabric(Fabric::kNvlink, nvlinkLog);
  EXPECT_TRUE(nvlink.ok) << nvlink.message();
  EXPECT_FALSE(nvlink.verificationIncomplete);
  EXPECT_EQ(nvlink.used, "P2P/CUMEM on 8 of 8 connections (GRAPH path type NVL)");
  EXPECT_THAT(nvlink.evidence[0], HasSubstr("type NVL/PIX"));
  const auto pcie = verifyFabric(Fabric::kPcie, nvlinkLog);
  EXPECT_FALSE(pcie.ok);
  EXPECT_EQ(pcie.detail, "the GRAPH lines show P2P over NVLink (path type NVL)");

  const auto pcieLog = parseText(
      "n1:1:2 [0] NCCL INFO Pattern 4, crossNic 0, nChannels 2, bw 24.000000/24.000000, type "
      "PHB/PIX, sameChannels 1\n"
      "n1:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC\n"
      "n1:1:3 [1] NCCL INFO Channel 00/0 : 1[1] -> 0[0] via P2P/IPC\n");
  EXPECT_TRUE(verifyFabric(Fabric::kPcie, pcieLog).ok);
  const auto overPcie = verifyFabric(Fabric::kNvlink, pcieLog);
  EXPECT_FALSE(overPcie.ok);
  EXPECT_EQ(overPcie.detail, "the GRAPH lines show P2P over PCIe (path type PHB)");
  EXPECT_THAT(overPcie.evidence[0], HasSubstr("type PHB/PIX"));

  // The H100 log has no GRAPH lines: P2P is confirmed, NVLink vs PCIe is not.
  const auto h100 = verifyFabric(Fabric::kNvlink, realLog(kH100Roce));
  EXPECT_TRUE(h100.ok) << h100.message();
  EXPECT_TRUE(h100.verificationIncomplete);
  EXPECT_THAT(h100.incompleteReason, HasSubstr("GRAPH"));
}

TEST(FabricVerify, NoConnectionLines) {
  const auto h200 = fixture("h200-1gpu/nccl-info-allreduce-sendrecv-1rank-socket.log");
  const auto socket = verifyFabric(Fabric::kTcp, h200);
  EXPECT_TRUE(socket.ok);
  EXPECT_TRUE(socket.verificationIncomplete);
  EXPECT_THAT(socket.incompleteReason, HasSubstr("no connection lines"));
  EXPECT_EQ(socket.used, "network Socket (no connection lines)");
  const auto ib = verifyFabric(Fabric::kIb, h200);
  EXPECT_FALSE(ib.ok);
  EXPECT_EQ(ib.detail, "NCCL chose network Socket, not IB");
  EXPECT_THAT(ib.evidence, Contains(HasSubstr("Using network Socket")));
  EXPECT_THAT(ib.evidence, Contains(HasSubstr("Failed to initialize NET plugin IB")));
  EXPECT_THAT(ib.message(), HasSubstr("asked ib, NCCL used network Socket"));

  const auto tuning =
      verifyFabric(Fabric::kIb, realLog("nccl-info-tuning-rtx5090-2rank-socket.log"));
  EXPECT_TRUE(tuning.ok);
  EXPECT_TRUE(tuning.verificationIncomplete);
  EXPECT_THAT(tuning.evidence, IsEmpty());
  EXPECT_THAT(tuning.message(), HasSubstr("not fully verified"));
}

}  // namespace
}  // namespace cclbench
