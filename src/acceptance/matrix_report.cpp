/// `cclbench matrix`'s renderings: the console matrices, JSON (cclbench.matrix/1) and an HTML page
/// with a heat map per metric.
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "acceptance/matrix.hpp"
#include "acceptance/text.hpp"
#include "report/html_page.hpp"

namespace cclbench::acceptance {

/// Flagged pairs the console names one by one; matrix.json lists them all.
constexpr int kFlaggedLines = 50;

std::string matrixConsole(const PairMatrix& r) {
  std::string out;
  const std::size_t n = r.members.size();
  if (n <= 32) {
    std::map<std::pair<std::string, std::string>, const PairFigure*> at;
    for (const PairFigure& p : r.pairs) at[{p.a, p.b}] = at[{p.b, p.a}] = &p;
    for (const auto& [title, bandwidth] : {std::pair{"bandwidth (GB/s)", true}, {"latency (us)", false}}) {
      out += std::string("# ") + title + ", " + std::to_string(n) + " " + r.kind + ", " + std::to_string(r.rounds) +
             " rounds; * = flagged\n" + std::string(12, ' ');
      for (const auto& h : r.members) out += " " + (h.size() > 10 ? h.substr(0, 10) : std::string(10 - h.size(), ' ') + h);
      out += "\n";
      for (const auto& row : r.members) {
        out += (row.size() > 11 ? row.substr(0, 11) : row + std::string(11 - row.size(), ' ')) + " ";
        for (const auto& col : r.members) {
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
    if (++flagged <= kFlaggedLines) out += "flagged: " + p.a + " - " + p.b + ": " + p.why + "\n";
  }
  if (flagged > kFlaggedLines) {
    out += "flagged: " + std::to_string(flagged - kFlaggedLines) + " more pair(s): matrix.json lists them\n";
  }
  out += "median pair bandwidth " + formatted(r.medianBandwidthGbps, "%.3g GB/s") + "; " + std::to_string(flagged) +
         " pair(s) flagged; exit " + std::to_string(r.exitCode) + "\n";
  return out;
}

nlohmann::json matrixJson(const PairMatrix& r) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const PairFigure& p : r.pairs) {
    nlohmann::json j{{"a", p.a}, {"b", p.b}, {"round", p.round}, {"ran", p.ran}, {"flagged", p.flagged}};
    if (p.ran) j["latency_us"] = p.latencyUs, j["bandwidth_gbps"] = p.bandwidthGbps;
    if (!p.why.empty()) j["why"] = p.why;
    pairs.push_back(std::move(j));
  }
  return {{"schema", "cclbench.matrix/1"}, {"hosts", r.members}, {"members", r.kind}, {"rounds", r.rounds},
          {"pairs", pairs},              {"median_bandwidth_gbps", r.medianBandwidthGbps},
          {"min_fraction_of_median", r.minFraction}, {"exit_code", r.exitCode}};
}

std::string matrixHtml(const PairMatrix& r) {
  int flagged = 0;
  for (const PairFigure& p : r.pairs) flagged += p.flagged ? 1 : 0;
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>cclbench matrix</title><style>"
         "body{font-family:sans-serif;margin:2em;color:#111827}td,th{padding:2px 8px;text-align:left}"
         ".maps{display:flex;flex-wrap:wrap;gap:3em}</style></head><body><h1>cclbench matrix: " +
         std::to_string(r.members.size()) + " " + html::escape(r.kind) + ", " + std::to_string(flagged) +
         " pair(s) flagged</h1>" + html::pairMatrixBlock(r) + "<p>Exit " + std::to_string(r.exitCode) +
         ".</p></body></html>\n";
}

}  // namespace cclbench::acceptance
