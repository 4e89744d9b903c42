#include "backends/nccl/device_patterns.hpp"

#include "backends/nccl/cuda_check.hpp"
#include "core/element_codec.hpp"

namespace cclbench::cuda {
namespace {

constexpr int kThreads = 256;

int blocksFor(std::size_t count) {
  const std::size_t blocks = (count + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 4096 ? (blocks ? blocks : 1) : 4096);
}

template <typename Bits>
__global__ void fillInputKernel(Bits* out, std::size_t count, DType type,
                                pattern::InputSpec spec) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    out[i] = static_cast<Bits>(codec::encode(
        type, pattern::inputValue(spec.kind, spec.rank, spec.nranks, spec.seed,
                                  spec.firstIndex + i)));
  }
}

template <typename Bits>
__global__ void fillConstantKernel(Bits* out, std::size_t count, Bits bits) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    out[i] = bits;
  }
}

template <typename Bits>
__global__ void countWrongKernel(const Bits* data, std::size_t count, DType type,
                                 pattern::OutputSpec spec, bool integerType,
                                 unsigned long long* wrong) {
  unsigned long long mine = 0;
  const uint64_t ulps = pattern::allowedUlps(spec.op);
  for (std::size_t o = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; o < count;
       o += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint64_t expected =
        static_cast<Bits>(codec::encode(type, pattern::expectedValue(spec, o, integerType)));
    const uint64_t actual = data[o];
    if (actual != expected && codec::ulpDistance(type, sizeof(Bits), actual, expected) > ulps) {
      ++mine;
    }
  }
  for (int offset = 16; offset > 0; offset /= 2) mine += __shfl_down_sync(0xffffffffu, mine, offset);
  if ((threadIdx.x & 31) == 0 && mine) atomicAdd(wrong, mine);
}


}  // namespace

void fillInput(void* data, std::size_t count, DType type, const pattern::InputSpec& spec,
               cudaStream_t stream) {
  if (count == 0) return;
  byElementBits(type, [&](auto tag) {
    using Bits = decltype(tag);
    fillInputKernel<Bits><<<blocksFor(count), kThreads, 0, stream>>>(static_cast<Bits*>(data),
                                                                      count, type, spec);
  });
  check(cudaGetLastError(), "fill-input kernel launch");
}

void fillConstant(void* data, std::size_t count, DType type, double value, cudaStream_t stream) {
  if (count == 0) return;
  const uint64_t bits = codec::encode(type, value);
  byElementBits(type, [&](auto tag) {
    using Bits = decltype(tag);
    fillConstantKernel<Bits><<<blocksFor(count), kThreads, 0, stream>>>(
        static_cast<Bits*>(data), count, static_cast<Bits>(bits));
  });
  check(cudaGetLastError(), "fill-constant kernel launch");
}

void countWrong(const void* data, std::size_t count, DType type, const pattern::OutputSpec& spec,
                unsigned long long* wrongOnDevice, cudaStream_t stream) {
  if (count == 0) return;
  const bool integerType = !info(type).isFloat;
  byElementBits(type, [&](auto tag) {
    using Bits = decltype(tag);
    countWrongKernel<Bits><<<blocksFor(count), kThreads, 0, stream>>>(
        static_cast<const Bits*>(data), count, type, spec, integerType, wrongOnDevice);
  });
  check(cudaGetLastError(), "check kernel launch");
}

}  // namespace cclbench::cuda
