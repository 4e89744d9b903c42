#include "engine/operation.hpp"

#include <algorithm>

namespace cclbench {

void BufferPool::reserve(std::size_t sendBytes, std::size_t recvBytes) {
  if (send_.bytes() < sendBytes) {
    send_ = Buffer();
    send_ = backend_.allocate(sendBytes);
  }
  if (recv_.bytes() < recvBytes) {
    recv_ = Buffer();
    recv_ = backend_.allocate(recvBytes);
  }
  if (ack_.bytes() == 0) ack_ = backend_.allocate(64);
}

Operation::Operation(Backend& backend, BufferPool& buffers, const CaseSpec& spec, int peerA,
                     int peerB, int window)
    : backend_(backend),
      buffers_(buffers),
      spec_(spec),
      peerA_(peerA),
      peerB_(peerB),
      window_(window),
      participates_(cclbench::participates(spec.collective, backend.rank(), peerA, peerB)) {
  const CaseShape& shape = spec.shape;
  const std::size_t elt = sizeOf(spec.dtype);
  const std::size_t largest = std::max(shape.sendCount, shape.recvCount) * elt;
  buffers_.reserve(shape.sendCount * elt, largest);
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
  buildIssuer();
}

void Operation::buildIssuer() {
  Backend& b = backend_;
  const DType type = spec_.dtype;
  const RedOp op = spec_.op;
  const std::size_t count = spec_.shape.count;
  const int root = spec_.root;
  const void* send = send_;
  void* recv = recv_;
  const int rank = b.rank();
  const int n = b.size();
  switch (spec_.collective) {
    case Collective::kAllReduce:
      issue_ = [&b, send, recv, count, type, op] { b.allReduce(send, recv, count, type, op); };
      return;
    case Collective::kAllGather:
      issue_ = [&b, send, recv, count, type] { b.allGather(send, recv, count, type); };
      return;
    case Collective::kReduceScatter:
      issue_ = [&b, send, recv, count, type, op] { b.reduceScatter(send, recv, count, type, op); };
      return;
    case Collective::kBroadcast:
      issue_ = [&b, send, recv, count, type, root] { b.broadcast(send, recv, count, type, root); };
      return;
    case Collective::kReduce:
      issue_ = [&b, send, recv, count, type, op, root] {
        b.reduce(send, recv, count, type, op, root);
      };
      return;
    case Collective::kAllToAll:
      issue_ = [&b, send, recv, count, type] { b.allToAll(send, recv, count, type); };
      return;
    case Collective::kSendRecv:
      first_ = {{PeerOp::Kind::kRecv, recv_, count, (rank - 1 + n) % n},
                {PeerOp::Kind::kSend, send_, count, (rank + 1) % n}};
      break;
    case Collective::kLatency:
      if (rank == peerA_) {
        first_ = {{PeerOp::Kind::kSend, send_, count, peerB_}};
        second_ = {{PeerOp::Kind::kRecv, recv_, count, peerB_}};
      } else if (rank == peerB_) {
        first_ = {{PeerOp::Kind::kRecv, recv_, count, peerA_}};
        second_ = {{PeerOp::Kind::kSend, send_, count, peerA_}};
      }
      break;
    case Collective::kBandwidth:
      if (rank == peerA_) {
        first_.assign(window_, {PeerOp::Kind::kSend, send_, count, peerB_});
        second_ = {{PeerOp::Kind::kRecv, buffers_.ack(), 1, peerB_}};
      } else if (rank == peerB_) {
        first_.assign(window_, {PeerOp::Kind::kRecv, recv_, count, peerA_});
        second_ = {{PeerOp::Kind::kSend, buffers_.ack(), 1, peerA_}};
      }
      break;
    case Collective::kBiBandwidth:
      if (participates_) {
        const int peer = rank == peerA_ ? peerB_ : peerA_;
        first_.assign(window_, {PeerOp::Kind::kRecv, recv_, count, peer});
        first_.insert(first_.end(), window_, {PeerOp::Kind::kSend, send_, count, peer});
      }
      break;
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
}

void Operation::prepare() {
  if (!participates_) return;
  backend_.fillInput(send_, plan_.inputCount, spec_.dtype, plan_.input);
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
  switch (spec_.collective) {
    case Collective::kAllGather:
    case Collective::kBroadcast: return true;
    case Collective::kAllReduce:
    case Collective::kReduce: return idempotentOp;
    case Collective::kReduceScatter:
      // Idempotent only when the result lands on this rank's own input chunk.
      return idempotentOp &&
             layout_.recvOffset == layout_.sendOffset + spec_.shape.count *
                                                            static_cast<std::size_t>(
                                                                backend_.rank());
    default: return false;
  }
}

}  // namespace cclbench
