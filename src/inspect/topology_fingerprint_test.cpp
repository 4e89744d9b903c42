#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "inspect/topology.hpp"

namespace cclbench {
namespace {

const std::string kTopology = std::string(CCLBENCH_FIXTURES) + "/topology";

HostTopology probeFixture(const std::string& host) {
  const SystemSource system(kTopology + "/" + host + "/root");
  const CannedCommandRunner commands(kTopology + "/" + host);
  return probeHost({system, commands, nullptr});
}

HostTopology changed(const HostTopology& base, const std::function<void(HostTopology&)>& edit) {
  HostTopology copy = base;
  edit(copy);
  return copy;
}

class Fingerprint : public ::testing::Test {
 protected:
  const HostTopology ib_ = probeFixture("ib-host");
};

TEST_F(Fingerprint, IgnoresNamesVersionsAndObservedState) {
  const uint64_t base = hostHash(ib_);
  const std::vector<std::function<void(HostTopology&)>> healthOnly = {
      [](HostTopology& h) { h.hostname = "gpu-ib-02"; },
      [](HostTopology& h) { h.software["driver"] = "580.159.04"; },
      [](HostTopology& h) { h.software["nccl"] = "2.28.9"; },
      [](HostTopology& h) { h.software["cudaDriver"] = "13.0"; },
      [](HostTopology& h) { h.nics[0].ports[0].rateGbps = 100; },
      [](HostTopology& h) { h.nics[0].ports[0].rateText = "100 Gb/sec (1X NDR)"; },
      [](HostTopology& h) { h.nics[0].ports[0].state = "DOWN"; },
      [](HostTopology& h) { h.nics[0].ports[0].gids = 0; },
      [](HostTopology& h) { h.nics[0].pcieWidth = 8; },
      [](HostTopology& h) { h.nics[0].firmware = "28.40.1000"; },
      [](HostTopology& h) { h.nics[0].name = "mlx5_4"; },
      [](HostTopology& h) { h.gpus[3].pcieWidth = 8; },
      [](HostTopology& h) { h.gpus[3].pcieGen = 1; },
      [](HostTopology& h) { h.gpus[3].nvlinkActive = 17; },
      [](HostTopology& h) { h.gpus[3].smClockMhz = 345; },
      [](HostTopology& h) { h.gpus[3].throttleReasons = {"HwSlowdown"}; },
      [](HostTopology& h) { h.gpus[3].eccUncorrected = 2; },
      [](HostTopology& h) { h.gpus[3].pciBusId = "00000000:99:00.0"; },
      [](HostTopology& h) { std::swap(h.gpus[0], h.gpus[7]); },
      [](HostTopology& h) { std::swap(h.nics[0], h.nics[2]); },
      [](HostTopology& h) { h.gpuSource = "nvml"; },
  };
  for (std::size_t i = 0; i < healthOnly.size(); ++i) {
    EXPECT_EQ(hostHash(changed(ib_, healthOnly[i])), base) << "edit " << i;
  }
}

TEST_F(Fingerprint, ChangesWithTheHardware) {
  const uint64_t base = hostHash(ib_);
  const std::vector<std::function<void(HostTopology&)>> hardware = {
      [](HostTopology& h) { h.gpus.pop_back(); },
      [](HostTopology& h) { h.gpus[0].model = "NVIDIA H200"; },
      [](HostTopology& h) { h.gpus[0].computeCapability = "9.1"; },
      [](HostTopology& h) { h.gpus[0].nvlinkLinks = 12; },
      [](HostTopology& h) { h.nvswitch = false; },
      [](HostTopology& h) { h.nics[0].ports[0].linkLayer = "RoCE"; },
      [](HostTopology& h) { h.nics[0].ratedGbps = 200; },
      [](HostTopology& h) { h.nics[0].model = "ConnectX-6"; },
      [](HostTopology& h) { h.nics.pop_back(); },
      [](HostTopology& h) { h.cpu.sockets = 1; },
      [](HostTopology& h) { h.cpu.model = "AMD EPYC 9654 96-Core Processor"; },
  };
  for (std::size_t i = 0; i < hardware.size(); ++i) {
    EXPECT_NE(hostHash(changed(ib_, hardware[i])), base) << "edit " << i;
  }
}

TEST_F(Fingerprint, HostOrderDoesNotMatterNodeCountDoes) {
  const HostTopology roce = probeFixture("roce-host");
  const HostTopology ib2 = changed(ib_, [](HostTopology& h) { h.hostname = "gpu-ib-02"; });
  EXPECT_EQ(fingerprint({ib_, roce, ib2}), fingerprint({roce, ib2, ib_}));
  EXPECT_NE(fingerprint({ib_, ib2}), fingerprint({ib_}));
  EXPECT_NE(fingerprint({ib_, roce}), fingerprint({ib_, ib_}));
}

TEST_F(Fingerprint, CombiningPerRankContributionsMatchesTheHostList) {
  // Ranks 0-7 on node A, 8-15 on node B: only each node's first rank contributes its hash.
  const HostTopology nodeB = changed(ib_, [](HostTopology& h) { h.hostname = "gpu-ib-02"; });
  std::vector<uint64_t> perRank(16, 0);
  perRank[0] = hostHash(ib_);
  perRank[8] = hostHash(nodeB);
  EXPECT_EQ(combineHostHashes(perRank), fingerprint({nodeB, ib_}));
  EXPECT_EQ(combineHostHashes({hostHash(ib_)}), fingerprint({ib_}));
}

TEST(FingerprintFormat, CanonicalJsonAndValueArePinned) {
  // Changing either breaks every stored baseline: do it only with a new schema number.
  const HostTopology plain = probeFixture("plain-host");
  EXPECT_EQ(hardwareJson(plain).dump(),
            R"({"cpu":{"model":"AMD EPYC","sockets":1},"gpuCount":0,"gpus":[],"nicCount":1,)"
            R"("nics":[{"linkLayers":["Ethernet"],"model":"virtio-net","pciId":"1af4:0001",)"
            R"("ratedGbps":0,"rdma":false}],"nvswitch":false,"schema":1})");
  EXPECT_EQ(hex64(hostHash(plain)), "e62d52b998243794");
  EXPECT_EQ(fingerprint({plain}), "8fdfbb73d1df77ed");
  EXPECT_EQ(hex64(0xabcULL), "0000000000000abc");
}

}  // namespace
}  // namespace cclbench
