#include "engine/operation.hpp"

#include <algorithm>

namespace cclbench {

void BufferPool::reserve(std::size_t sendBytes, std::size_t recvBytes) {
  if (send_.bytes() < sendBytes) {
    send_ = Buffer();
    sendHolds_ = 0;
    send_ = backend_.allocate(sendBytes);
  }
  if (recv_.bytes() < recvBytes) {
    recv_ = Buffer();
    recv_ = backend_.allocate(recvBytes);
  }
  if (ack_.bytes() == 0) ack_ = backend_.allocate(64);
}

std::pair<std::size_t, std::size_t> Operation::bufferBytes(const CaseSpec& spec) {
  const std::size_t elt = sizeOf(spec.dtype);
  return {spec.shape.sendCount * elt, std::max(spec.shape.sendCount, spec.shape.recvCount) * elt};
}

void BufferPool::fillSendInput(std::size_t count, DType type, const pattern::InputSpec& spec) {
  const bool same = sendHolds_ > 0 && type == sendType_ && spec.kind == sendSpec_.kind &&
                    spec.rank == sendSpec_.rank && spec.nranks == sendSpec_.nranks &&
                    spec.seed == sendSpec_.seed && spec.firstIndex == sendSpec_.firstIndex;
  const std::size_t from = same ? std::min(sendHolds_, count) : 0;
  if (from < count) {
    pattern::InputSpec rest = spec;
    rest.firstIndex += from;
    backend_.fillInput(static_cast<char*>(send_.data()) + from * sizeOf(type), count - from,
                       type, rest);
  }
  sendType_ = type;
  sendSpec_ = spec;
  sendHolds_ = std::max(count, same ? sendHolds_ : 0);
}

Operation::Operation(Backend& backend, BufferPool& buffers, const CaseSpec& spec, int peerA,
                     int peerB, int window, bool stream)
    : backend_(backend),
      buffers_(buffers),
      spec_(spec),
      peerA_(peerA),
      peerB_(peerB),
      window_(window),
      stream_(stream && spec.collective == Collective::kBandwidth),
      participates_(cclbench::participates(spec.collective, backend.rank(), peerA, peerB)) {
  const CaseShape& shape = spec.shape;
  const std::size_t elt = sizeOf(spec.dtype);
  const auto [sendBytes, recvBytes] = bufferBytes(spec);
  buffers_.reserve(sendBytes, recvBytes);
  plan_ = checkPlanOf({spec.collective, spec.dtype, spec.op, backend.rank(), backend.size(),
                       spec.root, peerA, peerB, spec.seed},
                      shape);
  recv_ = static_cast<char*>(buffers_.recv());
  if (spec.placement == Placement::kInPlace) {
    layout_ = backend_.inPlaceLayout(spec.collective, shape);
    send_ = recv_ + layout_.sendOffset * elt;
    recv_ = recv_ + layout_.recvOffset * elt;
  } else {
    send_ = static_cast<char*>(buffers_.send());
  }
  backend_.startCase();
  buildIssuer();
}

void Operation::buildIssuer() {
  const CollectiveInfo& ci = info(spec_.collective);
  if (!ci.exchanges) {
    const CollectiveCall call{spec_.collective, send_, recv_, spec_.shape.count,
                              spec_.dtype, spec_.op, spec_.root};
    Backend& b = backend_;
    issue_ = [&b, call] { b.collective(call); };
    once_ = issue_;
    return;
  }
  const ExchangePlan plan =
      ci.exchanges({backend_.rank(), backend_.size(), peerA_, peerB_, window_, send_, recv_,
                    buffers_.ack(), spec_.shape.count});
  first_ = plan.first;
  second_ = plan.second;
  const DType type = spec_.dtype;
  if (stream_ && !first_.empty()) {
    issue_ = [this, type] { backend_.stream(first_, type, window_); };
    finish_ = [this, type] {
      backend_.finishStream();
      backend_.exchange(second_, type);
    };
    once_ = [this] {
      issue_();
      finish_();
    };
    return;
  }
  if (first_.empty()) {
    issue_ = [] {};
  } else if (second_.empty()) {
    issue_ = [this, type] { backend_.exchange(first_, type); };
  } else {
    issue_ = [this, type] {
      backend_.exchange(first_, type);
      backend_.exchange(second_, type);
    };
  }
  once_ = issue_;
}

void Operation::prepare(bool checked) {
  if (!participates_ || !checked) return;
  if (spec_.placement == Placement::kOutOfPlace) {
    buffers_.fillSendInput(plan_.inputCount, spec_.dtype, plan_.input);
  } else {
    backend_.fillInput(send_, plan_.inputCount, spec_.dtype, plan_.input);
  }
  if (spec_.placement == Placement::kOutOfPlace && plan_.output) {
    backend_.fillConstant(recv_, plan_.outputCount, spec_.dtype, pattern::kPoison);
  }
  backend_.synchronize();
}

uint64_t Operation::countWrong() {
  if (!plan_.output) return 0;
  backend_.synchronize();
  return backend_.countWrong(recv_, plan_.outputCount, spec_.dtype, *plan_.output);
}

void Operation::corruptOutput() {
  if (!plan_.output) return;
  backend_.synchronize();
  backend_.fillConstant(recv_, 1, spec_.dtype, pattern::kPoison);
}

bool Operation::repeatable() const {
  if (spec_.placement == Placement::kOutOfPlace) return true;
  const bool idempotentOp = spec_.op == RedOp::kMin || spec_.op == RedOp::kMax;
  switch (info(spec_.collective).inPlaceRepeat) {
    case InPlaceRepeat::kAlways: return true;
    case InPlaceRepeat::kIdempotentOp: return idempotentOp;
    case InPlaceRepeat::kIdempotentOwnChunk:
      // Idempotent only when the result lands on this rank's own input chunk.
      return idempotentOp &&
             layout_.recvOffset ==
                 layout_.sendOffset +
                     spec_.shape.count * static_cast<std::size_t>(backend_.rank());
    case InPlaceRepeat::kNever: return false;
  }
  return false;
}

}  // namespace cclbench
