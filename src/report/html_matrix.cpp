/// Pair matrices as heat maps (SVG, no script): `cclbench matrix`'s page and `cclbench report`'s
/// section share them.
#include <algorithm>
#include <map>

#include "analysis/significance.hpp"
#include "report/html_page.hpp"

namespace cclbench::html {
namespace {

/// Past this many members a heat map is millions of cells: the page lists the flagged pairs only.
constexpr std::size_t kMaxHeatMapMembers = 256;
constexpr std::size_t kMaxFlaggedRows = 500;

/// A cell's colour: green at (or above) the median, through yellow, to red at half of it.
std::string heat(double fraction) {
  const double f = std::clamp((fraction - 0.5) / 0.5, 0.0, 1.0);
  return "hsl(" + format("%.0f", 120 * f) + ",70%,55%)";
}

}  // namespace

std::string pairHeatMap(const analysis::PairMatrix& m, bool bandwidth) {
  std::map<std::pair<std::string, std::string>, const analysis::PairFigure*> at;
  for (const analysis::PairFigure& p : m.pairs) at[{p.a, p.b}] = at[{p.b, p.a}] = &p;
  std::vector<double> latencies;
  for (const analysis::PairFigure& p : m.pairs) {
    if (p.ran) latencies.push_back(p.latencyUs);
  }
  const double medianLatency = analysis::median(latencies);
  const std::size_t n = m.members.size();
  const int cell = n <= 16 ? 34 : n <= 64 ? 14 : 6;
  const int margin = n <= 64 ? 110 : 10;  // member names only where they fit
  const int side = margin + static_cast<int>(n) * cell + 4;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(side) +
                    "\" height=\"" + std::to_string(side) + "\" font-family=\"sans-serif\" font-size=\"11\">";
  for (std::size_t i = 0; i < n && margin > 10; ++i) {
    const int c = margin + static_cast<int>(i) * cell + cell / 2;
    svg += "<text x=\"" + std::to_string(margin - 4) + "\" y=\"" + std::to_string(c + 4) +
           "\" text-anchor=\"end\">" + escape(m.members[i]) + "</text>";
    svg += "<text transform=\"translate(" + std::to_string(c + 4) + "," + std::to_string(margin - 4) +
           ") rotate(-60)\">" + escape(m.members[i]) + "</text>";
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const int x = margin + static_cast<int>(j) * cell, y = margin + static_cast<int>(i) * cell;
      const auto it = at.find({m.members[i], m.members[j]});
      std::string fill = "#f3f4f6", title = m.members[i], extra;
      if (it != at.end()) {
        const analysis::PairFigure& p = *it->second;
        title = p.a + " - " + p.b + ": ";
        if (!p.ran) {
          fill = "#111827";
          title += p.why;
        } else if (bandwidth) {
          fill = heat(m.medianBandwidthGbps > 0 ? p.bandwidthGbps / m.medianBandwidthGbps : 1);
          title += format("%.3g GB/s", p.bandwidthGbps) + " (round " + std::to_string(p.round) + ")";
        } else {
          fill = heat(p.latencyUs > 0 ? medianLatency / p.latencyUs : 1);
          title += format("%.2f us", p.latencyUs) + " (round " + std::to_string(p.round) + ")";
        }
        if (p.flagged) {
          extra = " stroke=\"#000\" stroke-width=\"2\"";
          title += "; flagged: " + p.why;
        }
      }
      svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
             std::to_string(cell - 1) + "\" height=\"" + std::to_string(cell - 1) + "\" fill=\"" + fill +
             "\"" + extra + "><title>" + escape(title) + "</title></rect>";
    }
  }
  return svg + "</svg>";
}

std::string pairMatrixBlock(const analysis::PairMatrix& m) {
  std::size_t flagged = 0;
  for (const analysis::PairFigure& p : m.pairs) flagged += p.flagged ? 1 : 0;
  std::string out = "<p>" + std::to_string(m.members.size()) + " " + escape(m.kind) + ", " +
                    std::to_string(m.pairs.size()) + " pairs in " + std::to_string(m.rounds) +
                    " rounds of disjoint pairs; " + std::to_string(flagged) + " flagged.";
  if (m.hasBandwidth) {
    out += " Median pair bandwidth " + format("%.3g GB/s", m.medianBandwidthGbps) + "; pairs under " +
           format("%.2g", m.minFraction) + " x the median are outlined.";
  }
  out += " Colour: green at the median (latency: at the median latency), red at half of it or worse; "
         "black: the pair did not run. Hover a cell for its figures.</p><div class=maps>";
  if (m.members.size() > kMaxHeatMapMembers) {
    out += "<p>" + std::to_string(m.members.size()) + " members are too many cells to draw (at most " +
           std::to_string(kMaxHeatMapMembers) + ")" + (flagged > 0 ? ": the flagged pairs follow" : "") + ".</p>";
  } else {
    if (m.hasBandwidth) out += "<div><h3>Bandwidth</h3>" + pairHeatMap(m, true) + "</div>";
    if (m.hasLatency) out += "<div><h3>Latency</h3>" + pairHeatMap(m, false) + "</div>";
  }
  out += "</div>";
  if (flagged > 0) {
    out += "<table class=flagged><tr><th>flagged pair</th><th>why</th></tr>";
    std::size_t shown = 0;
    for (const analysis::PairFigure& p : m.pairs) {
      if (!p.flagged || ++shown > kMaxFlaggedRows) continue;
      out += "<tr><td>" + escape(p.a + " - " + p.b) + "</td><td>" + escape(p.why) + "</td></tr>";
    }
    if (flagged > kMaxFlaggedRows) {
      out += "<tr><td colspan=2>and " + std::to_string(flagged - kMaxFlaggedRows) +
             " more (the matrix's JSON lists every pair)</td></tr>";
    }
    out += "</table>";
  }
  return out;
}

}  // namespace cclbench::html
