#include "engine/watchdog.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace cclbench {
namespace {

using std::chrono::milliseconds;

/// The clock the watchdog decides by: it moves only when the test says. The watchdog still
/// looks every 50 ms of real time, so a test waits a little real time for it to look; whether
/// it fires depends on this clock alone, never on how busy the machine is.
class FakeClock {
 public:
  Watchdog::Clock clock() {
    return [this] { return ns_.load(); };
  }
  void advance(milliseconds by) { ns_ += std::chrono::nanoseconds(by).count(); }

 private:
  std::atomic<int64_t> ns_{1'000'000'000};
};

/// Records the handler's calls; lets a test wait for the first one.
class Firing {
 public:
  Watchdog::Handler handler() {
    return [this](const std::string& activity, double seconds) {
      std::lock_guard lock(mutex_);
      ++calls_;
      activity_ = activity;
      seconds_ = seconds;
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

 private:
  std::mutex mutex_;
  std::condition_variable fired_;
  int calls_ = 0;
  std::string activity_;
  double seconds_ = 0;
};

/// Long enough for the watchdog to have looked several times (it looks every 50 ms).
constexpr milliseconds kLooks{300};
/// Generous: a loaded machine may schedule the watchdog's thread late.
constexpr milliseconds kPatience{5000};

TEST(Watchdog, FiresWithTheActivityOnceTheTimeoutHasPassed) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler(), time.clock());
  watchdog.arm("allreduce 1 MiB float sum out-of-place");
  time.advance(milliseconds(199));
  EXPECT_FALSE(firing.waitFor(kLooks)) << "fired before the timeout";
  time.advance(milliseconds(1));
  ASSERT_TRUE(firing.waitFor(kPatience));
  EXPECT_EQ(firing.activity(), "allreduce 1 MiB float sum out-of-place");
  EXPECT_DOUBLE_EQ(firing.seconds(), 0.2);
  time.advance(milliseconds(1000));
  std::this_thread::sleep_for(kLooks);
  EXPECT_EQ(firing.calls(), 1);  // once only
}

TEST(Watchdog, ReportsTheLatestActivity) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler(), time.clock());
  watchdog.arm("warm-up");
  watchdog.arm("data check");
  time.advance(milliseconds(250));
  ASSERT_TRUE(firing.waitFor(kPatience));
  EXPECT_EQ(firing.activity(), "data check");
}

TEST(Watchdog, DoesNotFireWhenDisarmed) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler(), time.clock());
  watchdog.arm("short step");
  time.advance(milliseconds(50));
  watchdog.disarm();
  time.advance(milliseconds(10000));
  EXPECT_FALSE(firing.waitFor(kLooks));
}

TEST(Watchdog, DoesNotFireWhileKickedInTime) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler(), time.clock());
  watchdog.arm("batches");
  for (int i = 0; i < 30; ++i) {  // 1.2 s, six timeouts, a kick every 40 ms
    time.advance(milliseconds(40));
    watchdog.kick();
    std::this_thread::sleep_for(milliseconds(5));
  }
  watchdog.disarm();
  EXPECT_EQ(firing.calls(), 0);
}

TEST(Watchdog, KickAloneDoesNotArm) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler(), time.clock());
  watchdog.kick();
  time.advance(milliseconds(10000));
  EXPECT_FALSE(firing.waitFor(kLooks));
}

TEST(Watchdog, FiresAfterKicksStop) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.0, firing.handler(), time.clock());
  watchdog.arm("batches");
  for (int i = 0; i < 5; ++i) {
    time.advance(milliseconds(150));
    watchdog.kick();
  }
  std::this_thread::sleep_for(kLooks);
  EXPECT_EQ(firing.calls(), 0);
  time.advance(milliseconds(200));
  EXPECT_TRUE(firing.waitFor(kPatience));
}

TEST(Watchdog, GraceIsAddedToTheTimeout) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.2, 0.3, firing.handler(), time.clock());
  watchdog.arm("barrier");
  time.advance(milliseconds(450));
  EXPECT_FALSE(firing.waitFor(kLooks)) << "fired within the grace";
  time.advance(milliseconds(50));
  ASSERT_TRUE(firing.waitFor(kPatience));
  EXPECT_DOUBLE_EQ(firing.seconds(), 0.2);  // the handler is told the timeout asked for
}

TEST(Watchdog, ZeroTimeoutDisablesIt) {
  FakeClock time;
  Firing firing;
  Watchdog watchdog(0.0, 0.0, firing.handler(), time.clock());
  watchdog.arm("anything");
  time.advance(milliseconds(100000));
  EXPECT_FALSE(firing.waitFor(kLooks));
}

TEST(Watchdog, DestroysPromptlyWhileArmed) {
  Firing firing;
  const auto start = std::chrono::steady_clock::now();
  {
    Watchdog watchdog(10.0, 0.0, firing.handler());
    watchdog.arm("long step");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  EXPECT_EQ(firing.calls(), 0);
}

TEST(Watchdog, TheRealClockFiresToo) {
  Firing firing;
  Watchdog watchdog(0.05, 0.0, firing.handler());
  watchdog.arm("a real step");
  EXPECT_TRUE(firing.waitFor(kPatience));
}

}  // namespace
}  // namespace cclbench
