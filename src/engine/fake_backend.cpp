#include "engine/fake_backend.hpp"

#include <algorithm>
#include <barrier>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <utility>

#include "core/element_codec.hpp"
#include "core/error.hpp"
#include "core/host_pattern.hpp"

namespace cclbench::fake {

class FakeWorld {
 public:
  explicit FakeWorld(int size) : size(size), barrier(size), sends(size) {}

  const int size;
  std::barrier<> barrier;
  std::vector<const void*> sends;  ///< each rank's send buffer of the current collective

  // Point-to-point: one FIFO of messages per (sender, receiver); sends never block.
  std::mutex mutex;
  std::condition_variable delivered;
  std::map<std::pair<int, int>, std::deque<std::vector<char>>> mailboxes;
};

std::shared_ptr<FakeWorld> createFakeWorld(int size) {
  return std::make_shared<FakeWorld>(size);
}

namespace {

uint64_t loadBits(const void* base, std::size_t index, std::size_t bytes) {
  uint64_t bits = 0;
  std::memcpy(&bits, static_cast<const char*>(base) + index * bytes, bytes);
  return bits;
}

void storeBits(void* base, std::size_t index, std::size_t bytes, uint64_t bits) {
  std::memcpy(static_cast<char*>(base) + index * bytes, &bits, bytes);
}

double combine(RedOp op, double a, double b) {
  switch (op) {
    case RedOp::kProd:
      return a * b;
    case RedOp::kMin:
      return std::min(a, b);
    case RedOp::kMax:
      return std::max(a, b);
    default:
      return a + b;  // sum, avg, pre-multiplied sum
  }
}

}  // namespace

FakeBackend::FakeBackend(std::shared_ptr<FakeWorld> world, int rank, FakeOptions options)
    : world_(std::move(world)), rank_(rank), options_(std::move(options)) {}

int FakeBackend::size() const {
  return world_->size;
}

std::string FakeBackend::unsupportedReason(Collective, DType, RedOp op) const {
  if (options_.unsupportedOps.contains(op)) return std::string("fake has no ") + cclbench::name(op);
  return {};
}

Buffer FakeBackend::allocate(std::size_t bytes) {
  void* data = std::calloc(bytes ? bytes : 1, 1);
  return Buffer(data, bytes, [](void* p) { std::free(p); });
}


void FakeBackend::exchangeAll(const void* send, void* recv, DType type, const Compute& outputOf) {
  world_->sends[rank_] = send;
  world_->barrier.arrive_and_wait();
  const std::vector<uint64_t> result = outputOf(world_->sends);
  world_->barrier.arrive_and_wait();  // nobody writes before everybody has read
  for (std::size_t i = 0; i < result.size(); ++i) storeBits(recv, i, sizeOf(type), result[i]);
  spoil(recv, result.size(), type);
}

std::vector<uint64_t> FakeBackend::reduceElements(const std::vector<const void*>& sends,
                                                  std::size_t first, std::size_t count, DType type,
                                                  RedOp op) const {
  const std::size_t bytes = sizeOf(type);
  const int n = size();
  std::vector<uint64_t> out(count);
  for (std::size_t o = 0; o < count; ++o) {
    double acc = codec::decode(type, loadBits(sends[0], first + o, bytes));
    for (int r = 1; r < n; ++r) {
      acc = combine(op, acc, codec::decode(type, loadBits(sends[r], first + o, bytes)));
    }
    if (op == RedOp::kAvg) acc /= n;
    if (op == RedOp::kPreMulSum) acc *= pattern::preMulScalar(!info(type).isFloat, n);
    out[o] = codec::encode(type, acc);
  }
  return out;
}

void FakeBackend::spoil(void* recv, std::size_t count, DType type) const {
  if (rank_ != options_.corruptRank || count == 0) return;
  storeBits(recv, 0, sizeOf(type), codec::encode(type, 100.0));
}

void FakeBackend::collective(const CollectiveCall& c) {
  switch (c.collective) {
    case Collective::kAllReduce: return allReduce(c.send, c.recv, c.count, c.type, c.op);
    case Collective::kAllGather: return allGather(c.send, c.recv, c.count, c.type);
    case Collective::kReduceScatter: return reduceScatter(c.send, c.recv, c.count, c.type, c.op);
    case Collective::kBroadcast: return broadcast(c.send, c.recv, c.count, c.type, c.root);
    case Collective::kReduce: return reduce(c.send, c.recv, c.count, c.type, c.op, c.root);
    case Collective::kAllToAll: return allToAll(c.send, c.recv, c.count, c.type);
    case Collective::kGather:
      return exchangeAll(c.send, c.recv, c.type, [&](const auto& sends) {
        std::vector<uint64_t> out;
        for (int p = 0; rank_ == c.root && p < size(); ++p) {
          for (std::size_t o = 0; o < c.count; ++o) out.push_back(loadBits(sends[p], o, sizeOf(c.type)));
        }
        return out;
      });
    default:
      throw Error(ExitCode::kNotAvailable,
                  std::string("the fake backend has no call for ") + cclbench::name(c.collective));
  }
}

void FakeBackend::allReduce(const void* send, void* recv, std::size_t count, DType type, RedOp op) {
  exchangeAll(send, recv, type,
                [&](const auto& sends) { return reduceElements(sends, 0, count, type, op); });
}

void FakeBackend::allGather(const void* send, void* recv, std::size_t countPerRank, DType type) {
  exchangeAll(send, recv, type, [&](const auto& sends) {
    std::vector<uint64_t> out;
    for (int p = 0; p < size(); ++p) {
      for (std::size_t o = 0; o < countPerRank; ++o) {
        out.push_back(loadBits(sends[p], o, sizeOf(type)));
      }
    }
    return out;
  });
}

void FakeBackend::reduceScatter(const void* send, void* recv, std::size_t countPerRank, DType type,
                                RedOp op) {
  exchangeAll(send, recv, type, [&](const auto& sends) {
    return reduceElements(sends, countPerRank * rank_, countPerRank, type, op);
  });
}

void FakeBackend::broadcast(const void* send, void* recv, std::size_t count, DType type, int root) {
  exchangeAll(send, recv, type, [&](const auto& sends) {
    std::vector<uint64_t> out(count);
    for (std::size_t o = 0; o < count; ++o) out[o] = loadBits(sends[root], o, sizeOf(type));
    return out;
  });
}

void FakeBackend::reduce(const void* send, void* recv, std::size_t count, DType type, RedOp op,
                         int root) {
  exchangeAll(send, recv, type, [&](const auto& sends) {
    return rank_ == root ? reduceElements(sends, 0, count, type, op) : std::vector<uint64_t>();
  });
}

void FakeBackend::allToAll(const void* send, void* recv, std::size_t countPerPeer, DType type) {
  exchangeAll(send, recv, type, [&](const auto& sends) {
    std::vector<uint64_t> out;
    for (int p = 0; p < size(); ++p) {
      for (std::size_t o = 0; o < countPerPeer; ++o) {
        out.push_back(loadBits(sends[p], countPerPeer * rank_ + o, sizeOf(type)));
      }
    }
    return out;
  });
}

void FakeBackend::exchange(std::span<const PeerOp> ops, DType type) {
  const std::size_t bytes = sizeOf(type);
  for (const PeerOp& op : ops) {
    if (op.kind != PeerOp::Kind::kSend) continue;
    const char* data = static_cast<const char*>(op.buffer);
    std::lock_guard lock(world_->mutex);
    world_->mailboxes[{rank_, op.peer}].emplace_back(data, data + op.count * bytes);
    world_->delivered.notify_all();
  }
  for (const PeerOp& op : ops) {
    if (op.kind != PeerOp::Kind::kRecv) continue;
    std::vector<char> message;
    {
      std::unique_lock lock(world_->mutex);
      auto& box = world_->mailboxes[{op.peer, rank_}];
      world_->delivered.wait(lock, [&] { return !box.empty(); });
      message = std::move(box.front());
      box.pop_front();
    }
    std::memcpy(op.buffer, message.data(), std::min(message.size(), op.count * bytes));
    spoil(op.buffer, op.count, type);
  }
}

void FakeBackend::barrier() {
  world_->barrier.arrive_and_wait();
}

double FakeBackend::timeIterations(const std::function<void()>& issueOnce, int iterations) {
  for (int i = 0; i < iterations; ++i) issueOnce();
  return iterations * options_.secondsPerIteration(rank_, calls_++);
}

void FakeBackend::timeEachIteration(const std::function<void()>& issueOnce,
                                    std::span<double> seconds) {
  for (double& s : seconds) {
    issueOnce();
    s = options_.secondsPerIteration(rank_, calls_++);
  }
}

}  // namespace cclbench::fake
