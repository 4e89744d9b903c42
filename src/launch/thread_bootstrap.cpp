#include "launch/thread_bootstrap.hpp"

#include <algorithm>
#include <barrier>
#include <cstdlib>
#include <cstring>

#include "launch/launch_env.hpp"

namespace cclbench {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), barrier_(size), slots_(size) {}
  int size() const { return size_; }

  /// Publishes `bytes` from `rank`, waits for all, lets `read` see every slot, waits again.
  template <typename Read>
  void exchange(int rank, const void* data, std::size_t bytes, Read&& read) {
    slots_[rank].assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
    barrier_.arrive_and_wait();
    read(slots_);
    barrier_.arrive_and_wait();
  }

 private:
  int size_;
  std::barrier<> barrier_;
  std::vector<std::vector<char>> slots_;
};

namespace {

template <typename T>
T combine(T a, T b, Bootstrap::Op op) {
  switch (op) {
    case Bootstrap::Op::kSum: return a + b;
    case Bootstrap::Op::kMin: return std::min(a, b);
    default: return std::max(a, b);
  }
}

class ThreadBootstrap final : public Bootstrap {
 public:
  ThreadBootstrap(std::shared_ptr<ThreadGroup> group, int rank) : group_(std::move(group)) {
    place_ = {rank, group_->size(), rank, group_->size(), hostName()};
  }

  const ProcessPlace& place() const override { return place_; }
  void allReduce(double* values, int count, Op op) override { reduceAll(values, count, op); }
  void allReduce(uint64_t* values, int count, Op op) override { reduceAll(values, count, op); }

  std::pair<double, int> maxLocation(double value) override {
    std::pair<double, int> best{value, place_.rank};
    group_->exchange(place_.rank, &value, sizeof value, [&](const auto& slots) {
      for (int r = 0; r < static_cast<int>(slots.size()); ++r) {
        double v;
        std::memcpy(&v, slots[r].data(), sizeof v);
        if (v > best.first || (v == best.first && r < best.second)) best = {v, r};
      }
    });
    return best;
  }

  void broadcast(void* data, std::size_t bytes, int root) override {
    group_->exchange(place_.rank, data, bytes, [&](const auto& slots) {
      if (place_.rank != root) std::memcpy(data, slots[root].data(), bytes);
    });
  }

  void gatherToRoot(const void* mine, std::size_t bytes, std::vector<char>& out) override {
    group_->exchange(place_.rank, mine, bytes, [&](const auto& slots) {
      if (place_.rank != 0) return;
      out.clear();
      for (const auto& slot : slots) out.insert(out.end(), slot.begin(), slot.end());
    });
  }

  void barrier() override {
    group_->exchange(place_.rank, nullptr, 0, [](const auto&) {});
  }

  [[noreturn]] void abort(int exitCode) override { std::_Exit(exitCode); }

 private:
  template <typename T>
  void reduceAll(T* values, int count, Op op) {
    std::vector<T> result(static_cast<std::size_t>(count));
    group_->exchange(place_.rank, values, sizeof(T) * count, [&](const auto& slots) {
      // Every thread combines in rank order, so floating-point results agree bit for bit.
      std::memcpy(result.data(), slots[0].data(), sizeof(T) * count);
      for (std::size_t r = 1; r < slots.size(); ++r) {
        const T* other = reinterpret_cast<const T*>(slots[r].data());
        for (int i = 0; i < count; ++i) result[i] = combine(result[i], other[i], op);
      }
    });
    std::copy(result.begin(), result.end(), values);
  }

  std::shared_ptr<ThreadGroup> group_;
  ProcessPlace place_;
};

}  // namespace

std::shared_ptr<ThreadGroup> createThreadGroup(int size) {
  return std::make_shared<ThreadGroup>(size);
}

std::unique_ptr<Bootstrap> createThreadBootstrap(std::shared_ptr<ThreadGroup> group, int rank) {
  return std::make_unique<ThreadBootstrap>(std::move(group), rank);
}

}  // namespace cclbench
