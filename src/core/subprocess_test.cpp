#include "core/subprocess.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "core/error.hpp"

namespace cclbench {
namespace {

TEST(RunCommand, CapturesStdoutAndTheExitStatus) {
  const CommandOutput ok = runCommand({"printf", "a b\n'c'"}, 10);
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(ok.out, "a b\n'c'");  // arguments reach the program as they are: no shell
  EXPECT_FALSE(ok.timedOut);
  EXPECT_EQ(runCommand({"false"}, 10).status, 1);
  EXPECT_EQ(runCommand({"sh", "-c", "exit 7"}, 10).status, 7);
}

TEST(RunCommand, AProgramThatCannotStartIsMinusOne) {
  EXPECT_EQ(runCommand({"/nonexistent/program"}, 10).status, -1);
  EXPECT_EQ(runCommand({"no-such-program-cclbench"}, 10).status, -1);
}

TEST(RunCommand, TheDeadlineKillsTheWholeGroup) {
  const auto start = std::chrono::steady_clock::now();
  // A child that keeps stdout open through a grandchild, and one that closes it and lingers.
  for (const char* script : {"sleep 30 & sleep 30", "exec >/dev/null; sleep 30"}) {
    const CommandOutput r = runCommand({"sh", "-c", script}, 0.5);
    EXPECT_TRUE(r.timedOut) << script;
    EXPECT_EQ(r.status, 128 + SIGKILL) << script;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10);
}

TEST(Subprocess, SignalsReachTheGroupAndStatusesAreAShells) {
  SpawnRequest request;
  request.argv = {"sh", "-c", "sleep 30 & wait"};
  request.ownProcessGroup = true;
  Subprocess child(request);
  EXPECT_FALSE(child.poll().has_value());
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(), 128 + SIGTERM);
  // The grandchild got the signal too: the group empties (once init has reaped it).
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = kill(-child.pid(), 0) == -1;
    if (!gone) usleep(10000);
  }
  EXPECT_TRUE(gone) << "a process of the group outlived the signal";
}

TEST(Subprocess, EnvironmentChangesReachTheChild) {
  SpawnRequest request;
  request.argv = {"sh", "-c", "printf %s \"$CCLBENCH_TEST_VALUE\""};
  request.setEnv = {{"CCLBENCH_TEST_VALUE", "x=1 y"}};
  request.captureStdout = true;
  Subprocess child(request);
  char buffer[64] = {};
  const ssize_t n = read(child.stdoutFd(), buffer, sizeof buffer - 1);
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0), "x=1 y");
  EXPECT_EQ(child.wait(), 0);
}

TEST(Subprocess, ThrowsWhenTheProgramCannotStart) {
  SpawnRequest request;
  request.argv = {"/nonexistent/mpirun"};
  try {
    Subprocess child(request);
    ADD_FAILURE() << "started a program that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotAvailable);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/mpirun"), std::string::npos);
  }
}

}  // namespace
}  // namespace cclbench
