#include "launch/self_launch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <string>
#include <vector>

namespace cclbench {
namespace {

using ::testing::ElementsAre;

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

SelfLaunchRequest request(int ranks, int cores, bool root) {
  SelfLaunchRequest r;
  r.mpirun = "/usr/bin/mpirun";
  r.ranks = ranks;
  r.cores = cores;
  r.runningAsRoot = root;
  r.executable = "/opt/cclbench";
  r.args = {"run", "allreduce", "-b", "8"};
  return r;
}

TEST(MpirunCommand, PlainUserWithEnoughCores) {
  EXPECT_THAT(mpirunCommand(request(2, 4, false)),
              ElementsAre("/usr/bin/mpirun", "-np", "2", "-x", "CCLBENCH_SELF_LAUNCHED=1",
                          "/opt/cclbench", "run", "allreduce", "-b", "8"));
}

TEST(MpirunCommand, AllowRunAsRootOnlyAsRoot) {
  EXPECT_TRUE(contains(mpirunCommand(request(2, 4, true)), "--allow-run-as-root"));
  EXPECT_FALSE(contains(mpirunCommand(request(2, 4, false)), "--allow-run-as-root"));
}

TEST(MpirunCommand, OversubscribeOnlyWithMoreRanksThanCores) {
  EXPECT_FALSE(contains(mpirunCommand(request(2, 2, false)), "--oversubscribe"));
  EXPECT_FALSE(contains(mpirunCommand(request(1, 2, false)), "--oversubscribe"));
  const auto cmd = mpirunCommand(request(4, 2, false));
  EXPECT_TRUE(contains(cmd, "--oversubscribe"));
  // Options for mpirun come before the executable; the ranks' arguments after it.
  const auto exe = std::find(cmd.begin(), cmd.end(), "/opt/cclbench");
  ASSERT_NE(exe, cmd.end());
  EXPECT_LT(std::find(cmd.begin(), cmd.end(), "--oversubscribe"), exe);
  const auto np = std::find(cmd.begin(), cmd.end(), "-np");
  ASSERT_LT(np, exe);
  EXPECT_EQ(*(np + 1), "4");
  EXPECT_EQ(std::vector<std::string>(exe + 1, cmd.end()),
            (std::vector<std::string>{"run", "allreduce", "-b", "8"}));
}

/// Feeds every line, then finishes; returns what the filter lets through.
std::vector<std::string> filtered(const std::vector<std::string>& lines) {
  LauncherNoiseFilter filter;
  std::vector<std::string> out;
  for (const auto& line : lines) {
    for (auto& kept : filter.feed(line)) out.push_back(kept);
  }
  for (auto& kept : filter.finish()) out.push_back(kept);
  return out;
}

const std::string kShortRule(55, '-');
const std::string kLongRule(74, '-');

TEST(LauncherNoiseFilter, NormalLinesPassThroughAtOnce) {
  LauncherNoiseFilter filter;
  EXPECT_THAT(filter.feed("cclbench: error: rank 1: wrong data"),
              ElementsAre("cclbench: error: rank 1: wrong data"));
  EXPECT_THAT(filter.feed(""), ElementsAre(""));
  EXPECT_THAT(filter.feed("----- short dashes -----"), ElementsAre("----- short dashes -----"));
  EXPECT_TRUE(filter.finish().empty());
}

TEST(LauncherNoiseFilter, DropsPrimaryJobTerminatedBlock) {
  EXPECT_THAT(
      filtered({"before", kShortRule, "Primary job  terminated normally, but 1 process returned",
                "a non-zero exit code. Per user-direction, the job has been aborted.", kShortRule,
                "after"}),
      ElementsAre("before", "after"));
}

TEST(LauncherNoiseFilter, DropsNonZeroStatusBlock) {
  EXPECT_THAT(
      filtered({kLongRule,
                "mpirun detected that one or more processes exited with non-zero status, thus "
                "causing",
                "the job to be terminated. The first process to do so was:", "",
                "  Process name: [[4660,1],1]", "  Exit code:    7", kLongRule}),
      ElementsAre());
}

TEST(LauncherNoiseFilter, DropsMpiAbortBlockAndHelpLines) {
  EXPECT_THAT(
      filtered({kLongRule, "MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD",
                "with errorcode 7.", "",
                "NOTE: invoking MPI_ABORT causes Open MPI to kill all MPI processes.", kLongRule,
                "[host:01234] 1 more process has sent help message help-mpi-api.txt / mpi-abort",
                "[host:01234] Set MCA parameter \"orte_base_help_aggregate\" to 0 to see all help "
                "/ error messages",
                "cclbench: error: wrong data"}),
      ElementsAre("cclbench: error: wrong data"));
}

TEST(LauncherNoiseFilter, KeepsOtherBlocksWholeAndInOrder) {
  const std::vector<std::string> block{
      kLongRule,
      "There are not enough slots available in the system to satisfy the 4",
      "slots that were requested by the application:",
      "",
      "  /opt/cclbench",
      kLongRule};
  std::vector<std::string> input{"first"};
  input.insert(input.end(), block.begin(), block.end());
  input.push_back("last");
  std::vector<std::string> expected = input;
  EXPECT_EQ(filtered(input), expected);
}

TEST(LauncherNoiseFilter, HoldsABlockUntilItsClosingRule) {
  LauncherNoiseFilter filter;
  EXPECT_TRUE(filter.feed(kLongRule).empty());
  EXPECT_TRUE(filter.feed("an unknown message").empty());
  EXPECT_THAT(filter.feed(kLongRule), ElementsAre(kLongRule, "an unknown message", kLongRule));
  EXPECT_THAT(filter.feed("plain"), ElementsAre("plain"));
}

TEST(LauncherNoiseFilter, UnterminatedBlockComesOutAtFinish) {
  LauncherNoiseFilter filter;
  EXPECT_TRUE(filter.feed(kLongRule).empty());
  EXPECT_TRUE(filter.feed("process exited on signal 11 (Segmentation fault).").empty());
  EXPECT_THAT(filter.finish(),
              ElementsAre(kLongRule, "process exited on signal 11 (Segmentation fault)."));
  EXPECT_TRUE(filter.finish().empty());
  EXPECT_THAT(filter.feed("next"), ElementsAre("next"));
}

TEST(LauncherNoiseFilter, ConsecutiveBlocksAreJudgedSeparately) {
  EXPECT_THAT(filtered({kLongRule, "MPI_ABORT was invoked on rank 0", kLongRule, kLongRule,
                        "a real problem", kLongRule}),
              ElementsAre(kLongRule, "a real problem", kLongRule));
}

TEST(ForwardedToRanks, NcclSettingsAndTheTunerConfigGoToEveryHost) {
  const auto out = forwardedToRanks({{"NCCL_TUNER_PLUGIN", "/opt/lib/t.so"},
                                     {"CCLBENCH_TUNER_CONFIG", "/r/nccl-tuner.conf"},
                                     {"NCCL_ALGO", "allreduce:Ring"},
                                     {"HOME", "/root"},
                                     {"OMPI_MCA_btl", "self"},
                                     {"XNCCL_FOO", "1"}});
  EXPECT_EQ(out, (std::map<std::string, std::string>{{"CCLBENCH_TUNER_CONFIG", "/r/nccl-tuner.conf"},
                                                     {"NCCL_ALGO", "allreduce:Ring"},
                                                     {"NCCL_TUNER_PLUGIN", "/opt/lib/t.so"}}));
  SelfLaunchRequest r = request(2, 4, false);
  r.exports = out;
  EXPECT_TRUE(contains(mpirunCommand(r), "NCCL_TUNER_PLUGIN=/opt/lib/t.so"));
}

TEST(RunLauncher, ADeadlineEndsAJobThatHangs) {
  LaunchIo io;
  io.deadlineSeconds = 0.3;
  const auto start = std::chrono::steady_clock::now();
  const LaunchOutcome hung = runLauncher({"sleep", "30"}, io);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(hung.timedOut);
  EXPECT_NE(hung.status, 0);
  EXPECT_LT(took, 10) << "SIGTERM ends sleep at once";
  EXPECT_NE(hung.lastError.find("did not finish within 0.3 s"), std::string::npos) << hung.lastError;
  const LaunchOutcome quick = runLauncher({"true"}, io);
  EXPECT_FALSE(quick.timedOut);
  EXPECT_EQ(quick.status, 0);
}

TEST(RunLauncher, JobsAtOnceFromSeveralThreadsEachEndAndTheHandlersComeBack) {
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  std::vector<LaunchOutcome> outcomes(4);
  std::vector<std::thread> threads;
  const std::string folder = testing::TempDir();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    threads.emplace_back([&, i] {
      LaunchIo io;
      io.outputFile = folder + "/launch-" + std::to_string(i) + ".log";
      io.stdoutFile = folder + "/launch-" + std::to_string(i) + ".out";
      std::remove(io.stdoutFile.c_str());  // files are appended to
      outcomes[i] = runLauncher({"sh", "-c", "sleep 0.2; echo out " + std::to_string(i) + "; echo err >&2"}, io);
    });
  }
  for (std::thread& t : threads) t.join();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].status, 0);
    std::ifstream out(folder + "/launch-" + std::to_string(i) + ".out");
    std::string text((std::istreambuf_iterator<char>(out)), {});
    EXPECT_EQ(text, "out " + std::to_string(i) + "\n") << "stdout alone in its own file";
  }
  struct sigaction after {};
  sigaction(SIGINT, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler) << "the last launch restores the handlers";
}

TEST(RunLauncher, APipeHeldOutsideTheJobDoesNotKeepItWaiting) {
  // The job ends at once, leaving a process of another session (as an orted that daemonized)
  // with its stderr open for 30 s.
  const std::string pidFile = testing::TempDir() + "/held-pipe.pid";
  const auto start = std::chrono::steady_clock::now();
  const LaunchOutcome o = runLauncher({"sh", "-c", "setsid sleep 30 & echo $! >" + pidFile + "; exit 0"});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(o.status, 0);
  EXPECT_LT(took, 20);
  int pid = 0;
  std::ifstream(pidFile) >> pid;
  if (pid > 0) kill(pid, SIGKILL);
}

}  // namespace
}  // namespace cclbench
