// The report's verdict tables: every compared case with its ratio, CI, q and verdict; with many
// compared runs, a matrix of cases against runs so the page stays readable.

#include <cstdio>
#include <map>
#include <sstream>

#include "core/sizes.hpp"
#include "report/html_page.hpp"

namespace cclbench::html {
namespace {

/// The columns that name a case.
std::string caseCells(const RegressionRow& r) {
  return std::string("<td>") + name(r.collective) + "</td><td>" + name(r.dtype) +
         (r.op == RedOp::kNone ? "" : std::string(" · ") + name(r.op)) + "</td><td>" +
         (r.placement == Placement::kInPlace ? "in-place" : "out-of-place") +
         "</td><td class=num>" + formatBytes(r.sizeBytes) + "</td>";
}

constexpr const char* kCaseHeads =
    "<th>collective</th><th>type · op</th><th>place</th><th class=num>size</th>";

std::string interval(const RegressionRow& r) {
  return format("%.3f", r.ciLow) + " – " + format("%.3f", r.ciHigh);
}

/// One table, one group of rows per compared run.
std::string detailedTable(const ReportInput& input) {
  std::ostringstream o;
  o << "<div class=scroll><table class=regressions id=regressions><tr>" << kCaseHeads
    << "<th class=num>time ratio</th><th class=num>change</th><th class=num>95% CI of the "
       "ratio</th><th class=num>q (BH)</th><th>verdict</th></tr>";
  for (const ReportComparison& c : input.comparisons) {
    o << "<tr class=group><td colspan=9>" << swatch(c.runIndex) << "<b>"
      << escape(input.runs[c.runIndex].label) << "</b> against " << escape(input.runs[0].label)
      << " "
      << (c.rows.empty() ? "<span class=muted>no case is in both runs</span>"
                         : verdictChips(countVerdicts(c.rows)))
      << "</td></tr>";
    for (const RegressionRow& r : c.rows) {
      const std::string cls = verdictClass(r.verdict);
      o << "<tr class=" << cls << ">" << caseCells(r) << "<td class=num>" << format("%.3f", r.ratio)
        << "</td><td class='num " << cls << "'>" << change(r.ratio) << "</td><td class=num>"
        << interval(r) << "</td><td class=num>" << format("%.2g", r.qValue)
        << "</td><td class=" << cls << ">" << escape(r.verdict) << "</td></tr>";
    }
  }
  o << "</table></div>";
  return o.str();
}

/// Rows: cases; columns: compared runs; cells: the time change, coloured by verdict, with the
/// ratio, CI and q in the cell's tooltip.
std::string matrix(const ReportInput& input) {
  auto key = [](const RegressionRow& r) {
    return std::tuple(r.collective, r.dtype, r.op, r.placement, r.sizeBytes);
  };
  std::map<decltype(key(RegressionRow{})), std::map<std::size_t, const RegressionRow*>> cases;
  for (const ReportComparison& c : input.comparisons) {
    for (const RegressionRow& r : c.rows) cases[key(r)][c.runIndex] = &r;
  }
  std::ostringstream o;
  o << "<div class=scroll><table class='regressions matrix' id=regressions><tr>" << kCaseHeads;
  for (const ReportComparison& c : input.comparisons) {
    const VerdictCounts n = countVerdicts(c.rows);
    o << "<th class=num>" << swatch(c.runIndex) << escape(input.runs[c.runIndex].label)
      << "<br><span class=" << (n.slower ? "slower" : "small") << ">" << n.slower
      << " slower</span> <span class=" << (n.faster ? "faster" : "small") << ">" << n.faster
      << " faster</span></th>";
  }
  o << "</tr>";
  for (const auto& [k, byRun] : cases) {
    bool changed = false;
    for (const auto& [run, r] : byRun) changed = changed || verdictClass(r->verdict) != "same";
    o << "<tr class=" << (changed ? "changed" : "same") << ">" << caseCells(*byRun.begin()->second);
    for (const ReportComparison& c : input.comparisons) {
      const auto it = byRun.find(c.runIndex);
      if (it == byRun.end()) {
        o << "<td class='num muted'>–</td>";
        continue;
      }
      const RegressionRow& r = *it->second;
      o << "<td class='num cell-" << verdictClass(r.verdict) << "' title='ratio "
        << format("%.3f", r.ratio) << " (95% CI " << interval(r) << "), q "
        << format("%.2g", r.qValue) << ": " << escape(r.verdict) << "'>" << change(r.ratio)
        << "</td>";
    }
    o << "</tr>";
  }
  o << "</table></div><p class=small>Cells: the change of the median time against "
    << escape(input.runs[0].label) << "; red: slower, green: faster (a verdict), plain: no "
    << "change. Hover a cell for its ratio, CI and q.</p>";
  return o.str();
}

}  // namespace

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

std::string change(double ratio) {
  const double percent = (ratio - 1) * 100;
  if (percent > -0.05 && percent < 0.05) return "0.0%";
  if (percent >= 100) return format("+%.0f%%", percent);
  return format(percent > 0 ? "+%.1f%%" : "%.1f%%", percent);
}

std::string verdictClass(const std::string& verdict) {
  if (verdict.rfind("slower", 0) == 0) return "slower";
  if (verdict.rfind("faster", 0) == 0) return "faster";
  return "same";
}

VerdictCounts countVerdicts(const std::vector<RegressionRow>& rows) {
  VerdictCounts n;
  for (const RegressionRow& r : rows) {
    const std::string v = verdictClass(r.verdict);
    (v == "slower" ? n.slower : v == "faster" ? n.faster : n.same)++;
  }
  return n;
}

std::string verdictChips(const VerdictCounts& n) {
  auto chip = [](const char* cls, std::size_t count, const char* what) {
    return std::string("<span class='chip ") + (count ? cls : "zero") + "'>" +
           std::to_string(count) + " " + what + "</span>";
  };
  return chip("slower", n.slower, "slower") + chip("faster", n.faster, "faster") +
         chip("same", n.same, "no change");
}

std::string verdictTables(const ReportInput& input) {
  if (input.runs.size() < 2) {
    return "<p class=muted>One run: nothing to compare. Give two or more runs; the first is the "
           "baseline.</p>";
  }
  constexpr std::size_t kMatrixFrom = 3;  // compared runs
  return (input.comparisons.size() >= kMatrixFrom ? matrix(input) : detailedTable(input)) +
         "<p class=small>Verdicts need a Benjamini-Hochberg q under " + format("%g", input.alpha) +
         " (Mann-Whitney U) and a time change beyond " +
         format("%.0f", input.thresholdFraction * 100) +
         "%; the CI is a bootstrap 95% interval of the ratio of medians.</p>";
}

}  // namespace cclbench::html
