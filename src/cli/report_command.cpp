/// `cclbench report RUN... --out FILE.html`: one self-contained HTML report of runs from the
/// database or files, compared against the first.

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

#include "analysis/compare.hpp"
#include "cli/parse_args.hpp"
#include "cli/commands.hpp"
#include "session/run_sources.hpp"
#include "core/error.hpp"
#include "report/html_report.hpp"

namespace cclbench {

int reportCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Write one self-contained HTML report (works offline) of runs from the results "
               "database or from files: busbw and time by size with confidence bands, ratio to "
               "the first run, regression verdicts, run metadata and topology, a Markdown summary.",
               "cclbench report"};
  app.footer("Operands: as cclbench compare: ID, run:ID, PATH, file:PATH, latest[:TAG],\n"
             "baseline[:TAG][~N] (every run of a baseline or file is shown).\n"
             "Example:\n  cclbench report 41 42 --out nightly.html\n"
             "  cclbench report baseline.jsonl latest:nightly --out cmp.html --markdown");
  std::vector<std::string> operands;
  std::string db, out, title = "cclbench report";
  bool markdown = false;
  app.add_option("runs", operands, "runs to show; the first is the baseline")->required();
  app.add_option("--out", out, "the HTML file to write")->required();
  app.add_option("--db", db, "results database (default $CCLBENCH_DB or results/cclbench.db)");
  app.add_option("--title", title, "page title");
  app.add_flag("--markdown", markdown, "also print the Markdown summary on stdout");
  if (!parseArgs(app, args)) return 0;

  ReportInput input;
  input.title = title;
  input.chartLibrary = loadChartLibrary();
  RunSources sources(resultsDatabasePath(db), "");
  std::vector<ResolvedRun> runs;
  for (const std::string& text : operands) {
    for (ResolvedRun& r : sources.resolve(parseOperand(text))) runs.push_back(std::move(r));
  }
  for (const ResolvedRun& r : runs) {
    input.runs.push_back({r.label, r.header, r.status, r.source, r.fingerprint, r.tags, r.cases});
  }
  auto runCases = [](const ResolvedRun& r) {
    return analysis::RunCases{r.label, r.header.ranks, r.header.backend, r.header.aggregation,
                              r.cases};
  };
  for (std::size_t i = 1; i < runs.size(); ++i) {
    analysis::CompareOptions options;
    options.force = true;  // a report shows differences; compare is where they are refused
    input.thresholdFraction = options.threshold;
    input.alpha = options.alpha;
    const analysis::Comparison result =
        analysis::compare(analysis::sideOfRun(runs[0].label, runCases(runs[0])),
                          analysis::sideOfRun(runs[i].label, runCases(runs[i])), options);
    ReportComparison comparison;
    comparison.runIndex = i;
    for (const analysis::Difference& d : result.differences) {
      comparison.differences.push_back(d.what + ": " + d.a + " / " + d.b);
    }
    for (const analysis::CollectiveSummary& s : result.collectives) {
      comparison.collectives.push_back(
          {name(s.collective), s.cases, s.geometricMeanTimeRatio, s.slower, s.faster});
    }
    for (const analysis::CaseComparison& c : result.cases) {
      const analysis::CaseKey& k = c.key;
      const double low = c.timeRatioCi ? c.timeRatioCi->low : c.timeRatio;
      const double high = c.timeRatioCi ? c.timeRatioCi->high : c.timeRatio;
      comparison.rows.push_back({k.collective, k.dtype, k.op, k.placement, k.sizeBytes, c.timeRatio,
                                 low, high, c.q.value_or(1.0), c.verdictText()});
    }
    input.comparisons.push_back(std::move(comparison));
  }
  const std::string html = renderHtmlReport(input);
  const std::string partial = out + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!(file << html)) throw usageError("cannot write " + out);
  }
  std::rename(partial.c_str(), out.c_str());
  std::cerr << "cclbench: wrote " << out << " (" << html.size() / 1024 << " KiB, " << runs.size()
            << (runs.size() == 1 ? " run)\n" : " runs)\n");
  if (markdown) std::cout << markdownSummary(input);
  return 0;
}

}  // namespace cclbench
