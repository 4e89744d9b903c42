/// `cclbench accept SPEC`: parses its arguments; acceptance/ runs the battery.
#include <CLI/CLI.hpp>

#include "acceptance/accept_run.hpp"
#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "core/subprocess.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench accept rack.toml --hosts node1,node2,node3,node4 --json-out accept.json
  cclbench accept rack.toml --hostfile hosts.txt --junit junit.xml
  salloc -N 16 cclbench accept rack.toml        inside an allocation: its nodes, through srun
  cclbench accept rack.toml --np 4              no hosts: every check as one job of local ranks

The spec is TOML (README "Acceptance"): name, ranks_per_host, timeout (-T of every job), an
optional [expect] fingerprint ("any", "same" or a `cclbench topo` fingerprint), and [[check]]
tables: collective, scope (all: one job over every host; pairs: one round of disjoint host
pairs; host: each host alone), sizes ("4M" or "1M:16M"), and floors: min_busbw (GB/s at the
largest size), min_fraction_of_median, min_fraction_of_baseline with baseline = "run:ID" |
"baseline:TAG". Optional per check: parallel, backend, fabric, datatype, ranks_per_host.
First `cclbench topo` on every host (who answers, which fingerprint), then the checks; a failed
multi-host check is followed by isolation rounds that pair suspects with hosts known good and
split failing groups until the bad host or link is named. Every job is a `cclbench run` stored
with tag acceptance and labels spec=, check=, purpose= and round=; its log and records are under
--out. Exit: 6 invalid spec or options, 4 a host did not answer (or a job timed out), 9 a
topology mismatch, 7 a check failed, 0 all passed; 128 + N when a signal stopped it.)";

}  // namespace

int acceptCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Acceptance of a rack: a battery of checks, PASS/FAIL per check and per host, the "
               "bad host or link named.",
               "cclbench accept"};
  app.footer(kExamples);
  app.get_formatter()->column_width(30);
  acceptance::AcceptOptions o;
  int np = 0;
  bool noDb = false;
  app.add_option("spec", o.specPath, "the battery (TOML)")->required();
  app.add_option("--hosts", o.hosts, "the hosts (a,b,c; one rank per host unless the spec says)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--hostfile", o.hostfile, "the hosts, one per line (first word; # comments)");
  app.add_option("--np", np, "without hosts: ranks of every local job (default 2)");
  app.add_option("--json-out", o.jsonOut, "the verdicts as JSON (schema cclbench.accept/1)");
  app.add_option("--junit", o.junitOut, "one JUnit testcase per check and per host");
  app.add_option("--out", o.folder, "folder for launch logs and records (default results/accept-<spec>-<id>/)");
  app.add_option("--db", o.database, "results database of every job (default as cclbench run)");
  app.add_flag("--no-db", noDb, "store no job in the results database");
  app.add_option("--max-jobs", o.maxConcurrent, "launches at once from this driver (default 64)");
  if (!parseArgs(app, args)) return 0;
  if (app.count("--np")) o.np = np;
  o.writeDatabase = !noDb;
  return acceptance::runAccept(o, selfExecutable());
}

}  // namespace cclbench
