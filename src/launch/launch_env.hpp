#pragma once
/// "Who am I": rank, size and local rank as the launcher (Open MPI, MPICH/PMI, Slurm, torchrun)
/// put them in the environment, read before any runtime is initialised.

#include <string>

#include "core/environment.hpp"

namespace cclbench {

enum class Launcher { kNone, kOpenMpi, kPmi, kSlurm, kTorchrun };
const char* name(Launcher launcher);

struct LaunchInfo {
  Launcher launcher = Launcher::kNone;
  int rank = 0;
  int size = 1;
  int localRank = 0;
  int localSize = 1;
};

/// Reads the launcher's variables. Open MPI wins over Slurm (mpirun inside an allocation sets
/// both), then PMI, then Slurm (srun), then torchrun. A launcher counts only if it gives both a
/// rank and a size that make sense.
LaunchInfo detectLaunch(const Environment& env);

/// The local hostname.
std::string hostName();

/// The CPUs this process may run on, as a list like "0-3,8".
std::string cpuAffinityList();

}  // namespace cclbench
