#pragma once
/// "Who am I": rank, size and local rank as the launcher (Open MPI, MPICH/PMI, Slurm, torchrun)
/// put them in the environment, read before any runtime is initialised.

#include <optional>
#include <string>
#include <string_view>

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
/// rank and a size that make sense; Slurm only for a task of a step (SLURM_STEP_ID): a batch
/// script sees SLURM_PROCID and SLURM_NTASKS too, but it is no rank.
LaunchInfo detectLaunch(const Environment& env);

/// How the launcher wires ranks up, from its variables: "pmix" (PMIX_RANK: Open MPI's mpirun,
/// srun --mpi=pmix), "pmi2" (PMI_FD), "pmi" (PMI_RANK), or "" when none is visible.
std::string launcherInterface(const Environment& env);

/// True for a task that srun started without any process-management interface (no --mpi=pmix):
/// Open MPI cannot initialise there and would print a long text once per rank.
bool srunWithoutPmi(const Environment& env);

/// MPI's thread levels (MPI_THREAD_SINGLE ... MULTIPLE), as `--mpi-thread` names them.
enum class MpiThreadLevel { kSingle, kFunneled, kSerialized, kMultiple };
const char* name(MpiThreadLevel level);
std::optional<MpiThreadLevel> parseMpiThreadLevel(std::string_view text);

/// The local hostname.
std::string hostName();

/// The CPUs this process may run on, as a list like "0-3,8".
std::string cpuAffinityList();

}  // namespace cclbench
