/// `cclbench nightly SPEC`: parses its arguments; nightly/ runs the night.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>

#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "core/subprocess.hpp"
#include "core/error.hpp"
#include "nightly/nightly.hpp"
#include "nightly/nightly_run.hpp"
#include "session/run_sources.hpp"
#include "store/result_store.hpp"

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

int pruneCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Remove old runs from the results database, never those a nightly baseline uses.",
               "cclbench prune"};
  app.footer("Example:\n  cclbench prune --older-than 90d --db /shared/cclbench/cclbench.db\n\n"
             "Runs started before the cutoff go, with their cases, tags and labels, in one transaction\n"
             "under the database's lock (as nightly imports take it); the newest --keep-baseline\n"
             "complete nightly runs of each series (spec, check, hosts, fingerprint) stay.");
  std::string olderThan, db;
  int keep = 7;
  bool dryRun = false;
  double lockTimeout = 600;
  app.add_option("--older-than", olderThan, "age of the runs to remove: 90d, 12w, 48h")->required();
  app.add_option("--keep-baseline", keep, "nightly runs kept per series whatever their age (default 7)");
  app.add_option("--db", db, "results database (default $CCLBENCH_DB or results/cclbench.db)");
  app.add_option("--lock-timeout", lockTimeout, "seconds to wait for the database's lock (default 600)");
  app.add_flag("--dry-run", dryRun, "say what would go, remove nothing");
  if (!parseArgs(app, args)) return 0;
  std::size_t used = 0;
  const double amount = olderThan.empty() ? -1 : std::stod("0" + olderThan.substr(0, olderThan.size() - 1), &used);
  const char unit = olderThan.empty() ? '?' : olderThan.back();
  const double hours = unit == 'h' ? 1 : unit == 'd' ? 24 : unit == 'w' ? 168 : -1;
  if (used != olderThan.size() || hours < 0 || !(amount > 0) || amount > 1e6) {
    throw usageError("--older-than takes a number of hours, days or weeks: 48h, 90d, 12w (got '" + olderThan + "')");
  }
  if (keep < 1) throw usageError("--keep-baseline must be 1 or more");
  const std::time_t cutoff = std::time(nullptr) - static_cast<std::time_t>(amount * hours * 3600);
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&cutoff));
  const std::string path = resultsDatabasePath(db);
  nightly::DatabaseLock lock(path, lockTimeout);
  ResultStore store(path, ResultStore::Access::kRead);
  const std::set<int64_t> kept = nightly::baselineRunIds(store, keep);
  RunFilter old;
  old.until = iso;
  std::size_t candidates = 0, protectedOld = 0;
  for (const StoredRun& r : store.listRuns(old)) ++candidates, protectedOld += kept.count(r.id);
  if (dryRun) {
    std::printf("would remove %zu run(s) started before %s (%zu older ones kept: nightly baselines)\n",
                candidates - protectedOld, iso, protectedOld);
    return 0;
  }
  ResultStore writer(path);
  const std::size_t removed = writer.pruneRuns(iso, kept);
  std::printf("removed %zu run(s) started before %s (%zu older ones kept: nightly baselines)\n", removed, iso,
              protectedOld);
  return 0;
}

}  // namespace cclbench
