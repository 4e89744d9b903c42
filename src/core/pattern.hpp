#pragma once
/// Deterministic inputs and their exact expected outputs, the same on host and device.
///
/// Every input element is a small integer (0..8), so inputs and every sum, product, min and max
/// are exactly representable in all types down to fp8, on any number of ranks: for reductions
/// each element gets one or two "contributing" ranks chosen by a hash of its index, the other
/// ranks holding the operation's neutral-ish value, so the result never grows with the rank
/// count. avg (and pre-multiplied sum) divide by the rank count and are compared within 2 ULP.

#include <cstdint>

#include "core/hd.hpp"
#include "core/redop.hpp"

namespace cclbench::pattern {

/// Which family of values a buffer holds.
enum class ValueKind : uint8_t { kData, kSum, kProd, kMin, kMax };

/// Where an output element's expected value comes from.
enum class Layout : uint8_t {
  kReduced,       ///< reduction of all ranks' element o (all-reduce, reduce)
  kReducedChunk,  ///< reduction of all ranks' element rank*chunk+o (reduce-scatter)
  kCopyOf,        ///< sourceRank's element o (broadcast, send/recv, point-to-point)
  kGathered,      ///< rank o/chunk's element o%chunk (all-gather)
  kAllToAll,      ///< rank o/chunk's element rank*chunk + o%chunk (all-to-all)
};

/// The value family a reduction operation's inputs are drawn from.
CCLBENCH_HD inline ValueKind valueKindOf(RedOp op) {
  switch (op) {
    case RedOp::kProd: return ValueKind::kProd;
    case RedOp::kMin: return ValueKind::kMin;
    case RedOp::kMax: return ValueKind::kMax;
    case RedOp::kNone: return ValueKind::kData;
    default: return ValueKind::kSum;  // sum, avg, pre-multiplied sum
  }
}

/// The inputs one rank writes: elements [firstIndex, firstIndex + count) of its input sequence.
struct InputSpec {
  ValueKind kind;
  int rank;
  int nranks;
  uint64_t seed;
  uint64_t firstIndex;
};

/// How to compute every expected element of one rank's output buffer.
struct OutputSpec {
  ValueKind kind;
  Layout layout;
  RedOp op;
  int rank;
  int nranks;
  int sourceRank;
  uint64_t chunk;
  uint64_t seed;
  double preMulScalar;  ///< the scalar of pre-multiplied sum (see preMulScalar()), else unused
};

CCLBENCH_HD inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A value in [0, n) from all 64 bits of `h` (multiply-high, no division: the fill and the check
/// of a 256 MiB buffer would otherwise spend most of their time dividing).
CCLBENCH_HD inline uint64_t below(uint64_t h, uint64_t n) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(h, n);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * n) >> 64);
#endif
}

/// The (up to) two ranks whose inputs shape element `index` of a reduction, and their values.
struct Contributors {
  int first;
  int second;
  uint64_t hash;
};

CCLBENCH_HD inline Contributors contributorsOf(int nranks, uint64_t seed, uint64_t index) {
  const uint64_t h = mix64(seed ^ (index * 0x9e3779b97f4a7c15ull));
  const auto n = static_cast<uint64_t>(nranks);
  const uint64_t first = below(h, n);  // the top bits of h; x and y below use bits 40-49
  uint64_t second = first;
  if (n > 1) {  // another rank: first + 1 + [0, n-1), wrapped once
    second = first + 1 + below((h << 29) | (h >> 35), n - 1);
    if (second >= n) second -= n;
  }
  return {static_cast<int>(first), static_cast<int>(second), h};
}

/// Element `index` of rank `rank`'s input.
CCLBENCH_HD inline int inputValue(ValueKind kind, int rank, int nranks, uint64_t seed,
                                  uint64_t index) {
  if (kind == ValueKind::kData) {
    const uint64_t h = mix64(seed ^ (index * 0xd1b54a32d192ed03ull) ^
                             (static_cast<uint64_t>(rank) * 0x8cb92ba72f3d8dd7ull));
    return static_cast<int>(below(h, 9));
  }
  const Contributors c = contributorsOf(nranks, seed, index);
  const int x = static_cast<int>((c.hash >> 40) & 3);
  const int y = static_cast<int>((c.hash >> 48) & 3);
  const bool isFirst = rank == c.first;
  const bool isSecond = rank == c.second;
  switch (kind) {
    case ValueKind::kSum: return (isFirst ? 1 + x : 0) + (isSecond ? 1 + y : 0);
    case ValueKind::kProd: return (isFirst ? 1 + x % 3 : 1) * (isSecond ? 1 + (y & 1) : 1);
    case ValueKind::kMin: return isFirst ? x : x + 1 + y;
    default: return isFirst ? 4 + x : 3 + x - y;  // kMax: others are 1..4 below the maximum
  }
}

/// The reduction over all ranks of element `index` (before avg's division).
CCLBENCH_HD inline int reducedValue(ValueKind kind, int nranks, uint64_t seed, uint64_t index) {
  const Contributors c = contributorsOf(nranks, seed, index);
  const int x = static_cast<int>((c.hash >> 40) & 3);
  const int y = static_cast<int>((c.hash >> 48) & 3);
  switch (kind) {
    case ValueKind::kSum: return 2 + x + y;
    case ValueKind::kProd: return (1 + x % 3) * (1 + (y & 1));
    case ValueKind::kMin: return x;
    default: return 4 + x;
  }
}

/// The exact expected value of output element `o`. For avg on integer types the division
/// truncates, as integer division does.
CCLBENCH_HD inline double expectedValue(const OutputSpec& s, uint64_t o, bool integerType) {
  switch (s.layout) {
    case Layout::kCopyOf: return inputValue(s.kind, s.sourceRank, s.nranks, s.seed, o);
    case Layout::kGathered:
      return inputValue(s.kind, static_cast<int>(o / s.chunk), s.nranks, s.seed, o % s.chunk);
    case Layout::kAllToAll:
      return inputValue(s.kind, static_cast<int>(o / s.chunk), s.nranks, s.seed,
                        static_cast<uint64_t>(s.rank) * s.chunk + o % s.chunk);
    default: break;
  }
  const uint64_t index = s.layout == Layout::kReducedChunk
                             ? static_cast<uint64_t>(s.rank) * s.chunk + o
                             : o;
  const double reduced = reducedValue(s.kind, s.nranks, s.seed, index);
  if (s.op == RedOp::kAvg) {
    return integerType ? static_cast<double>(static_cast<int64_t>(reduced) / s.nranks)
                       : reduced / s.nranks;
  }
  if (s.op == RedOp::kPreMulSum) return reduced * s.preMulScalar;
  return reduced;
}

/// The scalar of pre-multiplied sum: 1/nranks (an average computed by scaling) for floating-point
/// types, 2 for integer types (where 1/nranks would be 0).
CCLBENCH_HD inline double preMulScalar(bool integerType, int nranks) {
  return integerType ? 2.0 : 1.0 / nranks;
}

/// The most ULPs an element may differ by: 2 for avg and pre-multiplied sum (computed by
/// scaling, as nccl-tests allows), 0 otherwise.
CCLBENCH_HD inline uint64_t allowedUlps(RedOp op) {
  return (op == RedOp::kAvg || op == RedOp::kPreMulSum) ? 2 : 0;
}

/// A value no output can hold (outputs are 0..8 or fractions of them): written into output
/// buffers before a run so that a collective that writes nothing is caught.
inline constexpr double kPoison = 15.0;

}  // namespace cclbench::pattern
