#include "launch/launch_env.hpp"

#include <gtest/gtest.h>

#include <fstream>
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
                         {"SLURM_NODEID", "1"},  {"SLURM_NNODES", "4"},
                         {"SLURM_STEP_ID", "0"}};

/// One of tests/fixtures/slurm/*.env: what a real Slurm gave a task (NAME=VALUE lines).
Environment recorded(const std::string& file) {
  std::ifstream in(std::string(CCLBENCH_FIXTURES) + "/slurm/" + file);
  EXPECT_TRUE(in.good()) << file;
  Environment env;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

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

TEST(DetectLaunch, SlurmStepTaskListGivesTheLocalSize) {
  Environment env = kSlurm;
  env.erase("SLURM_NTASKS_PER_NODE");
  env["SLURM_STEP_TASKS_PER_NODE"] = "3(x1),2(x3)";  // node 1 of 4 runs 2 tasks
  expectLaunch(detectLaunch(env), Launcher::kSlurm, 2, 8, 0, 2);
  env["SLURM_NODEID"] = "0";
  expectLaunch(detectLaunch(env), Launcher::kSlurm, 2, 8, 0, 3);
  env["SLURM_STEP_TASKS_PER_NODE"] = "junk";
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

TEST(DetectLaunch, RealSrunTasksAreRanksAndABatchScriptIsNot) {
  expectLaunch(detectLaunch(recorded("srun-n2-rank1.env")), Launcher::kSlurm, 1, 2, 1, 2);
  expectLaunch(detectLaunch(recorded("srun-pmix-n2-rank1.env")), Launcher::kSlurm, 1, 2, 1, 2);
  // sbatch's script has SLURM_PROCID=0 and SLURM_NTASKS=2, and is still no rank: cclbench run
  // there starts its own ranks (mpirun uses the allocation).
  const Environment batch = recorded("sbatch-n2-batch-step.env");
  ASSERT_EQ(batch.at("SLURM_PROCID"), "0");
  expectLaunch(detectLaunch(batch), Launcher::kNone, 0, 1, 0, 1);
}

TEST(LauncherInterface, FromTheLaunchersVariables) {
  EXPECT_EQ(launcherInterface(recorded("srun-pmix-n2-rank1.env")), "pmix");
  EXPECT_EQ(launcherInterface(recorded("srun-n2-rank1.env")), "");
  EXPECT_EQ(launcherInterface({{"PMI_FD", "5"}, {"PMI_RANK", "1"}}), "pmi2");
  EXPECT_EQ(launcherInterface({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}}), "pmi");
  // Open MPI's mpirun serves PMIx to its ranks as well.
  EXPECT_EQ(launcherInterface(merged(kOpenMpi, {{"PMIX_RANK", "5"}})), "pmix");
}

TEST(SrunWithoutPmi, IsRecognisedFromARealSrunsEnvironment) {
  EXPECT_TRUE(srunWithoutPmi(recorded("srun-n2-rank1.env")));
  EXPECT_FALSE(srunWithoutPmi(recorded("srun-pmix-n2-rank1.env")));
  EXPECT_FALSE(srunWithoutPmi(recorded("sbatch-n2-batch-step.env")));
  EXPECT_FALSE(srunWithoutPmi(merged(recorded("srun-n2-rank1.env"), {{"PMI_FD", "7"}})));
  // mpirun inside an allocation: Open MPI's own variables, not srun's task.
  EXPECT_FALSE(srunWithoutPmi(merged(recorded("srun-n2-rank1.env"), kOpenMpi)));
  EXPECT_FALSE(srunWithoutPmi({}));
}

TEST(MpiThreadLevels, NamesRoundTrip) {
  for (MpiThreadLevel l : {MpiThreadLevel::kSingle, MpiThreadLevel::kFunneled,
                           MpiThreadLevel::kSerialized, MpiThreadLevel::kMultiple}) {
    EXPECT_EQ(parseMpiThreadLevel(name(l)), l);
  }
  EXPECT_FALSE(parseMpiThreadLevel("MULTIPLE").has_value());
  EXPECT_FALSE(parseMpiThreadLevel("").has_value());
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
