/// cclbench: one table of subcommands; each parses its own arguments.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/run_command.hpp"
#include "core/error.hpp"

namespace {

using cclbench::ExitCode;

struct Subcommand {
  const char* name;
  const char* description;
  int (*run)(int* argc, char*** argv, const std::vector<std::string>& args);
};

int versionCommand(int*, char***, const std::vector<std::string>&) {
  std::printf("cclbench %s (git %s)\n", cclbench::build::kVersion, cclbench::build::kGitRevision);
  return 0;
}

constexpr Subcommand kSubcommands[] = {
    {"run", "measure collectives and point-to-point between ranks (nccl-tests/OSU style)",
     &cclbench::runCommand},
    {"tune", "search a library's collective settings per size, validate, emit configs",
     &cclbench::tuneCommand},
    {"accept", "acceptance of a rack: checks, PASS/FAIL per check and host, the bad host named",
     &cclbench::acceptCommand},
    {"matrix", "latency and bandwidth between every pair of hosts, the slow pairs flagged",
     &cclbench::matrixCommand},
    {"nightly", "a battery every night: judged against the last nights and its history, exported",
     &cclbench::nightlyCommand},
    {"predict", "what NCCL's cost model expects for a described topology (modelled)",
     &cclbench::predictCommand},
    {"topo", "describe this host's GPUs, NICs and CPUs, with the topology fingerprint",
     &cclbench::topoCommand},
    {"inspect-log", "read an NCCL INFO log: transports per peer, network, algorithms, warnings",
     &cclbench::inspectLogCommand},
    {"import", "import nccl-tests, OSU or cclbench results into the database",
     &cclbench::importCommand},
    {"runs", "list and filter the runs in the results database", &cclbench::runsCommand},
    {"export", "write a stored run out as JSON Lines, JSON or Google Benchmark JSON",
     &cclbench::exportCommand},
    {"prune", "remove old runs from the database, never those a nightly baseline uses",
     &cclbench::pruneCommand},
    {"compare", "compare runs or files case by case: ratio, confidence, verdicts",
     &cclbench::compareCommand},
    {"report", "write a self-contained HTML report of runs (charts, verdicts, metadata)",
     &cclbench::reportCommand},
    {"version", "print the version and git revision", &versionCommand},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: cclbench <command> [options]   (cclbench <command> --help)\n\n");
  for (const Subcommand& s : kSubcommands) std::fprintf(out, "  %-10s %s\n", s.name, s.description);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return 0;
  }
  for (const Subcommand& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) != 0) continue;
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
      return s.run(&argc, &argv, args);
    } catch (const cclbench::Error& e) {
      std::fprintf(stderr, "cclbench: error: %s\n", e.what());
      return static_cast<int>(e.code());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cclbench: error: internal: %s\n", e.what());
      return static_cast<int>(ExitCode::kInternal);
    }
  }
  std::fprintf(stderr, "cclbench: error: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return static_cast<int>(ExitCode::kInvalidUsage);
}
