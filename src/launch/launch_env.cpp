#include "launch/launch_env.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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

/// Tasks on node `node` from Slurm's per-node task list ("2", "2(x3),1"); nullopt if unreadable.
std::optional<int> slurmTasksOnNode(const std::string& list, int node) {
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    const std::string entry = list.substr(start, end - start);
    int tasks = 0, repeat = 1;
    if (std::sscanf(entry.c_str(), "%d(x%d)", &tasks, &repeat) < 1 || tasks < 1 || repeat < 1) {
      return std::nullopt;
    }
    if (node < repeat) return tasks;
    node -= repeat;
    start = end + 1;
  }
  return std::nullopt;
}

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

const char* name(MpiThreadLevel level) {
  switch (level) {
    case MpiThreadLevel::kSingle: return "single";
    case MpiThreadLevel::kFunneled: return "funneled";
    case MpiThreadLevel::kSerialized: return "serialized";
    case MpiThreadLevel::kMultiple: return "multiple";
  }
  return "?";
}

std::optional<MpiThreadLevel> parseMpiThreadLevel(std::string_view text) {
  for (MpiThreadLevel l : {MpiThreadLevel::kSingle, MpiThreadLevel::kFunneled,
                           MpiThreadLevel::kSerialized, MpiThreadLevel::kMultiple}) {
    if (text == name(l)) return l;
  }
  return std::nullopt;
}

LaunchInfo detectLaunch(const Environment& env) {
  for (const VariableNames& v : kLaunchers) {
    if (v.launcher == Launcher::kSlurm && !env.count("SLURM_STEP_ID") &&
        !env.count("SLURM_STEPID")) {
      continue;  // a batch script, not a task of a step
    }
    const std::optional<int> rank = intVariable(env, v.rank);
    const std::optional<int> size = intVariable(env, v.size);
    if (!rank || !size || *size < 1 || *rank < 0 || *rank >= *size) continue;
    LaunchInfo info{v.launcher, *rank, *size, 0, 1};
    info.localRank = intVariable(env, v.localRank).value_or(0);
    info.localSize = intVariable(env, v.localSize).value_or(1);
    if (v.launcher == Launcher::kSlurm && !intVariable(env, v.localSize)) {
      // srun gives its step's tasks per node as a list ("2(x3),1"); unreadable: unknown (1).
      const auto list = env.find("SLURM_STEP_TASKS_PER_NODE");
      const int node = intVariable(env, "SLURM_NODEID").value_or(0);
      if (list != env.end()) info.localSize = slurmTasksOnNode(list->second, node).value_or(1);
    }
    return info;
  }
  return {};
}

std::string launcherInterface(const Environment& env) {
  if (env.count("PMIX_RANK")) return "pmix";
  if (env.count("PMI_FD")) return "pmi2";
  if (env.count("PMI_RANK")) return "pmi";
  return "";
}

bool srunWithoutPmi(const Environment& env) {
  const bool slurmTask = env.count("SLURM_PROCID") &&
                         (env.count("SLURM_STEP_ID") || env.count("SLURM_STEPID"));
  return slurmTask && !env.count("OMPI_COMM_WORLD_RANK") && launcherInterface(env).empty();
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
