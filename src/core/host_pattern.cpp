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


}  // namespace

void fillInputHost(void* data, std::size_t count, DType type, const InputSpec& spec) {
  byElementBits(type, [&](auto tag) {
    using Bits = decltype(tag);
    storeAll<Bits>(data, count, [&](std::size_t i) {
      return codec::encode(
          type, inputValue(spec.kind, spec.rank, spec.nranks, spec.seed, spec.firstIndex + i));
    });
  });
}

void fillConstantHost(void* data, std::size_t count, DType type, double value) {
  const uint64_t bits = codec::encode(type, value);
  byElementBits(type, [&](auto tag) {
    using Bits = decltype(tag);
    storeAll<Bits>(data, count, [&](std::size_t) { return bits; });
  });
}

uint64_t countWrongHost(const void* data, std::size_t count, DType type, const OutputSpec& spec) {
  return byElementBits(type, [&](auto tag) { return countWrongAs<decltype(tag)>(data, count, type, spec); });
}

}  // namespace cclbench::pattern
