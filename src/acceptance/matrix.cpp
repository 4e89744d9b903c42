#include "acceptance/matrix.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "acceptance/accept_run.hpp"
#include "acceptance/jobs.hpp"
#include "acceptance/text.hpp"
#include "analysis/isolation.hpp"
#include "analysis/significance.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/json_text.hpp"
#include "core/output_path.hpp"
#include "inspect/fabric.hpp"
#include "launch/launch_env.hpp"
#include "launch/self_launch.hpp"
#include "store/import.hpp"
#include "session/provenance.hpp"
#include "session/run_sources.hpp"

namespace cclbench::acceptance {
namespace {

CheckSpec pairCheck(const MatrixOptions& o, Collective c, uint64_t bytes, const char* name) {
  CheckSpec s;
  s.name = name;
  s.collective = c;
  s.scope = CheckScope::kPairs;
  s.minBytes = s.maxBytes = bytes;
  s.backend = o.backend;
  s.fabric = o.fabric;
  s.allPairs = o.np > 0;
  return s;
}

/// The runs of an --all-pairs job's JSONL (none when it wrote nothing).
std::vector<ImportedRun> jobRuns(const JobOutcome& job) {
  std::error_code ec;
  if (job.jsonl.empty() || !std::filesystem::exists(job.jsonl, ec)) return {};
  return readResultsFile(job.jsonl);
}

/// --np: the pairs of ranks of one job per metric.
void measureRankPairs(const MatrixOptions& o, const HostSource& hosts, LaunchJobRunner& runner,
                      const CheckSpec& latency, const CheckSpec& bandwidth,
                      const std::map<std::string, std::string>& labels, PairMatrix& r) {
  const int nhosts = hosts.via == LaunchVia::kLocal ? 1 : static_cast<int>(hosts.hosts.size());
  const HostGroup group = hosts.via == LaunchVia::kLocal ? HostGroup{hostName()} : hosts.hosts;
  const int ranksPerHost = o.np / nhosts;
  std::fprintf(stderr, "matrix: %d ranks (%s), every pair in %zu rounds inside one job per metric\n", o.np,
               hosts.via == LaunchVia::kLocal ? "this host" : hosts.from.c_str(), circleRounds(o.np).size());
  RoundContext context{"matrix", "latency", "matrix", 1, "matrix", labels};
  // The driver's deadline is per job: every round's pairs are inside it.
  const double timeout = o.timeoutSeconds * static_cast<double>(circleRounds(o.np).size());
  const JobOutcome lat = runner.runRound(latency, ranksPerHost, timeout, {group}, context).front();
  context.check = "bandwidth";
  const JobOutcome bw = runner.runRound(bandwidth, ranksPerHost, timeout, {group}, context).front();
  std::vector<ImportedRun> runs = jobRuns(lat);
  for (ImportedRun& run : jobRuns(bw)) runs.push_back(std::move(run));
  std::vector<analysis::PairRun> views;
  for (const ImportedRun& run : runs) views.push_back({run.header, run.cases, 0});
  const double fraction = r.minFraction;
  r = analysis::pairMatrixOf(views, {o.np, true});  // both metrics asked: a missing one did not run
  r.minFraction = fraction;
  r.kind = "ranks";
  r.timedOut = lat.timedOut || bw.timedOut;
  if (r.members.empty()) {  // neither job wrote a record
    const auto rounds = circleRounds(o.np);
    for (int i = 0; i < o.np; ++i) r.members.push_back("rank " + std::to_string(i));
    for (std::size_t i = 0; i < rounds.size(); ++i) {
      for (const auto& [a, b] : rounds[i]) {
        r.pairs.push_back({r.members[static_cast<std::size_t>(a)], r.members[static_cast<std::size_t>(b)],
                           static_cast<int>(i) + 1, false, 0, 0, false, ""});
      }
    }
    r.rounds = static_cast<int>(rounds.size());
  }
  const std::string failure = !lat.failure.empty() ? lat.failure : !bw.failure.empty() ? bw.failure : "no figure";
  for (PairFigure& p : r.pairs) {
    if (!p.ran) p.why = "did not run: " + failure;
  }
}

/// Judges, writes matrix.json and matrix.html (and the asked copies), prints; the exit code.
int finishMatrix(const MatrixOptions& o, const std::string& folder, PairMatrix& r) {
  analysis::judgePairMatrix(r);
  const std::string json = jsonText(matrixJson(r), 2) + "\n";
  writeWholeFile((std::filesystem::path(folder) / "matrix.json").string(), json);
  if (!o.jsonOut.empty()) writeWholeFile(o.jsonOut, json);
  const std::string page = matrixHtml(r);
  writeWholeFile((std::filesystem::path(folder) / "matrix.html").string(), page);
  if (!o.htmlOut.empty()) writeWholeFile(o.htmlOut, page);
  std::fputs(matrixConsole(r).c_str(), stdout);
  std::fflush(stdout);
  return r.exitCode;
}

/// Hosts: each round's pairs as disjoint jobs at once, a latency and a bw job per pair.
void measureHostPairs(const MatrixOptions& o, const HostSource& hosts, const std::string& folder,
                      LaunchJobRunner& runner,
                      const CheckSpec& latency, const CheckSpec& bandwidth,
                      const std::map<std::string, std::string>& labels, PairMatrix& r) {
  r.members = hosts.hosts;
  const auto rounds = circleRounds(static_cast<int>(hosts.hosts.size()));
  std::fprintf(stderr, "matrix: %zu hosts from %s, %zu rounds of disjoint pairs, everything under %s\n",
               hosts.hosts.size(), hosts.from.c_str(), rounds.size(), folder.c_str());
  for (const auto& links : rounds) {
    ++r.rounds;
    std::vector<HostGroup> groups;
    for (const auto& [a, b] : links) groups.push_back({hosts.hosts[a], hosts.hosts[b]});
    std::fprintf(stderr, "matrix: round %d of %zu, %zu pair(s)\n", r.rounds, rounds.size(), groups.size());
    const RoundContext base{"matrix", "latency", "matrix", r.rounds, "matrix", labels};
    RoundContext bwContext = base;
    bwContext.check = "bandwidth";
    const auto lat = runner.runRound(latency, 1, o.timeoutSeconds, groups, base);
    const auto bw = runner.runRound(bandwidth, 1, o.timeoutSeconds, groups, bwContext);
    for (std::size_t i = 0; i < groups.size(); ++i) {
      PairFigure p{groups[i][0], groups[i][1], r.rounds, lat[i].ran && bw[i].ran, lat[i].timeUs, bw[i].figure,
                   false, ""};
      if (!p.ran) p.why = "did not run: " + (!lat[i].ran ? lat[i].failure : bw[i].failure);
      if (lat[i].timedOut || bw[i].timedOut) r.timedOut = true;
      r.pairs.push_back(p);
    }
  }
}

}  // namespace

int runMatrix(const MatrixOptions& o, const std::string& executable) {
  const Environment env = processEnvironment();
  refuseUnderALauncher(env, "matrix");
  if (o.backend != "mpi" && o.backend != "nccl" && o.backend != "ucx") {
    throw usageError("--backend must be mpi, nccl or ucx");
  }
  if (!o.fabric.empty() && !parseFabric(o.fabric)) {
    throw usageError("--fabric '" + o.fabric + "' is unknown (" + fabricSpellings() + ")");
  }
  if (!(o.minFractionOfMedian > 0 && o.minFractionOfMedian <= 1)) {
    throw usageError("--min-fraction-of-median must be above 0 and at most 1");
  }
  if (!(o.timeoutSeconds > 0)) throw usageError("-T must be above 0 seconds");
  if (o.latencyBytes == 0 || o.bandwidthBytes == 0) throw usageError("sizes must be above 0 bytes");
  AcceptOptions ao;
  ao.hosts = o.hosts;
  ao.hostfile = o.hostfile;
  const HostSource hosts = resolveHosts(ao, env, scontrolHostnames);
  if (o.np < 0 || o.np == 1) throw usageError("--np must be 2 or more (every pair of that many ranks)");
  if (o.np == 0 && hosts.via == LaunchVia::kLocal) {
    throw usageError("cclbench matrix measures pairs of hosts: give --hosts or --hostfile, or run it in a Slurm "
                     "allocation; or pairs of ranks: --np N");
  }
  if (o.np == 0 && hosts.hosts.size() < 2) {
    throw usageError(hosts.from + " names one host: a matrix needs two or more");
  }
  if (o.np > 0 && hosts.via != LaunchVia::kLocal && o.np % static_cast<int>(hosts.hosts.size()) != 0) {
    throw usageError("--np " + std::to_string(o.np) + " over " + std::to_string(hosts.hosts.size()) +
                     " hosts: give a multiple of the host count (the same ranks on every host)");
  }
  if (!o.jsonOut.empty()) checkOutputPath(o.jsonOut, "--json-out", OutputRules{{resultsDatabasePath(o.database)}, false});
  if (!o.htmlOut.empty()) checkOutputPath(o.htmlOut, "--html-out", OutputRules{{resultsDatabasePath(o.database)}, false});
  if (hosts.via == LaunchVia::kMpirun) checkLauncherTmpdir();
  const std::string id = newRunId();
  const std::string folder = prepareOutputFolder(o.folder, "matrix-" + id);
  // Every job carries the matrix's id: `cclbench report matrix:ID` finds them all again.
  const std::map<std::string, std::string> labels{
      {"matrix", id},
      {"min_fraction", formatted(o.minFractionOfMedian, "%g")},
      {"members", std::to_string(o.np > 0 ? o.np : static_cast<int>(hosts.hosts.size()))}};
  LaunchOptions lo;
  lo.executable = executable;
  lo.folder = folder;
  lo.via = hosts.via;
  lo.database = o.database;
  lo.writeDatabase = o.writeDatabase;
  lo.maxConcurrent = o.maxConcurrent;
  lo.localRanks = o.np;
  LaunchJobRunner runner(lo);
  const CheckSpec latency = pairCheck(o, Collective::kLatency, o.latencyBytes, "latency");
  const CheckSpec bandwidth = pairCheck(o, Collective::kBandwidth, o.bandwidthBytes, "bandwidth");
  PairMatrix r;
  r.minFraction = o.minFractionOfMedian;
  try {
    if (o.np > 0) {
      measureRankPairs(o, hosts, runner, latency, bandwidth, labels, r);
    } else {
      measureHostPairs(o, hosts, folder, runner, latency, bandwidth, labels, r);
    }
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "cclbench: error: matrix interrupted by signal %d: no matrix was written (jobs under %s)\n",
                 e.signal, folder.c_str());
    return 128 + e.signal;
  }
  const int code = finishMatrix(o, folder, r);
  if (o.writeDatabase) {
    std::fprintf(stderr, "matrix: stored as matrix:%s (cclbench report matrix:%s --out matrix.html)\n", id.c_str(),
                 id.c_str());
  }
  return code;
}

}  // namespace cclbench::acceptance
