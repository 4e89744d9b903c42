#pragma once
/// The requests a bw --stream keeps in flight (Backend::stream), oldest first: a fixed ring of
/// `depth` slots, reused across calls so the timed path allocates nothing. Messages between one
/// pair complete in order, so a backend retires the oldest first.

#include <cstddef>
#include <vector>

#include "core/error.hpp"

namespace cclbench {

template <typename Request>
class InFlight {
 public:
  /// Sizes the ring for `depth` messages; the depth may change only with nothing in flight.
  void resize(std::size_t depth, Request none) {
    if (ring_.size() == depth) return;
    if (count_ > 0) throw Error(ExitCode::kInternal, "the stream's depth changed mid-stream");
    ring_.assign(depth, none);
    oldest_ = 0;
  }
  std::size_t size() const { return count_; }
  bool full() const { return count_ == ring_.size(); }
  /// The slot the next message's request goes into; push() makes it count.
  Request& next() { return ring_[(oldest_ + count_) % ring_.size()]; }
  void push() { ++count_; }
  Request& oldest() { return ring_[oldest_]; }
  void pop() {
    oldest_ = (oldest_ + 1) % ring_.size();
    --count_;
  }

 private:
  std::vector<Request> ring_;
  std::size_t oldest_ = 0;
  std::size_t count_ = 0;
};

}  // namespace cclbench
