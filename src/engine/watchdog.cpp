#include "engine/watchdog.hpp"

#include <algorithm>

namespace cclbench {

int64_t Watchdog::steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Watchdog::Watchdog(double timeoutSeconds, double graceSeconds, Handler handler, Clock clock)
    : timeoutSeconds_(timeoutSeconds),
      graceSeconds_(graceSeconds),
      handler_(std::move(handler)),
      clock_(std::move(clock)) {
  if (timeoutSeconds_ > 0) thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::arm(std::string activity) {
  {
    std::lock_guard lock(mutex_);
    activity_ = std::move(activity);
  }
  armedAtNs_.store(std::max<int64_t>(clock_(), 1), std::memory_order_relaxed);
  if (Heartbeat* h = heartbeat_.load()) h->progress();
}

void Watchdog::kick() {
  if (armedAtNs_.load(std::memory_order_relaxed) != 0) {
    armedAtNs_.store(std::max<int64_t>(clock_(), 1), std::memory_order_relaxed);
    if (Heartbeat* h = heartbeat_.load()) h->progress();
  }
}

void Watchdog::disarm() { armedAtNs_.store(0, std::memory_order_relaxed); }

void Watchdog::watch() {
  const auto limitNs = static_cast<int64_t>((timeoutSeconds_ + graceSeconds_) * 1e9);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(50));
    if (Heartbeat* h = heartbeat_.load()) h->alive();
    const int64_t armedAt = armedAtNs_.load(std::memory_order_relaxed);
    if (stopping_ || armedAt == 0 || clock_() - armedAt < limitNs) continue;
    const std::string activity = activity_;
    lock.unlock();
    handler_(activity, timeoutSeconds_);
    return;
  }
}

}  // namespace cclbench
