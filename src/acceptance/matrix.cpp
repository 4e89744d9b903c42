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
#include "launch/self_launch.hpp"
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
  return s;
}

}  // namespace

void judgeMatrix(MatrixReport& r) {
  std::vector<double> bw;
  for (const PairFigure& p : r.pairs) {
    if (p.ran) bw.push_back(p.bandwidthGbps);
  }
  r.medianBandwidthGbps = analysis::median(bw);
  bool flagged = false;
  for (PairFigure& p : r.pairs) {
    if (!p.ran) {
      p.flagged = true;
      if (p.why.empty()) p.why = "did not run";
    } else if (p.bandwidthGbps < r.minFraction * r.medianBandwidthGbps) {
      p.flagged = true;
      p.why = formatted(p.bandwidthGbps, "%.3g GB/s") + " < " + formatted(r.minFraction, "%.2g") + " x median " +
              formatted(r.medianBandwidthGbps, "%.3g GB/s");
    }
    flagged = flagged || p.flagged;
  }
  r.exitCode = r.timedOut ? static_cast<int>(ExitCode::kTimeout) : flagged ? static_cast<int>(ExitCode::kWrongData) : 0;
}

std::string matrixConsole(const MatrixReport& r) {
  std::map<std::pair<std::string, std::string>, const PairFigure*> at;
  for (const PairFigure& p : r.pairs) at[{p.a, p.b}] = at[{p.b, p.a}] = &p;
  std::string out;
  const std::size_t n = r.hosts.size();
  if (n <= 32) {
    for (const auto& [title, bandwidth] : {std::pair{"bandwidth (GB/s)", true}, {"latency (us)", false}}) {
      out += std::string("# ") + title + ", " + std::to_string(n) + " hosts, " + std::to_string(r.rounds) +
             " rounds; * = flagged\n" + std::string(12, ' ');
      for (const auto& h : r.hosts) out += " " + (h.size() > 10 ? h.substr(0, 10) : std::string(10 - h.size(), ' ') + h);
      out += "\n";
      for (const auto& row : r.hosts) {
        out += (row.size() > 11 ? row.substr(0, 11) : row + std::string(11 - row.size(), ' ')) + " ";
        for (const auto& col : r.hosts) {
          const auto it = at.find({row, col});
          std::string cell = "-";
          if (it != at.end()) {
            const PairFigure& p = *it->second;
            cell = !p.ran ? "failed" : formatted(bandwidth ? p.bandwidthGbps : p.latencyUs, bandwidth ? "%.3g" : "%.2f");
            if (p.flagged) cell += "*";
          }
          out += std::string(cell.size() < 10 ? 10 - cell.size() : 0, ' ') + cell + " ";
        }
        out += "\n";
      }
    }
  }
  int flagged = 0;
  for (const PairFigure& p : r.pairs) {
    if (!p.flagged) continue;
    ++flagged;
    out += "flagged: " + p.a + " - " + p.b + ": " + p.why + "\n";
  }
  out += "median pair bandwidth " + formatted(r.medianBandwidthGbps, "%.3g GB/s") + "; " + std::to_string(flagged) +
         " pair(s) flagged; exit " + std::to_string(r.exitCode) + "\n";
  return out;
}

nlohmann::json matrixJson(const MatrixReport& r) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const PairFigure& p : r.pairs) {
    nlohmann::json j{{"a", p.a}, {"b", p.b}, {"round", p.round}, {"ran", p.ran}, {"flagged", p.flagged}};
    if (p.ran) j["latency_us"] = p.latencyUs, j["bandwidth_gbps"] = p.bandwidthGbps;
    if (!p.why.empty()) j["why"] = p.why;
    pairs.push_back(std::move(j));
  }
  return {{"schema", "cclbench.matrix/1"}, {"hosts", r.hosts},       {"rounds", r.rounds},
          {"pairs", pairs},              {"median_bandwidth_gbps", r.medianBandwidthGbps},
          {"min_fraction_of_median", r.minFraction}, {"exit_code", r.exitCode}};
}

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
  if (hosts.via == LaunchVia::kLocal) {
    throw usageError("cclbench matrix measures pairs of hosts: give --hosts or --hostfile, or run it in a Slurm "
                     "allocation (one host's rank pairs: cclbench run latency bw --pair A,B)");
  }
  if (hosts.hosts.size() < 2) throw usageError(hosts.from + " names one host: a matrix needs two or more");
  if (!o.jsonOut.empty()) checkOutputPath(o.jsonOut, "--json-out", OutputRules{{resultsDatabasePath(o.database)}, false});
  if (hosts.via == LaunchVia::kMpirun) checkLauncherTmpdir();
  const std::string folder = prepareOutputFolder(o.folder, "matrix-" + newRunId());
  LaunchOptions lo;
  lo.executable = executable;
  lo.folder = folder;
  lo.via = hosts.via;
  lo.database = o.database;
  lo.writeDatabase = o.writeDatabase;
  lo.maxConcurrent = o.maxConcurrent;
  LaunchJobRunner runner(lo);
  const CheckSpec latency = pairCheck(o, Collective::kLatency, o.latencyBytes, "latency");
  const CheckSpec bandwidth = pairCheck(o, Collective::kBandwidth, o.bandwidthBytes, "bandwidth");
  MatrixReport r;
  r.hosts = hosts.hosts;
  r.minFraction = o.minFractionOfMedian;
  const auto rounds = isolation::circleRounds(static_cast<int>(hosts.hosts.size()));
  std::fprintf(stderr, "matrix: %zu hosts from %s, %zu rounds of disjoint pairs, everything under %s\n",
               hosts.hosts.size(), hosts.from.c_str(), rounds.size(), folder.c_str());
  try {
    for (const auto& links : rounds) {
      ++r.rounds;
      std::vector<HostGroup> groups;
      for (const auto& [a, b] : links) groups.push_back({hosts.hosts[a], hosts.hosts[b]});
      std::fprintf(stderr, "matrix: round %d of %zu, %zu pair(s)\n", r.rounds, rounds.size(), groups.size());
      const RoundContext base{"matrix", "latency", "matrix", r.rounds, "matrix", {}};
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
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "cclbench: error: matrix interrupted by signal %d: no matrix was written (jobs under %s)\n",
                 e.signal, folder.c_str());
    return 128 + e.signal;
  }
  judgeMatrix(r);
  const std::string json = jsonText(matrixJson(r), 2) + "\n";
  writeWholeFile((std::filesystem::path(folder) / "matrix.json").string(), json);
  if (!o.jsonOut.empty()) writeWholeFile(o.jsonOut, json);
  std::fputs(matrixConsole(r).c_str(), stdout);
  std::fflush(stdout);
  return r.exitCode;
}

}  // namespace cclbench::acceptance
