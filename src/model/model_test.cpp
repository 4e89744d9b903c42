#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/error.hpp"
#include "model/nccl_model.hpp"
#include "model/predict.hpp"
#include "model/topology.hpp"

namespace cclbench::model {
namespace {

Topology h100(int nodes) {
  Topology t = *preset("h100-8gpu-ib400");
  t.nodes = nodes;
  return t;
}

/// nccl-tests' bus bandwidth of an all-reduce taking `us` for `bytes` on n ranks (GB/s).
double allReduceBusBw(uint64_t bytes, double us, int n) {
  return static_cast<double>(bytes) / (us * 1e3) * 2.0 * (n - 1) / n;
}

std::set<std::string> pairNames(const NcclModel& m, Collective c) {
  std::set<std::string> out;
  for (const auto& [a, p] : m.pairs(c)) out.insert(std::string(algorithmName(a)) + "/" + protocolName(p));
  return out;
}

TEST(NcclModel, OneH100NodeMatchesThePublicAllReduceFigures) {
  // FACTS section 4: 8 x H100 over NVLink 4, all-reduce busbw about 360-370 GB/s with Ring and
  // 470-480 GB/s with NVLS at large sizes. NCCL's NVLink figure is 18 links x 20.6 GB/s.
  const NcclModel m(h100(1));
  const uint64_t bytes = 16ull << 30;
  const double ring = allReduceBusBw(bytes, m.estimateUs(Collective::kAllReduce, kRing, kSimple, bytes), 8);
  EXPECT_GT(ring, 355);
  EXPECT_LT(ring, 375);
  const double nvls = allReduceBusBw(bytes, m.estimateUs(Collective::kAllReduce, kNvls, kSimple, bytes), 8);
  EXPECT_GT(nvls, 440);
  EXPECT_LT(nvls, 500);
  const Choice big = m.choice(Collective::kAllReduce, bytes);
  EXPECT_EQ(big.algorithm, kNvls) << algorithmName(big.algorithm);
}

TEST(NcclModel, OffersThePairsNcclOffersForTheTopology) {
  const NcclModel one(h100(1));
  EXPECT_EQ(pairNames(one, Collective::kAllReduce),
            (std::set<std::string>{"tree/ll", "tree/ll128", "tree/simple", "ring/ll", "ring/ll128",
                                   "ring/simple", "nvls/simple"}));
  EXPECT_EQ(pairNames(one, Collective::kAllGather),
            (std::set<std::string>{"ring/ll", "ring/ll128", "ring/simple", "nvls/simple"}));
  EXPECT_EQ(pairNames(one, Collective::kBroadcast),
            (std::set<std::string>{"ring/ll", "ring/ll128", "ring/simple"}));
  EXPECT_TRUE(one.pairs(Collective::kAllToAll).empty()) << "NCCL's tuner is not asked about all-to-all";

  const NcclModel four(h100(4));  // NVLS across nodes needs CollNet; NVLS tree needs nodes
  EXPECT_TRUE(four.available(Collective::kAllReduce, kNvlsTree, kSimple));
  EXPECT_FALSE(four.available(Collective::kAllReduce, kNvls, kSimple));
  EXPECT_FALSE(four.available(Collective::kAllReduce, kCollNetDirect, kSimple));

  Topology single = h100(16);  // one GPU per node: PAT for all-gather and reduce-scatter
  single.gpusPerNode = 1;
  const NcclModel pat(single);
  EXPECT_TRUE(pat.available(Collective::kAllGather, kPat, kSimple));
  EXPECT_FALSE(pat.available(Collective::kAllReduce, kPat, kSimple));
  EXPECT_FALSE(one.available(Collective::kAllGather, kPat, kSimple));

  const NcclModel pcie(*preset("pcie-8gpu-roce200"));  // no NVLink inside: no LL128, no NVLS
  EXPECT_EQ(pairNames(pcie, Collective::kAllReduce),
            (std::set<std::string>{"tree/ll", "tree/simple", "ring/ll", "ring/simple"}));
}

TEST(NcclModel, PicksLowLatencyProtocolsForSmallCallsAndBandwidthForLarge) {
  for (int nodes : {1, 8, 512}) {
    const NcclModel m(h100(nodes));
    const Choice small = m.choice(Collective::kAllReduce, 1024);
    EXPECT_EQ(small.protocol, kLL) << nodes << " nodes: " << algorithmName(small.algorithm) << "/"
                                   << protocolName(small.protocol);
    const Choice large = m.choice(Collective::kAllReduce, 4ull << 30);
    EXPECT_EQ(large.protocol, kSimple) << nodes;
    EXPECT_GT(large.us, small.us);
    // Estimates grow with the size, and the pick is never slower than another offered pair.
    for (uint64_t bytes = 8; bytes <= (1ull << 32); bytes *= 4) {
      const Choice c = m.choice(Collective::kAllReduce, bytes);
      for (const auto& [a, p] : m.pairs(Collective::kAllReduce)) {
        EXPECT_LE(m.estimateUs(Collective::kAllReduce, c.algorithm, c.protocol, bytes),
                  m.estimateUs(Collective::kAllReduce, a, p, bytes) + 1e-9);
        EXPECT_LT(m.estimateUs(Collective::kAllReduce, a, p, bytes),
                  m.estimateUs(Collective::kAllReduce, a, p, bytes * 4));
      }
    }
  }
  EXPECT_LT(NcclModel(h100(1)).choice(Collective::kAllReduce, 1 << 20).us,
            NcclModel(h100(512)).choice(Collective::kAllReduce, 1 << 20).us)
      << "4096 GPUs across a network take longer than one node";
}

TEST(NcclModel, ChannelsFollowNcclsPerCallRule) {
  const NcclModel m(h100(1));
  EXPECT_EQ(m.channels(), 16);
  EXPECT_EQ(m.callChannels(kRing, kSimple, 1 << 30), 16);
  // Simple: 512 threads x 64 bytes per channel before NCCL adds one.
  EXPECT_EQ(m.callChannels(kRing, kSimple, 3 * 512 * 64), 3);
  EXPECT_EQ(m.callChannels(kRing, kSimple, 8), 1);
  // Fewer channels than NCCL would use cost bandwidth at large sizes.
  const uint64_t big = 1ull << 30;
  EXPECT_GT(m.timeUs(Collective::kAllReduce, kRing, kSimple, 4, big),
            3 * m.timeUs(Collective::kAllReduce, kRing, kSimple, 0, big));
  EXPECT_DOUBLE_EQ(m.timeUs(Collective::kAllReduce, kRing, kSimple, 16, big),
                   m.timeUs(Collective::kAllReduce, kRing, kSimple, 0, big));
  EXPECT_LT(m.timeUs(Collective::kAllReduce, kRing, kLL, 0, 64), 100.0);
  EXPECT_EQ(m.timeUs(Collective::kAllReduce, kPat, kSimple, 0, 64), -1) << "not offered";
}

TEST(SimulatedNccl, TheDeviationFieldIsSeededBoundedAndMovesTheOptimum) {
  const NcclModel m(h100(8));
  const SimulatedNccl a(m, 7), again(m, 7), other(m, 8);
  int moved = 0, sizes = 0;
  for (uint64_t bytes = 8; bytes <= (1ull << 30); bytes *= 2) {
    ++sizes;
    double best = 1e300;
    for (const auto& [al, p] : m.pairs(Collective::kAllReduce)) {
      const double d = a.deviation(Collective::kAllReduce, al, p, 0, bytes);
      EXPECT_EQ(d, again.deviation(Collective::kAllReduce, al, p, 0, bytes));
      EXPECT_GT(d, std::exp(-0.37));
      EXPECT_LT(d, std::exp(0.37));
      best = std::min(best, a.trueUs(Collective::kAllReduce, al, p, 0, bytes));
    }
    moved += a.defaultUs(Collective::kAllReduce, bytes) > 1.03 * best;
    EXPECT_NE(a.deviation(Collective::kAllReduce, kRing, kSimple, 0, bytes),
              other.deviation(Collective::kAllReduce, kRing, kSimple, 0, bytes));
  }
  EXPECT_GT(moved, 0) << "NCCL's pick is the truth's optimum at every size: nothing to find";
  EXPECT_LT(moved, sizes) << "NCCL's pick never wins: the field is too rough";
}

TEST(Predict, RowsCarryNcclsPickItsBandwidthsAndAreLabelledModelled) {
  const NcclModel m(h100(1));
  const auto rows = predict(m, {Collective::kAllReduce, Collective::kAllGather}, {1024, 1ull << 30});
  ASSERT_EQ(rows.size(), 4u);
  for (const Prediction& p : rows) {
    const Choice c = m.choice(p.collective, p.bytes);
    EXPECT_EQ(p.pick.algorithm, c.algorithm);
    EXPECT_DOUBLE_EQ(p.pick.us, c.us);
    EXPECT_NEAR(p.algbwGBps, p.bytes / (c.us * 1e3), 1e-9);
    EXPECT_FALSE(p.runnerUp.empty());
  }
  // all-reduce busbw = algbw x 2(n-1)/n; all-gather x (n-1)/n (nccl-tests)
  EXPECT_NEAR(rows[1].busbwGBps, rows[1].algbwGBps * 14 / 8, 1e-9);
  EXPECT_NEAR(rows[3].busbwGBps, rows[3].algbwGBps * 7 / 8, 1e-9);
  const nlohmann::json j = predictionJson(m, rows);
  EXPECT_EQ(j.at("modelled"), true);
  EXPECT_EQ(j.at("predictions").size(), 4u);
  EXPECT_EQ(j.at("topology").at("ranks"), 8);
  EXPECT_NE(predictionText(m, rows).find("MODELLED"), std::string::npos);
  EXPECT_THROW(predict(m, {Collective::kAllToAll}, {1024}), Error);
}

TEST(Topology, ReadsTomlWithAPresetBaseAndRejectsWhatItDoesNotKnow) {
  const Topology t = parseTopologyToml(
      "name = \"test rack\"\npreset = \"h100-8gpu-ib400\"\nnodes = 4\nnic_Gbps = 200\n"
      "nics_per_node = 4\ncpu = \"amd\"\n",
      "rack.toml");
  EXPECT_EQ(t.name, "test rack");
  EXPECT_EQ(t.gpu, GpuGeneration::kHopper);
  EXPECT_EQ(t.ranks(), 32);
  EXPECT_EQ(t.nicsPerNode, 4);
  EXPECT_DOUBLE_EQ(t.nicGbps, 200);
  EXPECT_EQ(t.cpu, CpuVendor::kAmd);

  const auto fails = [](const std::string& text, const std::string& says) {
    try {
      parseTopologyToml(text, "bad.toml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  fails("gpus_per_nod = 8\n", "unknown key 'gpus_per_nod'");
  fails("gpus_per_node = \"eight\"\n", "gpus_per_node must be a whole number");
  fails("gpu = \"pascal\"\n", "gpu = 'pascal'");
  fails("nodes = 0\n", "nodes must be 1");
  fails("nodes = 2\nnics_per_node = 0\n", "several nodes need");
  fails("nodes = [\n", "line 1");
  fails("preset = \"dgx-9000\"\n", "unknown preset");
  fails("nvswitch = 1\n", "nvswitch must be true or false");

  EXPECT_EQ(loadTopology("b200-8gpu-ib400", 64).ranks(), 512);
  try {
    loadTopology("/nonexistent/rack.toml");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("neither a preset"), std::string::npos);
  }
}

}  // namespace
}  // namespace cclbench::model
