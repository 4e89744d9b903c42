/// `cclbench compare A B [C ...]`: every later operand against the first (the baseline), case
/// by case, with verdicts (src/analysis/compare.hpp).
///
/// Operand grammar (kOperandHelp tells users the same): all digits or run:ID = a run in the
/// database (run:UID also takes a run uid); file:PATH or an existing path = a results file read
/// with readResultsFile; latest[:TAG] = the newest run (tagged TAG) of this topology
/// fingerprint; baseline[:TAG][~N] = the N (default 5) newest such runs, each run's per-case
/// median one sample. Digits and the words latest/baseline win over file names; file: and run:
/// remove any doubt. Decisions: a file holding several runs counts like a baseline of them (each
/// run's per-case median is one sample); a baseline leaves out runs another operand names, so
/// `compare baseline:nightly latest:nightly` puts tonight's run against the five before it.
/// "This topology fingerprint" is --fingerprint FP, else the newest run's (tagged TAG if given).

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "analysis/compare.hpp"
#include "analysis/compare_report.hpp"
#include "cli/commands.hpp"
#include "core/environment.hpp"
#include "core/error.hpp"
#include "store/import.hpp"
#include "store/result_store.hpp"

namespace cclbench {
namespace {

constexpr const char* kOperandHelp =
    R"HELP(Operands (the first is the baseline A; every other one is compared against it):
  ID, run:ID          a run in the results database (run:UID takes a run uid too)
  PATH, file:PATH     a results file: cclbench JSONL, nccl-tests output or JSON, OSU output;
                      a file holding several runs counts like a baseline of them
  latest[:TAG]        the newest run (tagged TAG) of this topology fingerprint
  baseline[:TAG][~N]  the N newest such runs (default 5), each run's per-case median one
                      sample; runs another operand names are left out
  Digits are a run id and latest/baseline win over file names: file: and run: remove any
  doubt. "This topology fingerprint" is --fingerprint FP, else the fingerprint of the newest
  run in the database (tagged TAG, if given).

Verdicts: slower/faster need both a Benjamini-Hochberg q-value under --alpha (Mann-Whitney U
over all tested cases) and a time change beyond --threshold. With a single sample on a side
(nccl-tests rows) no test is possible: the threshold alone decides, marked "(threshold only)".

Examples:
  cclbench compare 12 15
  cclbench compare baseline:nightly~5 latest:nightly --fail-on-regression
  cclbench compare all_reduce_old.log results/cclbench-new.jsonl --markdown

Exit codes: 0 ok, 6 bad operands or sides that differ (without --force), 8 a slowdown with
--fail-on-regression.)HELP";

struct CompareFlags {
  std::vector<std::string> operands;
  std::string db;
  std::string fingerprint;
  bool json = false;
  bool markdown = false;
  bool failOnRegression = false;
  analysis::CompareOptions options;
};

enum class OperandKind { kRun, kFile, kLatest, kBaseline };

struct Operand {
  std::string text;
  OperandKind kind = OperandKind::kRun;
  std::string value;  ///< run id or uid, or file path
  std::optional<std::string> tag;
  int count = 1;  ///< runs a baseline takes
};

bool isDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

/// "" -> no tag, ":TAG" -> TAG.
std::optional<std::string> tagOf(const std::string& rest, const std::string& operand) {
  if (rest.empty()) return std::nullopt;
  if (rest[0] != ':' || rest.size() == 1) {
    throw usageError("cannot read operand '" + operand + "' (latest[:TAG] or baseline[:TAG][~N])");
  }
  return rest.substr(1);
}

Operand parseOperand(const std::string& text) {
  auto startsWith = [&](const std::string& prefix) { return text.rfind(prefix, 0) == 0; };
  auto nonEmpty = [&](std::string value) {
    if (value.empty()) throw usageError("operand '" + text + "' names nothing after the prefix");
    return value;
  };
  if (startsWith("run:")) return {text, OperandKind::kRun, nonEmpty(text.substr(4)), {}, 1};
  if (startsWith("file:")) return {text, OperandKind::kFile, nonEmpty(text.substr(5)), {}, 1};
  if (isDigits(text)) return {text, OperandKind::kRun, text, {}, 1};
  if (text == "latest" || startsWith("latest:")) {
    return {text, OperandKind::kLatest, "", tagOf(text.substr(6), text), 1};
  }
  if (text == "baseline" || startsWith("baseline:") || startsWith("baseline~")) {
    std::string rest = text.substr(8);
    int count = 5;
    if (const auto tilde = rest.rfind('~'); tilde != std::string::npos) {
      const std::string n = rest.substr(tilde + 1);
      if (!isDigits(n) || n.size() > 6 || std::stoi(n) < 1) {
        throw usageError("cannot read the run count of '" + text +
                         "' (baseline[:TAG][~N], N >= 1)");
      }
      count = std::stoi(n);
      rest = rest.substr(0, tilde);
    }
    return {text, OperandKind::kBaseline, "", tagOf(rest, text), count};
  }
  if (std::filesystem::exists(text)) return {text, OperandKind::kFile, text, {}, 1};
  throw usageError("'" + text +
                   "' is no run id, existing file, latest[:TAG] or baseline[:TAG][~N] "
                   "(file:PATH and run:ID remove any doubt)");
}

/// The results database, opened on first use: file operands never need it.
class History {
 public:
  explicit History(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  std::optional<StoredRun> run(const std::string& idOrUid);
  std::vector<StoredRun> list(const RunFilter& filter);
  std::vector<CaseRecord> cases(int64_t id);

 private:
#if defined(CCLBENCH_HAVE_STORE)
  ResultStore& store() {
    if (!store_) {
      if (!std::filesystem::exists(path_)) {
        throw usageError("no results database at " + path_ +
                         " (give --db PATH or set CCLBENCH_DB)");
      }
      store_ = std::make_unique<ResultStore>(path_);
    }
    return *store_;
  }
  std::unique_ptr<ResultStore> store_;
#endif
  std::string path_;
};

#if defined(CCLBENCH_HAVE_STORE)
std::optional<StoredRun> History::run(const std::string& idOrUid) {
  const std::optional<int64_t> id = isDigits(idOrUid) && idOrUid.size() < 19
                                        ? std::optional<int64_t>(std::stoll(idOrUid))
                                        : store().findRun(idOrUid);
  return id ? store().run(*id) : std::nullopt;
}
std::vector<StoredRun> History::list(const RunFilter& filter) {
  return store().listRuns(filter);
}
std::vector<CaseRecord> History::cases(int64_t id) {
  return store().cases(id);
}
#else
[[noreturn]] void noDatabase() {
  throw Error(ExitCode::kNotAvailable,
              "run ids, latest and baseline need the results database, and this cclbench was "
              "built without SQLite: compare files instead (file:PATH)");
}
std::optional<StoredRun> History::run(const std::string&) {
  noDatabase();
}
std::vector<StoredRun> History::list(const RunFilter&) {
  noDatabase();
}
std::vector<CaseRecord> History::cases(int64_t) {
  noDatabase();
}
#endif

analysis::RunCases runCases(const std::string& label, const RunHeader& h,
                            std::vector<CaseRecord> cases) {
  const int ranks = h.ranks > 0 ? h.ranks : cases.empty() ? 0 : cases.front().ranks;
  return {label, ranks, h.backend, h.aggregation, std::move(cases)};
}

/// Which topology fingerprint an operand's runs were picked from, and why.
struct FingerprintNote {
  std::string operand;
  std::string fingerprint;
  std::string origin;
};

/// Turns operands into sides: database runs, files, latest and baseline selections.
class Resolver {
 public:
  Resolver(History& history, std::string fingerprint)
      : history_(history), fingerprint_(std::move(fingerprint)) {}

  analysis::Side resolve(const Operand& op, const std::set<int64_t>& exclude) {
    switch (op.kind) {
      case OperandKind::kRun:
        return storedRun(op);
      case OperandKind::kFile:
        return file(op);
      case OperandKind::kLatest:
      case OperandKind::kBaseline:
        return selection(op, exclude);
    }
    return {};
  }
  const std::set<int64_t>& runIds() const { return runIds_; }
  const std::vector<FingerprintNote>& notes() const { return notes_; }

 private:
  analysis::RunCases load(const StoredRun& run) {
    runIds_.insert(run.id);
    const std::string label =
        "run " + std::to_string(run.id) + (run.status == "complete" ? "" : " (" + run.status + ")");
    return runCases(label, run.header, history_.cases(run.id));
  }

  analysis::Side storedRun(const Operand& op) {
    const auto run = history_.run(op.value);
    if (!run) throw usageError("no run " + op.value + " in " + history_.path());
    const analysis::RunCases cases = load(*run);
    return analysis::sideOfRun(isDigits(op.value) ? cases.label : op.text, cases);
  }

  analysis::Side file(const Operand& op) {
    if (!std::filesystem::is_regular_file(op.value)) throw usageError("no file " + op.value);
    std::vector<ImportedRun> runs = readResultsFile(op.value);
    if (runs.empty()) throw usageError(op.value + ": holds no runs");
    std::vector<analysis::RunCases> parts;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const std::string label =
          runs.size() == 1 ? op.value : op.value + " #" + std::to_string(i + 1);
      parts.push_back(runCases(label, runs[i].header, std::move(runs[i].cases)));
    }
    return parts.size() == 1 ? analysis::sideOfRun(op.text, parts[0])
                             : analysis::pooledSide(op.text, parts);
  }

  std::string fingerprintFor(const Operand& op) {
    if (!fingerprint_.empty()) {
      notes_.push_back({op.text, fingerprint_, "--fingerprint"});
      return fingerprint_;
    }
    RunFilter newestFilter;
    newestFilter.tag = op.tag;
    newestFilter.limit = 1;
    const auto newest = history_.list(newestFilter);
    if (newest.empty()) {
      throw usageError("no run" + (op.tag ? " tagged " + *op.tag : std::string()) + " in " +
                       history_.path() + " for '" + op.text + "'");
    }
    notes_.push_back({op.text, newest[0].fingerprint,
                      "of the newest run" + (op.tag ? " tagged " + *op.tag : std::string()) +
                          " (run " + std::to_string(newest[0].id) + ")"});
    return newest[0].fingerprint;
  }

  analysis::Side selection(const Operand& op, const std::set<int64_t>& exclude) {
    const std::string fingerprint = fingerprintFor(op);
    RunFilter filter;
    filter.tag = op.tag;
    filter.fingerprint = fingerprint;
    filter.limit = op.count + static_cast<int>(exclude.size());
    std::vector<analysis::RunCases> runs;
    for (const StoredRun& run : history_.list(filter)) {
      if (exclude.count(run.id) == 0 && static_cast<int>(runs.size()) < op.count) {
        runs.push_back(load(run));
      }
    }
    if (runs.empty()) {
      throw usageError("no run matches '" + op.text + "' (fingerprint '" + fingerprint + "') in " +
                       history_.path());
    }
    if (op.kind == OperandKind::kLatest) return analysis::sideOfRun(op.text, runs[0]);
    return analysis::pooledSide(op.text, runs);
  }

  History& history_;
  std::string fingerprint_;
  std::set<int64_t> runIds_;
  std::vector<FingerprintNote> notes_;
};

/// Resolves every operand; baselines last, so they can leave out the runs others name.
std::vector<analysis::Side> resolveAll(Resolver& resolver, const std::vector<Operand>& operands) {
  std::vector<analysis::Side> sides(operands.size());
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (operands[i].kind != OperandKind::kBaseline) sides[i] = resolver.resolve(operands[i], {});
  }
  const std::set<int64_t> named = resolver.runIds();
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (operands[i].kind == OperandKind::kBaseline) sides[i] = resolver.resolve(operands[i], named);
  }
  return sides;
}

/// --db, else $CCLBENCH_DB, else results/cclbench.db (as ResultStore::defaultPath, which a build
/// without SQLite lacks).
std::string databasePath(const std::string& option, const Environment& env) {
  if (!option.empty()) return option;
  const auto it = env.find("CCLBENCH_DB");
  return it != env.end() && !it->second.empty() ? it->second : "results/cclbench.db";
}

/// Parses the options; false when --help was printed.
bool parseFlags(const std::vector<std::string>& args, CompareFlags& f) {
  CLI::App app{
      "Compare runs or result files case by case: ratio of medians with a bootstrap 95% "
      "CI, Mann-Whitney p, Benjamini-Hochberg q, verdicts.",
      "cclbench compare"};
  app.footer(kOperandHelp);
  app.get_formatter()->column_width(30);
  app.add_option("operands", f.operands, "A B [C ...]: see Operands below");
  app.add_option("--db", f.db, "results database (default $CCLBENCH_DB or results/cclbench.db)");
  app.add_option("--threshold", f.options.threshold,
                 "smallest time change that counts (default 0.03 = 3%)")
      ->check(CLI::Range(0.0, 0.99));
  app.add_option("--alpha", f.options.alpha, "significance level of the q-values (default 0.05)")
      ->check(CLI::Range(1e-9, 0.5));
  app.add_option("--fingerprint", f.fingerprint,
                 "topology fingerprint for latest/baseline (default: the newest run's)");
  app.add_flag("--force", f.options.force,
               "compare sides that differ in rank count, backend or rank aggregation");
  app.add_flag("--fail-on-regression", f.failOnRegression, "exit 8 when any case is slower");
  app.add_flag("--json", f.json, "JSON on stdout");
  app.add_flag("--markdown", f.markdown, "Markdown tables on stdout (for tickets)");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    throw usageError(e.what());
  }
  if (f.json && f.markdown) throw usageError("give --json or --markdown, not both");
  if (f.operands.size() < 2) {
    throw usageError("compare needs at least two operands: A B [C ...] (cclbench compare --help)");
  }
  return true;
}

/// The refusals and empty matches, as one error line.
void checkComparable(const analysis::Comparison& c) {
  if (c.refused) {
    std::string what;
    for (const auto& d : c.differences) {
      what += (what.empty() ? "" : "; ") + d.what + " A " + d.a + " / B " + d.b;
    }
    throw usageError("refusing to compare " + c.labelA + " with " + c.labelB + ": " + what +
                     " (--force compares anyway)");
  }
  if (c.cases.empty()) {
    throw usageError("nothing to compare between " + c.labelA + " and " + c.labelB +
                     ": no case (collective, type, op, root, place, size) is in both");
  }
}

void print(const CompareFlags& f, const std::vector<analysis::Comparison>& comparisons,
           const std::vector<FingerprintNote>& notes) {
  if (f.json) {
    nlohmann::json doc = analysis::toJson(comparisons);
    doc["fingerprints"] = nlohmann::json::array();
    for (const auto& n : notes) {
      doc["fingerprints"].push_back(
          {{"operand", n.operand}, {"fingerprint", n.fingerprint}, {"origin", n.origin}});
    }
    std::cout << doc.dump(2) << "\n";
    return;
  }
  const char* prefix = f.markdown ? "" : "# ";
  for (const auto& n : notes) {
    std::cout << prefix << "topology fingerprint for " << n.operand << ": '" << n.fingerprint
              << "' (" << n.origin << ")" << (f.markdown ? "  \n" : "\n");
  }
  for (std::size_t i = 0; i < comparisons.size(); ++i) {
    if (i > 0 || !notes.empty()) std::cout << "\n";
    std::cout << (f.markdown ? analysis::markdownReport(comparisons[i])
                             : analysis::consoleReport(comparisons[i]));
  }
}

}  // namespace

int compareCommand(int*, char***, const std::vector<std::string>& args) {
  CompareFlags flags;
  if (!parseFlags(args, flags)) return 0;
  std::vector<Operand> operands;
  for (const std::string& text : flags.operands) operands.push_back(parseOperand(text));
  History history(databasePath(flags.db, processEnvironment()));
  Resolver resolver(history, flags.fingerprint);
  const std::vector<analysis::Side> sides = resolveAll(resolver, operands);
  std::vector<analysis::Comparison> comparisons;
  for (std::size_t i = 1; i < sides.size(); ++i) {
    comparisons.push_back(analysis::compare(sides[0], sides[i], flags.options));
    checkComparable(comparisons.back());
  }
  print(flags, comparisons, resolver.notes());
  std::cout.flush();
  std::size_t slower = 0;
  for (const auto& c : comparisons) slower += c.count(analysis::Verdict::kSlower);
  if (flags.failOnRegression && slower > 0) {
    std::cerr << "cclbench: regression: " << slower << " case(s) slower\n";
    return static_cast<int>(ExitCode::kRegression);
  }
  return 0;
}

}  // namespace cclbench
