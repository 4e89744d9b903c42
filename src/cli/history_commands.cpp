/// The results history from the command line: `cclbench runs`, `cclbench export`,
/// `cclbench import`. Each takes --db PATH (default $CCLBENCH_DB, else results/cclbench.db).

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <fstream>
#include <iostream>

#include "build_info.hpp"
#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "session/run_sources.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_text.hpp"
#include "core/output_path.hpp"
#include "core/run_config.hpp"
#include "store/import.hpp"
#include "store/result_store.hpp"

namespace cclbench {
namespace {

/// 2026-11-01, 2026-11-01T12:00, 2026-11-01T12:00:00Z: what started_utc can be compared with.
/// A UTC date or time that exists: 2026-11-01, 2026-11-01T12, ...T12:00, ...T12:00:00Z.
bool isIsoTime(const std::string& text) {
  static const std::regex iso(R"((\d{4})-(\d{2})-(\d{2})(T(\d{2})(:(\d{2})(:(\d{2}))?)?Z?)?)");
  std::smatch m;
  if (!std::regex_match(text, m, iso)) return false;
  const auto number = [&](int group) { return m[group].matched ? std::stoi(m[group].str()) : 0; };
  const int year = number(1), month = number(2), day = number(3);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  return number(5) < 24 && number(7) < 60 && number(9) < 60;
}


std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

nlohmann::json runJson(const StoredRun& r) {
  return {{"id", r.id},           {"run_id", r.uid},          {"status", displayStatus(r)},
          {"source", r.source},   {"source_file", r.sourceFile},
          {"start_utc", r.header.startUtc}, {"end_utc", r.endUtc},
          {"backend", r.header.backend},    {"ranks", r.header.ranks},
          {"hosts", r.header.hosts.size()}, {"cases", r.caseCount},
          {"tags", r.meta.tags},  {"labels", r.meta.labels},  {"fingerprint", r.fingerprint},
          {"exit_code", r.exitCode}, {"message", r.message}};
}

}  // namespace

int runsCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"List and filter the runs in the results database.", "cclbench runs"};
  app.footer("Example:\n  cclbench runs --tag nightly --since 2026-11-01 --limit 20");
  std::string db;
  RunFilter filter;
  bool json = false;
  std::string tag, fingerprint, host, backend, since, until, status;
  app.add_option("--db", db, "results database (default $CCLBENCH_DB or results/cclbench.db)");
  app.add_option("--tag", tag, "only runs with this tag");
  app.add_option("--fingerprint", fingerprint, "only runs of this topology fingerprint");
  app.add_option("--host", host, "only runs that used this host");
  app.add_option("--backend", backend, "only runs of this backend (mpi, nccl, ...)");
  app.add_option("--since", since, "only runs started at or after this UTC date/time");
  app.add_option("--until", until, "only runs started before this UTC date/time");
  app.add_option("--status", status,
                 "only runs with this status: running, complete, incomplete (killed runs too), "
                 "interrupted");
  std::vector<std::string> labels;
  app.add_option("--label", labels, "only runs with this label KEY=VALUE (repeatable)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--limit", filter.limit, "at most this many (newest first)");
  app.add_flag("--json", json, "JSON on stdout");
  if (!parseArgs(app, args)) return 0;
  auto optional = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  if (filter.limit < 0) throw usageError("--limit must be 0 (no limit) or more");
  for (const auto* when : {&since, &until}) {
    if (!when->empty() && !isIsoTime(*when)) {
      throw usageError("--since and --until take a UTC date or time such as 2026-11-01 or "
                       "2026-11-01T12:00:00Z, got '" + *when + "'");
    }
  }
  const std::vector<std::string> statuses = {"running", "complete", "incomplete", "interrupted"};
  if (!status.empty() && std::find(statuses.begin(), statuses.end(), status) == statuses.end()) {
    throw usageError("--status takes running, complete, incomplete or interrupted, got '" +
                     status + "'");
  }
  for (const auto& l : labels) {
    const auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0) throw usageError("--label takes KEY=VALUE, got '" + l + "'");
    filter.labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  filter.tag = optional(tag);
  filter.fingerprint = optional(fingerprint);
  filter.host = optional(host);
  filter.backend = optional(backend);
  filter.since = optional(since);
  filter.until = optional(until);
  // Killed runs are stored as running and shown as incomplete (their writer is gone): the status
  // filter uses what is shown.
  const std::string wanted = status;
  if (wanted != "running" && wanted != "incomplete") filter.status = optional(status);
  const int limit = filter.limit;
  if (!wanted.empty() && !filter.status) filter.limit = 0;
  ResultStore store(resultsDatabasePath(db), ResultStore::Access::kRead);
  std::vector<StoredRun> runs;
  for (StoredRun& r : store.listRuns(filter)) {
    if (!wanted.empty() && displayStatus(r) != wanted) continue;
    if (limit > 0 && static_cast<int>(runs.size()) >= limit) break;
    runs.push_back(std::move(r));
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) out.push_back(runJson(r));
    std::cout << jsonText(out, 2) << "\n";
    return 0;
  }
  std::printf("%6s  %-20s  %-10s  %-15s  %-7s  %5s  %5s  %5s  %-16s  %s\n", "id", "start (UTC)",
              "status", "source", "backend", "ranks", "hosts", "cases", "fingerprint", "tags");
  for (const auto& r : runs) {
    std::printf("%6lld  %-20s  %-10s  %-15s  %-7s  %5d  %5zu  %5lld  %-16.16s  %s\n",
                static_cast<long long>(r.id), r.header.startUtc.c_str(), displayStatus(r).c_str(),
                r.source.c_str(), r.header.backend.c_str(), r.header.ranks,
                r.header.hosts.size(), static_cast<long long>(r.caseCount),
                r.fingerprint.c_str(), joined(r.meta.tags, ",").c_str());
  }
  if (runs.empty()) std::printf("# no runs in %s match\n", store.path().c_str());
  return 0;
}

namespace {

/// Google Benchmark's JSON: every batch sample as one repetition (so compare.py's U test has
/// samples), plus a median aggregate per case.
nlohmann::json gbenchJson(const StoredRun& run, const std::vector<CaseRecord>& cases) {
  nlohmann::json out;
  out["context"] = {{"date", run.header.startUtc}, {"executable", "cclbench"},
                    {"host_name", run.header.hosts.empty() ? "" : run.header.hosts[0].host},
                    {"num_cpus", 0}, {"mhz_per_cpu", 0}, {"cpu_scaling_enabled", false},
                    {"caches", nlohmann::json::array()}, {"library_build_type", "release"},
                    {"cclbench_run_id", run.uid}, {"ranks", run.header.ranks},
                    {"backend", run.header.backend}};
  auto& list = out["benchmarks"] = nlohmann::json::array();
  int family = 0;
  for (const CaseRecord& c : cases) {
    const std::string name = std::string(cclbench::name(c.collective)) + "/" +
                             cclbench::name(c.dtype) + "/" + cclbench::name(c.op) + "/" +
                             cclbench::name(c.placement) + "/" + std::to_string(c.sizeBytes);
    nlohmann::json base = {{"name", name}, {"run_name", name}, {"family_index", family++},
                           {"per_family_instance_index", 0}, {"threads", 1},
                           {"repetitions", c.samplesUs.size()}, {"time_unit", "us"},
                           {"iterations", c.iterationsPerBatch}, {"bytes", c.sizeBytes}};
    for (std::size_t i = 0; i < c.samplesUs.size(); ++i) {
      nlohmann::json e = base;
      e["run_type"] = "iteration";
      e["repetition_index"] = i;
      e["real_time"] = e["cpu_time"] = c.samplesUs[i];
      list.push_back(e);
    }
    nlohmann::json agg = base;
    agg["name"] = name + "_median";
    agg["run_type"] = "aggregate";
    agg["aggregate_name"] = "median";
    agg["real_time"] = agg["cpu_time"] = c.timeUs.median;
    agg["algbw_GBps"] = c.algBandwidthGBps;
    agg["busbw_GBps"] = c.busBandwidthGBps;
    list.push_back(agg);
  }
  return out;
}

}  // namespace

int exportCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Write a stored run back out: cclbench JSON Lines (default), one JSON document "
               "(--json), or Google Benchmark JSON (--gbench).",
               "cclbench export"};
  app.footer("Examples:\n  cclbench export 42 > run42.jsonl\n"
             "  cclbench export --gbench > latest.json && compare.py benchmarks a.json latest.json");
  std::string db, out;
  int64_t id = 0;
  bool json = false, gbench = false;
  app.add_option("run", id, "run id (default: the latest run)");
  app.add_option("--db", db, "results database (default $CCLBENCH_DB or results/cclbench.db)");
  app.add_option("--out", out, "write to this file instead of stdout");
  app.add_flag("--json", json, "one JSON document {run, cases, end} instead of JSON Lines");
  app.add_flag("--gbench", gbench, "Google Benchmark JSON (for its compare.py)");
  if (!parseArgs(app, args)) return 0;
  if (!out.empty()) checkOutputPath(out, "--out", {{resultsDatabasePath(db)}, false});
  ResultStore store(resultsDatabasePath(db), ResultStore::Access::kRead);
  if (id == 0) {
    RunFilter newest;
    newest.limit = 1;
    const auto latest = store.listRuns(newest);
    if (latest.empty()) throw usageError("no runs in " + store.path());
    id = latest[0].id;
  }
  const auto run = store.run(id);
  if (!run) throw usageError("no run " + std::to_string(id) + " in " + store.path());
  const RunRecords records = store.records(id);
  // A file is written beside its name and renamed when whole: never half an export under it.
  const std::string partial = out + ".partial";
  std::ofstream file;
  if (!out.empty()) {
    file.open(partial, std::ios::binary | std::ios::trunc);
    if (!file) throw usageError("cannot write " + out);
  }
  std::ostream& os = out.empty() ? std::cout : file;
  const std::string& uid = records.header.runId;
  if (gbench) {
    os << jsonText(gbenchJson(*run, records.cases), 2) << "\n";
  } else if (json) {
    nlohmann::json doc = {{"run", toJson(records.header)}, {"cases", nlohmann::json::array()}};
    for (const auto& c : records.cases) doc["cases"].push_back(toJson(c, uid));
    if (records.trailer) doc["end"] = toJson(*records.trailer);
    os << jsonText(doc, 2) << "\n";
  } else {
    os << jsonText(toJson(records.header)) << "\n";
    for (const auto& c : records.cases) os << jsonText(toJson(c, uid)) << "\n";
    if (records.trailer) os << jsonText(toJson(*records.trailer)) << "\n";
  }
  if (!out.empty()) {
    file.close();
    if (!file || std::rename(partial.c_str(), out.c_str()) != 0) {
      std::remove(partial.c_str());
      throw Error(ExitCode::kInternal, "cannot write " + out);
    }
  }
  return 0;
}

int importCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Import results into the database: nccl-tests console output or JSON (-J), OSU "
               "micro-benchmark output, cclbench JSON Lines. All files are read first; if any "
               "is malformed, nothing is written (exit 6).",
               "cclbench import"};
  app.footer("Example:\n  cclbench import all_reduce_perf.log osu_latency.txt --tag acceptance");
  std::string db;
  std::vector<std::string> files, tags, labels;
  bool json = false;
  app.add_option("files", files, "files to import")->required();
  app.add_option("--db", db, "results database (default $CCLBENCH_DB or results/cclbench.db)");
  // One value per occurrence: a list option would swallow the file names that follow it.
  app.add_option("--tag", tags, "tag the imported runs (repeatable)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--label", labels, "label the imported runs KEY=VALUE (repeatable)")
      ->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--json", json, "JSON on stdout");
  if (!parseArgs(app, args)) return 0;
  RunMeta meta{tags, {}};
  for (const auto& l : labels) {
    const auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0) throw usageError("--label takes KEY=VALUE, got '" + l + "'");
    meta.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  std::vector<std::vector<ImportedRun>> parsed;
  std::vector<std::string> contents;  // each file read once: a pipe cannot be read twice
  for (const auto& f : files) {
    contents.push_back(readInputFile(f));
    parsed.push_back(readResultsText(f, contents.back()));  // throws before any write
  }

  ResultStore store(resultsDatabasePath(db));
  nlohmann::json report = nlohmann::json::array();
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::vector<ResultStore::Import> runs;
    for (std::size_t k = 0; k < parsed[i].size(); ++k) {
      ImportedRun& r = parsed[i][k];
      if (r.header.runId.empty()) {  // stable per file content: importing twice is detected
        char id[64];
        std::snprintf(id, sizeof id, "import-%016llx-%zu",
                      static_cast<unsigned long long>(fnv1a(contents[i])), k);
        r.header.runId = id;
      }
      if (const auto existing = store.findRun(r.header.runId)) {
        std::fprintf(stderr, "cclbench: %s: run %s is already in the database (id %lld), skipped\n",
                     files[i].c_str(), r.header.runId.c_str(), static_cast<long long>(*existing));
        continue;
      }
      r.trailer.runId = r.header.runId;
      runs.push_back({r.header, r.source, r.cases, r.trailer,
                      r.incomplete ? RunStatus::kIncomplete : RunStatus::kComplete});
    }
    const std::vector<int64_t> ids = store.importRuns(runs, meta, files[i]);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const auto& r = runs[k];
      report.push_back({{"file", files[i]}, {"id", ids[k]}, {"source", r.source},
                        {"cases", r.cases.size()}, {"status", name(r.status)}});
      if (!json) {
        std::printf("%s: run %lld (%s, %zu cases%s)\n", files[i].c_str(),
                    static_cast<long long>(ids[k]), r.source.c_str(), r.cases.size(),
                    r.status == RunStatus::kIncomplete ? ", incomplete: the source is cut short"
                                                       : "");
      }
    }
  }
  if (json) std::cout << jsonText(report, 2) << "\n";
  return 0;
}

}  // namespace cclbench
