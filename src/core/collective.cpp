#include "core/collective.hpp"

#include <algorithm>

namespace cclbench {
namespace {

using pattern::Layout;

// --- shapes (nccl-tests' GetCollByteCount) ---------------------------------------------------

std::size_t roundedChunk(std::size_t count, std::size_t elementBytes, int nranks) {
  const std::size_t perRank = count / static_cast<std::size_t>(nranks);
  const std::size_t multiple = elementBytes >= 16 ? 1 : 16 / elementBytes;
  return perRank - perRank % multiple;
}

CaseShape whole(std::size_t count, std::size_t, int) { return {count, count, count, 0, 0, 0}; }

CaseShape gathered(std::size_t count, std::size_t elementBytes, int nranks) {
  const std::size_t chunk = roundedChunk(count, elementBytes, nranks);
  return {chunk, chunk, chunk * static_cast<std::size_t>(nranks), chunk, 0, 0};
}

CaseShape scattered(std::size_t count, std::size_t elementBytes, int nranks) {
  const std::size_t chunk = roundedChunk(count, elementBytes, nranks);
  return {chunk, chunk * static_cast<std::size_t>(nranks), chunk, 0, chunk, 0};
}

CaseShape exchanged(std::size_t count, std::size_t elementBytes, int nranks) {
  const std::size_t chunk = roundedChunk(count, elementBytes, nranks);
  const std::size_t all = chunk * static_cast<std::size_t>(nranks);
  return {chunk, all, all, 0, 0, 0};
}

// --- bus bandwidth factors -------------------------------------------------------------------

double allReduceFactor(int n) { return 2.0 * (n - 1) / n; }
double gatherFactor(int n) { return static_cast<double>(n - 1) / n; }
double unitFactor(int) { return 1.0; }

int oneOperation(int) { return 1; }
int twoOperations(int) { return 2; }  // a round trip: latency reports half of it
int windowOperations(int window) { return window; }

// --- which outputs are checked ---------------------------------------------------------------

bool everyRank(const CheckContext&, pattern::OutputSpec&) { return true; }

bool rootOnly(const CheckContext& ctx, pattern::OutputSpec&) { return ctx.rank == ctx.root; }

bool fromPreviousRank(const CheckContext& ctx, pattern::OutputSpec& out) {
  out.sourceRank = (ctx.rank - 1 + ctx.nranks) % ctx.nranks;
  return true;
}

bool pairPartner(const CheckContext& ctx, pattern::OutputSpec& out) {
  if (!participates(ctx.collective, ctx.rank, ctx.peerA, ctx.peerB)) return false;
  out.sourceRank = ctx.rank == ctx.peerA ? ctx.peerB : ctx.peerA;
  return true;
}

bool pairReceiverOnly(const CheckContext& ctx, pattern::OutputSpec& out) {
  return ctx.rank == ctx.peerB && pairPartner(ctx, out);
}

// --- point-to-point plans --------------------------------------------------------------------

using Kind = PeerOp::Kind;

ExchangePlan ring(const ExchangeContext& c) {
  return {{{Kind::kRecv, c.recv, c.count, (c.rank - 1 + c.nranks) % c.nranks},
           {Kind::kSend, c.send, c.count, (c.rank + 1) % c.nranks}},
          {}};
}

ExchangePlan pingPong(const ExchangeContext& c) {
  if (c.rank == c.peerA) {
    return {{{Kind::kSend, c.send, c.count, c.peerB}}, {{Kind::kRecv, c.recv, c.count, c.peerB}}};
  }
  if (c.rank == c.peerB) {
    return {{{Kind::kRecv, c.recv, c.count, c.peerA}}, {{Kind::kSend, c.send, c.count, c.peerA}}};
  }
  return {};
}

ExchangePlan windowThenAck(const ExchangeContext& c) {
  ExchangePlan p;
  const auto w = static_cast<std::size_t>(c.window);
  if (c.rank == c.peerA) {
    p.first.assign(w, {Kind::kSend, c.send, c.count, c.peerB});
    p.second = {{Kind::kRecv, c.ack, 1, c.peerB}};
  } else if (c.rank == c.peerB) {
    p.first.assign(w, {Kind::kRecv, c.recv, c.count, c.peerA});
    p.second = {{Kind::kSend, c.ack, 1, c.peerA}};
  }
  return p;
}

ExchangePlan windowsBothWays(const ExchangeContext& c) {
  ExchangePlan p;
  if (c.rank != c.peerA && c.rank != c.peerB) return p;
  const int peer = c.rank == c.peerA ? c.peerB : c.peerA;
  const auto w = static_cast<std::size_t>(c.window);
  p.first.assign(w, {Kind::kRecv, c.recv, c.count, peer});
  p.first.insert(p.first.end(), w, {Kind::kSend, c.send, c.count, peer});
  return p;
}

// --- the table -------------------------------------------------------------------------------

const std::vector<CollectiveInfo> kTable = {
    {Collective::kAllReduce, "allreduce", "all_reduce", {}, {"allreduce latency"},
     true, false, false, true, true, whole, allReduceFactor, 1, oneOperation, Layout::kReduced,
     everyRank, InPlaceRepeat::kIdempotentOp, nullptr},
    {Collective::kAllGather, "allgather", "all_gather", {}, {"allgather latency"},
     false, false, false, true, true, gathered, gatherFactor, 1, oneOperation, Layout::kGathered,
     everyRank, InPlaceRepeat::kAlways, nullptr},
    {Collective::kReduceScatter, "reducescatter", "reduce_scatter", {},
     {"reduce_scatter latency", "reduce-scatter latency", "reduce scatter latency"},
     true, false, false, true, true, scattered, gatherFactor, 1, oneOperation,
     Layout::kReducedChunk, everyRank, InPlaceRepeat::kIdempotentOwnChunk, nullptr},
    {Collective::kBroadcast, "broadcast", "broadcast", {"bcast"},
     {"broadcast latency", "bcast latency"},
     false, true, false, true, true, whole, unitFactor, 1, oneOperation, Layout::kCopyOf,
     everyRank, InPlaceRepeat::kAlways, nullptr},
    {Collective::kReduce, "reduce", "reduce", {}, {"reduce latency"},
     true, true, false, true, true, whole, unitFactor, 1, oneOperation, Layout::kReduced,
     rootOnly, InPlaceRepeat::kIdempotentOp, nullptr},
    {Collective::kAllToAll, "alltoall", "alltoall", {"all_to_all"},
     {"alltoall latency", "all-to-all latency"},
     false, false, false, false, true, exchanged, gatherFactor, 1, oneOperation,
     Layout::kAllToAll, everyRank, InPlaceRepeat::kNever, nullptr},
    {Collective::kSendRecv, "sendrecv", "sendrecv", {"send_recv"}, {},
     false, false, false, false, true, whole, unitFactor, 1, oneOperation, Layout::kCopyOf,
     fromPreviousRank, InPlaceRepeat::kNever, ring},
    {Collective::kLatency, "latency", "latency", {},
     {"mpi latency test", "mpi-cuda latency test", "mpi-rocm latency test"},
     false, false, true, false, false, whole, unitFactor, 1, twoOperations, Layout::kCopyOf,
     pairPartner, InPlaceRepeat::kNever, pingPong},
    {Collective::kBandwidth, "bw", "bw", {"bandwidth"},
     {"mpi bandwidth test", "mpi-cuda bandwidth test", "mpi-rocm bandwidth test"},
     false, false, true, false, false, whole, unitFactor, 1, windowOperations, Layout::kCopyOf,
     pairReceiverOnly, InPlaceRepeat::kNever, windowThenAck},
    {Collective::kBiBandwidth, "bibw", "bibw", {}, {"bi-directional bandwidth"},
     false, false, true, false, false, whole, unitFactor, 2, windowOperations, Layout::kCopyOf,
     pairPartner, InPlaceRepeat::kNever, windowsBothWays},
    {Collective::kGather, "gather", "gather", {}, {"gather latency"},
     false, true, false, true, true, gathered, gatherFactor, 1, oneOperation, Layout::kGathered,
     rootOnly, InPlaceRepeat::kAlways, nullptr},
};

}  // namespace

const std::vector<CollectiveInfo>& collectiveTable() { return kTable; }

const CollectiveInfo& info(Collective c) { return kTable.at(static_cast<std::size_t>(c)); }

std::optional<Collective> parseCollective(std::string_view text) {
  if (text.ends_with("_perf")) text.remove_suffix(5);
  for (const auto& c : kTable) {
    if (text == c.name || text == c.ncclTestsName) return c.id;
    for (const char* alias : c.aliases) {
      if (text == alias) return c.id;
    }
  }
  return std::nullopt;
}

std::vector<Collective> allCollectives() {
  std::vector<Collective> out;
  for (const auto& c : kTable) out.push_back(c.id);
  return out;
}

std::string collectiveSpellings() {
  std::string out;
  for (const auto& c : kTable) out += std::string(out.empty() ? "" : ", ") + c.name;
  return out;
}

std::optional<Collective> collectiveOfOsuTitle(std::string_view title) {
  std::optional<Collective> best;
  std::size_t longest = 0;
  for (const auto& c : kTable) {
    for (std::string_view phrase : c.osuTitles) {
      if (phrase.size() > longest && title.find(phrase) != std::string_view::npos) {
        longest = phrase.size();
        best = c.id;
      }
    }
  }
  return best;
}

CaseShape shapeOf(Collective c, std::size_t requestedBytes, std::size_t elementBytes, int nranks) {
  CaseShape s = info(c).shape(requestedBytes / elementBytes, elementBytes, nranks);
  s.sizeBytes = std::max(s.sendCount, s.recvCount) * elementBytes;
  return s;
}

double busBandwidthFactor(Collective c, int nranks) { return info(c).busBandwidthFactor(nranks); }

double algorithmBytes(Collective c, std::size_t sizeBytes) {
  return info(c).bytesPerIteration * static_cast<double>(sizeBytes);
}

bool participates(Collective c, int rank, int peerA, int peerB) {
  return !info(c).pointToPoint || rank == peerA || rank == peerB;
}

CheckPlan checkPlanOf(const CheckContext& ctx, const CaseShape& shape) {
  const CollectiveInfo& ci = info(ctx.collective);
  const pattern::ValueKind kind =
      ci.reduces ? pattern::valueKindOf(ctx.op) : pattern::ValueKind::kData;
  CheckPlan plan{};
  plan.input = {kind, ctx.rank, ctx.nranks, ctx.seed, 0};
  plan.inputCount = shape.sendCount;
  pattern::OutputSpec out{kind,
                          ci.outputLayout,
                          ci.reduces ? ctx.op : RedOp::kNone,
                          ctx.rank,
                          ctx.nranks,
                          ctx.root,
                          shape.count,
                          ctx.seed,
                          pattern::preMulScalar(!info(ctx.type).isFloat, ctx.nranks)};
  plan.outputCount = shape.recvCount;
  if (ci.checkedOutput(ctx, out)) plan.output = out;
  return plan;
}

}  // namespace cclbench
