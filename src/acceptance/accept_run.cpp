#include "acceptance/accept_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "acceptance/accept.hpp"
#include "analysis/significance.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_text.hpp"
#include "core/output_path.hpp"
#include "core/subprocess.hpp"
#include "launch/launch_env.hpp"
#include "launch/self_launch.hpp"
#include "session/provenance.hpp"
#include "session/run_sources.hpp"

namespace cclbench::acceptance {
namespace {

bool plainHostName(const std::string& h) {
  if (h.empty() || h.size() > 255 || h.front() == '-' || h.front() == '.') return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

void checkHost(const std::string& h, const std::string& where) {
  if (h.find(':') != std::string::npos) {
    throw usageError(where + ": '" + h + "': give host names only (ranks per host come from the spec's ranks_per_host)");
  }
  if (!plainHostName(h)) throw usageError(where + ": '" + h + "' is not a host name");
}

std::vector<std::string> splitComma(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::stringstream in(item);
    std::string h;
    while (std::getline(in, h, ',')) {
      if (!h.empty()) out.push_back(h);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> scontrolHostnames(const std::string& nodelist) {
  const CommandOutput out = runCommand({"scontrol", "show", "hostnames", nodelist}, 30);
  if (out.status != 0) {
    throw usageError("cannot expand SLURM_JOB_NODELIST=" + nodelist + " with `scontrol show hostnames`" +
                     (out.timedOut ? " (no answer in 30 s)" : ""));
  }
  std::vector<std::string> hosts;
  std::stringstream in(out.out);
  std::string h;
  while (in >> h) hosts.push_back(h);
  return hosts;
}

void refuseUnderALauncher(const std::map<std::string, std::string>& env, const std::string& command) {
  if (detectLaunch(env).launcher != Launcher::kNone || env.count("CCLBENCH_SELF_LAUNCHED")) {
    throw usageError("cclbench " + command + " starts every job itself: run it outside mpirun and srun "
                     "(inside a Slurm allocation it launches with srun)");
  }
}

double baselineFigure(RunSources& sources, const CheckSpec& c) {
  const std::vector<ResolvedRun> runs = sources.resolve(parseOperand(c.baseline));
  std::vector<double> labelled, any;
  for (const ResolvedRun& run : runs) {
    double figure = 0;
    uint64_t size = 0;
    if (!figureOf(run.cases, c, figure, size) || size != c.maxBytes) continue;
    const auto label = run.labels.find("check");
    (label != run.labels.end() && label->second == c.name ? labelled : any).push_back(figure);
  }
  const std::vector<double>& use = labelled.empty() ? any : labelled;
  if (use.empty()) {
    throw usageError("check '" + c.name + "': baseline " + c.baseline + " has no out-of-place " +
                     name(c.collective) + " case of " + std::to_string(c.maxBytes) + " bytes");
  }
  return analysis::median(use);
}

std::vector<std::string> parseHostfile(const std::string& text, const std::string& source) {
  std::vector<std::string> hosts;
  std::stringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::stringstream words(line);
    std::string host;
    if (!(words >> host)) continue;
    checkHost(host, source + " line " + std::to_string(number));
    hosts.push_back(host);
  }
  return hosts;
}

HostSource resolveHosts(const AcceptOptions& o, const std::map<std::string, std::string>& env,
                        const std::function<std::vector<std::string>(const std::string&)>& expand) {
  if (!o.hosts.empty() && !o.hostfile.empty()) throw usageError("give --hosts or --hostfile, not both");
  if ((!o.hosts.empty() || !o.hostfile.empty() || env.count("SLURM_JOB_NODELIST")) && o.np) {
    throw usageError("--np is for local ranks only: with hosts, ranks per host come from the spec");
  }
  HostSource s;
  if (!o.hosts.empty()) {
    s.hosts = splitComma(o.hosts);
    for (const auto& h : s.hosts) checkHost(h, "--hosts");
    s.from = "--hosts";
    s.via = LaunchVia::kMpirun;
  } else if (!o.hostfile.empty()) {
    s.hosts = parseHostfile(readInputFile(o.hostfile), o.hostfile);
    s.from = "--hostfile " + o.hostfile;
    s.via = LaunchVia::kMpirun;
  } else if (const auto list = env.find("SLURM_JOB_NODELIST"); list != env.end() && !list->second.empty()) {
    s.hosts = expand(list->second);
    for (const auto& h : s.hosts) checkHost(h, "SLURM_JOB_NODELIST");
    s.from = "the Slurm allocation (SLURM_JOB_NODELIST=" + list->second + ")";
    s.via = LaunchVia::kSrun;
  } else {
    char name[256] = "localhost";
    gethostname(name, sizeof name - 1);
    s.hosts = {name};
    s.from = "local ranks";
    s.via = LaunchVia::kLocal;
  }
  if (s.hosts.empty()) throw usageError(s.from + " names no host");
  std::set<std::string> seen;
  for (const auto& h : s.hosts) {
    if (!seen.insert(h).second) throw usageError(s.from + " names host '" + h + "' twice");
  }
  return s;
}

int runAccept(const AcceptOptions& o, const std::string& executable) {
  const BatterySpec spec = parseBatterySpec(readInputFile(o.specPath), o.specPath);
  const Environment env = processEnvironment();
  refuseUnderALauncher(env, "accept");
  if (o.np && *o.np < 1) throw usageError("--np must be 1 or more");
  if (o.maxConcurrent < 1) throw usageError("--max-jobs must be 1 or more");
  const HostSource hosts = resolveHosts(o, env, scontrolHostnames);
  const OutputRules rules{{resultsDatabasePath(o.database)}, false};
  if (!o.jsonOut.empty()) checkOutputPath(o.jsonOut, "--json-out", rules);
  if (!o.junitOut.empty()) checkOutputPath(o.junitOut, "--junit", rules);
  if (hosts.via == LaunchVia::kMpirun) checkLauncherTmpdir();

  // Baselines are read before anything runs or is written: a missing one is exit 6 at once.
  AcceptInput input;
  std::optional<RunSources> sources;
  for (const CheckSpec& c : spec.checks) {
    if (!c.minFractionOfBaseline) continue;
    if (!sources) sources.emplace(resultsDatabasePath(o.database), "");
    input.baselines[c.name] = baselineFigure(*sources, c);
  }
  input.spec = &spec;
  input.hosts = hosts.hosts;
  input.hostsFrom = hosts.from;
  input.local = hosts.via == LaunchVia::kLocal;
  input.progress = [](const std::string& line) {
    std::fprintf(stderr, "accept: %s\n", line.c_str());
    std::fflush(stderr);
  };

  std::string stem;
  for (char c : spec.name) stem += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  const std::string folder = prepareOutputFolder(o.folder, "accept-" + stem.substr(0, 40) + "-" + newRunId());
  LaunchOptions lo;
  lo.executable = executable;
  lo.folder = folder;
  lo.via = hosts.via;
  lo.localRanks = o.np.value_or(2);
  lo.database = o.database;
  lo.writeDatabase = o.writeDatabase;
  lo.maxConcurrent = o.maxConcurrent;
  LaunchJobRunner runner(lo);
  std::fprintf(stderr, "accept: %s, %zu host(s) from %s, everything under %s\n", spec.name.c_str(),
               hosts.hosts.size(), hosts.from.c_str(), folder.c_str());

  AcceptReport report;
  try {
    report = runAcceptance(input, runner);
  } catch (const Interrupted& e) {
    std::fprintf(stderr,
                 "cclbench: error: accept %s interrupted by signal %d: its jobs are kept (tag "
                 "acceptance, label spec=%s, logs under %s); no verdict was written\n",
                 spec.name.c_str(), e.signal, spec.name.c_str(), folder.c_str());
    return 128 + e.signal;
  }
  const std::string json = jsonText(toJson(report), 2) + "\n";
  writeWholeFile((std::filesystem::path(folder) / "accept.json").string(), json);
  writeWholeFile((std::filesystem::path(folder) / "junit.xml").string(), junitXml(report));
  if (!o.jsonOut.empty()) writeWholeFile(o.jsonOut, json);
  if (!o.junitOut.empty()) writeWholeFile(o.junitOut, junitXml(report));
  std::fputs(consoleText(report).c_str(), stdout);
  std::fflush(stdout);
  return report.exitCode;
}

}  // namespace cclbench::acceptance
