#pragma once
/// One self-contained HTML file for a set of runs: busbw and time against size (log axes, one
/// line per run, CI bands), ratio to the first run, the regression table, run metadata and
/// topology side by side, and a Markdown summary for tickets. Works offline: the charting library
/// (Debian's libjs-chart.js) is inlined at generation time, never fetched.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/pair_matrix.hpp"
#include "analysis/tune_view.hpp"
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

/// One case of a comparison (from `cclbench compare`'s analysis).
struct RegressionRow {
  Collective collective = Collective::kAllReduce;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kNone;
  Placement placement = Placement::kOutOfPlace;
  uint64_t sizeBytes = 0;
  double ratio = 1;  ///< candidate / baseline median time: above 1 is slower
  double ciLow = 1;  ///< the ratio's 95% CI (the ratio itself where no CI exists)
  double ciHigh = 1;
  double qValue = 1;
  std::string verdict;  ///< "slower", "faster", "no change", maybe " (threshold only)"
};

/// Per collective: geometric mean of the time ratios over its compared cases.
struct CollectiveChange {
  std::string collective;
  std::size_t cases = 0;
  double geometricMeanTimeRatio = 1;
  std::size_t slower = 0;
  std::size_t faster = 0;
};

/// One run compared with the baseline (the first run).
struct ReportComparison {
  std::size_t runIndex = 1;              ///< into ReportInput::runs
  std::vector<std::string> differences;  ///< "ranks: 2 / 4": why compare would have refused
  std::vector<CollectiveChange> collectives;
  std::vector<RegressionRow> rows;
};

/// One collective of a tune (cclbench report tune:ID).
struct ReportTune {
  std::string tuneId;
  analysis::TuneCollectiveView view;
};

/// One pair matrix (cclbench report matrix:ID, or a run of --all-pairs rounds).
struct ReportMatrix {
  std::string title;  ///< "matrix 20261201-..." or the run's label
  analysis::PairMatrix matrix;
};

struct ReportInput {
  std::string title;
  std::vector<ReportTune> tunes;  ///< shown first, as tables of candidates by size
  std::vector<ReportMatrix> matrices;  ///< heat maps, after the tunes
  std::vector<ReportRun> runs;  ///< the first is the baseline of ratio plots
  std::vector<ReportComparison> comparisons;
  double thresholdFraction = 0.03;  ///< the practical threshold of the verdicts (0.03 = 3%)
  double alpha = 0.05;              ///< the significance level of the verdicts' q-values
  std::string chartLibrary;         ///< the text of chart.min.js
};

/// The chart library's text: $CCLBENCH_CHARTJS, else Debian's
/// /usr/share/javascript/chart.js/chart.min.js. Throws Error(kNotAvailable) naming the package.
std::string loadChartLibrary();

/// The whole HTML page.
std::string renderHtmlReport(const ReportInput& input);

/// A Markdown summary (busbw at the largest size per collective and run, verdict counts).
std::string markdownSummary(const ReportInput& input);

}  // namespace cclbench
