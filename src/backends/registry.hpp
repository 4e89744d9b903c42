#pragma once
/// Run-time backend selection: `--backend mpi|nccl|ucx|auto` maps to a factory here.

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"

namespace cclbench {

/// Settings a backend may need beyond the bootstrap.
struct BackendOptions {
  bool cudaGraph = false;  ///< NCCL: time CUDA-graph launches of the captured loop
  int device = -1;         ///< NCCL: CUDA device; -1 = local rank
  bool deviceBuffers = false;  ///< MPI: buffers in CUDA device memory (needs CUDA-aware MPI)
  int registration = 0;    ///< NCCL: 0 plain cudaMalloc, 1 ncclMemAlloc + ncclCommRegister,
                           ///< 2 ncclMemAlloc + symmetric window registration (NCCL >= 2.27)
};

/// The backends compiled into this binary.
std::vector<std::string> builtBackends();

/// The backend `auto` means here: nccl when built and a GPU is visible, else mpi.
std::string defaultBackend();

/// GPUs a single-process NCCL run would use (0 without NCCL or without a GPU).
int visibleDevicesForThreads();

/// Creates `name` for this process; throws Error(kNotAvailable) with one line if it cannot.
std::unique_ptr<Backend> createBackend(const std::string& name, Bootstrap& bootstrap,
                                       const BackendOptions& options);

}  // namespace cclbench
