/// The night's renderings: the Markdown summary (also the alert command's input), the HTML report
/// with each drifting series drawn and its change point marked, the Prometheus textfile and JUnit.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "acceptance/text.hpp"
#include "analysis/significance.hpp"
#include "core/sizes.hpp"
#include "nightly/nightly.hpp"
#include "report/html_page.hpp"

namespace cclbench::nightly {
namespace {

using acceptance::formatted;

std::string caseName(const CaseVerdict& c) {
  return c.check + " " + name(c.key.collective) + " " + name(c.key.dtype) + " " + formatBytes(c.key.sizeBytes) +
         (c.key.placement == Placement::kInPlace ? " in-place" : "");
}

const char* verdictWord(const NightReport& r) {
  if (r.exitCode == 0) return "PASS";
  if (r.exitCode == 8) return "REGRESSION";
  return "FAIL";
}

std::string why(const CaseVerdict& c) {
  std::string out;
  if (c.compared && c.compared->verdict == analysis::Verdict::kSlower) {
    out = formatted((c.compared->timeRatio - 1) * 100, "%.1f%% slower than the baseline");
    if (c.compared->q) out += formatted(*c.compared->q, " (q %.3g)");
  }
  if (c.drift && c.drift->flagged) {
    const std::size_t at = c.drift->change.index;
    out += (out.empty() ? "" : "; ") + formatted(c.drift->change.change() * 100, "drift: %+.1f%% since ") + "run " +
           c.drift->runs.at(at) + formatted(static_cast<double>(at + 1), " (night %.0f of the history") +
           formatted(c.drift->change.p, ", p %.3g)");
  }
  return out;
}

/// A case's nightly medians as an SVG line, the change point as a red line.
std::string sparkline(const Drift& d) {
  const double w = 480, h = 120, pad = 8;
  const auto [lo, hi] = std::minmax_element(d.medianUs.begin(), d.medianUs.end());
  const double span = std::max(*hi - *lo, 1e-12);
  const double n = static_cast<double>(std::max<std::size_t>(d.medianUs.size() - 1, 1));
  std::string points;
  for (std::size_t i = 0; i < d.medianUs.size(); ++i) {
    const double x = pad + (w - 2 * pad) * static_cast<double>(i) / n;
    const double y = h - pad - (h - 2 * pad) * (d.medianUs[i] - *lo) / span;
    points += formatted(x, "%.1f,") + formatted(y, "%.1f ");
  }
  const double cx = pad + (w - 2 * pad) * static_cast<double>(d.change.index) / n;
  return "<svg width=\"" + formatted(w, "%.0f") + "\" height=\"" + formatted(h, "%.0f") +
         "\" role=\"img\"><polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.5\" points=\"" + points +
         "\"/><line class=\"change\" x1=\"" + formatted(cx, "%.1f") + "\" x2=\"" + formatted(cx, "%.1f") + "\" y1=\"0\" y2=\"" +
         formatted(h, "%.0f") + "\" stroke=\"#dc2626\" stroke-dasharray=\"4 3\"/></svg>";
}

/// A Prometheus label value: backslash, quote and newline escaped.
std::string promValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return "\"" + out + "\"";
}

}  // namespace

std::string summaryMarkdown(const NightReport& r) {
  const auto& b = r.battery;
  std::string out = "# cclbench nightly " + b.spec + ": " + verdictWord(r) + "\n\n";
  out += "Night " + r.night + " (" + r.startedUtc + "), " + std::to_string(b.hostOrder.size()) + " host(s) from " +
         b.hostsFrom + ", exit " + std::to_string(r.exitCode) + ".\n\n";
  if (r.firstNight) out += "First night of this spec and fingerprint: no baseline yet, nothing to compare.\n\n";
  for (const auto& h : b.hostOrder) {
    const auto& v = b.hosts.at(h);
    if (v.status == "ok") continue;
    out += "- host " + h + ": " + v.status;
    for (const auto& w : v.why) out += "; " + w;
    out += "\n";
  }
  for (const auto& c : b.checks) {
    if (c.ran && !c.passed) {
      out += "- check " + c.spec->name + ": under its floor";
      for (const auto& j : c.jobs) {
        if (!j.passed) out += "; " + j.why;
      }
      out += "\n";
    }
  }
  out += "\n| case | hosts | median (us) | busbw (GB/s) | vs baseline | verdict |\n|---|---|---:|---:|---:|---|\n";
  for (const CaseVerdict& c : r.cases) {
    const std::string ratio = c.compared ? formatted(c.compared->timeRatio, "%.3f") : "-";
    const std::string verdict = c.regression() ? "**" + why(c) + "**"
                                : c.compared   ? c.compared->verdictText()
                                               : "no baseline";
    out += "| " + caseName(c) + " | " + c.hosts + " | " + formatted(c.medianUs, "%.2f") + " | " + formatted(c.busbwGbps, "%.3g") +
           " | " + ratio + " | " + verdict + " |\n";
  }
  for (const JobVerdict& j : r.jobs) {
    if (j.refused) out += "\nNot compared: " + j.check + " on " + j.hosts + " (" + j.refusal + ").\n";
  }
  out += "\n" + std::to_string(r.regressions) + " regression(s) at a threshold of " + formatted(r.threshold * 100, "%.0f%%") +
         ".\n";
  return out;
}

std::string reportHtml(const NightReport& r) {
  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>cclbench nightly " + html::escape(r.battery.spec) +
      "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid "
      "#ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.slow{background:#fee2e2}"
      "</style></head><body>";
  out += "<h1>cclbench nightly " + html::escape(r.battery.spec) + ": " + verdictWord(r) + "</h1>";
  out += "<p>Night " + html::escape(r.night) + " (" + html::escape(r.startedUtc) + "), exit " +
         std::to_string(r.exitCode) + ", " + std::to_string(r.regressions) + " regression(s), threshold " +
         formatted(r.threshold * 100, "%.0f%%") + ".</p>";
  if (r.firstNight) out += "<p>First night: no baseline yet.</p>";
  out += "<table><tr><th>case</th><th>hosts</th><th>median (us)</th><th>busbw (GB/s)</th><th>baseline (us)</th>"
         "<th>ratio</th><th>q</th><th>verdict</th></tr>";
  for (const CaseVerdict& c : r.cases) {
    out += std::string("<tr") + (c.regression() ? " class=\"slow\"" : "") + "><td>" + html::escape(caseName(c)) +
           "</td><td>" + html::escape(c.hosts) + "</td><td>" + formatted(c.medianUs, "%.2f") + "</td><td>" +
           formatted(c.busbwGbps, "%.3g") + "</td><td>" + (c.compared ? formatted(c.compared->medianUsA, "%.2f") : "-") +
           "</td><td>" + (c.compared ? formatted(c.compared->timeRatio, "%.3f") : "-") + "</td><td>" +
           (c.compared && c.compared->q ? formatted(*c.compared->q, "%.3g") : "-") + "</td><td>" +
           html::escape(c.regression() ? why(c) : c.compared ? c.compared->verdictText() : "no baseline") + "</td></tr>";
  }
  out += "</table>";
  bool heading = false;
  for (const CaseVerdict& c : r.cases) {
    if (!c.drift || !c.drift->flagged) continue;
    if (!heading) out += "<h2>Drift</h2><p>Median time per night, the change point marked in red.</p>", heading = true;
    out += "<h3>" + html::escape(caseName(c)) + " on " + html::escape(c.hosts) + "</h3><p>" + html::escape(why(c)) +
           "</p>" + sparkline(*c.drift);
  }
  out += "<h2>Hosts</h2><ul>";
  for (const auto& h : r.battery.hostOrder) {
    const auto& v = r.battery.hosts.at(h);
    out += "<li>" + html::escape(h) + ": " + html::escape(v.status);
    for (const auto& w : v.why) out += "; " + html::escape(w);
    out += "</li>";
  }
  return out + "</ul></body></html>\n";
}

std::string prometheusText(const NightReport& r, double unixTime) {
  const std::string spec = promValue(r.battery.spec);
  // One series per check and case: a check with several jobs (pairs) gives its median.
  struct Series {
    std::vector<double> busbw, seconds;
    std::string fingerprint;
  };
  std::map<std::pair<std::string, analysis::CaseKey>, Series> series;
  std::map<std::string, std::string> fingerprints;
  for (const auto& h : r.battery.hostOrder) fingerprints[h] = r.battery.hosts.at(h).fingerprint;
  for (const CaseVerdict& c : r.cases) {
    Series& s = series[{c.check, c.key}];
    s.busbw.push_back(c.busbwGbps);
    s.seconds.push_back(c.medianUs * 1e-6);
    const std::string first = c.hosts.substr(0, c.hosts.find(','));
    if (s.fingerprint.empty() && fingerprints.count(first)) s.fingerprint = fingerprints[first];
  }
  std::string out;
  out += "# HELP cclbench_busbw_gbps Bus bandwidth of the last nightly run, GB/s (median over a check's jobs).\n";
  out += "# TYPE cclbench_busbw_gbps gauge\n";
  std::string times = "# HELP cclbench_time_seconds Median time per operation of the last nightly run.\n"
                      "# TYPE cclbench_time_seconds gauge\n";
  for (const auto& [k, s] : series) {
    const std::string labels = "{spec=" + spec + ",check=" + promValue(k.first) + ",collective=" +
                               promValue(name(k.second.collective)) + ",dtype=" + promValue(name(k.second.dtype)) +
                               ",size_bytes=" + promValue(std::to_string(k.second.sizeBytes)) + ",fingerprint=" +
                               promValue(s.fingerprint) + "}";
    out += "cclbench_busbw_gbps" + labels + " " + formatted(analysis::median(s.busbw), "%.6g") + "\n";
    times += "cclbench_time_seconds" + labels + " " + formatted(analysis::median(s.seconds), "%.6g") + "\n";
  }
  out += times;
  std::string hosts;
  for (const auto& h : r.battery.hostOrder) hosts += (hosts.empty() ? "" : ",") + h;
  out += "# HELP cclbench_nightly_info The last nightly run of a spec: its night id and hosts.\n"
         "# TYPE cclbench_nightly_info gauge\n"
         "cclbench_nightly_info{spec=" + spec + ",night=" + promValue(r.night) + ",hosts=" + promValue(hosts) +
         "} 1\n";
  out += "# HELP cclbench_nightly_regressions Cases slower than the baseline or drifting, last night.\n"
         "# TYPE cclbench_nightly_regressions gauge\n"
         "cclbench_nightly_regressions{spec=" + spec + "} " + std::to_string(r.regressions) + "\n";
  out += "# HELP cclbench_nightly_verdict 0 pass, 1 regression, 2 failed (a floor, a host, a timeout).\n"
         "# TYPE cclbench_nightly_verdict gauge\n"
         "cclbench_nightly_verdict{spec=" + spec + "} " + (r.exitCode == 0 ? "0" : r.exitCode == 8 ? "1" : "2") + "\n";
  out += "# HELP cclbench_nightly_last_run_timestamp_seconds When the last nightly run of a spec ended.\n"
         "# TYPE cclbench_nightly_last_run_timestamp_seconds gauge\n"
         "cclbench_nightly_last_run_timestamp_seconds{spec=" + spec + "} " + formatted(unixTime, "%.0f") + "\n";
  return out;
}

std::string junitXml(const NightReport& r) {
  int failures = 0;
  std::string cases;
  for (const CaseVerdict& c : r.cases) {
    cases += "  <testcase classname=\"" + html::escape(r.battery.spec + "." + c.check) + "\" name=\"" +
             html::escape(caseName(c) + " on " + c.hosts) + "\">";
    if (c.regression()) {
      ++failures;
      cases += "<failure message=\"" + html::escape(why(c)) + "\"/>";
    }
    cases += "</testcase>\n";
  }
  for (const auto& c : r.battery.checks) {
    if (!c.ran || c.passed) continue;
    ++failures;
    cases += "  <testcase classname=\"" + html::escape(r.battery.spec) + "\" name=\"" + html::escape(c.spec->name) +
             " floor\"><failure message=\"under its floor\"/></testcase>\n";
  }
  const std::size_t tests = r.cases.size() + static_cast<std::size_t>(std::count_if(
                                                 r.battery.checks.begin(), r.battery.checks.end(),
                                                 [](const auto& c) { return c.ran && !c.passed; }));
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"cclbench nightly " + html::escape(r.battery.spec) +
         "\" tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\">\n" + cases +
         "</testsuite>\n";
}

}  // namespace cclbench::nightly
