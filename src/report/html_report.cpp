#include "report/html_report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "report/html_page.hpp"

namespace cclbench {
namespace {

using html::change;
using html::countVerdicts;
using html::escape;
using html::format;
using html::verdictChips;
using html::verdictClass;
using html::VerdictCounts;

constexpr const char* kChartLibraryPath = "/usr/share/javascript/chart.js/chart.min.js";

/// JSON safe to place inside a <script> element.
std::string scriptSafe(const std::string& json) {
  std::string out;
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += json[i];
    }
  }
  return out;
}

/// Per collective: the case at the largest size, out-of-place first.
std::map<std::string, const CaseRecord*> largestCases(const ReportRun& run) {
  std::map<std::string, const CaseRecord*> largest;
  for (const CaseRecord& c : run.cases) {
    const CaseRecord*& best = largest[name(c.collective)];
    if (!best || c.sizeBytes > best->sizeBytes ||
        (c.sizeBytes == best->sizeBytes && c.placement == Placement::kOutOfPlace &&
         best->placement != Placement::kOutOfPlace)) {
      best = &c;
    }
  }
  return largest;
}

/// Confidence bands of more runs than this hide each other and the lines: left out.
constexpr std::size_t kMaxRunsWithBands = 3;

bool bandsShown(const ReportInput& input) {
  return input.runs.size() <= kMaxRunsWithBands;
}

nlohmann::json chartData(const ReportInput& input) {
  nlohmann::json runs = nlohmann::json::array();
  for (const ReportRun& run : input.runs) {
    nlohmann::json cases = nlohmann::json::array();
    for (const CaseRecord& c : run.cases) {
      cases.push_back({{"collective", name(c.collective)},
                       {"dtype", name(c.dtype)},
                       {"redop", name(c.op)},
                       {"placement", name(c.placement)},
                       {"size_bytes", c.sizeBytes},
                       {"median_us", c.timeUs.median},
                       {"ci_low_us", c.timeUs.medianCi.low},
                       {"ci_high_us", c.timeUs.medianCi.high},
                       {"busbw_gbps", c.busBandwidthGBps}});
    }
    runs.push_back({{"label", run.label}, {"cases", cases}});
  }
  nlohmann::json ratios = nlohmann::json::array();
  for (const ReportComparison& comparison : input.comparisons) {
    for (const RegressionRow& r : comparison.rows) {
      ratios.push_back({{"run", comparison.runIndex},
                        {"collective", name(r.collective)},
                        {"dtype", name(r.dtype)},
                        {"redop", name(r.op)},
                        {"placement", name(r.placement)},
                        {"size_bytes", r.sizeBytes},
                        {"ratio", r.ratio},
                        {"ci_low", r.ciLow},
                        {"ci_high", r.ciHigh},
                        {"verdict", verdictClass(r.verdict)}});
    }
  }
  return {{"runs", runs},
          {"ratios", ratios},
          {"colours", html::palette()},
          {"threshold", input.thresholdFraction},
          {"bands", bandsShown(input)}};
}

/// The collectives of the runs in the order they were measured (the charts' order).
std::vector<std::string> collectivesInOrder(const ReportInput& input) {
  std::vector<std::string> order;
  for (const ReportRun& run : input.runs) {
    for (const CaseRecord& c : run.cases) {
      if (std::find(order.begin(), order.end(), name(c.collective)) == order.end()) {
        order.push_back(name(c.collective));
      }
    }
  }
  return order;
}

/// What was measured, in one line: collectives, sizes, backends, ranks.
std::string facts(const ReportInput& input) {
  std::set<std::string> backends;
  std::set<int> ranks;
  uint64_t smallest = UINT64_MAX, largest = 0;
  for (const ReportRun& run : input.runs) {
    if (!run.header.backend.empty()) backends.insert(run.header.backend);
    if (run.header.ranks > 0) ranks.insert(run.header.ranks);
    for (const CaseRecord& c : run.cases) {
      smallest = std::min(smallest, c.sizeBytes);
      largest = std::max(largest, c.sizeBytes);
    }
  }
  auto join = [](const auto& items, const char* separator) {
    std::ostringstream o;
    for (const auto& x : items) o << (o.tellp() > 0 ? separator : "") << x;
    return o.str();
  };
  std::vector<std::string> parts;
  if (const auto collectives = collectivesInOrder(input); !collectives.empty()) {
    parts.push_back(join(collectives, ", "));
  }
  if (largest > 0) {
    parts.push_back(smallest == largest ? formatBytes(smallest)
                                        : formatBytes(smallest) + " – " + formatBytes(largest));
  }
  if (!backends.empty()) parts.push_back(join(backends, ", "));
  if (!ranks.empty()) parts.push_back(join(ranks, " / ") + " ranks");
  return escape(join(parts, " · "));
}

std::string pageHeader(const ReportInput& input) {
  std::ostringstream o;
  o << "<header><div class=head><div><h1>" << escape(input.title) << "</h1><div class=sub>";
  o << escape(!input.runs.empty()      ? input.runs[0].label
               : input.matrices.empty() ? "no runs"
                                        : input.matrices[0].title);
  if (input.runs.size() > 1) o << " (baseline) against ";
  constexpr std::size_t kNamed = 6;
  for (std::size_t i = 1; i < input.runs.size() && i <= kNamed; ++i) {
    o << (i > 1 ? ", " : "") << escape(input.runs[i].label);
  }
  if (input.runs.size() > kNamed + 1) o << " and " << input.runs.size() - kNamed - 1 << " more";
  o << "</div><div class=sub>" << facts(input) << "</div></div><div class=right>";
  if (!input.comparisons.empty()) {
    std::vector<RegressionRow> all;
    for (const auto& c : input.comparisons) all.insert(all.end(), c.rows.begin(), c.rows.end());
    o << "<div>"
      << (all.empty() ? "<span class='chip zero'>no case in common</span>"
                      : verdictChips(countVerdicts(all)))
      << "</div>";
  }
  o << "<div class=sub>generated " << escape(utcNow()) << " by cclbench</div></div></div></header>";
  return o.str();
}

/// "2026-11-26T11:35:07Z" -> "2026-11-26 11:35 UTC".
std::string shortTime(const std::string& utc) {
  if (utc.size() < 16 || utc[10] != 'T') return utc;
  return utc.substr(0, 10) + " " + utc.substr(11, 5) + " UTC";
}

/// With more runs, the legend names them only (the runs table has their times).
constexpr std::size_t kDatedLegendRuns = 4;

std::string legend(const ReportInput& input) {
  std::ostringstream o;
  o << "<nav class=legend id=legend>";
  for (std::size_t i = 0; i < input.runs.size(); ++i) {
    const ReportRun& r = input.runs[i];
    std::string note = input.runs.size() <= kDatedLegendRuns ? shortTime(r.header.startUtc) : "";
    if (i == 0 && input.runs.size() > 1)
      note += (note.empty() ? "" : " · ") + std::string("baseline");
    o << "<span>" << html::swatch(i) << "<b>" << escape(r.label) << "</b> <span class=muted>"
      << escape(note) << "</span></span>";
  }
  o << "<span class='muted key'>line: median · "
    << (bandsShown(input) ? "band: 95% CI" : "95% CIs not drawn for more than 3 runs")
    << (input.runs.size() > 1 ? " · ▲ slower ◆ faster than the baseline" : "") << "</span></nav>";
  return o.str();
}

/// Every pair matrix: its heat maps and flagged pairs.
std::string matrices(const ReportInput& input) {
  std::string out;
  for (const ReportMatrix& m : input.matrices) {
    out += "<h2>Pairs: " + escape(m.title) + "</h2><div class=card>" + html::pairMatrixBlock(m.matrix) + "</div>";
  }
  return out;
}

/// Things a reader must know before trusting a picture.
std::string notices(const ReportInput& input) {
  std::ostringstream o;
  for (const ReportComparison& c : input.comparisons) {
    if (c.differences.empty()) continue;
    std::string what;
    for (const std::string& d : c.differences) what += (what.empty() ? "" : "; ") + d;
    o << "<div class=notice><b>" << escape(input.runs[c.runIndex].label) << "</b> differs from "
      << escape(input.runs[0].label) << " in " << escape(what)
      << ": <code>cclbench compare</code> refuses this pair without --force.</div>";
  }
  for (const ReportRun& r : input.runs) {
    const bool complete = r.status == "complete" || r.status.empty();
    if (r.cases.empty()) {
      o << "<div class=notice><b>" << escape(r.label) << "</b> has no measured cases"
        << (complete ? "" : " (" + escape(r.status) + ")") << ".</div>";
    } else if (!complete) {
      o << "<div class=notice><b>" << escape(r.label) << "</b> is " << escape(r.status)
        << ": it may lack sizes.</div>";
    }
  }
  return o.str();
}

/// One row per run, one column per collective: busbw at the largest size, and each later run's
/// change against the baseline.
std::string overview(const ReportInput& input) {
  std::vector<std::map<std::string, const CaseRecord*>> largest;
  const std::vector<std::string> collectives = collectivesInOrder(input);
  for (const ReportRun& r : input.runs) {
    largest.push_back(largestCases(r));
  }
  if (collectives.empty()) return "<p class=muted>No measured cases in these runs.</p>";
  std::ostringstream o;
  o << "<div class=scroll><table class=overview><tr><th>run</th>";
  for (const std::string& coll : collectives) o << "<th>" << escape(coll) << "</th>";
  o << "</tr>";
  for (std::size_t i = 0; i < input.runs.size(); ++i) {
    o << "<tr><th>" << html::swatch(i) << escape(input.runs[i].label) << "</th>";
    const ReportComparison* comparison = nullptr;
    for (const ReportComparison& c : input.comparisons) {
      if (c.runIndex == i) comparison = &c;
    }
    for (const std::string& coll : collectives) {
      const auto it = largest[i].find(coll);
      if (it == largest[i].end()) {
        o << "<td class=muted>not measured</td>";
        continue;
      }
      const CaseRecord& c = *it->second;
      o << "<td><span class=big>" << format("%.2f", c.busBandwidthGBps)
        << "</span> GB/s <span class=small>at " << formatBytes(c.sizeBytes) << " · "
        << format("%.4g", c.timeUs.median) << " µs</span>";
      for (const CollectiveChange& s :
           comparison ? comparison->collectives : std::vector<CollectiveChange>{}) {
        if (s.collective != coll) continue;
        o << "<br><span class=small title='geometric mean of the time ratios over " << s.cases
          << " cases'>time " << change(s.geometricMeanTimeRatio) << " (geometric mean, " << s.cases
          << " cases)</span>";
        if (s.slower) o << " <span class=slower>" << s.slower << " slower</span>";
        if (s.faster) o << " <span class=faster>" << s.faster << " faster</span>";
      }
      o << "</td>";
    }
    o << "</tr>";
  }
  o << "</table></div>";
  return o.str();
}

}  // namespace

std::string loadChartLibrary() {
  const char* override = std::getenv("CCLBENCH_CHARTJS");
  const std::string path = override && *override ? override : kChartLibraryPath;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ExitCode::kNotAvailable,
                "the chart library " + path +
                    " is missing: install Debian's libjs-chart.js (scripts/setup.sh does)");
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string markdownSummary(const ReportInput& input) {
  std::ostringstream o;
  o << "### " << input.title << "\n";
  if (!input.runs.empty()) {
    o << "\n| run | collective | largest size | busbw (GB/s) | time (us) |\n|---|---|---|---|---|\n";
  }
  const std::vector<std::string> collectives = collectivesInOrder(input);
  for (const ReportRun& run : input.runs) {
    const auto largest = largestCases(run);
    for (const std::string& coll : collectives) {
      const auto it = largest.find(coll);
      if (it == largest.end()) continue;
      const CaseRecord* c = it->second;
      char line[512];
      std::snprintf(line, sizeof line, "| %s | %s | %s | %.2f | %.2f |\n", run.label.c_str(),
                    coll.c_str(), formatBytes(c->sizeBytes).c_str(), c->busBandwidthGBps,
                    c->timeUs.median);
      o << line;
    }
  }
  for (const ReportTune& t : input.tunes) {
    o << "\n" << name(t.view.collective) << " (tune " << t.tuneId << "): ";
    std::string faster;
    for (const auto& [size, v] : t.view.validated) {
      if (verdictClass(v.verdict) != "faster") continue;
      faster += (faster.empty() ? "" : ", ") + formatBytes(size) + " " + format("%.2f", v.speedup) + "x";
    }
    o << (t.view.validated.empty() ? "not validated"
          : faster.empty()         ? "no size validated faster than the default"
                                   : "validated faster at " + faster)
      << ".\n";
  }
  for (const ReportMatrix& m : input.matrices) {
    std::string flagged;
    std::size_t count = 0;
    for (const analysis::PairFigure& p : m.matrix.pairs) {
      if (!p.flagged) continue;
      if (++count <= 10) flagged += (flagged.empty() ? "" : ", ") + p.a + " - " + p.b;
    }
    if (count > 10) flagged += " and " + std::to_string(count - 10) + " more";
    o << "\n" << m.title << ": " << m.matrix.members.size() << " " << m.matrix.kind << ", "
      << m.matrix.pairs.size() << " pairs"
      << (m.matrix.hasBandwidth ? ", median pair bandwidth " + format("%.3g GB/s", m.matrix.medianBandwidthGbps) : "")
      << ", " << (count == 0 ? "no pair flagged" : std::to_string(count) + " flagged: " + flagged) << ".\n";
  }
  if (!input.comparisons.empty()) o << "\n";
  for (const ReportComparison& c : input.comparisons) {
    o << input.runs[c.runIndex].label << " against " << input.runs[0].label << ": ";
    if (c.rows.empty()) {
      o << "no case in both runs.\n";
      continue;
    }
    const VerdictCounts n = countVerdicts(c.rows);
    o << n.slower << " slower, " << n.faster << " faster, " << n.same << " no change (of "
      << c.rows.size() << " cases; " << format("%.0f", input.thresholdFraction * 100)
      << "% threshold).\n";
  }
  return o.str();
}

std::string renderHtmlReport(const ReportInput& input) {
  std::ostringstream o;
  const bool compared = input.runs.size() > 1;
  o << "<!doctype html><html lang=en><head><meta charset=utf-8>"
       "<meta name=viewport content='width=device-width,initial-scale=1'><title>"
    << escape(input.title) << "</title><style>" << html::kStyle << "</style></head><body>"
    << pageHeader(input) << (input.runs.empty() ? "" : legend(input)) << "<main>" << notices(input)
    << (input.tunes.empty() ? ""
                            : "<h2>Tuning</h2><div class=card>" + html::tuneTables(input) + "</div>")
    << matrices(input);
  // A report of pair matrices only (matrix:ID) has no runs to chart or compare.
  if (!input.runs.empty() || input.matrices.empty()) {
    o << "<h2>At the largest size</h2><div class=card>" << overview(input) << "</div>"
      << "<h2>By message size</h2><nav class=toc id=toc></nav><div id=charts>"
      << "<noscript><p class=muted>The charts need JavaScript.</p></noscript></div>"
      << "<h2>Verdicts"
      << (compared ? " <label class=filter><input type=checkbox id=only-changes> "
                     "only slower and faster</label>"
                   : "")
      << "</h2><div class=card>" << html::verdictTables(input) << "</div>"
      << "<h2>Runs and topology</h2><div class=card>" << html::runsTable(input) << "</div>";
  }
  o
    << "<h2>Summary for tickets <button id=copy-md>copy</button></h2><pre class=md id=md>"
    << escape(markdownSummary(input)) << "</pre></main>"
    << "<script type='application/json' id=cclbench-data>"
    << scriptSafe(chartData(input).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
    << "</script><script>" << input.chartLibrary << "</script><script>" << html::kScript
    << "</script></body></html>\n";
  return o.str();
}

}  // namespace cclbench
