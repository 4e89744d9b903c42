/// `cclbench report RUN... --out FILE.html`: one self-contained HTML report of runs from the
/// database or files, compared against the first.

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

#include "cli/parse_args.hpp"
#include "cli/commands.hpp"
#include "session/report_input.hpp"
#include "core/error.hpp"
#include "core/output_path.hpp"
#include "report/html_report.hpp"

namespace cclbench {

int reportCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"Write one self-contained HTML report (works offline) of runs from the results "
               "database or from files: busbw and time by size with confidence bands, ratio to "
               "the first run, regression verdicts, run metadata and topology, a Markdown summary.",
               "cclbench report"};
  app.footer("Operands: as cclbench compare: ID, run:ID, PATH, file:PATH, latest[:TAG],\n"
             "baseline[:TAG][~N] (every run of a baseline or file is shown), tune:ID (the tune's\n"
             "candidates by size, the winners and the validated speedup), matrix:ID (a\n"
             "cclbench matrix's heat maps and flagged pairs, from its stored jobs).\n"
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

  checkOutputPath(out, "--out", {{resultsDatabasePath(db)}, false});
  std::string chartLibrary = loadChartLibrary();  // before any work: it names its package
  RunSources sources(resultsDatabasePath(db), "");
  ReportInput input = reportInput(sources, operands, title);
  input.chartLibrary = std::move(chartLibrary);
  const std::string html = renderHtmlReport(input);
  const std::string partial = out + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    file << html;
    file.close();
    if (!file || std::rename(partial.c_str(), out.c_str()) != 0) {
      std::remove(partial.c_str());
      throw usageError("cannot write " + out);
    }
  }
  std::cerr << "cclbench: wrote " << out << " (" << html.size() / 1024 << " KiB, "
            << input.runs.size() << (input.runs.size() == 1 ? " run" : " runs")
            << (input.tunes.empty() ? ""
                                     : ", tuning of " + std::to_string(input.tunes.size()) +
                                           (input.tunes.size() == 1 ? " collective" : " collectives"))
            << (input.matrices.empty() ? ""
                                        : ", " + std::to_string(input.matrices.size()) +
                                              (input.matrices.size() == 1 ? " pair matrix" : " pair matrices"))
            << ")\n";
  if (markdown) std::cout << markdownSummary(input);
  return 0;
}

}  // namespace cclbench
