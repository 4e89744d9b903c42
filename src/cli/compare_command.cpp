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
#include "cli/parse_args.hpp"
#include "core/error.hpp"
#include "cli/commands.hpp"
#include "session/run_sources.hpp"
#include "core/error.hpp"
#include "core/json_text.hpp"

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

analysis::RunCases runCases(const ResolvedRun& run) {
  const int ranks = run.header.ranks > 0      ? run.header.ranks
                    : run.cases.empty()        ? 0
                                               : run.cases.front().ranks;
  return {run.label, ranks, run.header.backend, run.header.aggregation, run.cases};
}

/// One side per operand: a run id or latest is one run (every batch time a sample); a baseline,
/// or a file holding several runs, pools its runs (each run's per-case median one sample).
analysis::Side sideOf(const Operand& op, const std::vector<ResolvedRun>& runs) {
  if (runs.size() == 1 && op.kind != OperandKind::kBaseline) {
    return analysis::sideOfRun(op.kind == OperandKind::kRun && runs[0].id != 0 ? runs[0].label
                                                                                : op.text,
                               runCases(runs[0]));
  }
  std::vector<analysis::RunCases> parts;
  for (const ResolvedRun& r : runs) parts.push_back(runCases(r));
  return analysis::pooledSide(op.text, parts);
}

/// Resolves every operand; baselines last, so they can leave out the runs others name.
std::vector<analysis::Side> resolveAll(RunSources& sources, const std::vector<Operand>& operands) {
  std::vector<analysis::Side> sides(operands.size());
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (operands[i].kind != OperandKind::kBaseline) {
      sides[i] = sideOf(operands[i], sources.resolve(operands[i]));
    }
  }
  const std::set<int64_t> named = sources.runIds();
  for (std::size_t i = 0; i < operands.size(); ++i) {
    if (operands[i].kind == OperandKind::kBaseline) {
      sides[i] = sideOf(operands[i], sources.resolve(operands[i], named));
    }
  }
  return sides;
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
  if (!parseArgs(app, args)) return false;
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
    std::cout << jsonText(doc, 2) << "\n";
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
  for (const std::string& text : flags.operands) {
    operands.push_back(parseOperand(text));
    // A matrix's jobs are pairs, not one run: pooled, every pair's case would merge into one.
    if (operands.back().kind == OperandKind::kMatrix) {
      throw usageError("'" + text + "' names a pair matrix: compare runs, or draw it with `cclbench report " + text +
                       " --out m.html`");
    }
  }
  RunSources sources(resultsDatabasePath(flags.db), flags.fingerprint);
  const std::vector<analysis::Side> sides = resolveAll(sources, operands);
  std::vector<analysis::Comparison> comparisons;
  for (std::size_t i = 1; i < sides.size(); ++i) {
    comparisons.push_back(analysis::compare(sides[0], sides[i], flags.options));
    checkComparable(comparisons.back());
  }
  print(flags, comparisons, sources.notes());
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
