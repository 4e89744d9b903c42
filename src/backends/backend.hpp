#pragma once
/// The interface every measured communication library implements. One Backend object is one
/// rank: it owns that rank's communicator, allocates buffers where the library wants them
/// (host or device), writes and checks the deterministic patterns in place, issues operations
/// and times loops of them with the clock suited to the library.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "core/bootstrap.hpp"
#include "core/collective.hpp"
#include "core/error.hpp"
#include "core/dtype.hpp"
#include "core/pattern.hpp"
#include "core/redop.hpp"

#include <nlohmann/json.hpp>

namespace cclbench {

enum class MemoryKind { kHost, kDevice };

/// Memory allocated by a backend; freed by the backend's release function when destroyed.
class Buffer {
 public:
  Buffer() = default;
  Buffer(void* data, std::size_t bytes, std::function<void(void*)> release)
      : data_(data), bytes_(bytes), release_(std::move(release)) {}
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
      release_ = std::move(other.release_);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  char* bytePointer(std::size_t offset) const { return static_cast<char*>(data_) + offset; }

 private:
  void reset() {
    if (data_ && release_) release_(data_);
    data_ = nullptr;
    bytes_ = 0;
  }
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  std::function<void(void*)> release_;
};

/// One call of a library collective (every operation but the point-to-point ones, which are
/// plans of exchanges). `count` is the table's count column (per rank for all-gather,
/// reduce-scatter and all-to-all, as the descriptor's shape says); `send == recv`, or the
/// backend's in-place layout, means in place.
struct CollectiveCall {
  Collective collective;
  const void* send;
  void* recv;
  std::size_t count;
  DType type;
  RedOp op;  ///< kNone where the collective does not reduce
  int root;  ///< -1 where it has none
};

/// Element offsets of the in-place variant: send = recv buffer + sendOffset, output at recvOffset.
struct InPlaceLayout {
  std::size_t sendOffset;
  std::size_t recvOffset;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;
  /// Library name -> version string, for provenance.
  virtual std::map<std::string, std::string> libraryVersions() const = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual MemoryKind memoryKind() const = 0;

  /// Empty when the combination runs here; otherwise one line saying why not.
  virtual std::string unsupportedReason(Collective c, DType type, RedOp op) const = 0;

  /// Where the in-place variant reads and writes. Default: nccl-tests' layout.
  virtual InPlaceLayout inPlaceLayout(Collective, const CaseShape& shape) const {
    return {shape.sendInPlaceOffset * static_cast<std::size_t>(rank()),
            shape.recvInPlaceOffset * static_cast<std::size_t>(rank())};
  }

  virtual Buffer allocate(std::size_t bytes) = 0;

  /// The most bytes of buffers this rank can allocate (device memory free), if limited.
  virtual std::optional<uint64_t> memoryLimitBytes() const { return std::nullopt; }

  // Patterns, written and checked where the memory lives (no host round trip for device memory).
  virtual void fillInput(void* data, std::size_t count, DType type,
                         const pattern::InputSpec& spec) = 0;
  virtual void fillConstant(void* data, std::size_t count, DType type, double value) = 0;
  virtual uint64_t countWrong(const void* data, std::size_t count, DType type,
                              const pattern::OutputSpec& spec) = 0;

  // Operations. They may complete asynchronously; synchronize() waits for everything issued.
  /// Issues one library collective; a collective this backend has no call for throws
  /// Error(kNotAvailable) (unsupportedReason() says so first, so plans never ask).
  virtual void collective(const CollectiveCall& call) = 0;
  /// Posts every op of the list at once (sends and receives) and completes them together.
  virtual void exchange(std::span<const PeerOp> ops, DType type) = 0;
  /// Why this backend cannot stream bw (--stream); empty where it can.
  virtual std::string streamUnsupportedReason() const {
    return "--stream (bw with messages kept in flight, ucx_perftest's way) needs --backend ucx "
           "or mpi; " + name() + " measures bw per window (--window), as osu_bw";
  }
  /// bw --stream: posts the ops of one window (all sends to one peer, or all receives from one),
  /// each as soon as fewer than `depth` of this rank's messages are in flight, and returns with up
  /// to `depth` still in flight, for the next call to keep going; finishStream() completes them.
  virtual void stream(std::span<const PeerOp> ops, DType type, int depth) {
    (void)ops, (void)type, (void)depth;
    throw Error(ExitCode::kNotAvailable, streamUnsupportedReason());
  }
  virtual void finishStream() {}
  virtual void barrier() = 0;
  /// Lines every rank up before a call timed alone (--sync-each, OSU's way): the bootstrap's
  /// barrier, or one on the communicator the backend measures on (MPI: OSU barriers on the
  /// communicator it measures; a barrier on another one left 8-byte all-reduces 0.03 us slower).
  virtual void lineUp(Bootstrap& bootstrap) { bootstrap.barrier(); }
  virtual void synchronize() = 0;
  /// Called from the watchdog thread when a step hangs, just before the job is ended: release
  /// what the library holds (NCCL: ncclCommAbort). Must not throw.
  virtual void abortCommunication() noexcept {}
  /// Called on every rank when a case's operation is set up (the same point of the plan
  /// everywhere): what a backend learnt about the previous case's buffers may be dropped (UCX put
  /// targets).
  virtual void startCase() {}
  /// NCCL with --nccl-force: the tuner plugin's counts of calls where the forced pair was applied
  /// and where NCCL had marked it unavailable (process-wide); nullopt when nothing is forced.
  virtual std::optional<std::pair<uint64_t, uint64_t>> forcingCounts() const { return std::nullopt; }
  /// Forces a tuning candidate (knob -> value) on the following calls of `c`; empty knobs give
  /// the library its own choice back. Only NCCL can (through cclbench's tuner plugin).
  virtual void forceCandidate(Collective c, const std::map<std::string, std::string>& knobs) {
    (void)c;
    if (!knobs.empty()) {
      throw Error(ExitCode::kNotAvailable, name() + " cannot switch candidates per call (NCCL can)");
    }
  }

  /// Connects to `peers` (distinct ranks other than this one; untimed) and reports the transports the library says it uses to
  /// reach them, for the run header; throws Error(kFabricMismatch) when a forced fabric is not
  /// what it used. Null where the library reports nothing itself (NCCL's log is read instead).
  virtual nlohmann::json connectAndReport(std::span<const int> peers) {
    (void)peers;
    return nullptr;
  }

  /// Seconds that `iterations` back-to-back calls of `issueOnce` take on this rank, completion
  /// included.
  virtual double timeIterations(const std::function<void()>& issueOnce, int iterations) = 0;
  /// Seconds of each single call, one per element of `seconds`.
  virtual void timeEachIteration(const std::function<void()>& issueOnce,
                                 std::span<double> seconds) = 0;
};

/// Page-aligned host memory with every page touched before anything is timed; throws
/// Error(kNotAvailable) when it cannot be had.
Buffer allocateHostBuffer(std::size_t bytes);

/// A backend whose buffers are host memory (MPI, UCX): allocation and patterns on the CPU.
class HostBackend : public Backend {
 public:
  MemoryKind memoryKind() const override { return MemoryKind::kHost; }
  Buffer allocate(std::size_t bytes) override { return allocateHostBuffer(bytes); }
  void fillInput(void* data, std::size_t count, DType type,
                 const pattern::InputSpec& spec) override;
  void fillConstant(void* data, std::size_t count, DType type, double value) override;
  uint64_t countWrong(const void* data, std::size_t count, DType type,
                      const pattern::OutputSpec& spec) override;
};

}  // namespace cclbench
