#pragma once
/// The `cclbench accept` driver: options as cli/ parsed them -> the spec, the hosts, the launches,
/// the outputs and the exit code.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "acceptance/jobs.hpp"
#include "session/run_sources.hpp"

namespace cclbench::acceptance {

struct AcceptOptions {
  std::string specPath;
  std::vector<std::string> hosts;  ///< --hosts (comma lists, repeatable)
  std::string hostfile;            ///< --hostfile
  std::optional<int> np;           ///< local ranks without hosts (default 2)
  std::string jsonOut;             ///< --json-out
  std::string junitOut;            ///< --junit
  std::string folder;              ///< --out (default results/accept-<spec>-<time>/)
  std::string database;            ///< --db
  bool writeDatabase = true;
  int maxConcurrent = 64;          ///< --max-jobs
};

/// Host names of a hostfile: the first word of each line ("node1 slots=8" -> node1); blank lines
/// and '#' comments skipped. Throws Error(kInvalidUsage) naming the line of a bad name.
std::vector<std::string> parseHostfile(const std::string& text, const std::string& source);

/// Where the hosts come from, in this order: --hosts, --hostfile, the Slurm allocation
/// (SLURM_JOB_NODELIST expanded by `expand`, i.e. `scontrol show hostnames`), else this host
/// alone with local ranks. A host named twice, or with ":slots", is Error(kInvalidUsage).
struct HostSource {
  std::vector<std::string> hosts;
  std::string from;
  LaunchVia via = LaunchVia::kLocal;
};
HostSource resolveHosts(const AcceptOptions& o, const std::map<std::string, std::string>& env,
                        const std::function<std::vector<std::string>(const std::string&)>& expand);

/// The hosts of SLURM_JOB_NODELIST, through `scontrol show hostnames` (Error when it fails).
std::vector<std::string> scontrolHostnames(const std::string& nodelist);

/// Error(kInvalidUsage) when this process runs under a launcher: `command` (accept, nightly)
/// starts every job itself.
void refuseUnderALauncher(const std::map<std::string, std::string>& env, const std::string& command);

/// The figure a check's baseline gives: the median busbw of the runs `c.baseline` names at the
/// check's largest size (out of place), runs labelled with the check's name preferred. Error
/// (kInvalidUsage) when they have no such case.
double baselineFigure(RunSources& sources, const CheckSpec& c);

/// Runs the acceptance; returns the exit code (Error for invalid specs and options).
int runAccept(const AcceptOptions& o, const std::string& executable);

}  // namespace cclbench::acceptance
