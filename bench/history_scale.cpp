/// The results history at scale (issue 4): a synthetic history of RUNS x SIZES x 7 collectives
/// written through the real code paths, then the queries `cclbench compare` makes, timed.
///
///   cclbench_history_scale [--runs 1000] [--sizes 30] [--repeat 5] [--dir DIR]
///                          [--cclbench build/cclbench] [--keep]
///
/// It works in a folder it creates inside DIR (default: the temporary folder) and removes that
/// folder, and only that, at the end unless --keep.
///
/// Write paths: (1) ResultStore as `cclbench run` uses it (beginRun, one addCases transaction
/// per table row, finishRun); (2) JSONL files written with core/record.hpp's toJson, read back
/// with readResultsFile and stored with importRuns, file by file as `cclbench import` does;
/// (3) with --cclbench, the real `cclbench import --tag T FILES...`, one call per tag. Then, on
/// database (1): its size (WAL checkpointed first), listRuns with a tag and fingerprint filter,
/// loading a baseline of the last 5 and 20 runs' cases, and the real
/// `cclbench compare baseline:nightly~N latest:nightly` (wall time of the whole process).
/// Query times are the median of --repeat tries on a warm page cache.

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "core/subprocess.hpp"
#include "history_synth.hpp"
#include "store/import.hpp"
#include "store/result_store.hpp"
#include "store/sqlite.hpp"

namespace fs = std::filesystem;
using namespace cclbench;

namespace {

struct Options {
  bench::SynthOptions synth;
  int repeat = 5;
  std::string dir = (fs::temp_directory_path() / "cclbench-history-scale").string();
  std::string cclbench;  ///< the real binary; "" skips the steps that need it
  bool keep = false;
};

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--runs")
      o.synth.runs = std::stoi(value());
    else if (flag == "--sizes")
      o.synth.sizes = std::stoi(value());
    else if (flag == "--repeat")
      o.repeat = std::max(1, std::stoi(value()));
    else if (flag == "--dir")
      o.dir = value();
    else if (flag == "--cclbench")
      o.cclbench = fs::absolute(value()).string();
    else if (flag == "--keep")
      o.keep = true;
    else
      throw std::runtime_error("unknown option " + flag +
                               " (see the comment atop history_scale.cpp)");
  }
  if (o.synth.runs < 30 || o.synth.sizes < 1 || o.synth.sizes > 40) {
    throw std::runtime_error("--runs must be >= 30 and --sizes 1..40");
  }
  return o;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Median wall time of `repeat` calls of `work`.
double medianSeconds(int repeat, const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    times.push_back(secondsSince(start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Runs a program with stdout and stderr to `logPath`; returns its exit status.
int runProgram(const std::vector<std::string>& args, const std::string& logPath) {
  SpawnRequest request;
  request.argv = args;
  request.outputFile = logPath;
  return Subprocess(request).wait();
}

/// One line of the figures table.
struct Figure {
  std::string what;
  std::string value;
  std::string note;
};

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores, " + model;
}

/// Path (1): what StoreReporter does during `cclbench run`.
void writeThroughStore(const Options& o, const std::string& db, std::vector<Figure>& out) {
  double seconds = 0;
  std::size_t transactions = 0;
  ResultStore store(db);
  for (int i = 0; i < o.synth.runs; ++i) {
    const bench::SynthRun run = bench::synthRun(o.synth, i);
    const auto start = std::chrono::steady_clock::now();
    const int64_t id = store.beginRun(run.header, run.meta, "cclbench", "", RunStatus::kRunning,
                                      run.header.fingerprint);
    for (const CaseRecord& c : run.cases) store.addCases(id, {c});  // one row per size
    store.finishRun(id, run.trailer);
    seconds += secondsSince(start);
    transactions += run.cases.size() + 2;
  }
  const uintmax_t walBytes = fs::exists(db + "-wal") ? fs::file_size(db + "-wal") : 0;
  out.push_back(
      {"write via ResultStore (as cclbench run)", format("%.1f s", seconds),
       std::to_string(transactions) + " transactions, " +
           format("%.0f us each", seconds / static_cast<double>(transactions) * 1e6) +
           format("; -wal %.1f MiB at the end", static_cast<double>(walBytes) / (1 << 20))});
}

/// The JSONL files `cclbench run` would have written, one per run; returns them by tag.
std::map<std::string, std::vector<std::string>> writeJsonl(const Options& o,
                                                           const std::string& folder,
                                                           std::vector<Figure>& out) {
  fs::create_directories(folder);
  std::map<std::string, std::vector<std::string>> byTag;
  double seconds = 0;
  uintmax_t bytes = 0;
  for (int i = 0; i < o.synth.runs; ++i) {
    const bench::SynthRun run = bench::synthRun(o.synth, i);
    const std::string path = folder + "/cclbench-" + run.header.runId + ".jsonl";
    const auto start = std::chrono::steady_clock::now();
    std::ofstream file(path);
    file << toJson(run.header).dump() << "\n";
    for (const CaseRecord& c : run.cases) file << toJson(c, run.header.runId).dump() << "\n";
    file << toJson(run.trailer).dump() << "\n";
    file.close();
    seconds += secondsSince(start);
    bytes += fs::file_size(path);
    byTag[run.meta.tags.at(0)].push_back(path);
  }
  out.push_back({"write JSONL files (toJson)", format("%.1f s", seconds),
                 std::to_string(o.synth.runs) + " files, " +
                     format("%.0f MiB", static_cast<double>(bytes) / (1 << 20))});
  return byTag;
}

/// Path (2): readResultsFile + importRuns per file, as importCommand does, in this process.
void importInProcess(const std::map<std::string, std::vector<std::string>>& byTag,
                     const std::string& db, std::vector<Figure>& out) {
  double parseSeconds = 0, storeSeconds = 0;
  ResultStore store(db);
  for (const auto& [tag, files] : byTag) {
    const RunMeta meta{{tag}, {}};
    for (const std::string& file : files) {
      auto start = std::chrono::steady_clock::now();
      std::vector<ImportedRun> parsed = readResultsFile(file);
      parseSeconds += secondsSince(start);
      start = std::chrono::steady_clock::now();
      std::vector<ResultStore::Import> runs;
      for (ImportedRun& r : parsed) {
        if (store.findRun(r.header.runId)) continue;
        runs.push_back({r.header, r.source, std::move(r.cases), r.trailer,
                        r.incomplete ? RunStatus::kIncomplete : RunStatus::kComplete});
      }
      store.importRuns(runs, meta, file);
      storeSeconds += secondsSince(start);
    }
  }
  out.push_back(
      {"import in-process: readResultsFile", format("%.1f s", parseSeconds), "parse only"});
  out.push_back({"import in-process: importRuns", format("%.1f s", storeSeconds),
                 "one transaction per file"});
}

/// Path (3): the real binary, one `cclbench import --tag T FILES...` per tag.
void importWithBinary(const Options& o,
                      const std::map<std::string, std::vector<std::string>>& byTag,
                      const std::string& db, std::vector<Figure>& out) {
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [tag, files] : byTag) {
    // Files first: --tag takes every value that follows it (CLI11 vector option).
    std::vector<std::string> args = {o.cclbench, "import"};
    args.insert(args.end(), files.begin(), files.end());
    args.insert(args.end(), {"--db", db, "--tag", tag});
    const int rc = runProgram(args, o.dir + "/import-" + tag + ".log");
    if (rc != 0) throw std::runtime_error("cclbench import exited " + std::to_string(rc));
  }
  out.push_back({"cclbench import (real binary)", format("%.1f s", secondsSince(start)),
                 std::to_string(byTag.size()) + " calls, one per tag"});
}

/// Checkpoints the WAL into the database, then returns the files' size.
void sizeOnDisk(const std::string& db, std::size_t cases, std::vector<Figure>& out) {
  if (!fs::exists(db)) return;
  auto size = [](const std::string& p) { return fs::exists(p) ? fs::file_size(p) : 0; };
  {
    sql::Database handle(db, false);
    handle.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const uintmax_t total = size(db) + size(db + "-wal") + size(db + "-shm");
  out.push_back({"size on disk of " + fs::path(db).filename().string() + " (+ -wal, -shm)",
                 format("%.1f MiB", static_cast<double>(total) / (1 << 20)),
                 format("%.0f bytes per case after wal_checkpoint(TRUNCATE)",
                        static_cast<double>(total) / static_cast<double>(cases))});
}

void queries(const Options& o, const std::string& db, std::vector<Figure>& out) {
  ResultStore store(db);
  RunFilter newest;  // as compare does: the fingerprint of the newest nightly run
  newest.tag = "nightly";
  newest.limit = 1;
  const std::string fingerprint = store.listRuns(newest).at(0).fingerprint;
  std::size_t matched = 0;
  out.push_back(
      {"listRuns (no filter, all runs)",
       format("%.1f ms",
              1e3 * medianSeconds(o.repeat, [&] { matched = store.listRuns({}).size(); })),
       std::to_string(matched) + " runs"});
  out.push_back({"listRuns tag=nightly limit=1 (compare's newest-run lookup)",
                 format("%.2f ms", 1e3 * medianSeconds(o.repeat, [&] { store.listRuns(newest); })),
                 "once per latest/baseline operand"});
  RunFilter filter;
  filter.tag = "nightly";
  filter.fingerprint = fingerprint;
  out.push_back(
      {"listRuns tag=nightly fingerprint=F",
       format("%.1f ms",
              1e3 * medianSeconds(o.repeat, [&] { matched = store.listRuns(filter).size(); })),
       std::to_string(matched) + " runs"});
  for (int n : {5, 20}) {
    filter.limit = n;
    std::vector<analysis::RunCases> runs;
    const double seconds = medianSeconds(o.repeat, [&] {
      runs.clear();
      for (const StoredRun& r : store.listRuns(filter)) {
        runs.push_back({"run " + std::to_string(r.id), r.header.ranks, r.header.backend,
                        r.header.aggregation, store.cases(r.id)});
      }
    });
    std::size_t cases = 0;
    for (const auto& r : runs) cases += r.cases.size();
    out.push_back({"load baseline: last " + std::to_string(n) + " runs' cases",
                   format("%.1f ms", 1e3 * seconds), std::to_string(cases) + " cases"});
    const analysis::Side a = analysis::pooledSide("baseline", {runs.begin() + 1, runs.end()});
    const analysis::Side b = analysis::sideOfRun("latest", runs.front());
    analysis::Comparison c;
    const double compareSeconds = medianSeconds(o.repeat, [&] { c = analysis::compare(a, b); });
    out.push_back({"analysis::compare only, baseline of " + std::to_string(n - 1),
                   format("%.1f ms", 1e3 * compareSeconds),
                   std::to_string(c.cases.size()) + " cases, " +
                       std::to_string(c.count(analysis::Verdict::kSlower)) + " slower"});
  }
}

void compareWithBinary(const Options& o, const std::string& db, const std::string& name,
                       std::vector<Figure>& out) {
  for (int n : {5, 20}) {
    const std::string baseline = "baseline:nightly~" + std::to_string(n);
    const std::string log = o.dir + "/compare-" + name + "-" + std::to_string(n) + ".txt";
    int rc = 0;
    const double seconds = medianSeconds(o.repeat, [&] {
      rc = runProgram({o.cclbench, "compare", baseline, "latest:nightly", "--db", db}, log);
    });
    if (rc != 0)
      throw std::runtime_error("cclbench compare exited " + std::to_string(rc) + ": " + log);
    out.push_back({"cclbench compare " + baseline + " latest:nightly (" + name + ")",
                   format("%.2f s", seconds),
                   "whole process, output in " + fs::path(log).filename().string()});
  }
}

}  // namespace

int main(int argc, char** argv) try {
  const Options given = parseOptions(argc, argv);
  // Everything goes into a folder of its own inside --dir, created here and the only thing ever
  // removed: --dir itself, and whatever else it holds, is the user's.
  fs::create_directories(given.dir);
  const fs::path work =
      fs::path(given.dir) / ("cclbench-history-scale-" + std::to_string(getpid()));
  if (!fs::create_directory(work)) {
    throw std::runtime_error(work.string() + " already exists: not touching it");
  }
  Options o = given;
  o.dir = work.string();
  const std::size_t cases = static_cast<std::size_t>(o.synth.runs) *
                            static_cast<std::size_t>(o.synth.sizes) *
                            bench::synthCollectives().size();
  std::printf(
      "# history at scale: %d runs x %d sizes x %zu collectives = %zu cases (out-of-place, "
      "float, %d-%d samples each)\n# machine: %s; SQLite %s; folder %s\n",
      o.synth.runs, o.synth.sizes, bench::synthCollectives().size(), cases, o.synth.minSamples,
      o.synth.maxSamples, machine().c_str(), sqlite3_libversion(), o.dir.c_str());
  std::vector<Figure> figures;
  const std::string storeDb = o.dir + "/store.db";
  writeThroughStore(o, storeDb, figures);
  const auto byTag = writeJsonl(o, o.dir + "/jsonl", figures);
  importInProcess(byTag, o.dir + "/import.db", figures);
  if (!o.cclbench.empty()) importWithBinary(o, byTag, o.dir + "/import-cli.db", figures);
  for (const char* db : {"/store.db", "/import.db", "/import-cli.db"}) {
    sizeOnDisk(o.dir + db, cases, figures);
  }
  queries(o, storeDb, figures);
  if (!o.cclbench.empty()) {
    compareWithBinary(o, storeDb, "store.db", figures);
    compareWithBinary(o, o.dir + "/import-cli.db", "import-cli.db", figures);
  }
  std::printf("%-68s  %9s  %s\n", "step", "figure", "note");
  for (const Figure& f : figures) {
    std::printf("%-68s  %9s  %s\n", f.what.c_str(), f.value.c_str(), f.note.c_str());
  }
  if (!o.keep) fs::remove_all(work);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "cclbench_history_scale: %s\n", e.what());
  return 1;
}
