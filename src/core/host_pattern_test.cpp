#include "core/host_pattern.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/element_codec.hpp"

namespace cclbench::pattern {
namespace {

const std::vector<DType> kAllTypes{DType::kInt8,     DType::kUint8,   DType::kInt32,
                                   DType::kUint32,   DType::kInt64,   DType::kUint64,
                                   DType::kHalf,     DType::kFloat,   DType::kDouble,
                                   DType::kBfloat16, DType::kFp8E4M3, DType::kFp8E5M2};
const std::vector<RedOp> kAllOps{RedOp::kSum, RedOp::kProd, RedOp::kMin,
                                 RedOp::kMax, RedOp::kAvg,  RedOp::kPreMulSum};

/// A host buffer of `count` elements of one type, read and written as doubles.
class Elements {
 public:
  Elements(DType type, std::size_t count)
      : type_(type), bytes_(sizeOf(type)), data_(count * sizeOf(type)) {}
  void* data() { return data_.data(); }
  std::size_t count() const { return data_.size() / bytes_; }
  uint64_t bits(std::size_t i) const {
    uint64_t b = 0;
    std::memcpy(&b, data_.data() + i * bytes_, bytes_);
    return b;
  }
  void setBits(std::size_t i, uint64_t b) { std::memcpy(data_.data() + i * bytes_, &b, bytes_); }
  double get(std::size_t i) const { return codec::decode(type_, bits(i)); }
  void set(std::size_t i, double v) { setBits(i, codec::encode(type_, v)); }

 private:
  DType type_;
  std::size_t bytes_;
  std::vector<unsigned char> data_;
};

Elements inputOf(DType type, ValueKind kind, int rank, int nranks, uint64_t seed,
                 std::size_t count) {
  Elements e(type, count);
  fillInputHost(e.data(), count, type, {kind, rank, nranks, seed, 0});
  return e;
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
      return a + b;
  }
}

/// Pre-multiplied sum scales by 1/nranks for floating-point types, by 2 for integers.
double mulSumScalar(DType type, int nranks) {
  return info(type).isFloat ? 1.0 / nranks : 2.0;
}

double finish(DType type, RedOp op, double reduced, int nranks) {
  if (op == RedOp::kAvg) return reduced / nranks;
  if (op == RedOp::kPreMulSum) return reduced * mulSumScalar(type, nranks);
  return reduced;
}

/// Reduces element `first + o` of every rank's input, as a correct backend would.
std::vector<double> reduceOnHost(DType type, RedOp op, int nranks, uint64_t seed,
                                 std::size_t inputCount, std::size_t first, std::size_t count) {
  std::vector<double> acc(count);
  for (int r = 0; r < nranks; ++r) {
    const Elements in = inputOf(type, valueKindOf(op), r, nranks, seed, inputCount);
    for (std::size_t o = 0; o < count; ++o) {
      acc[o] = r == 0 ? in.get(first + o) : combine(op, acc[o], in.get(first + o));
    }
  }
  for (double& v : acc) v = finish(type, op, v, nranks);
  return acc;
}

class ReductionPattern : public ::testing::TestWithParam<DType> {};

TEST_P(ReductionPattern, HostSimulatedReductionIsAcceptedAndSpoiledElementsCounted) {
  const DType type = GetParam();
  constexpr std::size_t kCount = 97;
  for (RedOp op : kAllOps) {
    for (int nranks : {1, 2, 3, 4, 7, 64, 1000}) {
      SCOPED_TRACE(std::string(name(type)) + " " + name(op) + " on " + std::to_string(nranks));
      const uint64_t seed = 1234567 + static_cast<uint64_t>(nranks);
      const std::vector<double> reduced = reduceOnHost(type, op, nranks, seed, kCount, 0, kCount);
      Elements out(type, kCount);
      for (std::size_t o = 0; o < kCount; ++o) out.set(o, reduced[o]);
      const OutputSpec spec{
          valueKindOf(op),           Layout::kReduced, op, 0, nranks, 0, kCount, seed,
          mulSumScalar(type, nranks)};
      EXPECT_EQ(countWrongHost(out.data(), kCount, type, spec), 0u);
      for (std::size_t spoiled : {0, 13, 96}) out.set(spoiled, 100.0);
      EXPECT_EQ(countWrongHost(out.data(), kCount, type, spec), 3u);
      if (allowedUlps(op) == 0) {  // exact ops: an all-zero output is wrong where 0 is
        Elements zeros(type, kCount);
        const auto nonZero =
            std::count_if(reduced.begin(), reduced.end(), [](double v) { return v != 0.0; });
        EXPECT_EQ(countWrongHost(zeros.data(), kCount, type, spec), static_cast<uint64_t>(nonZero));
      }
    }
  }
}

TEST_P(ReductionPattern, ReduceScatterChunksMatchHostSimulation) {
  const DType type = GetParam();
  constexpr std::size_t kChunk = 24;
  const int nranks = 5;
  for (RedOp op : kAllOps) {
    for (int rank = 0; rank < nranks; ++rank) {
      const std::vector<double> reduced =
          reduceOnHost(type, op, nranks, 99, kChunk * nranks, rank * kChunk, kChunk);
      Elements out(type, kChunk);
      for (std::size_t o = 0; o < kChunk; ++o) out.set(o, reduced[o]);
      const OutputSpec spec{
          valueKindOf(op),           Layout::kReducedChunk, op, rank, nranks, 0, kChunk, 99,
          mulSumScalar(type, nranks)};
      EXPECT_EQ(countWrongHost(out.data(), kChunk, type, spec), 0u) << name(op) << " " << rank;
    }
  }
}

TEST_P(ReductionPattern, PreMulScalarIsOneOverRanksOrTwo) {
  for (int nranks : {1, 4, 7}) {
    EXPECT_DOUBLE_EQ(preMulScalar(!info(GetParam()).isFloat, nranks),
                     mulSumScalar(GetParam(), nranks));
  }
}

TEST_P(ReductionPattern, ConstantFillWritesEveryElement) {
  const DType type = GetParam();
  Elements e(type, 10);
  fillConstantHost(e.data(), 10, type, 2.0);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(e.get(i), 2.0);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ReductionPattern, ::testing::ValuesIn(kAllTypes),
                         [](const auto& info) { return std::string(name(info.param)); });

OutputSpec dataSpec(Layout layout, int rank, int nranks, int source, uint64_t chunk) {
  return {ValueKind::kData, layout, RedOp::kNone, rank, nranks, source, chunk, 555, 1.0 / nranks};
}

TEST(DataLayouts, GatheredIsEveryRanksInputInRankOrder) {
  const DType type = DType::kInt32;
  const int n = 5;
  const std::size_t chunk = 8;
  Elements out(type, n * chunk);
  std::vector<Elements> inputs;
  for (int r = 0; r < n; ++r) {
    inputs.push_back(inputOf(type, ValueKind::kData, r, n, 555, chunk));
    for (std::size_t o = 0; o < chunk; ++o) out.setBits(r * chunk + o, inputs[r].bits(o));
  }
  EXPECT_EQ(
      countWrongHost(out.data(), n * chunk, type, dataSpec(Layout::kGathered, 2, n, 0, chunk)), 0u);
  // Rank 0's and rank 1's blocks swapped: wrong wherever their inputs differ.
  uint64_t differing = 0;
  for (std::size_t o = 0; o < chunk; ++o) {
    differing += inputs[0].bits(o) != inputs[1].bits(o) ? 2 : 0;
    out.setBits(o, inputs[1].bits(o));
    out.setBits(chunk + o, inputs[0].bits(o));
  }
  EXPECT_GT(differing, 0u);
  EXPECT_EQ(
      countWrongHost(out.data(), n * chunk, type, dataSpec(Layout::kGathered, 2, n, 0, chunk)),
      differing);
}

TEST(DataLayouts, AllToAllTakesThisRanksChunkOfEveryPeer) {
  const DType type = DType::kUint8;
  const int n = 4;
  const std::size_t chunk = 16;
  std::vector<Elements> inputs;
  for (int r = 0; r < n; ++r)
    inputs.push_back(inputOf(type, ValueKind::kData, r, n, 555, n * chunk));
  for (int me = 0; me < n; ++me) {
    Elements out(type, n * chunk);
    for (int peer = 0; peer < n; ++peer) {
      for (std::size_t o = 0; o < chunk; ++o) {
        out.setBits(peer * chunk + o, inputs[peer].bits(me * chunk + o));
      }
    }
    const OutputSpec spec = dataSpec(Layout::kAllToAll, me, n, 0, chunk);
    EXPECT_EQ(countWrongHost(out.data(), n * chunk, type, spec), 0u) << me;
    if (me > 0) {  // the output meant for rank 0 is not rank me's
      Elements other(type, n * chunk);
      for (int peer = 0; peer < n; ++peer) {
        for (std::size_t o = 0; o < chunk; ++o) {
          other.setBits(peer * chunk + o, inputs[peer].bits(o));
        }
      }
      EXPECT_GT(countWrongHost(other.data(), n * chunk, type, spec), 0u) << me;
    }
  }
}

TEST(DataLayouts, CopyOfIsTheSourceRanksInput) {
  const DType type = DType::kBfloat16;
  const int n = 3;
  const std::size_t count = 64;
  for (int source = 0; source < n; ++source) {
    Elements in = inputOf(type, ValueKind::kData, source, n, 555, count);
    EXPECT_EQ(
        countWrongHost(in.data(), count, type, dataSpec(Layout::kCopyOf, 1, n, source, count)), 0u);
    const int otherSource = (source + 1) % n;
    EXPECT_GT(
        countWrongHost(in.data(), count, type, dataSpec(Layout::kCopyOf, 1, n, otherSource, count)),
        0u);
  }
}

TEST(DataLayouts, InputsStayInTheSmallIntegerRange) {
  for (ValueKind kind :
       {ValueKind::kData, ValueKind::kSum, ValueKind::kProd, ValueKind::kMin, ValueKind::kMax}) {
    for (int n : {1, 2, 9}) {
      for (uint64_t i = 0; i < 500; ++i) {
        const int v = inputValue(kind, static_cast<int>(i % n), n, 42, i);
        EXPECT_GE(v, 0);
        EXPECT_LE(v, 8);
      }
    }
  }
}

TEST(DataLayouts, FirstIndexShiftsTheSequence) {
  const DType type = DType::kFloat;
  Elements whole = inputOf(type, ValueKind::kData, 1, 2, 7, 32);
  Elements tail(type, 16);
  fillInputHost(tail.data(), 16, type, {ValueKind::kData, 1, 2, 7, 16});
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(tail.bits(i), whole.bits(16 + i)) << i;
}

TEST(AllowedUlps, AvgToleratesTwoUlpsSumNone) {
  const DType type = DType::kFloat;
  const int n = 3;
  const std::size_t count = 32;
  for (RedOp op : {RedOp::kAvg, RedOp::kSum}) {
    const std::vector<double> reduced = reduceOnHost(type, op, n, 5, count, 0, count);
    const OutputSpec spec{valueKindOf(op), Layout::kReduced, op, 0, n, 0, count, 5, 1.0 / n};
    Elements out(type, count);
    for (std::size_t o = 0; o < count; ++o) out.set(o, reduced[o]);
    out.setBits(3, out.bits(3) + 2);  // 2 ULP above (all values are positive)
    out.setBits(4, out.bits(4) + 3);  // 3 ULP above
    EXPECT_EQ(countWrongHost(out.data(), count, type, spec), op == RedOp::kAvg ? 1u : 2u)
        << name(op);
  }
}

TEST(Codec, KnownBitPatterns) {
  EXPECT_EQ(codec::encode(DType::kHalf, 1.0), 0x3C00u);
  EXPECT_EQ(codec::encode(DType::kHalf, -2.0), 0xC000u);
  EXPECT_EQ(codec::encode(DType::kHalf, 0.5), 0x3800u);
  EXPECT_EQ(codec::encode(DType::kHalf, 65504.0), 0x7BFFu);
  EXPECT_EQ(codec::encode(DType::kHalf, 65520.0), 0x7C00u);  // ties to even overflows to inf
  EXPECT_EQ(codec::encode(DType::kHalf, std::ldexp(1.0, -24)), 0x0001u);
  EXPECT_EQ(codec::encode(DType::kHalf, std::ldexp(1.0, -14)), 0x0400u);
  EXPECT_EQ(codec::encode(DType::kHalf, -0.0), 0x8000u);
  EXPECT_EQ(codec::encode(DType::kHalf, INFINITY), 0x7C00u);
  EXPECT_EQ(codec::encode(DType::kHalf, 1.0 + std::ldexp(1.0, -11)), 0x3C00u);      // tie, even
  EXPECT_EQ(codec::encode(DType::kHalf, 1.0 + 3 * std::ldexp(1.0, -11)), 0x3C02u);  // tie, even
  EXPECT_EQ(codec::encode(DType::kHalf, 2049.0), 0x6800u);
  EXPECT_EQ(codec::encode(DType::kHalf, 2051.0), 0x6802u);
  EXPECT_EQ(codec::encode(DType::kBfloat16, 1.0), 0x3F80u);
  EXPECT_EQ(codec::encode(DType::kBfloat16, -2.0), 0xC000u);
  EXPECT_EQ(codec::encode(DType::kBfloat16, 3.0), 0x4040u);
  EXPECT_EQ(codec::encode(DType::kBfloat16, 1.0 + std::ldexp(1.0, -8)), 0x3F80u);
  EXPECT_EQ(codec::encode(DType::kBfloat16, 1.0 + 3 * std::ldexp(1.0, -8)), 0x3F82u);
  EXPECT_EQ(codec::encode(DType::kFp8E4M3, 1.0), 0x38u);
  EXPECT_EQ(codec::encode(DType::kFp8E4M3, -1.0), 0xB8u);
  EXPECT_EQ(codec::encode(DType::kFp8E4M3, 448.0), 0x7Eu);
  EXPECT_EQ(codec::encode(DType::kFp8E4M3, std::ldexp(1.0, -9)), 0x01u);
  EXPECT_EQ(codec::encode(DType::kFp8E4M3, std::ldexp(1.0, -6)), 0x08u);
  EXPECT_EQ(codec::encode(DType::kFp8E5M2, 1.0), 0x3Cu);
  EXPECT_EQ(codec::encode(DType::kFp8E5M2, 57344.0), 0x7Bu);
  EXPECT_EQ(codec::encode(DType::kFp8E5M2, INFINITY), 0x7Cu);
  EXPECT_EQ(codec::encode(DType::kFp8E5M2, 1.25), 0x3Du);
  EXPECT_EQ(codec::encode(DType::kFp8E5M2, 1.125), 0x3Cu);  // tie, even
  EXPECT_EQ(codec::encode(DType::kFp8E5M2, 1.375), 0x3Eu);  // tie, even
  EXPECT_TRUE(std::isnan(codec::decode(DType::kFp8E4M3, 0x7F)));
  EXPECT_TRUE(std::isnan(codec::decode(DType::kFp8E5M2, 0x7D)));
  EXPECT_TRUE(std::isnan(codec::decode(DType::kHalf, codec::encode(DType::kHalf, NAN))));
  EXPECT_EQ(codec::decode(DType::kHalf, 0x7BFF), 65504.0);
  EXPECT_EQ(codec::decode(DType::kFp8E4M3, 0x7E), 448.0);
}

TEST(Codec, IntegersWrapLikeTwosComplement) {
  EXPECT_EQ(codec::encode(DType::kInt8, -1.0) & 0xFF, 0xFFu);
  EXPECT_EQ(codec::decode(DType::kInt8, 0xFF), -1.0);
  EXPECT_EQ(codec::decode(DType::kUint8, 0xFF), 255.0);
  EXPECT_EQ(codec::decode(DType::kInt32, codec::encode(DType::kInt32, -123456.0)), -123456.0);
  EXPECT_EQ(codec::decode(DType::kUint32, 0xFFFFFFFFu), 4294967295.0);
  EXPECT_EQ(codec::decode(DType::kInt64, codec::encode(DType::kInt64, -7.9)), -7.0);
  EXPECT_EQ(codec::encode(DType::kFloat, 1.0), 0x3F800000u);
  EXPECT_EQ(codec::encode(DType::kDouble, 1.0), 0x3FF0000000000000ull);
}

class NarrowFloat : public ::testing::TestWithParam<DType> {};

TEST_P(NarrowFloat, EveryBitPatternRoundTrips) {
  const DType type = GetParam();
  const uint32_t patterns = 1u << (8 * sizeOf(type));
  for (uint32_t bits = 0; bits < patterns; ++bits) {
    const double v = codec::decode(type, bits);
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(codec::decode(type, codec::encode(type, v)))) << bits;
    } else {
      ASSERT_EQ(codec::encode(type, v), bits) << "value " << v;
    }
  }
}

TEST_P(NarrowFloat, MidpointsRoundToNearestEven) {
  const DType type = GetParam();
  const uint32_t signBit = 1u << (8 * sizeOf(type) - 1);
  for (uint32_t bits = 0; bits + 1 < signBit; ++bits) {
    const double low = codec::decode(type, bits);
    const double high = codec::decode(type, bits + 1);
    if (std::isnan(high) || std::isinf(high)) break;
    const double mid = (low + high) / 2;  // exact in double
    const uint32_t even = (bits % 2 == 0) ? bits : bits + 1;
    ASSERT_EQ(codec::encode(type, mid), even) << "between " << low << " and " << high;
    ASSERT_EQ(codec::encode(type, std::nextafter(mid, 0.0)), bits) << low;
    ASSERT_EQ(codec::encode(type, std::nextafter(mid, INFINITY)), bits + 1) << high;
    ASSERT_EQ(codec::encode(type, -mid), even | signBit) << "negative " << low;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, NarrowFloat,
                         ::testing::Values(DType::kHalf, DType::kBfloat16, DType::kFp8E4M3,
                                           DType::kFp8E5M2),
                         [](const auto& info) { return std::string(name(info.param)); });

TEST(UlpDistance, CountsRepresentableStepsAcrossZero) {
  const auto bitsOf = [](float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return static_cast<uint64_t>(b);
  };
  const float one = 1.0f;
  EXPECT_EQ(codec::ulpDistance(DType::kFloat, 4, bitsOf(one), bitsOf(one)), 0u);
  EXPECT_EQ(codec::ulpDistance(DType::kFloat, 4, bitsOf(one), bitsOf(std::nextafter(one, 2.0f))),
            1u);
  EXPECT_EQ(codec::ulpDistance(DType::kFloat, 4, bitsOf(std::nextafter(one, 0.0f)),
                               bitsOf(std::nextafter(one, 2.0f))),
            2u);
  EXPECT_EQ(codec::ulpDistance(DType::kFloat, 4, bitsOf(0.0f), bitsOf(-0.0f)), 0u);
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(codec::ulpDistance(DType::kFloat, 4, bitsOf(tiny), bitsOf(-tiny)), 2u);
  EXPECT_EQ(codec::ulpDistance(DType::kHalf, 2, 0x3C00, 0x3C03), 3u);
  EXPECT_EQ(codec::ulpDistance(DType::kFp8E4M3, 1, 0x38, 0xB8), 2u * 0x38);
  EXPECT_EQ(codec::ulpDistance(DType::kInt32, 4, 5, 5), 0u);
  EXPECT_EQ(codec::ulpDistance(DType::kInt32, 4, 5, 6), ~0ull);  // integers: exact or far
}

}  // namespace
}  // namespace cclbench::pattern

namespace cclbench {
namespace {

// Integer encodings wrap modulo 2^64 like the hardware, without an undefined conversion for
// values past int64's range (a product over many ranks; found by clang's UBSan).
TEST(ElementCodec, IntegersWrapModulo2To64WithoutUndefinedConversions) {
  EXPECT_EQ(codec::encode(DType::kInt64, -1.0), UINT64_MAX);
  EXPECT_EQ(codec::encode(DType::kUint64, 9223372036854775808.0), uint64_t{1} << 63);
  EXPECT_EQ(codec::encode(DType::kUint64, 13835058055282163712.0), uint64_t{3} << 62);
  EXPECT_EQ(codec::encode(DType::kUint64, 18446744073709551616.0), 0u);  // 2^64
  EXPECT_EQ(codec::encode(DType::kUint64, 18446744073709551616.0 + 8192.0), 8192u);
  EXPECT_EQ(codec::encode(DType::kInt64, -18446744073709551616.0 - 8192.0),
            uint64_t(0) - 8192u);
  EXPECT_EQ(codec::encode(DType::kUint32, 1e300), 0u);
  EXPECT_EQ(codec::encode(DType::kUint32, INFINITY), 0u);
  EXPECT_EQ(codec::encode(DType::kInt8, -2.5), uint64_t(0) - 2u);
}

}  // namespace
}  // namespace cclbench
