#include "session/provenance.hpp"

#include <gtest/gtest.h>

namespace cclbench {
namespace {

TEST(ParseCpuList, RangesAndSingles) {
  EXPECT_EQ(parseCpuList("0-3,8"), (std::vector<int>{0, 1, 2, 3, 8}));
  EXPECT_EQ(parseCpuList("5"), (std::vector<int>{5}));
  EXPECT_TRUE(parseCpuList("").empty());
  EXPECT_TRUE(parseCpuList("a-b").empty());
  EXPECT_TRUE(parseCpuList("3-1").empty());
  EXPECT_TRUE(parseCpuList("1,x").empty());
}

TEST(Oversubscription, MoreRanksThanTheCoresTheyMayUse) {
  // Three unbound ranks on a 2-core host (mpirun --oversubscribe --bind-to none).
  const std::vector<HostEntry> three{{"node1", {0, 1, 2}, {"0-1", "0-1", "0-1"}}};
  nlohmann::json o = oversubscriptionOf(three, {});
  EXPECT_TRUE(o["oversubscribed"].get<bool>());
  EXPECT_EQ(o["hosts"][0]["ranks"], 3);
  EXPECT_EQ(o["hosts"][0]["cores"], 2);
  EXPECT_TRUE(o["yield_when_idle"].is_null());
  EXPECT_NE(oversubscriptionWarning(o).find("3 ranks share 2 core(s) on node1"),
            std::string::npos);
  EXPECT_NE(oversubscriptionWarning(o).find("OMPI_MCA_mpi_yield_when_idle=1"), std::string::npos);

  // Two ranks bound to the same core (srun --overcommit, a bad binding).
  const std::vector<HostEntry> shared{{"a", {0, 1}, {"0", "0"}}, {"b", {2, 3}, {"0", "1"}}};
  o = oversubscriptionOf(shared, {{"OMPI_MCA_mpi_yield_when_idle", "1"},
                                  {"CCLBENCH_SET_YIELD_WHEN_IDLE", "1"}});
  EXPECT_TRUE(o["oversubscribed"].get<bool>());
  ASSERT_EQ(o["hosts"].size(), 1u);
  EXPECT_EQ(o["hosts"][0]["host"], "a");
  EXPECT_EQ(o["set_by"], "cclbench");
  EXPECT_NE(oversubscriptionWarning(o).find("set by cclbench"), std::string::npos);
}

TEST(Oversubscription, EnoughCoresOrUnknownBindingsAreNot) {
  const std::vector<HostEntry> fine{{"n", {0, 1}, {"0", "1"}}, {"m", {2, 3}, {"0-7", "0-7"}}};
  EXPECT_FALSE(oversubscriptionOf(fine, {})["oversubscribed"].get<bool>());
  EXPECT_EQ(oversubscriptionWarning(oversubscriptionOf(fine, {})), "");
  const std::vector<HostEntry> unknown{{"n", {0, 1, 2}, {"", "", ""}}};
  EXPECT_FALSE(oversubscriptionOf(unknown, {})["oversubscribed"].get<bool>());
}

}  // namespace
}  // namespace cclbench
