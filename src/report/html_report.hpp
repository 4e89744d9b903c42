#pragma once
/// One self-contained HTML file for a set of runs: busbw and time against size (log axes, one
/// line per run, CI bands), ratio to the first run, the regression table, run metadata and
/// topology side by side, and a Markdown summary for tickets. Works offline: the charting library
/// (Debian's libjs-chart.js) is inlined at generation time, never fetched.

#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench {

/// One run as the report shows it.
struct ReportRun {
  std::string label;  ///< "run 42", a file name...
  RunHeader header;
  std::string status;
  std::string source;
  std::string fingerprint;
  std::vector<std::string> tags;
  std::vector<CaseRecord> cases;
};

/// One row of the regression table (from `cclbench compare`'s analysis).
struct RegressionRow {
  std::string against;   ///< which run is compared with the baseline
  std::string caseName;  ///< "allreduce float sum out 1 MiB"
  double ratio = 1;      ///< candidate / baseline median time
  double ciLow = 1;
  double ciHigh = 1;
  double qValue = 1;
  std::string verdict;
};

struct ReportInput {
  std::string title;
  std::vector<ReportRun> runs;  ///< the first is the baseline of ratio plots
  std::vector<RegressionRow> regressions;
  std::string chartLibrary;     ///< the text of chart.min.js
};

/// The chart library's text: $CCLBENCH_CHARTJS, else Debian's
/// /usr/share/javascript/chart.js/chart.min.js. Throws Error(kNotAvailable) naming the package.
std::string loadChartLibrary();

/// The whole HTML page.
std::string renderHtmlReport(const ReportInput& input);

/// A Markdown summary (busbw at the largest size per collective and run, verdict counts).
std::string markdownSummary(const ReportInput& input);

}  // namespace cclbench
