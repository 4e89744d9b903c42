#include "core/collective.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cclbench {
namespace {

// Rows (size column, count column) of a real nccl-tests 2.18.0 all_gather_perf run on 2 ranks,
// float (fixtures/real-output/nccltests-allgather-rtx5090-2rank-tagged.txt).
const std::vector<std::pair<std::size_t, std::size_t>> kRealAllGather2Ranks{
    {1048576, 131072},   {2097152, 262144},   {4194304, 524288},   {8388608, 1048576},
    {16777216, 2097152}, {33554432, 4194304}, {67108864, 8388608}, {134217728, 16777216}};

TEST(ShapeOf, AllGatherMatchesRealNcclTestsRows) {
  for (const auto& [sizeColumn, countColumn] : kRealAllGather2Ranks) {
    const CaseShape s = shapeOf(Collective::kAllGather, sizeColumn, 4, 2);
    EXPECT_EQ(s.count, countColumn) << sizeColumn;
    EXPECT_EQ(s.sizeBytes, sizeColumn) << sizeColumn;
  }
}

TEST(ShapeOf, AllGatherBuffers) {
  const CaseShape s = shapeOf(Collective::kAllGather, 1048576, 4, 2);
  EXPECT_EQ(s.count, 131072u);
  EXPECT_EQ(s.sendCount, 131072u);
  EXPECT_EQ(s.recvCount, 262144u);
  EXPECT_EQ(s.sendInPlaceOffset, 131072u);  // rank r sends from its own chunk of recv
  EXPECT_EQ(s.recvInPlaceOffset, 0u);
}

TEST(ShapeOf, PerRankChunkRoundsDownToSixteenBytes) {
  // 8 B of float on 4 ranks: 2 elements, 0 per rank.
  EXPECT_EQ(shapeOf(Collective::kAllGather, 8, 4, 4).count, 0u);
  EXPECT_EQ(shapeOf(Collective::kAllGather, 8, 4, 4).sizeBytes, 0u);
  // 100 B float on 4 ranks: 25 elements, 6 per rank, rounded down to 4 (16 bytes).
  const CaseShape s = shapeOf(Collective::kAllGather, 100, 4, 4);
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.recvCount, 16u);
  EXPECT_EQ(s.sizeBytes, 64u);
  // double: chunks of 2 elements. 48 B on 2 ranks: 6 elements, 3 per rank -> 2.
  EXPECT_EQ(shapeOf(Collective::kAllGather, 48, 8, 2).count, 2u);
  // int8: chunks of 16 elements. 100 B on 3 ranks: 33 per rank -> 32.
  EXPECT_EQ(shapeOf(Collective::kAllGather, 100, 1, 3).count, 32u);
  // Rounding applies to reduce-scatter and all-to-all too.
  EXPECT_EQ(shapeOf(Collective::kReduceScatter, 100, 4, 4).count, 4u);
  EXPECT_EQ(shapeOf(Collective::kAllToAll, 100, 4, 4).count, 4u);
  EXPECT_EQ(shapeOf(Collective::kAllToAll, 8, 4, 4).count, 0u);
}

TEST(ShapeOf, ReduceScatterBuffers) {
  const CaseShape s = shapeOf(Collective::kReduceScatter, 1048576, 4, 2);
  EXPECT_EQ(s.count, 131072u);
  EXPECT_EQ(s.sendCount, 262144u);
  EXPECT_EQ(s.recvCount, 131072u);
  EXPECT_EQ(s.sendInPlaceOffset, 0u);
  EXPECT_EQ(s.recvInPlaceOffset, 131072u);
  EXPECT_EQ(s.sizeBytes, 1048576u);
}

TEST(ShapeOf, AllToAllBuffers) {
  const CaseShape s = shapeOf(Collective::kAllToAll, 1024, 4, 4);
  EXPECT_EQ(s.count, 64u);  // per peer
  EXPECT_EQ(s.sendCount, 256u);
  EXPECT_EQ(s.recvCount, 256u);
  EXPECT_EQ(s.sizeBytes, 1024u);
}

TEST(ShapeOf, OtherCollectivesUseTheWholeCount) {
  for (Collective c :
       {Collective::kAllReduce, Collective::kBroadcast, Collective::kReduce, Collective::kSendRecv,
        Collective::kLatency, Collective::kBandwidth, Collective::kBiBandwidth}) {
    const CaseShape s = shapeOf(c, 1001, 4, 8);
    EXPECT_EQ(s.count, 250u) << name(c);
    EXPECT_EQ(s.sendCount, 250u) << name(c);
    EXPECT_EQ(s.recvCount, 250u) << name(c);
    EXPECT_EQ(s.sizeBytes, 1000u) << name(c);
  }
  EXPECT_EQ(shapeOf(Collective::kAllReduce, 8, 4, 4).count, 2u);  // no per-rank rounding
}

TEST(BusBandwidthFactor, FollowsNcclTestsDefinitions) {
  const std::vector<std::pair<int, double>> allReduce{{2, 1.0}, {4, 1.5}, {8, 1.75}, {16, 1.875}};
  for (const auto& [n, factor] : allReduce) {
    EXPECT_DOUBLE_EQ(busBandwidthFactor(Collective::kAllReduce, n), factor) << n;
  }
  const std::vector<std::pair<int, double>> gathers{{2, 0.5}, {4, 0.75}, {8, 0.875}, {16, 0.9375}};
  for (Collective c : {Collective::kAllGather, Collective::kReduceScatter, Collective::kAllToAll}) {
    for (const auto& [n, factor] : gathers) {
      EXPECT_DOUBLE_EQ(busBandwidthFactor(c, n), factor) << name(c) << " " << n;
    }
  }
  for (Collective c : {Collective::kBroadcast, Collective::kReduce, Collective::kSendRecv,
                       Collective::kLatency, Collective::kBandwidth, Collective::kBiBandwidth}) {
    for (int n : {2, 4, 8, 16}) EXPECT_DOUBLE_EQ(busBandwidthFactor(c, n), 1.0) << name(c);
  }
}

TEST(AlgorithmBytes, BidirectionalCountsBothWays) {
  EXPECT_DOUBLE_EQ(algorithmBytes(Collective::kAllReduce, 4096), 4096.0);
  EXPECT_DOUBLE_EQ(algorithmBytes(Collective::kBandwidth, 4096), 4096.0);
  EXPECT_DOUBLE_EQ(algorithmBytes(Collective::kBiBandwidth, 4096), 8192.0);
}

TEST(ParseCollective, AcceptsBothSpellingsAndPerfSuffix) {
  const std::vector<std::pair<std::string, Collective>> names{
      {"allreduce", Collective::kAllReduce},
      {"all_reduce", Collective::kAllReduce},
      {"all_reduce_perf", Collective::kAllReduce},
      {"allgather", Collective::kAllGather},
      {"all_gather", Collective::kAllGather},
      {"all_gather_perf", Collective::kAllGather},
      {"reducescatter", Collective::kReduceScatter},
      {"reduce_scatter", Collective::kReduceScatter},
      {"reduce_scatter_perf", Collective::kReduceScatter},
      {"broadcast", Collective::kBroadcast},
      {"broadcast_perf", Collective::kBroadcast},
      {"reduce", Collective::kReduce},
      {"reduce_perf", Collective::kReduce},
      {"alltoall", Collective::kAllToAll},
      {"alltoall_perf", Collective::kAllToAll},
      {"all_to_all", Collective::kAllToAll},
      {"sendrecv", Collective::kSendRecv},
      {"sendrecv_perf", Collective::kSendRecv},
      {"send_recv", Collective::kSendRecv},
      {"latency", Collective::kLatency},
      {"bw", Collective::kBandwidth},
      {"bibw", Collective::kBiBandwidth}};
  for (const auto& [text, expected] : names) {
    EXPECT_EQ(parseCollective(text), expected) << text;
  }
  for (const char* bad : {"", "all", "allreduce2", "_perf", "scatter", "ALLREDUCE_PERF_perf"}) {
    EXPECT_EQ(parseCollective(bad), std::nullopt) << bad;
  }
}

TEST(CollectiveTable, EveryEntryDescribesItself) {
  const auto all = allCollectives();
  ASSERT_EQ(all.size(), 11u);
  for (Collective c : all) {
    EXPECT_EQ(info(c).id, c);
    EXPECT_EQ(parseCollective(info(c).name), c);
    EXPECT_EQ(parseCollective(info(c).ncclTestsName), c);
  }
  EXPECT_TRUE(info(Collective::kReduce).rooted);
  EXPECT_TRUE(info(Collective::kBroadcast).rooted);
  EXPECT_FALSE(info(Collective::kAllReduce).rooted);
  EXPECT_TRUE(info(Collective::kReduceScatter).reduces);
  EXPECT_FALSE(info(Collective::kAllGather).reduces);
  EXPECT_FALSE(info(Collective::kAllToAll).hasInPlace);
  EXPECT_FALSE(info(Collective::kSendRecv).hasInPlace);
  EXPECT_TRUE(info(Collective::kBandwidth).pointToPoint);
}

CheckContext context(Collective c, int rank, int nranks) {
  return {c, DType::kFloat, RedOp::kSum, rank, nranks, /*root=*/1, /*peerA=*/0, /*peerB=*/2, 77};
}

TEST(CheckPlanOf, ReduceChecksOnlyTheRoot) {
  const CaseShape shape = shapeOf(Collective::kReduce, 64, 4, 4);
  for (int rank = 0; rank < 4; ++rank) {
    const CheckPlan plan = checkPlanOf(context(Collective::kReduce, rank, 4), shape);
    EXPECT_EQ(plan.output.has_value(), rank == 1) << rank;
    EXPECT_EQ(plan.input.kind, pattern::ValueKind::kSum);
    EXPECT_EQ(plan.input.rank, rank);
  }
  const CheckPlan root = checkPlanOf(context(Collective::kReduce, 1, 4), shape);
  EXPECT_EQ(root.output->layout, pattern::Layout::kReduced);
  EXPECT_EQ(root.output->op, RedOp::kSum);
  EXPECT_DOUBLE_EQ(root.output->preMulScalar, 0.25);  // float: mulsum scales by 1/nranks
  CheckContext integer = context(Collective::kReduce, 1, 4);
  integer.type = DType::kInt32;
  EXPECT_DOUBLE_EQ(checkPlanOf(integer, shape).output->preMulScalar, 2.0);  // 1/4 would be 0
}

TEST(CheckPlanOf, SendRecvReceivesFromThePreviousRank) {
  const CaseShape shape = shapeOf(Collective::kSendRecv, 64, 4, 4);
  const int expectedSource[] = {3, 0, 1, 2};
  for (int rank = 0; rank < 4; ++rank) {
    const CheckPlan plan = checkPlanOf(context(Collective::kSendRecv, rank, 4), shape);
    ASSERT_TRUE(plan.output.has_value());
    EXPECT_EQ(plan.output->sourceRank, expectedSource[rank]) << rank;
    EXPECT_EQ(plan.output->kind, pattern::ValueKind::kData);  // no reduction
    EXPECT_EQ(plan.output->op, RedOp::kNone);
  }
}

TEST(CheckPlanOf, BandwidthChecksOnlyTheReceiver) {
  const CaseShape shape = shapeOf(Collective::kBandwidth, 64, 4, 4);
  for (int rank = 0; rank < 4; ++rank) {
    const CheckPlan plan = checkPlanOf(context(Collective::kBandwidth, rank, 4), shape);
    EXPECT_EQ(plan.output.has_value(), rank == 2) << rank;  // peerB
  }
  EXPECT_EQ(checkPlanOf(context(Collective::kBandwidth, 2, 4), shape).output->sourceRank, 0);
}

TEST(CheckPlanOf, LatencyAndBiBandwidthCheckBothPeers) {
  for (Collective c : {Collective::kLatency, Collective::kBiBandwidth}) {
    const CaseShape shape = shapeOf(c, 64, 4, 4);
    for (int rank = 0; rank < 4; ++rank) {
      const CheckPlan plan = checkPlanOf(context(c, rank, 4), shape);
      EXPECT_EQ(plan.output.has_value(), rank == 0 || rank == 2) << name(c) << " " << rank;
    }
    EXPECT_EQ(checkPlanOf(context(c, 0, 4), shape).output->sourceRank, 2);
    EXPECT_EQ(checkPlanOf(context(c, 2, 4), shape).output->sourceRank, 0);
  }
}

TEST(CheckPlanOf, CountsAndChunksFollowTheShape) {
  const CaseShape shape = shapeOf(Collective::kReduceScatter, 1024, 4, 4);
  const CheckPlan plan = checkPlanOf(context(Collective::kReduceScatter, 3, 4), shape);
  EXPECT_EQ(plan.inputCount, 256u);
  EXPECT_EQ(plan.outputCount, 64u);
  ASSERT_TRUE(plan.output.has_value());
  EXPECT_EQ(plan.output->chunk, 64u);
  EXPECT_EQ(plan.output->layout, pattern::Layout::kReducedChunk);
  EXPECT_EQ(plan.output->rank, 3);
  EXPECT_EQ(plan.output->seed, 77u);
}

TEST(CheckPlanOf, OpChoosesTheValueFamily) {
  CheckContext ctx = context(Collective::kAllReduce, 0, 4);
  const CaseShape shape = shapeOf(Collective::kAllReduce, 64, 4, 4);
  ctx.op = RedOp::kProd;
  EXPECT_EQ(checkPlanOf(ctx, shape).input.kind, pattern::ValueKind::kProd);
  ctx.op = RedOp::kMin;
  EXPECT_EQ(checkPlanOf(ctx, shape).input.kind, pattern::ValueKind::kMin);
  ctx.op = RedOp::kMax;
  EXPECT_EQ(checkPlanOf(ctx, shape).input.kind, pattern::ValueKind::kMax);
  ctx.op = RedOp::kAvg;
  EXPECT_EQ(checkPlanOf(ctx, shape).input.kind, pattern::ValueKind::kSum);
  ctx.op = RedOp::kPreMulSum;
  EXPECT_EQ(checkPlanOf(ctx, shape).input.kind, pattern::ValueKind::kSum);
}

TEST(Participates, PointToPointLeavesOthersIdle) {
  EXPECT_TRUE(participates(Collective::kLatency, 0, 0, 2));
  EXPECT_TRUE(participates(Collective::kLatency, 2, 0, 2));
  EXPECT_FALSE(participates(Collective::kLatency, 1, 0, 2));
  EXPECT_FALSE(participates(Collective::kBiBandwidth, 3, 0, 2));
  EXPECT_TRUE(participates(Collective::kAllReduce, 3, 0, 2));
  EXPECT_TRUE(participates(Collective::kSendRecv, 1, 0, 2));
}

}  // namespace
}  // namespace cclbench

namespace cclbench {
namespace {

TEST(CollectiveTable, EveryRowIsCompleteAndNamesAreUnique) {
  std::set<std::string> spellings;
  for (const CollectiveInfo& c : collectiveTable()) {
    EXPECT_EQ(&info(c.id), &c) << c.name;  // the enum indexes the table
    ASSERT_NE(c.shape, nullptr) << c.name;
    ASSERT_NE(c.busBandwidthFactor, nullptr) << c.name;
    ASSERT_NE(c.operationsPerIteration, nullptr) << c.name;
    ASSERT_NE(c.checkedOutput, nullptr) << c.name;
    EXPECT_GE(c.bytesPerIteration, 1) << c.name;
    EXPECT_EQ(c.pointToPoint, c.exchanges != nullptr && c.id != Collective::kSendRecv) << c.name;
    std::vector<std::string> names{c.name, c.ncclTestsName};
    names.insert(names.end(), c.aliases.begin(), c.aliases.end());
    for (const std::string& n : names) {
      EXPECT_EQ(parseCollective(n), c.id) << n;
      EXPECT_EQ(parseCollective(n + "_perf"), c.id) << n;
      if (n != c.ncclTestsName || std::string(c.ncclTestsName) != c.name) {
        EXPECT_TRUE(spellings.insert(n).second) << n << " names two collectives";
      }
    }
  }
  EXPECT_NE(collectiveSpellings().find("allreduce, allgather"), std::string::npos);
}

TEST(CollectiveTable, OsuTitlesNameTheirOperation) {
  const std::vector<std::pair<const char*, std::optional<Collective>>> titles = {
      {"# osu mpi allreduce latency test v7.3", Collective::kAllReduce},
      {"# osu mpi reduce latency test v7.4", Collective::kReduce},
      {"# osu mpi reduce_scatter latency test v7.4", Collective::kReduceScatter},
      {"# osu mpi allgather latency test v7.4", Collective::kAllGather},
      {"# osu mpi broadcast latency test v5.9", Collective::kBroadcast},
      {"# osu mpi alltoall latency test v7.4", Collective::kAllToAll},
      {"# osu mpi latency test v5.3.2", Collective::kLatency},
      {"# osu mpi-cuda latency test v7.4", Collective::kLatency},
      {"# osu mpi bandwidth test v5.9", Collective::kBandwidth},
      {"# osu mpi bi-directional bandwidth test v5.3.2", Collective::kBiBandwidth},
      {"# osu mpi barrier latency test v7.4", std::nullopt},
      {"# osu mpi scatter latency test v7.4", std::nullopt},
  };
  for (const auto& [title, want] : titles) EXPECT_EQ(collectiveOfOsuTitle(title), want) << title;
}

TEST(Gather, ShapeCheckAndBandwidthAsNcclTestsGatherPerf) {
  // nccl-tests gather_perf: per-rank chunk rounded to 16 bytes, the root receives all chunks.
  const CaseShape s = shapeOf(Collective::kGather, 1000, sizeof(float), 4);
  EXPECT_EQ(s.count, 60u);  // 250 floats over 4 ranks: 62, down to a multiple of 4 floats
  EXPECT_EQ(s.sendCount, 60u);
  EXPECT_EQ(s.recvCount, 240u);
  EXPECT_EQ(s.sendInPlaceOffset, 60u);
  EXPECT_EQ(s.sizeBytes, 240u * 4);
  EXPECT_DOUBLE_EQ(busBandwidthFactor(Collective::kGather, 4), 0.75);
  EXPECT_EQ(parseCollective("gather_perf"), Collective::kGather);
  for (int rank = 0; rank < 4; ++rank) {
    const CheckPlan plan =
        checkPlanOf({Collective::kGather, DType::kFloat, RedOp::kNone, rank, 4, 2, 0, 1, 7}, s);
    EXPECT_EQ(plan.output.has_value(), rank == 2) << rank;  // only the root's output is checked
  }
  EXPECT_EQ(collectiveOfOsuTitle("# osu mpi gather latency test v7.4"), Collective::kGather);
  EXPECT_EQ(collectiveOfOsuTitle("# osu mpi allgather latency test v7.4"), Collective::kAllGather);
}

TEST(CollectiveTable, PointToPointPlansPostWhatEachRankDoes) {
  std::vector<char> send(64), recv(64), ack(8);
  const ExchangeContext base{0, 4, 1, 3, 8, send.data(), recv.data(), ack.data(), 16};
  // bw: the sender posts the window, then waits for the ack; an idle rank does nothing.
  ExchangeContext c = base;
  c.rank = 1;
  ExchangePlan p = info(Collective::kBandwidth).exchanges(c);
  EXPECT_EQ(p.first.size(), 8u);
  EXPECT_EQ(p.first[0].kind, PeerOp::Kind::kSend);
  EXPECT_EQ(p.first[0].peer, 3);
  ASSERT_EQ(p.second.size(), 1u);
  EXPECT_EQ(p.second[0].buffer, ack.data());
  c.rank = 2;
  p = info(Collective::kBandwidth).exchanges(c);
  EXPECT_TRUE(p.first.empty() && p.second.empty());
  // The ring: receive from the left, send to the right.
  c.rank = 0;
  p = info(Collective::kSendRecv).exchanges(c);
  ASSERT_EQ(p.first.size(), 2u);
  EXPECT_EQ(p.first[0].peer, 3);
  EXPECT_EQ(p.first[1].peer, 1);
  // bibw: both directions at once.
  c.rank = 3;
  p = info(Collective::kBiBandwidth).exchanges(c);
  EXPECT_EQ(p.first.size(), 16u);
  EXPECT_TRUE(p.second.empty());
}

}  // namespace
}  // namespace cclbench
