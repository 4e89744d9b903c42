// The report's view of a tune: per collective, one row per size with the best candidate, its
// speedup over the default in the search and in the validation, then every candidate's median
// time (the default's column highlighted, each size's winner marked).

#include <sstream>

#include "core/sizes.hpp"
#include "report/html_page.hpp"

namespace cclbench::html {
namespace {

/// "812 µs", "1.23 ms", "2.50 s".
std::string time(double us) {
  if (us >= 1e6) return format("%.3g", us / 1e6) + " s";
  if (us >= 1e3) return format("%.3g", us / 1e3) + " ms";
  return format("%.3g", us) + " µs";
}

/// A candidate's knobs, one per line.
std::string heading(const analysis::CandidateTimes& c) {
  if (c.isDefault()) return "default";
  std::string text;
  for (const auto& [k, v] : c.knobs) text += (text.empty() ? "" : "<br>") + escape(k + "=" + v);
  return text;
}

std::string validatedCell(const analysis::TuneCollectiveView& view, uint64_t size) {
  const auto it = view.validated.find(size);
  if (it == view.validated.end()) return "<td class='num muted'>—</td>";
  const analysis::ValidatedSize& v = it->second;
  std::string interval;
  if (v.speedupLow && v.speedupHigh) {
    interval = " <span class=small>[" + format("%.2f", *v.speedupLow) + ", " +
               format("%.2f", *v.speedupHigh) + "]</span>";
  }
  return "<td class='num " + verdictClass(v.verdict) + "' title='default " + time(v.defaultUs) +
         ", tuned " + time(v.tunedUs) + "; " + escape(v.verdict) + "'>" +
         format("%.2f", v.speedup) + "×" + interval + "</td>";
}

std::string collectiveTable(const ReportTune& tune) {
  const analysis::TuneCollectiveView& view = tune.view;
  std::ostringstream o;
  o << "<h3>" << name(view.collective) << " <span class=muted>· tune " << escape(tune.tuneId)
    << " · " << view.candidates.size() << " candidates · " << view.sizes.size()
    << " sizes</span></h3>";
  o << "<div class=scroll><table class='matrix tune'><tr><th class=num>size</th>"
       "<th>best in the search</th><th class=num title='default median / best median'>search "
       "speedup</th><th class=num title='pooled validation launches: default median / tuned "
       "median, with its 95% bootstrap interval'>validated speedup</th>";
  for (const analysis::CandidateTimes& c : view.candidates) {
    o << "<th class='num" << (c.isDefault() ? " default" : "") << "'>" << heading(c) << "</th>";
  }
  o << "</tr>";
  for (uint64_t size : view.sizes) {
    o << "<tr><th class=num>" << formatBytes(size) << "</th>";
    const auto best = view.best.find(size);
    const analysis::CandidateTimes* winner =
        best == view.best.end() ? nullptr : &view.candidates[best->second];
    const auto& base = view.candidates.front();
    const auto baseAt = base.isDefault() ? base.sizes.find(size) : base.sizes.end();
    if (winner) {
      o << "<td>" << (winner->isDefault() ? "<span class=muted>default</span>"
                                          : escape(winner->description))
        << "</td>";
      if (baseAt != base.sizes.end() && winner->sizes.at(size).median > 0) {
        o << "<td class=num>" << format("%.2f", baseAt->second.median / winner->sizes.at(size).median)
          << "×</td>";
      } else {
        o << "<td class='num muted'>—</td>";
      }
    } else {
      o << "<td class=muted>nothing measured</td><td class='num muted'>—</td>";
    }
    o << validatedCell(view, size);
    for (std::size_t i = 0; i < view.candidates.size(); ++i) {
      const analysis::CandidateTimes& c = view.candidates[i];
      const auto at = c.sizes.find(size);
      const bool won = best != view.best.end() && best->second == i;
      std::string cls = "num";
      if (c.isDefault()) cls += " default";
      if (won) cls += " win";
      if (at == c.sizes.end()) {
        o << "<td class='" << cls << " muted'>·</td>";
        continue;
      }
      o << "<td class='" << cls << "' title='median of " << at->second.count
        << " samples, 95% CI " << time(at->second.medianCi.low) << " – "
        << time(at->second.medianCi.high) << "'>" << (won ? "★ " : "") << time(at->second.median)
        << "</td>";
    }
    o << "</tr>";
  }
  o << "</table></div>";
  return o.str();
}

}  // namespace

std::string tuneTables(const ReportInput& input) {
  std::ostringstream o;
  o << "<p class=muted>Median time of every candidate by size, its trials pooled (· not "
       "measured at that size: the race dropped it or never proposed it). ★ marks the fastest "
       "at each size; the default's column is shaded. The validated speedup comes from the "
       "interleaved default and tuned launches of the emitted configuration.</p>";
  for (const ReportTune& tune : input.tunes) o << collectiveTable(tune);
  return o.str();
}

}  // namespace cclbench::html
