#pragma once
/// Device buffers for a host-side backend (CUDA-aware MPI, OSU's -d cuda): allocation with
/// cudaMalloc, patterns written and checked by the CUDA kernels; every operation is the wrapped
/// backend's own.

#include <memory>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"

namespace cclbench {

/// Wraps `host` (whose library must accept device pointers). Uses GPU (local rank mod GPUs).
/// Throws Error(kNotAvailable) without a CUDA device.
std::unique_ptr<Backend> withDeviceBuffers(std::unique_ptr<Backend> host,
                                           const ProcessPlace& place);

}  // namespace cclbench
