/// `cclbench tune`: parses its arguments into TuneOptions; tuners/ does the rest.
#include <CLI/CLI.hpp>

#include <algorithm>

#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "core/subprocess.hpp"
#include "core/error.hpp"
#include "core/sizes.hpp"
#include "tuners/tune.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench tune allreduce --backend mpi -b 4M -e 64M        Open MPI's coll/tuned, local ranks
  cclbench tune --np 4 --strategy exhaustive                the reference search, 4 ranks
  cclbench tune allreduce --hosts n1,n2 --budget 600        on two hosts, at most 10 min of trials
  salloc -N 2 cclbench tune allreduce                       inside an allocation: srun launches
  cclbench tune --backend nccl --np 8 -b 8 -e 1G            NCCL on 8 local GPUs, through the plugin
  cclbench tune --backend nccl --plan --topology h100-8gpu-ib400 --nodes 128
                                   what a 1,024-GPU tune would search and cost, nothing run
  cclbench tune --backend model --topology h100-8gpu-ib400 --nodes 64
                                   NCCL's algorithms, protocols and channels on 512 modelled GPUs

The result: results/tune-<time>/tune.json (every candidate by size, the rules, the validated
speedups), summary.md, and for Open MPI openmpi-rules.conf with the mpirun flags and
OMPI_MCA_* variables that load it (printed at the end). --backend model tunes NCCL against its own
cost model for a described topology (cclbench predict --help) with a seeded deviation field as
the truth: nccl-tuner.conf and nccl.env as a real NCCL tune writes them, every output labelled
MODELLED, nothing stored in the database. Exit 0 also when the defaults are best;
6 for bad options; 128 + N when a signal stopped it (no configuration written).)";


}  // namespace

int tuneCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Search a library's collective settings per size, validate what beats the default "
               "and write configs a job can use.",
               "cclbench tune"};
  app.footer(kExamples);
  app.get_formatter()->column_width(34);
  tune::TuneOptions o;
  std::vector<std::string> collectives;
  std::string minBytes = "8", maxBytes = "256M", step, dtype = "float", op = "sum", place = "out";
  std::string strategy = "race";
  std::vector<std::string> sizeList, hosts;
  double factor = 2;
  int np = 0;
  bool noDb = false;
  app.add_option("collectives", collectives,
                 "allreduce allgather reducescatter broadcast reduce alltoall gather (default: "
                 "allreduce allgather reducescatter)");
  app.add_option("--backend", o.backend,
                 "mpi (Open MPI's coll/tuned), nccl, or model (NCCL's cost model; default mpi)");
  app.add_option("--topology", o.topology,
                 "--backend model (or nccl with --plan): a preset name or a TOML file");
  app.add_option("--nodes", o.nodes, "with --topology: node count, overriding the topology's");
  app.add_option("--model-seed", o.modelSeed, "--backend model: seed of the deviation field (default 1)");
  app.add_option("--process-knobs", o.processKnobs,
                 "--backend nccl: also tune these process-wide knobs, one launch per value "
                 "(NTHREADS,BUFFSIZE,MIN_CTAS,MAX_CTAS,NCHANNELS_PER_NET_PEER)");
  app.add_flag("--plan", o.plan,
               "print what would be searched and the estimated wall time, run nothing (with "
               "--topology, a dry run of the search on the model of NCCL)");
  app.add_option("--launch-seconds", o.launchSeconds,
                 "--plan: start-up of one launch (default 0.45 for mpi, 10 for nccl)");
  app.add_option("-b,--minbytes", minBytes, "smallest size (default 8; K/M/G = 1024)");
  app.add_option("-e,--maxbytes", maxBytes, "largest size (default 256M)");
  app.add_option("-f,--stepfactor", factor, "multiply the size by this (default 2)");
  app.add_option("-i,--stepbytes", step, "add this to the size instead of -f");
  app.add_option("--sizes", sizeList, "exactly these sizes, comma separated")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-d,--datatype", dtype, "one data type (default float)");
  app.add_option("-o,--op", op, "one reduction op (default sum)");
  app.add_option("--place", place, "out or in (default out)");
  app.add_option("--np", np, "ranks of every launch (default: as cclbench run)");
  app.add_option("--hosts", hosts, "launch on these hosts (mpirun --host)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--hostfile", o.hostfile, "launch with mpirun --hostfile FILE (give --np)");
  app.add_option("--strategy", strategy, "race (default) or exhaustive (every candidate, the reference)");
  std::string apply;
  app.add_option("--apply", apply,
                 "--backend mpi: how a candidate reaches Open MPI: communicator (default: every "
                 "candidate of a round in one launch, coll/tuned's variables set through MPI_T "
                 "before a fresh communicator) or launch (one launch per candidate, MCA environment)");
  app.add_option("--budget", o.budgetSeconds,
                 "seconds of trials the search may spend (then the best so far is validated; "
                 "default: no limit)");
  app.add_option("--threshold", o.threshold,
                 "smallest speedup worth a rule, as a fraction (default 0.03 = 3%)");
  app.add_option("--out", o.folder, "folder for everything it writes (default results/tune-<time>/)");
  app.add_option("--db", o.database, "results database for every launch (default as cclbench run)");
  app.add_flag("--no-db", noDb, "store no launch in the results database");
  app.add_option("--validation-launches", o.validationLaunches,
                 "launches of each of the default and the tuned config (default 3, at least 3)");
  app.add_option("-T,--timeout", o.timeoutSeconds,
                 "seconds any step of a launch may take; a hanging candidate fails (default 120)");
  app.add_option("--batch-time", o.full.batchSeconds, "as cclbench run, for the full-effort trials");
  app.add_option("--size-budget", o.full.sizeBudgetSeconds, "as cclbench run, likewise");
  app.add_option("--precision", o.full.precision, "as cclbench run, likewise");
  if (!parseArgs(app, args)) return 0;

  if (!collectives.empty()) {
    o.collectives.clear();
    for (const auto& n : collectives) {
      const auto c = parseCollective(n);
      if (!c) throw usageError("unknown collective '" + n + "' (" + collectiveSpellings() + ")");
      if (std::find(o.collectives.begin(), o.collectives.end(), *c) == o.collectives.end()) {
        o.collectives.push_back(*c);
      }
    }
  }
  for (const auto& s : sizeList) o.sweep.sizes.push_back(bytesOption(s, "--sizes"));
  o.sweep.minBytes = bytesOption(minBytes, "-b");
  o.sweep.maxBytes = bytesOption(maxBytes, "-e");
  o.sweep.factor = factor;
  if (!step.empty()) o.sweep.stepBytes = bytesOption(step, "-i");
  const auto t = parseDType(dtype);
  if (!t) throw usageError("unknown data type '" + dtype + "' (" + dtypeSpellings() + ")");
  o.dtype = *t;
  const auto r = parseRedOp(op);
  if (!r) throw usageError("unknown reduction op '" + op + "'");
  o.op = *r;
  const auto p = parsePlacement(place);
  if (!p) throw usageError("--place must be out or in");
  o.placement = *p;
  const auto s = tune::parseStrategy(strategy);
  if (!s) throw usageError("unknown strategy '" + strategy + "' (race or exhaustive)");
  o.strategy = *s;
  if (app.count("--apply")) {
    if (apply != "communicator" && apply != "launch") {
      throw usageError("--apply must be communicator or launch");
    }
    o.openMpiApplication = apply == "launch" ? tune::Application::kPerLaunch : tune::Application::kPerCase;
  }
  if (app.count("--np")) o.np = np;
  o.hosts = hosts;
  o.writeDatabase = !noDb;
  return tune::runTune(o, selfExecutable());
}

}  // namespace cclbench
