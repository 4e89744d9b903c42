#pragma once
/// CUDA and NCCL results turned into cclbench errors (CUDA -> exit 2, NCCL -> exit 3).

#include <cuda_runtime.h>
#include <nccl.h>

#include <string>

#include "core/error.hpp"

namespace cclbench::cuda {

inline void check(cudaError_t rc, const char* what) {
  if (rc == cudaSuccess) return;
  throw Error(ExitCode::kCudaError,
              std::string(what) + " failed: " + cudaGetErrorName(rc) + " (" +
                  cudaGetErrorString(rc) + ")");
}

inline void checkNccl(ncclResult_t rc, const char* what, ncclComm_t comm = nullptr) {
  if (rc == ncclSuccess || rc == ncclInProgress) return;
  std::string detail = ncclGetErrorString(rc);
  if (comm) {
    const char* last = ncclGetLastError(comm);
    if (last && *last) detail += ": " + std::string(last);
  }
  throw Error(ExitCode::kLibraryError, std::string(what) + " failed: " + detail);
}

}  // namespace cclbench::cuda
