#pragma once
/// `cclbench run` as a process: decide how ranks exist (start them through mpirun, run them as
/// threads for single-process NCCL, or be one rank under a launcher), bring each rank up
/// (watchdog, MPI at the asked thread level, bootstrap, agreement on arguments, backend,
/// transport check) and run the measuring session. cli/ only parses; `tune`, `accept` and
/// `nightly` start their measurements through here too.

#include <functional>
#include <string>
#include <vector>

#include "core/environment.hpp"
#include "session/run_options.hpp"

namespace cclbench {

/// Turns the words after `run` into options; called once per process (every rank parses its own
/// arguments). `printHelp` is true where --help should be printed. Throws Error(kInvalidUsage).
using RunOptionsParser = std::function<RunOptions(const Environment& env, bool printHelp)>;

/// Runs `cclbench run`; returns the exit code (documented in the README).
int runMeasurement(int* argc, char*** argv, const RunOptionsParser& parse);

/// Whether this process's user can see a progress line: stderr is a terminal, or (a rank under a
/// launcher on the same host) the launcher's stderr is, or the self-launching parent said so
/// (CCLBENCH_PROGRESS=1).
bool progressTerminal(const Environment& env);

}  // namespace cclbench
