#pragma once
/// Entry points of the subcommands other than `run` (one file each). Each gets the arguments
/// after its name and returns the process exit code.

#include <string>
#include <vector>

namespace cclbench {

/// `cclbench inspect-log FILE [--json]`: transports, network, algorithms and warnings of an
/// NCCL INFO log from any job (inspect_log_command.cpp).
int inspectLogCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench topo [--json]`: this host's hardware description and fingerprint
/// (topo_command.cpp).
int topoCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench compare A B [C ...] [--fail-on-regression] [--json|--markdown]`: per-case ratio of
/// medians with confidence, significance and verdicts (compare_command.cpp).
int compareCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench runs [filters] [--json]`, `cclbench export [RUN] [--json|--gbench]`,
/// `cclbench import FILE... [--tag T]` over the results database (history_commands.cpp).
int runsCommand(int* argc, char*** argv, const std::vector<std::string>& args);
int exportCommand(int* argc, char*** argv, const std::vector<std::string>& args);
int importCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench report RUN... --out FILE.html` (report_command.cpp).
int reportCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench predict --topology PRESET|FILE ...`: NCCL's cost model for a described topology,
/// modelled (predict_command.cpp).
int predictCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench accept SPEC ...`: a rack's acceptance battery, verdicts per check and host.
int acceptCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench nightly SPEC ...`: the battery as a nightly regression job (needs the store).
int nightlyCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench prune --older-than 90d`: retention that keeps nightly baselines (needs the store).
int pruneCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench matrix --hosts ...`: latency and bandwidth between every pair of hosts.
int matrixCommand(int* argc, char*** argv, const std::vector<std::string>& args);

/// `cclbench tune ...`: search, validate and emit a library's collective settings.
int tuneCommand(int* argc, char*** argv, const std::vector<std::string>& args);

}  // namespace cclbench
