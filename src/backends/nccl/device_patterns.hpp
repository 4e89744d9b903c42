#pragma once
/// The pattern of core/pattern.hpp written and checked on the device by CUDA kernels, so GiB
/// buffers never travel to the host.

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"
#include "core/pattern.hpp"

namespace cclbench::cuda {

void fillInput(void* data, std::size_t count, DType type, const pattern::InputSpec& spec,
               cudaStream_t stream);
void fillConstant(void* data, std::size_t count, DType type, double value, cudaStream_t stream);
/// Adds the number of wrong elements to *wrongOnDevice (a device counter).
void countWrong(const void* data, std::size_t count, DType type, const pattern::OutputSpec& spec,
                unsigned long long* wrongOnDevice, cudaStream_t stream);

}  // namespace cclbench::cuda
