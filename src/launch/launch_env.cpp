#include "launch/launch_env.hpp"

#include <sched.h>
#include <unistd.h>

#include <optional>

namespace cclbench {
namespace {

struct VariableNames {
  Launcher launcher;
  const char* rank;
  const char* size;
  const char* localRank;
  const char* localSize;
};

constexpr VariableNames kLaunchers[] = {
    {Launcher::kOpenMpi, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
     "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"},
    {Launcher::kPmi, "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"},
    {Launcher::kSlurm, "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"},
    {Launcher::kTorchrun, "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"},
};

}  // namespace

const char* name(Launcher launcher) {
  switch (launcher) {
    case Launcher::kNone: return "none";
    case Launcher::kOpenMpi: return "openmpi";
    case Launcher::kPmi: return "pmi";
    case Launcher::kSlurm: return "slurm";
    case Launcher::kTorchrun: return "torchrun";
  }
  return "?";
}

LaunchInfo detectLaunch(const Environment& env) {
  for (const VariableNames& v : kLaunchers) {
    const std::optional<int> rank = intVariable(env, v.rank);
    const std::optional<int> size = intVariable(env, v.size);
    if (!rank || !size || *size < 1 || *rank < 0 || *rank >= *size) continue;
    LaunchInfo info{v.launcher, *rank, *size, 0, 1};
    info.localRank = intVariable(env, v.localRank).value_or(0);
    // SLURM_NTASKS_PER_NODE may be absent or a list ("2(x3)"); then local size stays unknown (1).
    info.localSize = intVariable(env, v.localSize).value_or(1);
    return info;
  }
  return {};
}

std::string hostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

std::string cpuAffinityList() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "";
  std::string out;
  int cpu = 0;
  while (cpu < CPU_SETSIZE) {
    if (!CPU_ISSET(cpu, &set)) {
      ++cpu;
      continue;
    }
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!out.empty()) out += ",";
    out += last == cpu ? std::to_string(cpu) : std::to_string(cpu) + "-" + std::to_string(last);
    cpu = last + 1;
  }
  return out;
}

}  // namespace cclbench
