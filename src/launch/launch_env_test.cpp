#include "launch/launch_env.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cclbench {
namespace {

void expectLaunch(const LaunchInfo& info, Launcher launcher, int rank, int size, int localRank,
                  int localSize) {
  EXPECT_EQ(info.launcher, launcher) << name(info.launcher);
  EXPECT_EQ(info.rank, rank);
  EXPECT_EQ(info.size, size);
  EXPECT_EQ(info.localRank, localRank);
  EXPECT_EQ(info.localSize, localSize);
}

const Environment kOpenMpi{{"OMPI_COMM_WORLD_RANK", "5"},
                           {"OMPI_COMM_WORLD_SIZE", "16"},
                           {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                           {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
                           {"OMPI_COMM_WORLD_NODE_RANK", "1"}};
const Environment kSlurm{{"SLURM_PROCID", "2"},  {"SLURM_NTASKS", "8"},
                         {"SLURM_LOCALID", "0"}, {"SLURM_NTASKS_PER_NODE", "2"},
                         {"SLURM_NODEID", "1"},  {"SLURM_NNODES", "4"}};

Environment merged(Environment a, const Environment& b) {
  a.insert(b.begin(), b.end());
  return a;
}

TEST(DetectLaunch, NothingSetIsNone) {
  expectLaunch(detectLaunch({}), Launcher::kNone, 0, 1, 0, 1);
  expectLaunch(detectLaunch({{"PATH", "/usr/bin"}, {"HOME", "/root"}}), Launcher::kNone, 0, 1, 0,
               1);
}

TEST(DetectLaunch, OpenMpi) {
  expectLaunch(detectLaunch(kOpenMpi), Launcher::kOpenMpi, 5, 16, 1, 4);
}

TEST(DetectLaunch, MpichPmi) {
  const Environment env{
      {"PMI_RANK", "3"}, {"PMI_SIZE", "4"}, {"MPI_LOCALRANKID", "1"}, {"MPI_LOCALNRANKS", "2"}};
  expectLaunch(detectLaunch(env), Launcher::kPmi, 3, 4, 1, 2);
}

TEST(DetectLaunch, Slurm) {
  expectLaunch(detectLaunch(kSlurm), Launcher::kSlurm, 2, 8, 0, 2);
}

TEST(DetectLaunch, SlurmTaskListLeavesLocalSizeUnknown) {
  Environment env = kSlurm;
  env["SLURM_NTASKS_PER_NODE"] = "2(x4)";
  expectLaunch(detectLaunch(env), Launcher::kSlurm, 2, 8, 0, 1);
}

TEST(DetectLaunch, Torchrun) {
  const Environment env{
      {"RANK", "7"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "3"}, {"LOCAL_WORLD_SIZE", "4"}};
  expectLaunch(detectLaunch(env), Launcher::kTorchrun, 7, 8, 3, 4);
}

TEST(DetectLaunch, MissingLocalRankDefaultsToZero) {
  const Environment env{{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}};
  expectLaunch(detectLaunch(env), Launcher::kPmi, 1, 2, 0, 1);
}

TEST(DetectLaunch, OpenMpiWinsOverSlurm) {
  expectLaunch(detectLaunch(merged(kOpenMpi, kSlurm)), Launcher::kOpenMpi, 5, 16, 1, 4);
}

TEST(DetectLaunch, SlurmWinsOverTorchrun) {
  const Environment torch{{"RANK", "0"}, {"WORLD_SIZE", "1"}};
  expectLaunch(detectLaunch(merged(kSlurm, torch)), Launcher::kSlurm, 2, 8, 0, 2);
}

TEST(DetectLaunch, GarbageValuesAreIgnored) {
  const std::vector<Environment> garbage{
      {{"OMPI_COMM_WORLD_RANK", "abc"}, {"OMPI_COMM_WORLD_SIZE", "4"}},
      {{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", ""}},
      {{"OMPI_COMM_WORLD_RANK", "4"}, {"OMPI_COMM_WORLD_SIZE", "4"}},  // rank beyond size
      {{"OMPI_COMM_WORLD_RANK", "-1"}, {"OMPI_COMM_WORLD_SIZE", "4"}},
      {{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "0"}},
      {{"OMPI_COMM_WORLD_RANK", "1"}},  // no size
      {{"PMI_RANK", "1x"}, {"PMI_SIZE", "2"}},
      {{"RANK", "2"}, {"WORLD_SIZE", "2.0"}},
  };
  for (const Environment& env : garbage) {
    EXPECT_EQ(detectLaunch(env).launcher, Launcher::kNone) << env.begin()->second;
  }
}

TEST(DetectLaunch, GarbageOpenMpiFallsBackToSlurm) {
  Environment env = kSlurm;
  env["OMPI_COMM_WORLD_RANK"] = "abc";
  env["OMPI_COMM_WORLD_SIZE"] = "16";
  expectLaunch(detectLaunch(env), Launcher::kSlurm, 2, 8, 0, 2);
}

TEST(LauncherNames, AreStable) {
  EXPECT_STREQ(name(Launcher::kNone), "none");
  EXPECT_STREQ(name(Launcher::kOpenMpi), "openmpi");
  EXPECT_STREQ(name(Launcher::kPmi), "pmi");
  EXPECT_STREQ(name(Launcher::kSlurm), "slurm");
  EXPECT_STREQ(name(Launcher::kTorchrun), "torchrun");
}

TEST(HostAndCpus, AreNotEmpty) {
  EXPECT_FALSE(hostName().empty());
  const std::string cpus = cpuAffinityList();
  EXPECT_FALSE(cpus.empty());
  EXPECT_EQ(cpus.find_first_not_of("0123456789,-"), std::string::npos) << cpus;
}

}  // namespace
}  // namespace cclbench
