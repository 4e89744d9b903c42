#pragma once
/// Run-time backend selection: `--backend mpi|nccl|ucx|auto` maps to a factory here, with the
/// settings that belong to a backend rather than to what is measured.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"

namespace cclbench {

/// The user's backend choices: one per run, the same on every rank.
struct BackendSettings {
  std::string name = "auto";   ///< auto, mpi, nccl, ucx
  bool cudaGraph = false;      ///< NCCL: time CUDA-graph launches of the captured loop
  bool deviceBuffers = false;  ///< MPI: buffers in CUDA device memory (needs CUDA-aware MPI)
  int registration = 0;        ///< NCCL: 0 plain cudaMalloc, 1 ncclMemAlloc + ncclCommRegister,
                               ///< 2 ncclMemAlloc + symmetric window registration (NCCL >= 2.27)
  std::string ncclForce;       ///< NCCL: "ALGO/PROTO[/CH]" forced through cclbench's tuner plugin
  std::string fabric;          ///< every backend: shm, tcp, ib, roce, nvlink, pcie, cuda_ipc ("" =
                               ///< the library's choice); what it sets is the backend's own table
  std::string ucxApi = "tag";  ///< UCX: tag (tagged messages) or put (RMA put + notice)
};

/// Per-rank settings a backend is created with.
struct BackendOptions {
  bool cudaGraph = false;
  int device = -1;             ///< NCCL: CUDA device; -1 = local rank
  bool deviceBuffers = false;
  int registration = 0;
  std::string ncclForce;
};

/// The backends compiled into this binary.
std::vector<std::string> builtBackends();

/// The backend `auto` means here: nccl when built and a GPU is visible, else mpi.
std::string defaultBackend();

/// `name` with auto resolved; throws Error(kInvalidUsage) for a name that is no backend.
std::string resolveBackend(const std::string& name);

/// The rules between the settings and the resolved backend (a fabric that backend has no setting
/// for included); throws Error(kInvalidUsage).
void validate(const BackendSettings& settings, const std::string& resolvedName);

/// The settings as recorded in the run header's config (backend, cuda_graph, memory,
/// registration), merged into `config`.
void addToConfigJson(const BackendSettings& settings, nlohmann::json& config);

/// GPUs a single-process NCCL run would use (0 without NCCL or without a GPU).
int visibleDevicesForThreads();

/// Creates `name` (resolved) for this process; throws Error(kNotAvailable) with one line if it
/// cannot.
std::unique_ptr<Backend> createBackend(const std::string& name, Bootstrap& bootstrap,
                                       const BackendSettings& settings, int device = -1);

}  // namespace cclbench
