#include "tuners/openmpi_space.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace cclbench::tune {
namespace {

/// `ompi_info --param coll tuned --level 9 --parsable` of Debian 12's Open MPI 4.1.4.
std::string recordedOmpiInfo() {
  std::ifstream in(std::string(CCLBENCH_FIXTURES) + "/openmpi/ompi_info-coll-tuned-4.1.4.txt");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

OpenMpiSpace recordedSpace() {
  return {parseOmpiInfoAlgorithms(recordedOmpiInfo()), "ompi_info", Application::kPerLaunch};
}

TEST(OpenMpiSpace, ReadsTheAlgorithmsOmpiInfoLists) {
  const auto parsed = parseOmpiInfoAlgorithms(recordedOmpiInfo());
  ASSERT_TRUE(parsed.count("allreduce"));
  const auto& allreduce = parsed.at("allreduce");
  ASSERT_EQ(allreduce.size(), 6u);  // 0 "ignore" is the default, not a candidate
  EXPECT_EQ(allreduce[3].id, 4);
  EXPECT_EQ(allreduce[3].name, "ring");
  EXPECT_TRUE(allreduce[4].segmented);  // segmented_ring
  EXPECT_FALSE(allreduce[3].segmented);
  EXPECT_EQ(parsed.at("reduce_scatter_block").size(), 4u);
  EXPECT_EQ(parsed.at("bcast").size(), 9u);
  EXPECT_EQ(parsed.at("allgather").back().name, "two_proc");
  // The built-in table (FACTS section 7) agrees with this Open MPI.
  const auto builtIn = builtInOpenMpiAlgorithms();
  for (const char* c : {"allreduce", "allgather", "reduce_scatter_block", "bcast", "reduce",
                        "alltoall", "gather"}) {
    EXPECT_EQ(builtIn.at(c), parsed.at(c)) << c;
  }
  EXPECT_TRUE(parseOmpiInfoAlgorithms("garbage\nmca:coll:tuned:param:x").empty());
}

TEST(OpenMpiSpace, CandidatesSeedsAndNeighbours) {
  const OpenMpiSpace space = recordedSpace();
  EXPECT_TRUE(space.tunes(Collective::kAllReduce));
  EXPECT_TRUE(space.tunes(Collective::kReduceScatter));
  EXPECT_FALSE(space.tunes(Collective::kSendRecv));
  const auto all = space.candidates(Collective::kAllReduce);
  ASSERT_EQ(all.size(), 1u + 5u + 6u);  // default, 5 algorithms, segmented ring x 6 segment sizes
  EXPECT_TRUE(all.front().isDefault());
  const auto seeds = space.seeds(Collective::kAllReduce);
  // segmented ring unsegmented, at 128 KiB and at 1 MiB (Search.OnARecordedTable* says why)
  ASSERT_EQ(seeds.size(), 1u + 5u + 3u);
  for (const char* segment : {"0", "131072", "1048576"}) {
    const Candidate c{{{"algorithm", "5"}, {"segsize", segment}}};
    EXPECT_NE(std::find(seeds.begin(), seeds.end(), c), seeds.end()) << segment;
  }
  for (const Candidate& s : seeds) {
    EXPECT_NE(std::find(all.begin(), all.end(), s), all.end()) << "a seed is no candidate";
  }
  Candidate seg{{{"algorithm", "5"}, {"segsize", "131072"}}};
  auto n = space.neighbours(Collective::kAllReduce, seg);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].knobs.at("segsize"), "32768");
  EXPECT_EQ(n[1].knobs.at("segsize"), "524288");
  seg.knobs["segsize"] = "0";  // unsegmented: one segment as large as the message
  n = space.neighbours(Collective::kAllReduce, seg);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].knobs.at("segsize"), "1048576");
  seg.knobs["segsize"] = "8192";
  n = space.neighbours(Collective::kAllReduce, seg);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].knobs.at("segsize"), "32768");
  EXPECT_TRUE(space.neighbours(Collective::kAllReduce, {{{"algorithm", "4"}}}).empty());
}

TEST(OpenMpiSpace, LaunchSettingsForceTheAlgorithmThroughMca) {
  const OpenMpiSpace space = recordedSpace();
  EXPECT_TRUE(space.launchSettings(Collective::kAllReduce, Candidate{}).mca.empty());
  const LaunchSettings s = space.launchSettings(
      Collective::kReduceScatter, {{{"algorithm", "3"}}});
  ASSERT_EQ(s.mca.size(), 2u);
  EXPECT_EQ(s.mca[0], std::make_pair(std::string("coll_tuned_use_dynamic_rules"), std::string("1")));
  EXPECT_EQ(s.mca[1].first, "coll_tuned_reduce_scatter_block_algorithm");
  EXPECT_EQ(s.mca[1].second, "3");
  const LaunchSettings seg = space.launchSettings(
      Collective::kAllReduce, {{{"algorithm", "5"}, {"segsize", "1048576"}}});
  ASSERT_EQ(seg.mca.size(), 3u);
  EXPECT_EQ(seg.mca[2].first, "coll_tuned_allreduce_algorithm_segmentsize");
  EXPECT_EQ(space.describe(Collective::kAllReduce, {{{"algorithm", "5"}, {"segsize", "1048576"}}}),
            "segmented_ring seg 1 MiB");
  EXPECT_EQ(space.describe(Collective::kAllReduce, {}), "default");
}

}  // namespace
}  // namespace cclbench::tune
