#include "backends/registry.hpp"

#include "core/error.hpp"

#if defined(CCLBENCH_HAVE_MPI)
#include "backends/mpi/mpi_backend.hpp"
#endif
#if defined(CCLBENCH_HAVE_NCCL)
#include "backends/nccl/nccl_backend.hpp"
#endif
#if defined(CCLBENCH_HAVE_NCCL) && defined(CCLBENCH_HAVE_MPI)
#include "backends/nccl/device_buffers.hpp"
#endif

namespace cclbench {

std::vector<std::string> builtBackends() {
  std::vector<std::string> names;
#if defined(CCLBENCH_HAVE_MPI)
  names.push_back("mpi");
#endif
#if defined(CCLBENCH_HAVE_NCCL)
  names.push_back("nccl");
#endif
  return names;
}

std::string defaultBackend() {
#if defined(CCLBENCH_HAVE_NCCL)
  if (visibleCudaDevices() > 0) return "nccl";
#endif
#if defined(CCLBENCH_HAVE_MPI)
  return "mpi";
#else
  return "nccl";
#endif
}

int visibleDevicesForThreads() {
#if defined(CCLBENCH_HAVE_NCCL)
  return visibleCudaDevices();
#else
  return 0;
#endif
}

std::unique_ptr<Backend> createBackend(const std::string& name, Bootstrap& bootstrap,
                                       const BackendOptions& options) {
  (void)bootstrap;
  (void)options;
  if (name != "mpi" && options.deviceBuffers) {
    throw usageError("--memory device is for the MPI backend (NCCL buffers are always on the GPU)");
  }
  if (name == "mpi" && (options.cudaGraph || options.registration != 0)) {
    throw usageError("-G/--cuda-graph and -R/--register apply to the NCCL backend only");
  }
#if defined(CCLBENCH_HAVE_MPI)
  if (name == "mpi" && options.deviceBuffers) {
    if (!mpiIsCudaAware()) {
      throw Error(ExitCode::kNotAvailable,
                  "--memory device needs a CUDA-aware MPI, and this one is not "
                  "(MPIX_Query_cuda_support() says no)");
    }
#if defined(CCLBENCH_HAVE_NCCL)
    return withDeviceBuffers(createMpiBackend(), bootstrap.place());
#else
    throw Error(ExitCode::kNotAvailable,
                "--memory device needs CUDA, and this cclbench was built without it");
#endif
  }
  if (name == "mpi") return createMpiBackend();
#endif
#if defined(CCLBENCH_HAVE_NCCL)
  if (name == "nccl") return createNcclBackend(bootstrap, options);
#endif
  std::string built;
  for (const auto& b : builtBackends()) built += (built.empty() ? "" : ", ") + b;
  if (name != "mpi" && name != "nccl" && name != "ucx") {
    throw usageError("unknown backend '" + name + "' (mpi, nccl, ucx or auto)");
  }
  throw Error(ExitCode::kNotAvailable, "backend '" + name + "' is not built into this binary" +
                                           (built.empty() ? "" : " (built: " + built + ")"));
}

}  // namespace cclbench
