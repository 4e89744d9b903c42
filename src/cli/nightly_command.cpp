/// `cclbench nightly SPEC`: parses its arguments; nightly/ runs the night.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "core/subprocess.hpp"
#include "nightly/nightly_run.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench nightly fabric.toml --np 4                  local ranks (a single host)
  cclbench nightly fabric.toml --hosts n1,n2,n3,n4 --db /shared/cclbench.db
  sbatch scripts/slurm/cclbench-nightly.sbatch         every night under Slurm (README "Nightly")

The spec is accept's TOML battery (cclbench accept --help) with a [nightly] table:
  [nightly]
  baseline_runs = 7     # the baseline: the last 7 nights of this spec, check, hosts and fingerprint
  threshold = 0.03      # smallest slowdown worth a verdict
  report = "results/nightly/report.html"      # also summary.md beside it (or summary = ...)
  prometheus = "results/nightly/cclbench.prom"  # node_exporter's textfile collector
  junit = "results/nightly/junit.xml"
Every job is a `cclbench run` tagged nightly, labelled spec=, check=, hosts= and night=; its
records are imported into the database under an exclusive lock (DB.lock; NFS and Lustre safe).
Each case is compared with the same case of the last nights (cclbench compare's per-case CI,
Mann-Whitney and Benjamini-Hochberg), and its whole history is tested for a change point (a slow
drift that night-over-night compares never see). Exit: 6 invalid spec or options, 4 a host did
not answer or a job timed out, 9 topology mismatch, 7 a check's own floor broken, 8 a regression
or a drift, 0 otherwise (the first night, without a baseline, passes and says so).)";

}  // namespace

int nightlyCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"A battery every night: each case against the last nights and its whole history; "
               "report, Prometheus and JUnit outputs.",
               "cclbench nightly"};
  app.footer(kExamples);
  app.get_formatter()->column_width(30);
  nightly::NightlyOptions o;
  int np = 0;
  app.add_option("spec", o.specPath, "the battery (TOML, with a [nightly] table)")->required();
  app.add_option("--hosts", o.hosts, "the hosts (a,b,c)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--hostfile", o.hostfile, "the hosts, one per line");
  app.add_option("--np", np, "without hosts: ranks of every local job (default 2)");
  app.add_option("--db", o.database, "results database (default as cclbench run); may be on NFS/Lustre");
  app.add_option("--out", o.folder, "folder for the night's launch logs and records");
  app.add_option("--on-regression", o.onRegression,
                 "run this through /bin/sh on a regression, the Markdown summary on its stdin (60 s)");
  app.add_option("--lock-timeout", o.lockTimeoutSeconds, "seconds to wait for the database's lock (default 600)");
  app.add_option("--max-jobs", o.maxConcurrent, "launches at once from this driver (default 64)");
  if (!parseArgs(app, args)) return 0;
  if (app.count("--np")) o.np = np;
  return nightly::runNightly(o, selfExecutable());
}

}  // namespace cclbench
