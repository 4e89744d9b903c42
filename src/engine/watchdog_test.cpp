#include "engine/watchdog.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace cclbench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Records the handler's calls; lets a test wait for the first one.
class Firing {
 public:
  Watchdog::Handler handler() {
    return [this](const std::string& activity, double seconds) {
      std::lock_guard lock(mutex_);
      ++calls_;
      activity_ = activity;
      seconds_ = seconds;
      at_ = Clock::now();
      fired_.notify_all();
    };
  }
  bool waitFor(milliseconds limit) {
    std::unique_lock lock(mutex_);
    return fired_.wait_for(lock, limit, [this] { return calls_ > 0; });
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::string activity() {
    std::lock_guard lock(mutex_);
    return activity_;
  }
  double seconds() {
    std::lock_guard lock(mutex_);
    return seconds_;
  }
  Clock::time_point at() {
    std::lock_guard lock(mutex_);
    return at_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable fired_;
  int calls_ = 0;
  std::string activity_;
  double seconds_ = 0;
  Clock::time_point at_;
};

TEST(Watchdog, FiresWithTheActivityAfterTheTimeout) {
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler());
  const auto armed = Clock::now();
  watchdog.arm("allreduce 1 MiB float sum out-of-place");
  ASSERT_TRUE(firing.waitFor(milliseconds(2000)));
  EXPECT_GE(firing.at() - armed, milliseconds(200));
  EXPECT_EQ(firing.activity(), "allreduce 1 MiB float sum out-of-place");
  EXPECT_DOUBLE_EQ(firing.seconds(), 0.2);
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_EQ(firing.calls(), 1);  // once only
}

TEST(Watchdog, ReportsTheLatestActivity) {
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler());
  watchdog.arm("warm-up");
  watchdog.arm("data check");
  ASSERT_TRUE(firing.waitFor(milliseconds(2000)));
  EXPECT_EQ(firing.activity(), "data check");
}

TEST(Watchdog, DoesNotFireWhenDisarmed) {
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler());
  watchdog.arm("short step");
  std::this_thread::sleep_for(milliseconds(50));
  watchdog.disarm();
  EXPECT_FALSE(firing.waitFor(milliseconds(500)));
}

TEST(Watchdog, DoesNotFireWhileKickedInTime) {
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler());
  watchdog.arm("batches");
  const auto until = Clock::now() + milliseconds(600);  // three timeouts
  while (Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(40));
    watchdog.kick();
  }
  watchdog.disarm();
  EXPECT_EQ(firing.calls(), 0);
}

TEST(Watchdog, KickAloneDoesNotArm) {
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler());
  watchdog.kick();
  EXPECT_FALSE(firing.waitFor(milliseconds(450)));
}

TEST(Watchdog, FiresAfterKicksStop) {
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler());
  watchdog.arm("batches");
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(milliseconds(40));
    watchdog.kick();
  }
  EXPECT_EQ(firing.calls(), 0);
  EXPECT_TRUE(firing.waitFor(milliseconds(2000)));
}

TEST(Watchdog, GraceIsAddedToTheTimeout) {
  Firing firing;
  Watchdog watchdog(0.2, 0.3, firing.handler());
  const auto armed = Clock::now();
  watchdog.arm("barrier");
  ASSERT_TRUE(firing.waitFor(milliseconds(2000)));
  EXPECT_GE(firing.at() - armed, milliseconds(500));
  EXPECT_DOUBLE_EQ(firing.seconds(), 0.2);  // the handler is told the timeout asked for
}

TEST(Watchdog, ZeroTimeoutDisablesIt) {
  Firing firing;
  Watchdog watchdog(0.0, 0.0, firing.handler());
  watchdog.arm("anything");
  EXPECT_FALSE(firing.waitFor(milliseconds(300)));
}

TEST(Watchdog, DestroysPromptlyWhileArmed) {
  Firing firing;
  const auto start = Clock::now();
  {
    Watchdog watchdog(10.0, 0.0, firing.handler());
    watchdog.arm("long step");
  }
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(firing.calls(), 0);
}

}  // namespace
}  // namespace cclbench
