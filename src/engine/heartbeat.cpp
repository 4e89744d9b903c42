#include "engine/heartbeat.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>

namespace cclbench {

/// One local rank's clocks (steady clock, nanoseconds; shared by the processes of a host).
struct Heartbeat::Slot {
  std::atomic<int32_t> rank;  ///< global rank + 1; 0 = the slot is unused
  std::atomic<int64_t> progressNs;
  std::atomic<int64_t> aliveNs;
};
static_assert(std::atomic<int64_t>::is_always_lock_free, "slots are shared between processes");

namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::unique_ptr<Heartbeat> Heartbeat::open(const std::string& runId, int localRank, int rank) {
  if (localRank < 0 || localRank >= kSlots) return nullptr;
  std::string name = "/cclbench-hb-";
  for (char c : runId) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  const int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT, 0600);
  if (fd < 0) return nullptr;
  const std::size_t bytes = sizeof(Slot) * kSlots;
  // Every local rank extends it to the same size; the kernel zero-fills: slots start unused.
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    ::close(fd);
    return nullptr;
  }
  void* map = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  std::unique_ptr<Heartbeat> beat(new Heartbeat(name, static_cast<Slot*>(map), localRank));
  Slot& mine = beat->slots_[localRank];
  mine.progressNs.store(nowNs());
  mine.aliveNs.store(nowNs());
  mine.rank.store(rank + 1);
  return beat;
}

Heartbeat::Heartbeat(std::string name, Slot* slots, int localRank)
    : name_(std::move(name)), slots_(slots), localRank_(localRank) {}

Heartbeat::~Heartbeat() { ::munmap(slots_, sizeof(Slot) * kSlots); }

void Heartbeat::unlinkName() { ::shm_unlink(name_.c_str()); }

void Heartbeat::progress() { slots_[localRank_].progressNs.store(nowNs(), std::memory_order_relaxed); }

void Heartbeat::alive() { slots_[localRank_].aliveNs.store(nowNs(), std::memory_order_relaxed); }

std::vector<Heartbeat::Silent> Heartbeat::silent(double staleSeconds) const {
  std::vector<Silent> out;
  const int64_t now = nowNs();
  for (int i = 0; i < kSlots; ++i) {
    const int32_t rank = slots_[i].rank.load(std::memory_order_relaxed);
    if (rank == 0 || i == localRank_) continue;
    const double quiet = static_cast<double>(now - slots_[i].aliveNs.load(std::memory_order_relaxed)) * 1e-9;
    if (quiet >= staleSeconds) out.push_back({rank - 1, quiet});
  }
  return out;
}

}  // namespace cclbench
