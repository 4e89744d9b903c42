#include "inspect/topology.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cclbench {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTopology = std::string(CCLBENCH_FIXTURES) + "/topology";
const std::string kH200 = std::string(CCLBENCH_FIXTURES) + "/h200-1gpu";

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A fixture host: its sysfs tree and canned nvidia-smi outputs, no NVML.
HostTopology probeFixture(const std::string& host, const NvmlSource* nvml = nullptr) {
  const SystemSource system(kTopology + "/" + host + "/root");
  const CannedCommandRunner commands(kTopology + "/" + host);
  return probeHost({system, commands, nvml});
}

const NicInfo* findNic(const HostTopology& host, const std::string& name) {
  for (const NicInfo& nic : host.nics) {
    if (nic.name == name) return &nic;
  }
  return nullptr;
}

TEST(TopologyParse, H200NvidiaSmiQ) {
  std::string driver, cuda;
  const auto gpus = parseNvidiaSmiQ(readText(kH200 + "/nvidia-smi-q.txt"), &driver, &cuda);
  EXPECT_EQ(driver, "580.159.04");
  EXPECT_EQ(cuda, "13.0");
  ASSERT_EQ(gpus.size(), 1u);
  const GpuInfo& g = gpus[0];
  EXPECT_EQ(g.model, "NVIDIA H200");
  EXPECT_EQ(g.computeCapability, "");  // -q does not report it
  EXPECT_EQ(g.pciBusId, "00000000:00:06.0");
  EXPECT_EQ(g.pcieGen, 5);
  EXPECT_EQ(g.pcieGenMax, 5);
  EXPECT_EQ(g.pcieWidth, 16);
  EXPECT_EQ(g.pcieWidthMax, 16);
  EXPECT_EQ(g.smClockMhz, 345);
  EXPECT_EQ(g.smClockMaxMhz, 1980);
  EXPECT_EQ(g.memClockMhz, 3201);
  EXPECT_THAT(g.throttleReasons, ElementsAre("GpuIdle"));
  EXPECT_EQ(g.eccCorrected, 0u);
  EXPECT_EQ(g.eccUncorrected, 0u);
  EXPECT_EQ(g.memoryTotalBytes, 143771ull << 20);
}

TEST(TopologyParse, H200ThroughTheCannedRunner) {
  // No CSV query output in that folder: the probe falls back to nvidia-smi -q.
  const SystemSource system(kTopology + "/plain-host/root");
  const CannedCommandRunner commands(kH200);
  const HostTopology host = probeHost({system, commands, nullptr});
  EXPECT_EQ(host.gpuSource, "nvidia-smi -q");
  ASSERT_EQ(host.gpus.size(), 1u);
  EXPECT_EQ(host.gpus[0].model, "NVIDIA H200");
  EXPECT_EQ(host.software.at("driver"), "580.159.04");
  EXPECT_EQ(host.software.at("cudaDriver"), "13.0");
  EXPECT_THAT(healthNotes(host), Contains(HasSubstr("compute capability unknown")));
}

TEST(TopologyParse, H200CapturedCsvAgreesWithItsNvidiaSmiQ) {
  // Captured on the same H200 VM as nvidia-smi-q.txt; see tests/fixtures/topology/README.md.
  const SystemSource system(kTopology + "/plain-host/root");
  const CannedCommandRunner commands(kTopology + "/h200-vm");
  const HostTopology host = probeHost({system, commands, nullptr});
  EXPECT_EQ(host.gpuSource, "nvidia-smi");
  ASSERT_EQ(host.gpus.size(), 1u);
  const GpuInfo& csv = host.gpus[0];
  EXPECT_EQ(csv.computeCapability, "9.0");
  EXPECT_EQ(csv.nvlinkLinks, 0);
  EXPECT_THAT(csv.throttleReasons, ElementsAre("GpuIdle"));
  const GpuInfo q = parseNvidiaSmiQ(readText(kH200 + "/nvidia-smi-q.txt"), nullptr, nullptr).at(0);
  EXPECT_EQ(csv.model, q.model);
  EXPECT_EQ(csv.pciBusId, q.pciBusId);
  EXPECT_EQ(csv.pcieGenMax, q.pcieGenMax);
  EXPECT_EQ(csv.pcieWidthMax, q.pcieWidthMax);
  EXPECT_EQ(csv.smClockMaxMhz, q.smClockMaxMhz);
  EXPECT_EQ(csv.memoryTotalBytes, q.memoryTotalBytes);
  EXPECT_EQ(host.software.at("driver"), "580.159.04");
}

TEST(TopologyParse, H200Lscpu) {
  const CpuInfo cpu = parseLscpu(readText(kH200 + "/lscpu.txt"));
  EXPECT_EQ(cpu.model, "Intel(R) Xeon(R) Processor");
  EXPECT_EQ(cpu.sockets, 1);
  EXPECT_EQ(cpu.logicalCpus, 16);
}

TEST(TopologyParse, CpuinfoX86AndArm) {
  const CpuInfo x86 = parseCpuinfo(
      "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nphysical id\t: 0\n\n"
      "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nphysical id\t: 1\n");
  EXPECT_EQ(x86.model, "Intel(R) Xeon(R) Platinum 8480+");
  EXPECT_EQ(x86.sockets, 2);
  EXPECT_EQ(x86.logicalCpus, 2);
  const CpuInfo arm = parseCpuinfo(
      "processor\t: 0\nBogoMIPS\t: 2000.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n");
  EXPECT_EQ(arm.model, "Arm implementer 0x41 part 0xd4f");
  EXPECT_EQ(arm.sockets, 0);  // the probe then counts sysfs packages or asks lscpu
}

TEST(TopologyParse, RatesNvlinkAndReasons) {
  EXPECT_DOUBLE_EQ(parseRateGbps("400 Gb/sec (4X NDR)"), 400);
  EXPECT_DOUBLE_EQ(parseRateGbps("2.5 Gb/sec (1X SDR)"), 2.5);
  EXPECT_DOUBLE_EQ(parseRateGbps("invalid"), -1);
  const auto links = parseNvlinkStatus(
      "GPU 0: NVIDIA H100 (UUID: GPU-a)\n\t Link 0: 26.562 GB/s\n\t Link 1: <inactive>\n"
      "GPU 1: NVIDIA H100 (UUID: GPU-b)\n");
  EXPECT_EQ(links.at(0), std::make_pair(2, 1));
  EXPECT_EQ(links.at(1), std::make_pair(0, 0));
  EXPECT_THAT(throttleReasonNames(0x1 | 0x4 | 0x40),
              ElementsAre("GpuIdle", "SwPowerCap", "HwThermalSlowdown"));
}

TEST(TopologyParse, CsvWithUnsupportedFields) {
  std::string driver;
  const auto gpus = parseNvidiaSmiCsv(
      "0, Tesla T4, 7.5, 00000000:00:1E.0, 535.1, 3, 3, 16, 16, 300, 1590, 405, 0x1, "
      "[N/A], [N/A], 15360\n",
      &driver);
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].computeCapability, "7.5");
  EXPECT_FALSE(gpus[0].eccCorrected.has_value());
  EXPECT_EQ(driver, "535.1");
}

TEST(TopologyProbe, InfiniBandHost) {
  const HostTopology host = probeFixture("ib-host");
  EXPECT_EQ(host.hostname, "gpu-ib-01");
  EXPECT_EQ(host.cpu.model, "Intel(R) Xeon(R) Platinum 8480+");
  EXPECT_EQ(host.cpu.sockets, 2);
  EXPECT_EQ(host.gpuSource, "nvidia-smi");
  ASSERT_EQ(host.gpus.size(), 8u);
  EXPECT_EQ(host.gpus[7].model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(host.gpus[7].computeCapability, "9.0");
  EXPECT_EQ(host.gpus[7].nvlinkLinks, 18);
  EXPECT_EQ(host.gpus[7].nvlinkActive, 18);
  EXPECT_TRUE(host.nvswitch);
  EXPECT_EQ(host.nvswitchPciDevices, 4);
  EXPECT_EQ(host.software.at("driver"), "550.54.15");
  EXPECT_EQ(host.software.at("kernel"), "5.15.0-105-generic");
  // ib0/ib1 belong to the HCAs; lo and docker0 are virtual.
  ASSERT_EQ(host.nics.size(), 3u);
  const NicInfo* hca = findNic(host, "mlx5_1");
  ASSERT_NE(hca, nullptr);
  EXPECT_TRUE(hca->rdma);
  EXPECT_EQ(hca->model, "ConnectX-7");
  EXPECT_EQ(hca->pciId, "15b3:1021");
  EXPECT_DOUBLE_EQ(hca->ratedGbps, 400);
  EXPECT_THAT(hca->netdevs, ElementsAre("ib1"));
  EXPECT_EQ(hca->pciAddress, "0000:3c:00.0");
  EXPECT_EQ(hca->firmware, "28.39.1002");
  ASSERT_EQ(hca->ports.size(), 1u);
  EXPECT_EQ(hca->ports[0].linkLayer, "InfiniBand");
  EXPECT_EQ(hca->ports[0].state, "ACTIVE");
  EXPECT_DOUBLE_EQ(hca->ports[0].rateGbps, 200);
  EXPECT_EQ(hca->ports[0].gids, 1);
  const NicInfo* eno1 = findNic(host, "eno1");
  ASSERT_NE(eno1, nullptr);
  EXPECT_FALSE(eno1->rdma);
  EXPECT_EQ(eno1->model, "14e4:16d7");
  EXPECT_DOUBLE_EQ(eno1->ports[0].rateGbps, 25);
  const auto notes = healthNotes(host);
  EXPECT_THAT(notes, ElementsAre("mlx5_1 port 1: rate 200 Gb/s, rated 400 Gb/s: downtrained (or "
                                 "a lower-speed ConnectX-7 model)"));
}

TEST(TopologyProbe, RoceHost) {
  const HostTopology host = probeFixture("roce-host");
  ASSERT_EQ(host.nics.size(), 2u);  // the netdevs ens1f0np0/ens1f1np1 are the HCAs' own
  const NicInfo* up = findNic(host, "mlx5_0");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->model, "ConnectX-6 Dx");
  EXPECT_EQ(up->ports[0].linkLayer, "RoCE");
  EXPECT_EQ(up->ports[0].gids, 4);
  EXPECT_EQ(up->ports[0].roceV2Gids, 2);
  EXPECT_THAT(up->netdevs, ElementsAre("ens1f0np0"));
  EXPECT_FALSE(host.nvswitch);
  const auto notes = healthNotes(host);
  EXPECT_THAT(notes, Contains("mlx5_1 port 1: state DOWN (Disabled)"));
  EXPECT_THAT(notes, Contains("GPU2: 11 of 12 NVLinks active"));
  EXPECT_THAT(notes, Contains("GPU3 PCIe: x8, capable of x16: downtrained"));
  EXPECT_THAT(notes, Contains("GPU0 clocks held back: SwPowerCap"));
  // A 100 GbE ConnectX-6 Dx: the family tops out at 200, so the note cannot be sure.
  EXPECT_THAT(notes, Contains("mlx5_0 port 1: rate 100 Gb/s, rated 200 Gb/s: downtrained (or a "
                              "lower-speed ConnectX-6 Dx model)"));
  EXPECT_THAT(notes, Not(Contains(HasSubstr("RoCE v2"))));
}

TEST(TopologyProbe, HostWithoutGpuOrRdma) {
  const HostTopology host = probeFixture("plain-host");
  EXPECT_EQ(host.hostname, "plain-vm");
  EXPECT_TRUE(host.gpus.empty());
  EXPECT_EQ(host.gpuSource, "none");
  ASSERT_EQ(host.nics.size(), 1u);  // eth0; ifb0 and lo are virtual
  EXPECT_EQ(host.nics[0].name, "eth0");
  EXPECT_EQ(host.nics[0].model, "virtio-net");
  EXPECT_FALSE(host.nics[0].rdma);
  EXPECT_LT(host.nics[0].ports[0].rateGbps, 0);
  const auto notes = healthNotes(host);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_THAT(notes[0], HasSubstr("no GPU"));
  EXPECT_THAT(notes[1], HasSubstr("no RDMA NIC"));
}

/// NVML with canned records, as the dlopen source would fill them.
class CannedNvml : public NvmlSource {
 public:
  explicit CannedNvml(std::optional<NvmlReport> report) : report_(std::move(report)) {}
  std::optional<NvmlReport> query(std::string* why) const override {
    if (!report_ && why) *why = "no NVML library (canned)";
    return report_;
  }

 private:
  std::optional<NvmlReport> report_;
};

NvmlDeviceRecord h100Record(int index) {
  NvmlDeviceRecord r;
  r.name = "NVIDIA H100 80GB HBM3";
  r.ccMajor = 9;
  r.ccMinor = 0;
  r.pciBusId = "00000000:" + std::to_string(10 + index) + ":00.0";
  r.nvlinkStates.assign(18, 1);
  r.nvlinkStates.resize(36, -1);  // links 18..35 do not exist
  r.nvlinkToSwitch = true;
  r.pcieGen = r.pcieGenMax = 5;
  r.pcieWidth = r.pcieWidthMax = 16;
  r.throttleReasons = 0x1;
  return r;
}

TEST(TopologyProbe, NvmlRecordsGiveTheSameHashAsNvidiaSmi) {
  NvmlReport report{"550.54.15", "12.4", {}};
  for (int i = 0; i < 8; ++i) report.devices.push_back(h100Record(i));
  const CannedNvml nvml(report);
  const HostTopology viaNvml = probeFixture("ib-host", &nvml);
  EXPECT_EQ(viaNvml.gpuSource, "nvml");
  ASSERT_EQ(viaNvml.gpus.size(), 8u);
  EXPECT_EQ(viaNvml.gpus[0].computeCapability, "9.0");
  EXPECT_EQ(viaNvml.gpus[0].nvlinkLinks, 18);
  EXPECT_THAT(viaNvml.gpus[0].throttleReasons, ElementsAre("GpuIdle"));
  EXPECT_EQ(viaNvml.software.at("cudaDriver"), "12.4");
  EXPECT_EQ(hostHash(viaNvml), hostHash(probeFixture("ib-host")));
}

TEST(TopologyProbe, MissingNvmlFallsBackToNvidiaSmiThenToNothing) {
  const CannedNvml absent(std::nullopt);
  EXPECT_EQ(probeFixture("ib-host", &absent).gpuSource, "nvidia-smi");
  const HostTopology none = probeFixture("plain-host", &absent);
  EXPECT_EQ(none.gpuSource, "none");
  EXPECT_THAT(none.gpuAbsentReason, HasSubstr("no NVML library"));
  EXPECT_THAT(none.gpuAbsentReason, HasSubstr("nvidia-smi"));
}

}  // namespace
}  // namespace cclbench
