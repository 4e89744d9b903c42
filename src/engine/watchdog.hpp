#pragma once
/// Turns a hang into an error: a background thread that fires a handler when the current step
/// (start-up, a batch, a barrier, a check) runs longer than the timeout.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "engine/heartbeat.hpp"

namespace cclbench {

class Watchdog {
 public:
  /// Called once, from the watchdog thread, with what was running; expected not to return
  /// (it reports and aborts the job).
  using Handler = std::function<void(const std::string& activity, double seconds)>;

  /// The clock steps are timed with, in nanoseconds (tests pass a fake one; the watchdog still
  /// looks every 50 ms of real time, and decides by this clock alone).
  using Clock = std::function<int64_t()>;
  static int64_t steadyNowNs();

  /// `timeoutSeconds` 0 disables it. `graceSeconds` is added to the timeout (ranks use a small
  /// rank-dependent grace so that the lowest rank reports first).
  Watchdog(double timeoutSeconds, double graceSeconds, Handler handler,
           Clock clock = &Watchdog::steadyNowNs);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Leaves signs of life in `heartbeat` from now on (progress on arm and kick, liveness from
  /// the watching thread); null detaches it. The heartbeat must outlive its attachment.
  void attach(Heartbeat* heartbeat) { heartbeat_.store(heartbeat); }
  const Heartbeat* heartbeat() const { return heartbeat_.load(); }

  /// Starts timing a new step described by `activity`.
  void arm(std::string activity);
  /// Restarts the clock of the current step (a new batch of the same case).
  void kick();
  void disarm();

 private:
  void watch();

  const double timeoutSeconds_;
  const double graceSeconds_;
  Handler handler_;
  Clock clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string activity_;
  std::atomic<int64_t> armedAtNs_{0};  ///< 0 = disarmed
  std::atomic<Heartbeat*> heartbeat_{nullptr};
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cclbench
