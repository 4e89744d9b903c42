#pragma once
/// MPI as the way processes find each other: initialisation and the agreement channel.

#include <memory>

#include "core/bootstrap.hpp"
#include "launch/launch_env.hpp"

namespace cclbench {

/// MPI_Init_thread on construction, MPI_Finalize on destruction (unless already aborted).
/// Only the thread that created it may call MPI below MPI_THREAD_MULTIPLE: cclbench's helper
/// threads (the watchdog) never call MPI.
class MpiRuntime {
 public:
  MpiRuntime(int* argc, char*** argv, MpiThreadLevel requested = MpiThreadLevel::kSingle);
  MpiThreadLevel requested() const { return requested_; }
  /// What the library provided (may be below what was asked for).
  MpiThreadLevel provided() const { return provided_; }
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

 private:
  MpiThreadLevel requested_;
  MpiThreadLevel provided_ = MpiThreadLevel::kSingle;
};

/// A Bootstrap on its own duplicate of MPI_COMM_WORLD (so agreement traffic never mixes with
/// the measured communicator). Requires a live MpiRuntime.
std::unique_ptr<Bootstrap> createMpiBootstrap();

}  // namespace cclbench
