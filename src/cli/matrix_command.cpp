/// `cclbench matrix`: parses its arguments; acceptance/ runs the pairs.
#include <CLI/CLI.hpp>

#include "acceptance/matrix.hpp"
#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "core/subprocess.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench matrix --hosts n1,n2,n3,n4,n5,n6,n7,n8 --json-out matrix.json
  cclbench matrix --np 4 --backend ucx                 every pair of 4 local ranks, over UCX
  salloc -N 16 cclbench matrix                         inside an allocation: its nodes, via srun

Every pair of hosts (one rank each) in N-1 rounds of disjoint pairs measured at once (the circle
method accept uses): a `cclbench run latency` job (-b, default 8 B) and a `cclbench run bw` job
(--bw-size, default 4M) per pair, tagged matrix, stored like any run. Pairs whose bandwidth is
under --min-fraction-of-median (default 0.7) x the median pair are flagged. Exit: 6 bad options,
4 a job timed out, 7 a pair flagged (or failed), 0 otherwise. --np N measures every pair of N
ranks instead (each rank named rank@host): `cclbench matrix --np 8` on this host, or
`cclbench matrix --np 16 --hosts a,b,c,d` (4 ranks per host). An HTML page with heat maps is
written as matrix.html under --out.)";

}  // namespace

int matrixCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Latency and bandwidth between every pair of hosts, in rounds of disjoint pairs.", "cclbench matrix"};
  app.footer(kExamples);
  app.get_formatter()->column_width(32);
  acceptance::MatrixOptions o;
  std::string latency = "8", bandwidth = "4M";
  bool noDb = false;
  app.add_option("--hosts", o.hosts, "the hosts (a,b,c)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--hostfile", o.hostfile, "the hosts, one per line");
  app.add_option("--backend", o.backend, "mpi (default), nccl or ucx");
  app.add_option("--fabric", o.fabric, "as cclbench run --fabric");
  app.add_option("-b,--latency-size", latency, "message size of the latency job (default 8)");
  app.add_option("--bw-size", bandwidth, "message size of the bandwidth job (default 4M)");
  app.add_option("-T,--timeout", o.timeoutSeconds, "seconds any step of a job may take (default 60)");
  app.add_option("--min-fraction-of-median", o.minFractionOfMedian,
                 "flag pairs under this fraction of the median pair's bandwidth (default 0.7)");
  app.add_option("--json-out", o.jsonOut, "the matrix as JSON (schema cclbench.matrix/1)");
  app.add_option("--html-out", o.htmlOut, "the matrix as an HTML page with heat maps (also matrix.html in --out)");
  app.add_option("--out", o.folder, "folder for the jobs' logs and records (default results/matrix-<id>/)");
  app.add_option("--db", o.database, "results database (default as cclbench run)");
  app.add_flag("--no-db", noDb, "store no job in the results database");
  app.add_option("--max-jobs", o.maxConcurrent, "launches at once from this driver (default 64)");
  app.add_option("--np", o.np,
                 "every pair of N ranks instead of hosts: one job per metric (local ranks, or spread "
                 "over --hosts/--hostfile or the allocation), its rounds inside `run --all-pairs`");
  if (!parseArgs(app, args)) return 0;
  o.latencyBytes = bytesOption(latency, "-b");
  o.bandwidthBytes = bytesOption(bandwidth, "--bw-size");
  o.writeDatabase = !noDb;
  return acceptance::runMatrix(o, selfExecutable());
}

}  // namespace cclbench
