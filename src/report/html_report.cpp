#include "report/html_report.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "report/html_page.hpp"

namespace cclbench {
namespace {

constexpr const char* kChartLibraryPath = "/usr/share/javascript/chart.js/chart.min.js";

std::string escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

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

nlohmann::json chartData(const ReportInput& input) {
  nlohmann::json runs = nlohmann::json::array();
  for (const ReportRun& run : input.runs) {
    nlohmann::json cases = nlohmann::json::array();
    for (const CaseRecord& c : run.cases) {
      cases.push_back({{"collective", name(c.collective)}, {"dtype", name(c.dtype)},
                       {"redop", name(c.op)}, {"placement", name(c.placement)},
                       {"size_bytes", c.sizeBytes}, {"median_us", c.timeUs.median},
                       {"ci_low_us", c.timeUs.medianCi.low}, {"ci_high_us", c.timeUs.medianCi.high},
                       {"busbw_gbps", c.busBandwidthGBps}, {"algbw_gbps", c.algBandwidthGBps}});
    }
    runs.push_back({{"label", run.label}, {"cases", cases}});
  }
  return {{"runs", runs}};
}

std::string libraries(const RunHeader& h) {
  std::string out;
  for (const auto& [key, value] : h.libraryVersions) out += (out.empty() ? "" : "<br>") + escape(value);
  return out;
}

std::string hosts(const RunHeader& h) {
  std::string out = std::to_string(h.hosts.size()) + " host(s)";
  for (std::size_t i = 0; i < h.hosts.size() && i < 4; ++i) {
    out += "<br>" + escape(h.hosts[i].host) + " (" + std::to_string(h.hosts[i].ranks.size()) +
           " ranks)";
  }
  if (h.hosts.size() > 4) out += "<br>...";
  return out;
}

std::string metadataTable(const ReportInput& input) {
  std::ostringstream o;
  o << "<table><tr><th></th>";
  for (const auto& r : input.runs) o << "<th>" << escape(r.label) << "</th>";
  o << "</tr>";
  auto row = [&](const char* title, auto&& cell) {
    o << "<tr><th>" << title << "</th>";
    for (const auto& r : input.runs) o << "<td>" << cell(r) << "</td>";
    o << "</tr>";
  };
  row("run id", [](const ReportRun& r) { return escape(r.header.runId); });
  row("started (UTC)", [](const ReportRun& r) { return escape(r.header.startUtc); });
  row("status", [](const ReportRun& r) { return escape(r.status) + " (" + escape(r.source) + ")"; });
  row("backend", [](const ReportRun& r) { return escape(r.header.backend); });
  row("libraries", [](const ReportRun& r) { return libraries(r.header); });
  row("ranks", [](const ReportRun& r) { return std::to_string(r.header.ranks); });
  row("hosts", [](const ReportRun& r) { return hosts(r.header); });
  row("aggregation", [](const ReportRun& r) { return std::string(name(r.header.aggregation)); });
  row("topology fingerprint",
      [](const ReportRun& r) { return r.fingerprint.empty() ? "<span class=muted>-</span>" : escape(r.fingerprint); });
  row("tags", [](const ReportRun& r) {
    std::string t;
    for (const auto& x : r.tags) t += (t.empty() ? "" : ", ") + escape(x);
    return t;
  });
  row("cclbench", [](const ReportRun& r) {
    return escape(r.header.toolVersion) + " " + escape(r.header.gitRevision);
  });
  row("command", [](const ReportRun& r) {
    std::string t;
    for (const auto& x : r.header.commandLine) t += escape(x) + " ";
    return "<span class=wrap>" + t + "</span>";
  });
  o << "</table>";
  return o.str();
}

std::string regressionTable(const ReportInput& input) {
  if (input.regressions.empty()) {
    return "<p class=muted>No comparison: give two or more runs to see verdicts.</p>";
  }
  std::ostringstream o;
  o << "<table><tr><th>compared</th><th>case</th><th>time ratio</th><th>95% CI</th>"
       "<th>q (BH)</th><th>verdict</th></tr>";
  for (const RegressionRow& r : input.regressions) {
    char ratio[32], ci[64], q[32];
    std::snprintf(ratio, sizeof ratio, "%.3f", r.ratio);
    std::snprintf(ci, sizeof ci, "%.3f – %.3f", r.ciLow, r.ciHigh);
    std::snprintf(q, sizeof q, "%.3g", r.qValue);
    const char* cls = r.verdict.rfind("slower", 0) == 0   ? "verdict-slower"
                      : r.verdict.rfind("faster", 0) == 0 ? "verdict-faster"
                                                          : "";
    o << "<tr><td>" << escape(r.against) << "</td><td>" << escape(r.caseName)
      << "</td><td class=num>" << ratio << "</td><td class=num>" << ci << "</td><td class=num>"
      << q << "</td><td class='" << cls << "'>" << escape(r.verdict) << "</td></tr>";
  }
  o << "</table>";
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
  o << "### " << input.title << "\n\n| run | collective | largest size | busbw (GB/s) | time (us) |\n"
    << "|---|---|---|---|---|\n";
  for (const ReportRun& run : input.runs) {
    std::map<std::string, const CaseRecord*> largest;  // per collective, out-of-place first
    for (const CaseRecord& c : run.cases) {
      const CaseRecord*& best = largest[name(c.collective)];
      if (!best || c.sizeBytes > best->sizeBytes ||
          (c.sizeBytes == best->sizeBytes && c.placement == Placement::kOutOfPlace)) {
        best = &c;
      }
    }
    for (const auto& [coll, c] : largest) {
      char line[256];
      std::snprintf(line, sizeof line, "| %s | %s | %s | %.2f | %.2f |\n", run.label.c_str(),
                    coll.c_str(), formatBytes(c->sizeBytes).c_str(), c->busBandwidthGBps,
                    c->timeUs.median);
      o << line;
    }
  }
  if (!input.regressions.empty()) {
    int slower = 0, faster = 0;
    for (const auto& r : input.regressions) {
      slower += r.verdict.rfind("slower", 0) == 0;
      faster += r.verdict.rfind("faster", 0) == 0;
    }
    o << "\nVerdicts: " << slower << " slower, " << faster << " faster, "
      << input.regressions.size() - slower - faster << " no change (of "
      << input.regressions.size() << " cases).\n";
  }
  return o.str();
}

std::string renderHtmlReport(const ReportInput& input) {
  std::ostringstream o;
  o << "<!doctype html><html lang=en><head><meta charset=utf-8>"
       "<meta name=viewport content='width=device-width,initial-scale=1'><title>"
    << escape(input.title) << "</title><style>" << html::kStyle << "</style></head><body>"
    << "<header><h1>" << escape(input.title) << "</h1><div class=sub>" << input.runs.size()
    << " run(s) · generated " << utcNow() << " by cclbench</div></header><main>"
    << "<div class='card legend' id=legend></div>"
    << "<h2>Bandwidth and time by message size</h2><div id=charts></div>"
    << "<h2>Regressions</h2><div class=card>" << regressionTable(input) << "</div>"
    << "<h2>Runs and topology</h2><div class=card>" << metadataTable(input) << "</div>"
    << "<h2>Summary for tickets <button id=copy-md>copy</button></h2><pre class=md id=md>"
    << escape(markdownSummary(input)) << "</pre></main>"
    << "<script type='application/json' id=cclbench-data>" << scriptSafe(chartData(input).dump())
    << "</script><script>" << input.chartLibrary << "</script><script>" << html::kScript
    << "</script></body></html>\n";
  return o.str();
}

}  // namespace cclbench
