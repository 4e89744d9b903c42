#pragma once
/// One case as this rank runs it: its buffers and pointers (in-place layouts included), the call
/// one iteration makes, and how its inputs are written and its output checked.

#include <functional>
#include <vector>

#include "backends/backend.hpp"
#include "core/collective.hpp"
#include "engine/plan.hpp"

namespace cclbench {

/// Send, receive and acknowledgement buffers, grown on demand and reused across cases.
///
/// The send buffer remembers the input pattern it holds: out-of-place cases only read it, so a
/// later case with the same pattern writes only the elements beyond those already written (a
/// sweep writes its largest input once instead of once per size: at 256 MiB the fill costs more
/// than several iterations of the collective).
class BufferPool {
 public:
  explicit BufferPool(Backend& backend) : backend_(backend) {}
  /// Makes sure the buffers hold at least these many bytes.
  void reserve(std::size_t sendBytes, std::size_t recvBytes);
  void* send() const { return send_.data(); }
  void* recv() const { return recv_.data(); }
  void* ack() const { return ack_.data(); }
  /// Writes `count` input elements of `spec` at the start of the send buffer, skipping those it
  /// already holds from an earlier call.
  void fillSendInput(std::size_t count, DType type, const pattern::InputSpec& spec);
  /// Forgets what the send buffer holds (something other than fillSendInput wrote to it).
  void forgetSendInput() { sendHolds_ = 0; }

 private:
  Backend& backend_;
  Buffer send_;
  Buffer recv_;
  Buffer ack_;
  DType sendType_ = DType::kFloat;
  pattern::InputSpec sendSpec_{};
  std::size_t sendHolds_ = 0;  ///< elements of sendSpec_ at the start of send_
};

class Operation {
 public:
  /// `stream`: bw keeps `window` messages in flight across iterations (Backend::stream), and
  /// finisher() completes them and exchanges the ack, once per batch.
  Operation(Backend& backend, BufferPool& buffers, const CaseSpec& spec, int peerA, int peerB,
            int window, bool stream = false);
  Operation(const Operation&) = delete;  // the issuer refers to this object
  Operation& operator=(const Operation&) = delete;

  /// The send and receive buffer bytes a case needs (in-place layouts fit in the receive one).
  static std::pair<std::size_t, std::size_t> bufferBytes(const CaseSpec& spec);

  /// Whether this rank does anything (point-to-point leaves all but the pair idle).
  bool participates() const { return participates_; }
  /// One timed iteration.
  const std::function<void()>& issuer() const { return issue_; }
  /// What ends a batch of iterations (a streamed bw: the messages still in flight and the ack);
  /// empty for every other operation.
  const std::function<void()>& finisher() const { return finish_; }
  /// One iteration that leaves nothing in flight: issuer() and finisher() (the data check and
  /// per-iteration timing run it alone).
  const std::function<void()>& once() const { return once_; }
  /// Writes this rank's inputs and poisons its output region (out-of-place only). Unchecked
  /// (no data check will read the output), it writes nothing: the buffers hold zeros from their
  /// allocation or an earlier case's numbers, which the libraries move and reduce in the same
  /// time, and a 256 MiB input costs more to write than several iterations take.
  void prepare(bool checked = true);
  /// Wrong elements in this rank's output; 0 where this rank has no checked output.
  uint64_t countWrong();
  /// True when the output after any number of iterations still equals the expected output
  /// (out-of-place, or in-place without compounding: min, max, gathers, broadcasts).
  bool repeatable() const;
  /// Test-only: spoils one element of this rank's output.
  void corruptOutput();
  bool hasCheckedOutput() const { return plan_.output.has_value(); }

 private:
  void buildIssuer();

  Backend& backend_;
  BufferPool& buffers_;
  CaseSpec spec_;
  int peerA_;
  int peerB_;
  int window_;
  bool stream_;
  bool participates_;
  CheckPlan plan_;
  InPlaceLayout layout_{0, 0};
  char* send_ = nullptr;
  char* recv_ = nullptr;
  std::vector<PeerOp> first_;   ///< point-to-point: posted and completed first
  std::vector<PeerOp> second_;  ///< ... then these (latency's reply, bw's ack)
  std::function<void()> issue_;
  std::function<void()> finish_;
  std::function<void()> once_;
};

}  // namespace cclbench
