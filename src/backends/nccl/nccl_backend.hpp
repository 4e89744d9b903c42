#pragma once
/// The NCCL backend: one rank per CUDA device, device buffers, patterns written and checked by
/// kernels, timing with CUDA events on the communication stream (optionally CUDA-graph launches).

#include <memory>

#include "backends/backend.hpp"
#include "backends/registry.hpp"
#include "core/bootstrap.hpp"

namespace cclbench {

/// Creates this rank's communicator (non-blocking init, the unique id sent through `bootstrap`).
/// Throws Error(kNotAvailable) when no CUDA device is visible.
std::unique_ptr<Backend> createNcclBackend(Bootstrap& bootstrap, const BackendOptions& options);

/// CUDA devices visible to this process; 0 on any error (no driver, no device).
int visibleCudaDevices();

}  // namespace cclbench
