#pragma once
/// Converts between doubles and the stored bits of every element type, rounding to nearest even.
/// Host and CUDA code share these so generated inputs and expected outputs agree bit for bit.

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/dtype.hpp"
#include "core/hd.hpp"

namespace cclbench::codec {

/// A binary floating-point format narrower than float: half, bfloat16, fp8 e4m3 (OCP "fn": no
/// infinity, NaN is all ones) and fp8 e5m2 (IEEE-like).
struct MiniFloat {
  int mantissaBits;
  int exponentBits;
  bool hasInfinity;
};

CCLBENCH_HD inline MiniFloat miniFloatOf(DType type) {
  switch (type) {
    case DType::kHalf: return {10, 5, true};
    case DType::kBfloat16: return {7, 8, true};
    case DType::kFp8E4M3: return {3, 4, false};
    default: return {2, 5, true};  // kFp8E5M2
  }
}

CCLBENCH_HD inline uint32_t encodeMini(MiniFloat f, double value) {
  const int bias = (1 << (f.exponentBits - 1)) - 1;
  const uint32_t signBit = 1u << (f.mantissaBits + f.exponentBits);
  const uint32_t allOnes = (1u << (f.mantissaBits + f.exponentBits)) - 1;
  const uint32_t expMask = ((1u << f.exponentBits) - 1) << f.mantissaBits;
  const uint32_t nan = f.hasInfinity ? (expMask | (1u << (f.mantissaBits - 1))) : allOnes;
  if (value != value) return nan;
  const uint32_t sign = std::signbit(value) ? signBit : 0u;
  double a = std::fabs(value);
  if (a == 0.0) return sign;
  if (std::isinf(a)) return f.hasInfinity ? (sign | expMask) : (sign | nan);
  int e = 0;
  std::frexp(a, &e);
  int unbiased = e - 1;
  const int minExp = 1 - bias;
  if (unbiased < minExp) {  // subnormal: units of the smallest subnormal; may round up to normal
    return sign | static_cast<uint32_t>(std::rint(std::ldexp(a, f.mantissaBits - minExp)));
  }
  double q = std::rint(std::ldexp(a, f.mantissaBits - unbiased));
  if (q >= std::ldexp(1.0, f.mantissaBits + 1)) {
    q = std::ldexp(1.0, f.mantissaBits);
    ++unbiased;
  }
  const uint32_t mantissa = static_cast<uint32_t>(q) - (1u << f.mantissaBits);
  const int maxField = f.hasInfinity ? (1 << f.exponentBits) - 2 : (1 << f.exponentBits) - 1;
  const int field = unbiased + bias;
  if (field > maxField) return f.hasInfinity ? (sign | expMask) : (sign | nan);
  const uint32_t bits = (static_cast<uint32_t>(field) << f.mantissaBits) | mantissa;
  if (!f.hasInfinity && bits == allOnes) return sign | nan;  // e4m3's only NaN encoding
  return sign | bits;
}

CCLBENCH_HD inline double decodeMini(MiniFloat f, uint32_t bits) {
  const int bias = (1 << (f.exponentBits - 1)) - 1;
  const uint32_t mantissa = bits & ((1u << f.mantissaBits) - 1);
  const int field = static_cast<int>((bits >> f.mantissaBits) & ((1u << f.exponentBits) - 1));
  const bool negative = (bits >> (f.mantissaBits + f.exponentBits)) & 1u;
  double v;
  if (field == 0) {
    v = std::ldexp(static_cast<double>(mantissa), 1 - bias - f.mantissaBits);
  } else if (f.hasInfinity && field == (1 << f.exponentBits) - 1) {
    v = mantissa ? NAN : INFINITY;
  } else if (!f.hasInfinity && field == (1 << f.exponentBits) - 1 &&
             mantissa == (1u << f.mantissaBits) - 1) {
    v = NAN;
  } else {
    v = std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -f.mantissaBits), field - bias);
  }
  return negative ? -v : v;
}

/// The stored bits (low bytes of the result) of `value` converted to `type`.
/// Integer types take the value's integer part with two's complement wrap-around.
CCLBENCH_HD inline uint64_t encode(DType type, double value) {
  switch (type) {
    case DType::kInt8:
    case DType::kUint8:
    case DType::kInt32:
    case DType::kUint32:
    case DType::kInt64:
    case DType::kUint64: {
      // The integer part modulo 2^64, with no conversion outside its type's range (a product
      // over many ranks can pass 2^63; converting that to int64_t directly is undefined).
      const double whole = std::trunc(value);
      if (whole >= -9223372036854775808.0 && whole < 9223372036854775808.0) {
        return static_cast<uint64_t>(static_cast<int64_t>(whole));
      }
      if (!std::isfinite(whole)) return 0;
      constexpr double kTwo64 = 18446744073709551616.0;
      double m = std::fmod(whole, kTwo64);  // exact, in (-2^64, 2^64)
      if (m < 0) m += kTwo64;
      return m >= kTwo64 ? 0 : static_cast<uint64_t>(m);
    }
    case DType::kFloat: {
      const float f = static_cast<float>(value);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case DType::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      return bits;
    }
    default:
      return encodeMini(miniFloatOf(type), value);
  }
}

/// The value of the stored bits of an element of `type`.
CCLBENCH_HD inline double decode(DType type, uint64_t bits) {
  switch (type) {
    case DType::kInt8: return static_cast<int8_t>(bits);
    case DType::kUint8: return static_cast<uint8_t>(bits);
    case DType::kInt32: return static_cast<int32_t>(bits);
    case DType::kUint32: return static_cast<uint32_t>(bits);
    case DType::kInt64: return static_cast<double>(static_cast<int64_t>(bits));
    case DType::kUint64: return static_cast<double>(bits);
    case DType::kFloat: {
      float f;
      const uint32_t b = static_cast<uint32_t>(bits);
      std::memcpy(&f, &b, sizeof f);
      return f;
    }
    case DType::kDouble: {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
    default:
      return decodeMini(miniFloatOf(type), static_cast<uint32_t>(bits));
  }
}

/// Distance in units in the last place between two stored floating-point values of one type
/// (sign-magnitude bits mapped onto a monotonic integer line). For integer types: 0 or "far".
CCLBENCH_HD inline uint64_t ulpDistance(DType type, std::size_t bytes, uint64_t a, uint64_t b) {
  if (a == b) return 0;
  const bool isFloatType = !(type == DType::kInt8 || type == DType::kUint8 ||
                             type == DType::kInt32 || type == DType::kUint32 ||
                             type == DType::kInt64 || type == DType::kUint64);
  if (!isFloatType) return ~0ull;
  const int bits = static_cast<int>(bytes * 8);
  const uint64_t signBit = 1ull << (bits - 1);
  const uint64_t magMask = signBit - 1;
  const auto line = [&](uint64_t v) {
    const int64_t mag = static_cast<int64_t>(v & magMask);
    return (v & signBit) ? -mag : mag;
  };
  const int64_t da = line(a), db = line(b);
  return static_cast<uint64_t>(da > db ? da - db : db - da);
}

}  // namespace cclbench::codec
