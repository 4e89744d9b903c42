#include "core/collective.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace cclbench {
namespace {

using pattern::Layout;

constexpr std::array<CollectiveInfo, 10> kCollectives{{
    {Collective::kAllReduce, "allreduce", "all_reduce", true, false, false, true,
     Layout::kReduced},
    {Collective::kAllGather, "allgather", "all_gather", false, false, false, true,
     Layout::kGathered},
    {Collective::kReduceScatter, "reducescatter", "reduce_scatter", true, false, false, true,
     Layout::kReducedChunk},
    {Collective::kBroadcast, "broadcast", "broadcast", false, true, false, true, Layout::kCopyOf},
    {Collective::kReduce, "reduce", "reduce", true, true, false, true, Layout::kReduced},
    {Collective::kAllToAll, "alltoall", "alltoall", false, false, false, false,
     Layout::kAllToAll},
    {Collective::kSendRecv, "sendrecv", "sendrecv", false, false, false, false, Layout::kCopyOf},
    {Collective::kLatency, "latency", "latency", false, false, true, false, Layout::kCopyOf},
    {Collective::kBandwidth, "bw", "bw", false, false, true, false, Layout::kCopyOf},
    {Collective::kBiBandwidth, "bibw", "bibw", false, false, true, false, Layout::kCopyOf},
}};

std::size_t roundedChunk(std::size_t count, std::size_t elementBytes, int nranks) {
  const std::size_t perRank = count / static_cast<std::size_t>(nranks);
  const std::size_t multiple = elementBytes >= 16 ? 1 : 16 / elementBytes;
  return perRank - perRank % multiple;
}

}  // namespace

const CollectiveInfo& info(Collective c) { return kCollectives[static_cast<std::size_t>(c)]; }

std::optional<Collective> parseCollective(std::string_view text) {
  if (text.ends_with("_perf")) text.remove_suffix(5);
  for (const auto& c : kCollectives) {
    if (text == c.name || text == c.ncclTestsName) return c.id;
  }
  if (text == "all_to_all") return Collective::kAllToAll;
  if (text == "send_recv") return Collective::kSendRecv;
  return std::nullopt;
}

std::vector<Collective> allCollectives() {
  std::vector<Collective> out;
  for (const auto& c : kCollectives) out.push_back(c.id);
  return out;
}

CaseShape shapeOf(Collective c, std::size_t requestedBytes, std::size_t elementBytes, int nranks) {
  const std::size_t count = requestedBytes / elementBytes;
  const auto n = static_cast<std::size_t>(nranks);
  CaseShape s{count, count, count, 0, 0, 0};
  switch (c) {
    case Collective::kAllGather: {
      const std::size_t chunk = roundedChunk(count, elementBytes, nranks);
      s = {chunk, chunk, chunk * n, chunk, 0, 0};
      break;
    }
    case Collective::kReduceScatter: {
      const std::size_t chunk = roundedChunk(count, elementBytes, nranks);
      s = {chunk, chunk * n, chunk, 0, chunk, 0};
      break;
    }
    case Collective::kAllToAll: {
      const std::size_t chunk = roundedChunk(count, elementBytes, nranks);
      s = {chunk, chunk * n, chunk * n, 0, 0, 0};
      break;
    }
    default:
      break;
  }
  s.sizeBytes = std::max(s.sendCount, s.recvCount) * elementBytes;
  return s;
}

double busBandwidthFactor(Collective c, int nranks) {
  const double n = nranks;
  switch (c) {
    case Collective::kAllReduce: return 2.0 * (n - 1) / n;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
    case Collective::kAllToAll: return (n - 1) / n;
    default: return 1.0;
  }
}

double algorithmBytes(Collective c, std::size_t sizeBytes) {
  return c == Collective::kBiBandwidth ? 2.0 * static_cast<double>(sizeBytes)
                                       : static_cast<double>(sizeBytes);
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
  switch (ctx.collective) {
    case Collective::kReduce:
      if (ctx.rank == ctx.root) plan.output = out;
      break;
    case Collective::kSendRecv:
      out.sourceRank = (ctx.rank - 1 + ctx.nranks) % ctx.nranks;
      plan.output = out;
      break;
    case Collective::kLatency:
    case Collective::kBandwidth:
    case Collective::kBiBandwidth: {
      const bool receives = ctx.rank == ctx.peerB ||
                            (ctx.rank == ctx.peerA && ctx.collective != Collective::kBandwidth);
      if (receives && participates(ctx.collective, ctx.rank, ctx.peerA, ctx.peerB)) {
        out.sourceRank = ctx.rank == ctx.peerA ? ctx.peerB : ctx.peerA;
        plan.output = out;
      }
      break;
    }
    default:
      plan.output = out;
      break;
  }
  return plan;
}

}  // namespace cclbench
