// The backend layer without a launcher: the registry's choices and rules, the MPI type table's
// own reductions for the types MPI lacks (run through MPI_Reduce_local, which calls an MPI_Op
// in one process), avg's division, and the MPI backend on a one-process world (buffers,
// patterns, checks, every collective). MPI starts as a singleton once per test process.

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/coll_tuned.hpp"
#include "backends/mpi/mpi_backend.hpp"
#include "backends/mpi/mpi_types.hpp"
#include "backends/registry.hpp"
#include "core/element_codec.hpp"
#include "core/error.hpp"

namespace cclbench {
namespace {

class MpiEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    int provided = 0;
    // Forced candidates need coll/tuned's dynamic rules from MPI_Init on (MpiBackend.Forces...).
    setenv("OMPI_MCA_coll_tuned_use_dynamic_rules", "1", 1);
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  void TearDown() override { MPI_Finalize(); }
};
const auto* const kMpi = ::testing::AddGlobalTestEnvironment(new MpiEnvironment);

TEST(Registry, ResolvesNamesAndRefusesUnknownOnes) {
  const std::vector<std::string> built = builtBackends();
  EXPECT_NE(std::find(built.begin(), built.end(), "mpi"), built.end());
  EXPECT_EQ(resolveBackend("mpi"), "mpi");
  EXPECT_EQ(resolveBackend("auto"), defaultBackend());
  try {
    resolveBackend("gloo");
    FAIL() << "an unknown backend was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find("gloo"), std::string::npos) << e.what();
  }
}

TEST(Registry, SettingsBelongToTheirBackend) {
  BackendSettings s;
  EXPECT_NO_THROW(validate(s, "mpi"));
  s.deviceBuffers = true;
  EXPECT_NO_THROW(validate(s, "mpi"));
  EXPECT_THROW(validate(s, "nccl"), Error);
  s = {};
  s.cudaGraph = true;
  EXPECT_THROW(validate(s, "mpi"), Error);
  EXPECT_NO_THROW(validate(s, "nccl"));
  s = {};
  s.registration = 3;
  EXPECT_THROW(validate(s, "nccl"), Error);
  s.registration = 2;
  EXPECT_NO_THROW(validate(s, "nccl"));
  EXPECT_THROW(validate(s, "mpi"), Error);
  nlohmann::json config = nlohmann::json::object();
  addToConfigJson(s, config);
  EXPECT_EQ(config.at("registration"), 2);
  EXPECT_EQ(config.at("memory"), "default");
}

/// Reduces b into a with MPI's own machinery (MPI_Reduce_local calls the MPI_Op).
template <typename Bits>
std::vector<Bits> reduceLocal(const mpi::TypeTable& types, DType type, RedOp op,
                              std::vector<Bits> a, const std::vector<Bits>& b) {
  MPI_Reduce_local(b.data(), a.data(), static_cast<int>(a.size()), types.datatype(type),
                   types.reduction(type, op));
  return a;
}

TEST(MpiTypes, NarrowFloatsReduceInTheirOwnFormatRoundingToNearestEven) {
  const mpi::TypeTable types;
  auto half = [](double v) { return static_cast<uint16_t>(codec::encode(DType::kHalf, v)); };
  // 1 + 2 = 3; 2048 + 1 = 2049 is not a half: ties to even, 2048; 2048 + 3 = 2051 -> 2052.
  EXPECT_EQ(reduceLocal<uint16_t>(types, DType::kHalf, RedOp::kSum, {half(1), half(2048), half(2048)},
                                  {half(2), half(1), half(3)}),
            (std::vector<uint16_t>{half(3), half(2048), half(2052)}));
  EXPECT_EQ(reduceLocal<uint16_t>(types, DType::kHalf, RedOp::kMax, {half(1), half(-5)},
                                  {half(2), half(-7)}),
            (std::vector<uint16_t>{half(2), half(-5)}));
  auto bf16 = [](double v) { return static_cast<uint16_t>(codec::encode(DType::kBfloat16, v)); };
  EXPECT_EQ(reduceLocal<uint16_t>(types, DType::kBfloat16, RedOp::kProd, {bf16(3), bf16(0.5)},
                                  {bf16(4), bf16(6)}),
            (std::vector<uint16_t>{bf16(12), bf16(3)}));
  auto e4m3 = [](double v) { return static_cast<uint8_t>(codec::encode(DType::kFp8E4M3, v)); };
  EXPECT_EQ(reduceLocal<uint8_t>(types, DType::kFp8E4M3, RedOp::kMin, {e4m3(3), e4m3(8)},
                                 {e4m3(4), e4m3(2)}),
            (std::vector<uint8_t>{e4m3(3), e4m3(2)}));
  auto e5m2 = [](double v) { return static_cast<uint8_t>(codec::encode(DType::kFp8E5M2, v)); };
  EXPECT_EQ(reduceLocal<uint8_t>(types, DType::kFp8E5M2, RedOp::kSum, {e5m2(4)}, {e5m2(4)}),
            (std::vector<uint8_t>{e5m2(8)}));
}

TEST(MpiTypes, AvgDividesInTheElementsOwnArithmetic) {
  std::vector<int32_t> ints = {7, -7, 8};
  mpi::divideElements(ints.data(), ints.size(), DType::kInt32, 2);
  EXPECT_EQ(ints, (std::vector<int32_t>{3, -3, 4}));  // truncation, as integer division does
  std::vector<float> floats = {7, 1};
  mpi::divideElements(floats.data(), floats.size(), DType::kFloat, 2);
  EXPECT_EQ(floats, (std::vector<float>{3.5f, 0.5f}));
  std::vector<uint16_t> halves = {static_cast<uint16_t>(codec::encode(DType::kHalf, 3))};
  mpi::divideElements(halves.data(), halves.size(), DType::kHalf, 2);
  EXPECT_EQ(codec::decode(DType::kHalf, halves[0]), 1.5);
}

/// What a sum reduction of the kSum input pattern with `seed` gives on one rank.
pattern::OutputSpec oneRankSum(uint64_t seed) {
  pattern::OutputSpec reduced{};
  reduced.kind = pattern::ValueKind::kSum;
  reduced.layout = pattern::Layout::kReduced;
  reduced.op = RedOp::kSum;
  reduced.nranks = 1;
  reduced.seed = seed;
  return reduced;
}

TEST(MpiBackend, OneRankMovesAndChecksItsOwnData) {
  auto backend = createMpiBackend();
  ASSERT_EQ(backend->size(), 1);
  ASSERT_EQ(backend->rank(), 0);
  EXPECT_EQ(backend->name(), "mpi");
  EXPECT_FALSE(backend->libraryVersions().empty());
  constexpr std::size_t kCount = 1000;
  for (DType type : {DType::kFloat, DType::kInt32, DType::kHalf, DType::kFp8E4M3}) {
    const std::size_t bytes = kCount * sizeOf(type);
    Buffer send = backend->allocate(bytes), recv = backend->allocate(bytes);
    const pattern::InputSpec input{pattern::ValueKind::kSum, 0, 1, 42, 0};
    backend->fillInput(send.data(), kCount, type, input);
    backend->fillConstant(recv.data(), kCount, type, pattern::kPoison);
    const pattern::OutputSpec reduced = oneRankSum(42);
    EXPECT_EQ(backend->countWrong(recv.data(), kCount, type, reduced), kCount)
        << name(type) << ": a poisoned output is all wrong";
    backend->collective({Collective::kAllReduce, send.data(), recv.data(), kCount, type,
                         RedOp::kSum, -1});
    backend->synchronize();
    EXPECT_EQ(backend->countWrong(recv.data(), kCount, type, reduced), 0u) << name(type);
    std::memcpy(recv.data(), send.data(), bytes);  // a broadcast from rank 0 is a copy
    backend->fillConstant(recv.data(), 1, type, pattern::kPoison);
    EXPECT_EQ(backend->countWrong(recv.data(), kCount, type, reduced), 1u) << name(type);
  }
}

TEST(CollTuned, CandidatesReadAsAlgorithmAndSegmentSize) {
  EXPECT_EQ(collTunedSetting({}).algorithm, 0) << "empty knobs: Open MPI's own choice";
  const CollTunedSetting s = collTunedSetting({{"algorithm", "5"}, {"segsize", "131072"}});
  EXPECT_EQ(s.algorithm, 5);
  EXPECT_EQ(s.segmentBytes, 131072);
  for (const std::map<std::string, std::string>& bad :
       std::vector<std::map<std::string, std::string>>{{{"algorithm", "ring"}},
                                                       {{"algorithm", "-1"}},
                                                       {{"segsize", "8192"}},
                                                       {{"algorithm", "1"}, {"protocol", "ll"}},
                                                       {{"algorithm", "99999999999"}}}) {
    EXPECT_THROW(collTunedSetting(bad), Error) << bad.begin()->first << "=" << bad.begin()->second;
  }
  EXPECT_STREQ(collTunedNames(Collective::kReduceScatter)->mcaName, "reduce_scatter_block");
  EXPECT_EQ(collTunedNames(Collective::kAllReduce)->rulesId, 2);
  EXPECT_FALSE(collTunedNames(Collective::kSendRecv));
}

/// A candidate goes into coll/tuned's variables through MPI_T (read back), and the collectives
/// go on over a fresh communicator; what Open MPI refuses is a usage error naming the variable.
TEST(MpiBackend, ForcesCandidatesThroughCollTunedVariables) {
  auto backend = createMpiBackend();
  constexpr std::size_t kCount = 256;
  Buffer send = backend->allocate(kCount * 4), recv = backend->allocate(kCount * 4);
  const pattern::InputSpec input{pattern::ValueKind::kSum, 0, 1, 7, 0};
  backend->fillInput(send.data(), kCount, DType::kFloat, input);
  const pattern::OutputSpec reduced = oneRankSum(7);
  for (const std::map<std::string, std::string>& knobs :
       std::vector<std::map<std::string, std::string>>{
           {{"algorithm", "1"}}, {{"algorithm", "5"}, {"segsize", "8192"}}, {}}) {
    backend->forceCandidate(Collective::kAllReduce, knobs);
    backend->fillConstant(recv.data(), kCount, DType::kFloat, pattern::kPoison);
    backend->collective({Collective::kAllReduce, send.data(), recv.data(), kCount, DType::kFloat,
                         RedOp::kSum, -1});
    EXPECT_EQ(backend->countWrong(recv.data(), kCount, DType::kFloat, reduced), 0u);
  }
  try {
    backend->forceCandidate(Collective::kAllReduce, {{"algorithm", "99"}});
    ADD_FAILURE() << "algorithm 99 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find("coll_tuned_allreduce_algorithm = 99"), std::string::npos) << e.what();
  }
  EXPECT_THROW(backend->forceCandidate(Collective::kSendRecv, {{"algorithm", "1"}}), Error);
  backend->forceCandidate(Collective::kSendRecv, {});  // nothing to force: nothing happens
}

TEST(MpiBackend, EveryCollectiveRunsOnOneRank) {
  auto backend = createMpiBackend();
  constexpr std::size_t kCount = 64;
  Buffer send = backend->allocate(kCount * sizeof(float)), recv = backend->allocate(kCount * sizeof(float));
  std::vector<float> in(kCount);
  for (std::size_t i = 0; i < kCount; ++i) in[i] = static_cast<float>(i % 7);
  std::memcpy(send.data(), in.data(), sizeof(float) * kCount);
  for (Collective id : allCollectives()) {
    const CollectiveInfo& c = info(id);
    if (c.exchanges) continue;  // point-to-point needs a peer
    const RedOp op = c.reduces ? RedOp::kSum : RedOp::kNone;
    ASSERT_TRUE(backend->unsupportedReason(id, DType::kFloat, op).empty()) << c.name;
    std::memset(recv.data(), 0xff, sizeof(float) * kCount);
    backend->collective({id, send.data(), recv.data(), kCount, DType::kFloat, op,
                         c.rooted ? 0 : -1});
    backend->synchronize();
    std::vector<float> out(kCount);
    std::memcpy(out.data(), recv.data(), sizeof(float) * kCount);
    EXPECT_EQ(out, in) << c.name << ": on one rank every collective copies its input";
  }
  backend->barrier();
}

}  // namespace
}  // namespace cclbench
