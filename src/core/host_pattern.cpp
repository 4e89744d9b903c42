#include "core/host_pattern.hpp"

#include <cstring>

#include "core/element_codec.hpp"

namespace cclbench::pattern {
namespace {

template <typename Bits>
void storeAll(void* data, std::size_t count, auto&& bitsOf) {
  auto* out = static_cast<Bits*>(data);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<Bits>(bitsOf(i));
}

template <typename Bits>
uint64_t countWrongAs(const void* data, std::size_t count, DType type, const OutputSpec& spec) {
  const auto* in = static_cast<const Bits*>(data);
  const bool integer = !info(type).isFloat;
  const uint64_t ulps = allowedUlps(spec.op);
  uint64_t wrong = 0;
  for (std::size_t o = 0; o < count; ++o) {
    const uint64_t expected =
        static_cast<Bits>(codec::encode(type, expectedValue(spec, o, integer)));
    const uint64_t actual = in[o];
    if (actual != expected && codec::ulpDistance(type, sizeof(Bits), actual, expected) > ulps) {
      ++wrong;
    }
  }
  return wrong;
}

template <typename Fn>
auto bySize(DType type, Fn&& fn) {
  switch (sizeOf(type)) {
    case 1: return fn(uint8_t{});
    case 2: return fn(uint16_t{});
    case 4: return fn(uint32_t{});
    default: return fn(uint64_t{});
  }
}

}  // namespace

void fillInputHost(void* data, std::size_t count, DType type, const InputSpec& spec) {
  bySize(type, [&](auto tag) {
    using Bits = decltype(tag);
    storeAll<Bits>(data, count, [&](std::size_t i) {
      return codec::encode(
          type, inputValue(spec.kind, spec.rank, spec.nranks, spec.seed, spec.firstIndex + i));
    });
  });
}

void fillConstantHost(void* data, std::size_t count, DType type, double value) {
  const uint64_t bits = codec::encode(type, value);
  bySize(type, [&](auto tag) {
    using Bits = decltype(tag);
    storeAll<Bits>(data, count, [&](std::size_t) { return bits; });
  });
}

uint64_t countWrongHost(const void* data, std::size_t count, DType type, const OutputSpec& spec) {
  return bySize(type, [&](auto tag) { return countWrongAs<decltype(tag)>(data, count, type, spec); });
}

}  // namespace cclbench::pattern
