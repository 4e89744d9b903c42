#include "engine/heartbeat.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace cclbench {
namespace {

std::string uniqueRun() { return "test-" + std::to_string(::getpid()); }

TEST(Heartbeat, AStoppedProcessOnTheHostIsNamedAndARunningOneIsNot) {
  const std::string run = uniqueRun();
  auto mine = Heartbeat::open(run, 0, 0);
  ASSERT_NE(mine, nullptr) << "POSIX shared memory is not available";
  // Two more local ranks in child processes: rank 7 keeps beating, rank 9 is stopped.
  auto child = [&](int localRank, int rank) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto beat = Heartbeat::open(run, localRank, rank);
      for (int i = 0; i < 400; ++i) {
        if (beat) beat->alive();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      std::_Exit(0);
    }
    return pid;
  };
  const pid_t running = child(1, 7), stopped = child(2, 9);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(stopped, SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto silent = mine->silent(1.0);
  ::kill(stopped, SIGKILL);
  ::kill(running, SIGKILL);
  ::waitpid(stopped, nullptr, 0);
  ::waitpid(running, nullptr, 0);
  mine->unlinkName();
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_EQ(silent[0].rank, 9);
  EXPECT_GE(silent[0].seconds, 1.0);
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/cclbench-hb-" + run)) << "left behind";
}

TEST(Heartbeat, NotItselfAndNothingForUnusedSlots) {
  auto beat = Heartbeat::open(uniqueRun() + "-b", 3, 3);
  ASSERT_NE(beat, nullptr);
  beat->unlinkName();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(beat->silent(0.01).empty()) << "its own stale slot is not another's";
  EXPECT_EQ(Heartbeat::open("x", Heartbeat::kSlots, 0), nullptr);
}

}  // namespace
}  // namespace cclbench
