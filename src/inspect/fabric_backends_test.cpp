#include "inspect/fabric_backends.hpp"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cclbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(CCLBENCH_FIXTURES) + "/ucx/" + name);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), {}};
}

/// An InfiniBand host's endpoint in the format newer UCX prints (segment sizes, remote addr[]).
const char* kIbEndpoint =
    "#  lane[0]:  0:rc_mlx5/mlx5_0:1.0 md[0]   -> addr[0].md[0]/ib/sysdev[1] seg 8256 am am_bw#0\n"
    "#  lane[1]:  4:rc_mlx5/mlx5_2:1.0 md[2]   -> addr[4].md[2]/ib/sysdev[3] seg 8256 rma_bw#0\n"
    "#  lane[2]:  6:ud_mlx5/mlx5_0:1.0 md[0]   -> addr[6].md[0]/ib/sysdev[1] seg 4096 wireup\n";

TEST(UcxEndpointInfo, ParsesTheLanesOfRealReports) {
  // Real ucp_ep_print_info output of UCX 1.13.1, two processes on this kind of host.
  const auto shm = parseUcxEndpointInfo(fixture("ep-info-shm-2proc.txt"));
  ASSERT_EQ(shm.size(), 2u);
  EXPECT_EQ(shm[0].transport, "sysv");
  EXPECT_EQ(shm[0].device, "memory");
  EXPECT_THAT(shm[0].purposes, ElementsAre("am", "am_bw#0"));
  EXPECT_EQ(shm[1].transport, "cma");
  EXPECT_THAT(shm[1].purposes, ElementsAre("rma_bw#0"));
  const auto tcp = parseUcxEndpointInfo(fixture("ep-info-tcp-2proc.txt"));
  ASSERT_EQ(tcp.size(), 2u);
  EXPECT_EQ(tcp[1].device, "eth0");
  EXPECT_THAT(tcp[1].purposes, ElementsAre("rma_bw#1", "wireup"));
  EXPECT_TRUE(tcp[1].carriesData());
  const auto ib = parseUcxEndpointInfo(kIbEndpoint);
  ASSERT_EQ(ib.size(), 3u);
  EXPECT_EQ(ib[1].transport, "rc_mlx5");
  EXPECT_EQ(ib[1].device, "mlx5_2:1");
  EXPECT_THAT(ib[0].purposes, ElementsAre("am", "am_bw#0"));
  EXPECT_FALSE(ib[2].carriesData());  // wire-up alone moves no data
  EXPECT_EQ(describeLanes(ib), "rc_mlx5/mlx5_0:1, rc_mlx5/mlx5_2:1");
  EXPECT_TRUE(parseUcxEndpointInfo("# UCP endpoint\n# lane[x]: nonsense\n").empty());
}

TEST(UcxEndpointInfo, VerifiesTheAskedFabricFromEveryDataLane) {
  const std::vector<UcxEndpointReport> shm = {{1, parseUcxEndpointInfo(fixture("ep-info-shm-2proc.txt"))}};
  const std::vector<UcxEndpointReport> tcp = {{1, parseUcxEndpointInfo(fixture("ep-info-tcp-2proc.txt"))}};
  EXPECT_TRUE(verifyUcxEndpoints(Fabric::kShm, shm, {}).ok);
  EXPECT_TRUE(verifyUcxEndpoints(Fabric::kTcp, tcp, {}).ok);
  const FabricVerification wrong = verifyUcxEndpoints(Fabric::kShm, tcp, {});
  EXPECT_FALSE(wrong.ok);
  EXPECT_THAT(wrong.message(), HasSubstr("asked shm, UCX used tcp/eth0, tcp/lo on 1 endpoint"));
  EXPECT_THAT(wrong.detail, HasSubstr("peer 1: lane 0 uses tcp/lo, not shm"));
  EXPECT_THAT(wrong.evidence.at(0), HasSubstr("lane[0]:  1:tcp/lo.0"));
  // A GPU path needs a cuda_ipc lane; control lanes over shared memory are expected.
  const FabricVerification gpu = verifyUcxEndpoints(Fabric::kCudaIpc, shm, {});
  EXPECT_FALSE(gpu.ok);
  EXPECT_THAT(gpu.detail, HasSubstr("no lane uses cuda_ipc"));
  // With a cuda_ipc lane, bulk data (rma_bw) elsewhere is still a mismatch; control lanes are not.
  const char* mixed =
      "#  lane[0]:  3:sysv/memory.0 md[2]  -> md[2]/sysv/sysdev[255] am am_bw#0\n"
      "#  lane[1]:  5:cma/memory.0 md[4]   -> md[4]/cma/sysdev[255] rma_bw#0\n"
      "#  lane[2]:  7:cuda_ipc/cuda.0 md[5] -> md[5]/cuda_ipc/sysdev[0] rma_bw#1\n";
  const FabricVerification host = verifyUcxEndpoints(Fabric::kCudaIpc, {{1, parseUcxEndpointInfo(mixed)}}, {});
  EXPECT_FALSE(host.ok);
  EXPECT_THAT(host.detail, HasSubstr("lane 1 moves bulk data over cma/memory, not cuda_ipc"));
  const char* device =
      "#  lane[0]:  3:sysv/memory.0 md[2]  -> md[2]/sysv/sysdev[255] am am_bw#0\n"
      "#  lane[1]:  7:cuda_ipc/cuda.0 md[5] -> md[5]/cuda_ipc/sysdev[0] rma_bw#0\n";
  EXPECT_TRUE(verifyUcxEndpoints(Fabric::kNvlink, {{1, parseUcxEndpointInfo(device)}}, {}).ok);
  EXPECT_FALSE(verifyUcxEndpoints(Fabric::kShm, {}, {}).ok);
  EXPECT_FALSE(verifyUcxEndpoints(Fabric::kShm, {{2, {}}}, {}).ok);
}

TEST(UcxEndpointInfo, TellsInfiniBandFromRoceByTheLinkLayer) {
  const std::vector<UcxEndpointReport> ib = {{3, parseUcxEndpointInfo(kIbEndpoint)}};
  auto layer = [](const std::string& l) { return [l](const std::string&) { return l; }; };
  EXPECT_TRUE(verifyUcxEndpoints(Fabric::kIb, ib, layer("InfiniBand")).ok);
  EXPECT_FALSE(verifyUcxEndpoints(Fabric::kRoce, ib, layer("InfiniBand")).ok);
  EXPECT_TRUE(verifyUcxEndpoints(Fabric::kRoce, ib, layer("Ethernet")).ok);
  const FabricVerification unknown = verifyUcxEndpoints(Fabric::kIb, ib, layer(""));
  EXPECT_TRUE(unknown.ok);
  EXPECT_TRUE(unknown.verificationIncomplete);
  EXPECT_FALSE(verifyUcxEndpoints(Fabric::kTcp, ib, layer("InfiniBand")).ok);
}

TEST(FabricOnHost, ReadsTheRdmaPortsLinkLayers) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("cclbench-sysfs-" + std::to_string(getpid()));
  fs::remove_all(root);
  EXPECT_THAT(fabricMissingOnHost(Fabric::kIb, root.string()), HasSubstr("lists none"));
  EXPECT_EQ(fabricMissingOnHost(Fabric::kShm, root.string()), "");
  EXPECT_EQ(fabricMissingOnHost(Fabric::kTcp, root.string()), "");
  fs::create_directories(root / "class/infiniband/mlx5_0/ports/1");
  std::ofstream(root / "class/infiniband/mlx5_0/ports/1/link_layer") << "Ethernet\n";
  EXPECT_EQ(rdmaLinkLayer("mlx5_0:1", root.string()), "Ethernet");
  EXPECT_EQ(rdmaLinkLayer("mlx5_0", root.string()), "Ethernet");
  EXPECT_EQ(rdmaLinkLayer("../x:1", root.string()), "");
  EXPECT_EQ(fabricMissingOnHost(Fabric::kRoce, root.string()), "");
  EXPECT_THAT(fabricMissingOnHost(Fabric::kIb, root.string()),
              HasSubstr("no RDMA port with link layer InfiniBand (mlx5_0:1 is Ethernet)"));
  fs::remove_all(root);
}

TEST(FabricTables, OneVocabularyEachBackendsSettings) {
  EXPECT_EQ(parseFabric("socket"), Fabric::kTcp);
  EXPECT_EQ(parseFabric("TCP"), Fabric::kTcp);
  EXPECT_EQ(parseFabric("p2p"), Fabric::kNvlink);
  EXPECT_EQ(parseFabric("cuda_ipc"), Fabric::kCudaIpc);
  EXPECT_FALSE(parseFabric("wifi"));
  EXPECT_EQ(ucxFabric(Fabric::kShm)->tls, "shm,self");
  EXPECT_EQ(ucxFabric(Fabric::kTcp)->tls, "tcp,self");
  EXPECT_EQ(ucxFabric(Fabric::kIb)->tls, ucxFabric(Fabric::kRoce)->tls);
  std::string why;
  EXPECT_FALSE(ucxFabric(Fabric::kPcie, &why));
  EXPECT_THAT(why, HasSubstr("cuda_ipc"));
  EXPECT_THAT(mpiFabric(Fabric::kShm)->variables,
              ElementsAre(std::pair<std::string, std::string>{"OMPI_MCA_pml", "ob1"},
                          std::pair<std::string, std::string>{"OMPI_MCA_btl", "self,vader"}));
  EXPECT_EQ(mpiFabric(Fabric::kTcp)->variables.at(1).second, "self,tcp");
  EXPECT_EQ(mpiFabric(Fabric::kIb)->variables.at(0).second, "ucx");
  EXPECT_FALSE(mpiFabric(Fabric::kNvlink, &why));
  EXPECT_THAT(why, HasSubstr("GPU path"));
  EXPECT_THAT(ncclFabricUnsupported(Fabric::kCudaIpc), HasSubstr("nvlink or pcie"));
  EXPECT_EQ(ncclFabricUnsupported(Fabric::kShm), "");
}

}  // namespace
}  // namespace cclbench
