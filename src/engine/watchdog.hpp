#pragma once
/// Turns a hang into an error: a background thread that fires a handler when the current step
/// (start-up, a batch, a barrier, a check) runs longer than the timeout.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cclbench {

class Watchdog {
 public:
  /// Called once, from the watchdog thread, with what was running; expected not to return
  /// (it reports and aborts the job).
  using Handler = std::function<void(const std::string& activity, double seconds)>;

  /// `timeoutSeconds` 0 disables it. `graceSeconds` is added to the timeout (ranks use a small
  /// rank-dependent grace so that the lowest rank reports first).
  Watchdog(double timeoutSeconds, double graceSeconds, Handler handler);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

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
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string activity_;
  std::atomic<int64_t> armedAtNs_{0};  ///< 0 = disarmed
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cclbench
