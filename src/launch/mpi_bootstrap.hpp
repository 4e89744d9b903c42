#pragma once
/// MPI as the way processes find each other: initialisation and the agreement channel.

#include <memory>

#include "core/bootstrap.hpp"

namespace cclbench {

/// MPI_Init_thread on construction, MPI_Finalize on destruction (unless already aborted).
class MpiRuntime {
 public:
  MpiRuntime(int* argc, char*** argv);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;
};

/// A Bootstrap on its own duplicate of MPI_COMM_WORLD (so agreement traffic never mixes with
/// the measured communicator). Requires a live MpiRuntime.
std::unique_ptr<Bootstrap> createMpiBootstrap();

}  // namespace cclbench
