#pragma once
/// A Backend for engine tests: ranks are threads of one process, buffers are host memory, every
/// operation really moves and reduces the data (so checks are meaningful), and timing uses a fake
/// clock: each timed iteration "takes" a configured number of seconds, nothing sleeps.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "backends/backend.hpp"

namespace cclbench::fake {

class FakeWorld;

/// The shared state of the ranks of one fake run; create one, then one FakeBackend per thread.
std::shared_ptr<FakeWorld> createFakeWorld(int size);

struct FakeOptions {
  /// Seconds one iteration takes on `rank` during that rank's `call`-th timing call (0-based).
  /// Default: rank r takes (1 + r) microseconds.
  std::function<double(int rank, int call)> secondsPerIteration = [](int rank, int) {
    return (1 + rank) * 1e-6;
  };
  /// This rank spoils element 0 of every output it receives (-1: none).
  int corruptRank = -1;
  /// Ops this backend reports as unsupported.
  std::set<RedOp> unsupportedOps;
  /// Whether bw can be streamed (--stream); each stream() call (a window, its depth) and each
  /// finishStream() is told to `streamed`. The messages move at once, as exchange() moves them.
  bool streams = false;
  std::function<void(int rank, bool finish, int depth)> streamed = [](int, bool, int) {};
};

class FakeBackend final : public HostBackend {
 public:
  FakeBackend(std::shared_ptr<FakeWorld> world, int rank, FakeOptions options = {});

  std::string name() const override { return "fake"; }
  std::map<std::string, std::string> libraryVersions() const override { return {{"fake", "1.0"}}; }
  int rank() const override { return rank_; }
  int size() const override;
  std::string unsupportedReason(Collective c, DType type, RedOp op) const override;

  Buffer allocate(std::size_t bytes) override;  ///< zeroed, unaligned: cheap for unit tests

  void collective(const CollectiveCall& call) override;
  void exchange(std::span<const PeerOp> ops, DType type) override;
  std::string streamUnsupportedReason() const override {
    return options_.streams ? "" : HostBackend::streamUnsupportedReason();
  }
  void stream(std::span<const PeerOp> ops, DType type, int depth) override {
    options_.streamed(rank_, false, depth);
    exchange(ops, type);
  }
  void finishStream() override { options_.streamed(rank_, true, 0); }
  void barrier() override;
  void synchronize() override {}

  double timeIterations(const std::function<void()>& issueOnce, int iterations) override;
  void timeEachIteration(const std::function<void()>& issueOnce,
                         std::span<double> seconds) override;

  /// How many timing calls this rank has made.
  int timingCalls() const { return calls_; }

 private:
  /// Publishes `send`, lets `outputOf` read every rank's send buffer into this rank's result
  /// (stored bits of each output element), then, once all ranks have read, writes it to `recv`.
  using Compute = std::function<std::vector<uint64_t>(const std::vector<const void*>& sends)>;
  void exchangeAll(const void* send, void* recv, DType type, const Compute& outputOf);
  void allReduce(const void* send, void* recv, std::size_t count, DType type, RedOp op);
  void allGather(const void* send, void* recv, std::size_t countPerRank, DType type);
  void reduceScatter(const void* send, void* recv, std::size_t countPerRank, DType type, RedOp op);
  void broadcast(const void* send, void* recv, std::size_t count, DType type, int root);
  void reduce(const void* send, void* recv, std::size_t count, DType type, RedOp op, int root);
  void allToAll(const void* send, void* recv, std::size_t countPerPeer, DType type);
  std::vector<uint64_t> reduceElements(const std::vector<const void*>& sends, std::size_t first,
                                       std::size_t count, DType type, RedOp op) const;
  void spoil(void* recv, std::size_t count, DType type) const;

  std::shared_ptr<FakeWorld> world_;
  int rank_;
  FakeOptions options_;
  int calls_ = 0;
};

}  // namespace cclbench::fake
