#include "tuners/nccl_space.hpp"

#include <gtest/gtest.h>

namespace cclbench::tune {
namespace {

const NcclSpace kSpace({{Collective::kAllReduce, {{"tree", "ll"}, {"ring", "simple"}, {"nvls", "simple"}}},
                        {Collective::kAllGather, {{"ring", "ll128"}}}},
                       16, "test");

TEST(NcclSpace, CandidatesArePairsAndTheirChannelCountsTheDefaultFirst) {
  EXPECT_EQ(kSpace.application(), Application::kPerCase);
  EXPECT_TRUE(kSpace.tunes(Collective::kAllReduce));
  EXPECT_FALSE(kSpace.tunes(Collective::kBroadcast));
  EXPECT_EQ(kSpace.channelLadder(), (std::vector<int>{1, 2, 4, 8, 16}));
  const auto all = kSpace.candidates(Collective::kAllReduce);
  ASSERT_EQ(all.size(), 1u + 3 * (1 + 5));
  EXPECT_TRUE(all.front().isDefault());
  const auto seeds = kSpace.seeds(Collective::kAllReduce);
  ASSERT_EQ(seeds.size(), 4u);
  EXPECT_EQ(kSpace.describe(Collective::kAllReduce, seeds[1]), "tree/ll");
  for (const Candidate& s : seeds) EXPECT_EQ(s.knobs.count("channels"), 0u);
  EXPECT_TRUE(kSpace.launchSettings(Collective::kAllReduce, seeds[1]) == LaunchSettings{});
  EXPECT_EQ(NcclSpace({}, 24, "x").channelLadder(), (std::vector<int>{1, 2, 4, 8, 16, 24}));
}

TEST(NcclSpace, DescentStartsAtTheCommunicatorsChannelsAndWalksTheLadder) {
  const Candidate own{{{"algorithm", "ring"}, {"protocol", "simple"}}};
  const auto first = kSpace.neighbours(Collective::kAllReduce, own);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].knobs.at("channels"), "1");
  EXPECT_EQ(first[1].knobs.at("channels"), "4");
  EXPECT_EQ(first[2].knobs.at("channels"), "16");
  EXPECT_EQ(first[1].knobs.at("algorithm"), "ring");
  Candidate four = own;
  four.knobs["channels"] = "4";
  const auto next = kSpace.neighbours(Collective::kAllReduce, four);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0].knobs.at("channels"), "2");
  EXPECT_EQ(next[1].knobs.at("channels"), "8");
  four.knobs["channels"] = "1";
  EXPECT_EQ(kSpace.neighbours(Collective::kAllReduce, four).size(), 1u);
  EXPECT_TRUE(kSpace.neighbours(Collective::kAllReduce, Candidate{}).empty());
  EXPECT_EQ(kSpace.describe(Collective::kAllReduce, four), "ring/simple 1ch");
}

}  // namespace
}  // namespace cclbench::tune
