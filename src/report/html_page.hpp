#pragma once
/// The pieces of the HTML report that html_report.cpp puts together: the static style and
/// script (html_page.cpp), the verdict tables (html_verdicts.cpp), the runs-and-topology table
/// (html_runs.cpp), and the helpers they share. Internal to the report layer.

#include <string>
#include <vector>

#include "analysis/pair_matrix.hpp"
#include "report/html_report.hpp"

namespace cclbench::html {

extern const char* kStyle;
extern const char* kScript;

/// Run colours, in run order (the legend and the charts share them; past the end they repeat
/// with dashed lines).
const std::vector<std::string>& palette();
const std::string& runColour(std::size_t runIndex);
/// The legend's swatch of a run: its colour, striped where its lines are dashed.
std::string swatch(std::size_t runIndex);

/// Text made safe for HTML element content and attribute values; control characters (a NUL in
/// an MPI library string, say) are dropped.
std::string escape(const std::string& text);

/// printf of one number.
std::string format(const char* pattern, double value);
/// "+6.2%", "-3.0%": a time ratio as a change.
std::string change(double ratio);
/// "slower", "faster" or "same": a verdict text's class.
std::string verdictClass(const std::string& verdict);

struct VerdictCounts {
  std::size_t slower = 0;
  std::size_t faster = 0;
  std::size_t same = 0;
};
VerdictCounts countVerdicts(const std::vector<RegressionRow>& rows);
/// "3 slower · 0 faster · 21 no change" as coloured chips.
std::string verdictChips(const VerdictCounts& counts);

/// The verdicts of every comparison: one detailed table per compared run, or, from three
/// compared runs on, one matrix of cases against runs. Ends with the rule verdicts follow.
std::string verdictTables(const ReportInput& input);

/// A tune's tables (cclbench report tune:ID): per collective, every candidate by size.
std::string tuneTables(const ReportInput& input);

/// One pair matrix's heat map (SVG): bandwidth, or latency; flagged pairs outlined.
std::string pairHeatMap(const analysis::PairMatrix& m, bool bandwidth);
/// A pair matrix without a heading: what it holds, the heat maps side by side (class maps), the
/// flagged pairs (at most 500 rows; no maps past 256 members).
std::string pairMatrixBlock(const analysis::PairMatrix& m);

/// The "Runs and topology" table: one column per run, cells that differ from the baseline's
/// marked.
std::string runsTable(const ReportInput& input);

}  // namespace cclbench::html
