#include "backends/registry.hpp"

#include "core/error.hpp"

#if defined(CCLBENCH_HAVE_MPI)
#include "backends/mpi/mpi_backend.hpp"
#endif

namespace cclbench {

std::vector<std::string> builtBackends() {
  std::vector<std::string> names;
#if defined(CCLBENCH_HAVE_MPI)
  names.push_back("mpi");
#endif
  return names;
}

std::string defaultBackend() { return "mpi"; }

std::unique_ptr<Backend> createBackend(const std::string& name, Bootstrap& bootstrap,
                                       const BackendOptions& options) {
  (void)bootstrap;
  (void)options;
#if defined(CCLBENCH_HAVE_MPI)
  if (name == "mpi") return createMpiBackend();
#endif
  std::string built;
  for (const auto& b : builtBackends()) built += (built.empty() ? "" : ", ") + b;
  throw Error(ExitCode::kNotAvailable, "backend '" + name + "' is not built into this binary" +
                                           (built.empty() ? "" : " (built: " + built + ")"));
}

}  // namespace cclbench
