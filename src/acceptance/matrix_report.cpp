/// `cclbench matrix`'s renderings: the console matrices, JSON (cclbench.matrix/1) and an HTML page
/// with a heat map per metric.
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "acceptance/matrix.hpp"
#include "acceptance/text.hpp"
#include "analysis/significance.hpp"
#include "report/html_page.hpp"

namespace cclbench::acceptance {

std::string matrixConsole(const MatrixReport& r) {
  std::map<std::pair<std::string, std::string>, const PairFigure*> at;
  for (const PairFigure& p : r.pairs) at[{p.a, p.b}] = at[{p.b, p.a}] = &p;
  std::string out;
  const std::size_t n = r.hosts.size();
  if (n <= 32) {
    for (const auto& [title, bandwidth] : {std::pair{"bandwidth (GB/s)", true}, {"latency (us)", false}}) {
      out += std::string("# ") + title + ", " + std::to_string(n) + " " + r.members + ", " + std::to_string(r.rounds) +
             " rounds; * = flagged\n" + std::string(12, ' ');
      for (const auto& h : r.hosts) out += " " + (h.size() > 10 ? h.substr(0, 10) : std::string(10 - h.size(), ' ') + h);
      out += "\n";
      for (const auto& row : r.hosts) {
        out += (row.size() > 11 ? row.substr(0, 11) : row + std::string(11 - row.size(), ' ')) + " ";
        for (const auto& col : r.hosts) {
          const auto it = at.find({row, col});
          std::string cell = "-";
          if (it != at.end()) {
            const PairFigure& p = *it->second;
            cell = !p.ran ? "failed" : formatted(bandwidth ? p.bandwidthGbps : p.latencyUs, bandwidth ? "%.3g" : "%.2f");
            if (p.flagged) cell += "*";
          }
          out += std::string(cell.size() < 10 ? 10 - cell.size() : 0, ' ') + cell + " ";
        }
        out += "\n";
      }
    }
  }
  int flagged = 0;
  for (const PairFigure& p : r.pairs) {
    if (!p.flagged) continue;
    ++flagged;
    out += "flagged: " + p.a + " - " + p.b + ": " + p.why + "\n";
  }
  out += "median pair bandwidth " + formatted(r.medianBandwidthGbps, "%.3g GB/s") + "; " + std::to_string(flagged) +
         " pair(s) flagged; exit " + std::to_string(r.exitCode) + "\n";
  return out;
}

nlohmann::json matrixJson(const MatrixReport& r) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const PairFigure& p : r.pairs) {
    nlohmann::json j{{"a", p.a}, {"b", p.b}, {"round", p.round}, {"ran", p.ran}, {"flagged", p.flagged}};
    if (p.ran) j["latency_us"] = p.latencyUs, j["bandwidth_gbps"] = p.bandwidthGbps;
    if (!p.why.empty()) j["why"] = p.why;
    pairs.push_back(std::move(j));
  }
  return {{"schema", "cclbench.matrix/1"}, {"hosts", r.hosts}, {"members", r.members}, {"rounds", r.rounds},
          {"pairs", pairs},              {"median_bandwidth_gbps", r.medianBandwidthGbps},
          {"min_fraction_of_median", r.minFraction}, {"exit_code", r.exitCode}};
}


namespace {

/// A cell's colour: green at (or above) the median, through yellow, to red at half of it.
std::string heat(double fraction) {
  const double f = std::clamp((fraction - 0.5) / 0.5, 0.0, 1.0);
  return "hsl(" + formatted(120 * f, "%.0f") + ",70%,55%)";
}

/// One heat map: rows and columns are the members, a cell per pair; flagged pairs outlined.
std::string heatMap(const MatrixReport& r, bool bandwidth) {
  std::map<std::pair<std::string, std::string>, const PairFigure*> at;
  for (const PairFigure& p : r.pairs) at[{p.a, p.b}] = at[{p.b, p.a}] = &p;
  std::vector<double> latencies;
  for (const PairFigure& p : r.pairs) {
    if (p.ran) latencies.push_back(p.latencyUs);
  }
  const double medianLatency = analysis::median(latencies);
  const std::size_t n = r.hosts.size();
  const int cell = n <= 16 ? 34 : n <= 64 ? 14 : 6;
  const int margin = n <= 64 ? 110 : 10;  // member names only where they fit
  const int side = margin + static_cast<int>(n) * cell + 4;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(side) +
                    "\" height=\"" + std::to_string(side) + "\" font-family=\"sans-serif\" font-size=\"11\">";
  for (std::size_t i = 0; i < n && margin > 10; ++i) {
    const int c = margin + static_cast<int>(i) * cell + cell / 2;
    svg += "<text x=\"" + std::to_string(margin - 4) + "\" y=\"" + std::to_string(c + 4) +
           "\" text-anchor=\"end\">" + html::escape(r.hosts[i]) + "</text>";
    svg += "<text transform=\"translate(" + std::to_string(c + 4) + "," + std::to_string(margin - 4) +
           ") rotate(-60)\">" + html::escape(r.hosts[i]) + "</text>";
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const int x = margin + static_cast<int>(j) * cell, y = margin + static_cast<int>(i) * cell;
      const auto it = at.find({r.hosts[i], r.hosts[j]});
      std::string fill = "#f3f4f6", title = r.hosts[i], extra;
      if (it != at.end()) {
        const PairFigure& p = *it->second;
        title = p.a + " - " + p.b + ": ";
        if (!p.ran) {
          fill = "#111827";
          title += p.why;
        } else if (bandwidth) {
          fill = heat(r.medianBandwidthGbps > 0 ? p.bandwidthGbps / r.medianBandwidthGbps : 1);
          title += formatted(p.bandwidthGbps, "%.3g GB/s") + " (round " + std::to_string(p.round) + ")";
        } else {
          fill = heat(p.latencyUs > 0 ? medianLatency / p.latencyUs : 1);
          title += formatted(p.latencyUs, "%.2f us") + " (round " + std::to_string(p.round) + ")";
        }
        if (p.flagged) {
          extra = " stroke=\"#000\" stroke-width=\"2\"";
          title += "; flagged: " + p.why;
        }
      }
      svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
             std::to_string(cell - 1) + "\" height=\"" + std::to_string(cell - 1) + "\" fill=\"" + fill +
             "\"" + extra + "><title>" + html::escape(title) + "</title></rect>";
    }
  }
  return svg + "</svg>";
}

}  // namespace

std::string matrixHtml(const MatrixReport& r) {
  int flagged = 0;
  for (const PairFigure& p : r.pairs) flagged += p.flagged ? 1 : 0;
  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>cclbench matrix</title><style>"
      "body{font-family:sans-serif;margin:2em;color:#111827}td,th{padding:2px 8px;text-align:left}"
      ".maps{display:flex;flex-wrap:wrap;gap:3em}</style></head><body>";
  out += "<h1>cclbench matrix: " + std::to_string(r.hosts.size()) + " " + html::escape(r.members) + ", " +
         std::to_string(flagged) + " pair(s) flagged</h1>";
  out += "<p>" + std::to_string(r.rounds) + " rounds of disjoint pairs; median pair bandwidth " +
         formatted(r.medianBandwidthGbps, "%.3g GB/s") + "; pairs under " + formatted(r.minFraction, "%.2g") +
         " x the median are outlined. Colour: green at the median (latency: at the median latency), red at half "
         "of it or worse; black: the pair did not run. Hover a cell for its figures. Exit " +
         std::to_string(r.exitCode) + ".</p>";
  out += "<div class=\"maps\"><div><h2>Bandwidth</h2>" + heatMap(r, true) + "</div><div><h2>Latency</h2>" +
         heatMap(r, false) + "</div></div>";
  if (flagged > 0) {
    out += "<h2>Flagged</h2><table><tr><th>pair</th><th>why</th></tr>";
    for (const PairFigure& p : r.pairs) {
      if (p.flagged) out += "<tr><td>" + html::escape(p.a + " - " + p.b) + "</td><td>" + html::escape(p.why) + "</td></tr>";
    }
    out += "</table>";
  }
  return out + "</body></html>\n";
}

}  // namespace cclbench::acceptance
