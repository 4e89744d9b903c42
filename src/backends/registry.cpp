#include "backends/registry.hpp"
#include "backends/tuner_forcing.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

#if defined(CCLBENCH_HAVE_MPI)
#include "backends/mpi/mpi_backend.hpp"
#endif
#if defined(CCLBENCH_HAVE_NCCL)
#include "backends/nccl/nccl_backend.hpp"
#endif
#if defined(CCLBENCH_HAVE_UCX)
#include "backends/ucx/ucx_backend.hpp"
#endif
#include "inspect/fabric_backends.hpp"
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
#if defined(CCLBENCH_HAVE_UCX)
  names.push_back("ucx");
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

std::string resolveBackend(const std::string& name) {
  if (name == "auto") return defaultBackend();
  if (name != "mpi" && name != "nccl" && name != "ucx") {
    throw usageError("unknown backend '" + name + "' (mpi, nccl, ucx or auto)");
  }
  return name;
}

void validate(const BackendSettings& s, const std::string& resolvedName) {
  if (resolvedName == "nccl" && s.deviceBuffers) {
    throw usageError("--memory device is for the MPI and UCX backends (NCCL buffers are always on "
                     "the GPU)");
  }
  if (s.ucxApi != "tag" && s.ucxApi != "put") {
    throw usageError("--ucx-api must be tag or put");
  }
  if (resolvedName != "ucx" && s.ucxApi != "tag") {
    throw usageError("--ucx-api applies to the UCX backend only");
  }
  if (!s.fabric.empty()) {
    const std::optional<Fabric> fabric = parseFabric(s.fabric);
    if (!fabric) throw usageError("unknown fabric '" + s.fabric + "' (" + fabricSpellings() + ")");
    std::string whyNot;
    if (resolvedName == "ucx" && !ucxFabric(*fabric, &whyNot)) throw usageError(whyNot);
    if (resolvedName == "mpi" && !mpiFabric(*fabric, &whyNot)) throw usageError(whyNot);
    if (resolvedName == "nccl" && !(whyNot = ncclFabricUnsupported(*fabric)).empty()) {
      throw usageError(whyNot);
    }
  }
  if (resolvedName != "nccl" && (s.cudaGraph || s.registration != 0)) {
    throw usageError("-G/--cuda-graph and -R/--register apply to the NCCL backend only");
  }
  if (!s.ncclForce.empty()) {
    if (resolvedName != "nccl") throw usageError("--nccl-force applies to the NCCL backend only");
    parseForcedCandidate(s.ncclForce);
  }
  if (s.registration < 0 || s.registration > 2) {
    throw usageError("-R must be 0 (none), 1 (ncclCommRegister) or 2 (symmetric windows)");
  }
}

void addToConfigJson(const BackendSettings& s, nlohmann::json& config) {
  config["backend"] = s.name;
  config["cuda_graph"] = s.cudaGraph;
  config["memory"] = s.deviceBuffers ? "device" : "default";
  config["registration"] = s.registration;
  if (!s.ncclForce.empty()) config["nccl_force"] = s.ncclForce;
  config["fabric"] = s.fabric;
  if (s.name == "ucx" || s.ucxApi != "tag") config["ucx_api"] = s.ucxApi;
}

std::unique_ptr<Backend> createBackend(const std::string& name, Bootstrap& bootstrap,
                                       const BackendSettings& settings, int device) {
  (void)bootstrap;
  const BackendOptions options{settings.cudaGraph, device, settings.deviceBuffers,
                               settings.registration, settings.ncclForce};
  (void)options;
#if defined(CCLBENCH_HAVE_MPI)
  if (name == "mpi" && options.deviceBuffers) {
    if (!mpiIsCudaAware()) {
      throw Error(ExitCode::kNotAvailable,
                  "--memory device needs a CUDA-aware MPI, and this one is not "
                  "(MPIX_Query_cuda_support() says no)");
    }
#if defined(CCLBENCH_HAVE_NCCL)
    return withDeviceBuffers(createMpiBackend("", bootstrap.place().localSize), bootstrap.place());
#else
    throw Error(ExitCode::kNotAvailable,
                "--memory device needs CUDA, and this cclbench was built without it");
#endif
  }
  if (name == "mpi") return createMpiBackend(settings.fabric, bootstrap.place().localSize);
#endif
#if defined(CCLBENCH_HAVE_NCCL)
  if (name == "nccl") return createNcclBackend(bootstrap, options);
#endif
#if defined(CCLBENCH_HAVE_UCX)
  if (name == "ucx") {
    UcxBackendOptions ucx;
    ucx.api = parseUcxApi(settings.ucxApi).value_or(UcxApi::kTag);
    if (!settings.fabric.empty()) ucx.fabric = parseFabric(settings.fabric);
    ucx.deviceMemory = settings.deviceBuffers;
    return createUcxBackend(bootstrap, ucx);
  }
#endif
  std::string built;
  for (const auto& b : builtBackends()) built += (built.empty() ? "" : ", ") + b;
  resolveBackend(name);  // an unknown name is a usage error
  throw Error(ExitCode::kNotAvailable, "backend '" + name + "' is not built into this binary" +
                                           (built.empty() ? "" : " (built: " + built + ")"));
}

}  // namespace cclbench
