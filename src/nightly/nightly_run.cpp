#include "nightly/nightly_run.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>

#include "acceptance/accept.hpp"
#include "acceptance/accept_run.hpp"
#include "acceptance/text.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/output_path.hpp"
#include "core/subprocess.hpp"
#include "launch/self_launch.hpp"
#include "nightly/nightly.hpp"
#include "session/provenance.hpp"
#include "session/run_sources.hpp"
#include "store/import.hpp"
#include "store/result_store.hpp"

namespace cclbench::nightly {
namespace fs = std::filesystem;

DatabaseLock::DatabaseLock(const std::string& path, double timeoutSeconds) {
  const std::string lock = path + ".lock";
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw usageError("cannot open " + lock + " (the database's lock file)");
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= until) {
      ::close(fd_);
      fd_ = -1;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeoutSeconds);
      throw Error(ExitCode::kTimeout, lock + " stayed locked for " + seconds + " s (another writer)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

namespace {

std::string stemOf(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out.substr(0, 40);
}

/// One job's JSON Lines file as read back, once: imported, then judged.
struct NightFile {
  std::string path;
  std::string check;
  std::string hosts;
  std::vector<ImportedRun> runs;
};

/// Tonight's jobs that measured something.
std::vector<NightFile> readNight(const acceptance::AcceptReport& battery) {
  std::vector<NightFile> out;
  for (const auto& check : battery.checks) {
    for (const auto& job : check.jobs) {
      if (job.outcome.log.empty()) continue;
      const std::string jsonl = job.outcome.log.substr(0, job.outcome.log.size() - 4) + ".jsonl";
      std::error_code ec;
      if (!fs::exists(jsonl, ec)) continue;
      NightFile f{jsonl, check.spec->name, acceptance::hostList(job.hosts), readResultsFile(jsonl)};
      if (std::any_of(f.runs.begin(), f.runs.end(), [](const ImportedRun& r) { return !r.cases.empty(); })) {
        out.push_back(std::move(f));
      }
    }
  }
  return out;
}

/// Stores tonight's files in the database, all under its lock (never a lost or half run).
void importNight(const std::string& database, const std::vector<NightFile>& files, double lockTimeout) {
  DatabaseLock lock(database, lockTimeout);
  ResultStore store(database);
  for (const NightFile& f : files) {
    if (store.findRun(f.runs.front().header.runId)) continue;  // imported before (a retried night)
    std::vector<ResultStore::Import> runs;
    for (const ImportedRun& r : f.runs) {
      Trailer trailer = r.trailer;
      trailer.runId = r.header.runId;
      runs.push_back({r.header, r.source, r.cases, trailer,
                      r.incomplete ? RunStatus::kIncomplete : RunStatus::kComplete});
    }
    store.importRuns(runs, RunMeta{}, f.path);
  }
}

}  // namespace

int runNightly(const NightlyOptions& o, const std::string& executable) {
  const BatterySpec spec = parseBatterySpec(readInputFile(o.specPath), o.specPath);
  const Environment env = processEnvironment();
  acceptance::refuseUnderALauncher(env, "nightly");
  if (o.np && *o.np < 1) throw usageError("--np must be 1 or more");
  if (o.maxConcurrent < 1) throw usageError("--max-jobs must be 1 or more");
  if (!(o.lockTimeoutSeconds > 0)) throw usageError("--lock-timeout must be above 0 seconds");
  acceptance::AcceptOptions ao;
  ao.hosts = o.hosts;
  ao.hostfile = o.hostfile;
  ao.np = o.np;
  const acceptance::HostSource hosts = acceptance::resolveHosts(ao, env, acceptance::scontrolHostnames);
  const std::string database = resultsDatabasePath(o.database);
  const std::string night = newRunId();
  const std::string started = utcNow();
  // Absolute: the database records where each night's files are, for any host that reads it.
  const std::string folder = fs::absolute(
      prepareOutputFolder(o.folder.empty() ? (fs::path("results") / "nightly" / (stemOf(spec.name) + "-" + night)).string()
                                           : o.folder,
                          "")).string();
  const NightlySpec& ns = spec.nightly;
  const std::string report = ns.report.empty() ? (fs::path(folder) / "report.html").string() : ns.report;
  const std::string summary =
      ns.summary.empty() ? (fs::path(report).parent_path() / "summary.md").string() : ns.summary;
  const OutputRules rules{{database}, false};
  for (const auto& [path, what] : {std::pair{report, "[nightly] report"}, {summary, "[nightly] summary"},
                                   {ns.prometheus, "[nightly] prometheus"}, {ns.junit, "[nightly] junit"}}) {
    if (path.empty()) continue;
    checkOutputPath(path, what, rules);
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
  }
  if (hosts.via == acceptance::LaunchVia::kMpirun) checkLauncherTmpdir();

  // Floors from stored runs, read before anything runs (a missing baseline is exit 6).
  std::map<std::string, double> baselines;
  {
    std::optional<RunSources> sources;
    for (const CheckSpec& c : spec.checks) {
      if (!c.minFractionOfBaseline) continue;
      if (!sources) sources.emplace(database, "");
      baselines[c.name] = acceptance::baselineFigure(*sources, c);
    }
  }

  acceptance::LaunchOptions lo;
  lo.executable = executable;
  lo.folder = folder;
  lo.via = hosts.via;
  lo.localRanks = o.np.value_or(2);
  lo.writeDatabase = false;  // imported below, under the database's lock
  lo.maxConcurrent = o.maxConcurrent;
  acceptance::LaunchJobRunner runner(lo);
  acceptance::AcceptInput input;
  input.spec = &spec;
  input.hosts = hosts.hosts;
  input.hostsFrom = hosts.from;
  input.local = hosts.via == acceptance::LaunchVia::kLocal;
  input.isolate = false;
  input.tag = "nightly";
  input.labels = {{"night", night}};
  input.baselines = baselines;
  input.progress = [](const std::string& line) {
    std::fprintf(stderr, "nightly: %s\n", line.c_str());
    std::fflush(stderr);
  };
  std::fprintf(stderr, "nightly: %s, night %s, %zu host(s) from %s, everything under %s\n", spec.name.c_str(),
               night.c_str(), hosts.hosts.size(), hosts.from.c_str(), folder.c_str());
  acceptance::AcceptReport battery;
  try {
    battery = acceptance::runAcceptance(input, runner);
  } catch (const acceptance::Interrupted& e) {
    std::fprintf(stderr, "cclbench: error: nightly %s interrupted by signal %d: no verdict was written (jobs under %s)\n",
                 spec.name.c_str(), e.signal, folder.c_str());
    return 128 + e.signal;
  }

  const std::vector<NightFile> files = readNight(battery);
  try {
    importNight(database, files, o.lockTimeoutSeconds);
  } catch (const Error& e) {
    throw Error(e.code(), std::string(e.what()) + ": tonight's records are kept under " + folder +
                              "; store them later with `cclbench import FILE.jsonl` (their tags and labels are in them)");
  }
  std::vector<NightJob> jobs;
  for (const NightFile& f : files) {
    for (const ImportedRun& run : f.runs) {
      if (!run.cases.empty()) jobs.push_back({f.check, f.hosts, run.header, run.cases, run.header.fingerprint});
    }
  }
  ResultStore store(database, ResultStore::Access::kRead);
  JudgeOptions jo;
  jo.spec = spec.name;
  jo.baselineRuns = ns.baselineRuns;
  jo.threshold = ns.threshold;
  NightReport r = judgeNight(std::move(battery), jobs, store, jo, night);
  r.startedUtc = started;

  const std::string markdown = summaryMarkdown(r);
  writeWholeFile(summary, markdown);
  writeWholeFile(report, reportHtml(r));
  if (!ns.prometheus.empty()) writeWholeFile(ns.prometheus, prometheusText(r, static_cast<double>(std::time(nullptr))));
  if (!ns.junit.empty()) writeWholeFile(ns.junit, junitXml(r));
  std::fputs(markdown.c_str(), stdout);
  std::printf("\nreport: %s\nsummary: %s\n", report.c_str(), summary.c_str());
  std::fflush(stdout);
  if (r.regressions > 0 && !o.onRegression.empty()) {
    // The site's alert: its own command through /bin/sh, the summary on its standard input.
    const CommandOutput alert = runCommand({"/bin/sh", "-c", "exec <\"$0\"; " + o.onRegression, summary}, 60);
    if (alert.status != 0) {
      std::fprintf(stderr, "cclbench: warning: --on-regression command %s (the verdict stands)\n",
                   alert.timedOut ? "did not finish within 60 s" : ("failed with status " + std::to_string(alert.status)).c_str());
    }
  }
  return r.exitCode;
}

}  // namespace cclbench::nightly
