#pragma once
/// The MPI backend: collectives of the MPI library over host memory, timed with MPI_Wtime.
/// Needs MPI initialised (the launch layer's MpiRuntime) before it is created.

#include <memory>

#include "backends/backend.hpp"

namespace cclbench {

/// A backend on its own duplicate of MPI_COMM_WORLD. `fabric` (empty: Open MPI's choice) is
/// what the ranks' MCA environment forced before MPI_Init (session/mpi_fabric); the backend
/// reports it. `localRanks`: the ranks on this host (the bootstrap's place; its host memory
/// limit shares the host among them).
std::unique_ptr<Backend> createMpiBackend(const std::string& fabric = "", int localRanks = 1);

/// Whether this MPI can take device buffers (Open MPI's MPIX_Query_cuda_support; false when the
/// library cannot say).
bool mpiIsCudaAware();

}  // namespace cclbench
