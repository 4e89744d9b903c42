/// accept's renderings: the console table per check and the lines per host, the JSON verdicts
/// (cclbench.accept/1) and JUnit (one testcase per check and per host).
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "acceptance/accept.hpp"
#include "acceptance/text.hpp"
#include "analysis/significance.hpp"
#include "core/sizes.hpp"
#include "report/html_page.hpp"

namespace cclbench::acceptance {
namespace {

std::string checkFigure(const CheckVerdict& v) {
  std::vector<double> figures;
  for (const JudgedJob& j : v.jobs) {
    if (j.purpose == "check" && j.outcome.ran) figures.push_back(j.outcome.figure);
  }
  if (figures.empty()) return "-";
  if (figures.size() == 1) return formatted(figures.front());
  return formatted(*std::min_element(figures.begin(), figures.end())) + " min, " + formatted(analysis::median(figures)) +
         " median";
}

std::string floorText(const CheckVerdict& v) {
  std::string out;
  if (v.absoluteFloor > 0) out = formatted(v.absoluteFloor);
  if (v.spec->minFractionOfMedian) {
    out += (out.empty() ? "" : ", ") + formatted(*v.spec->minFractionOfMedian) + " x median";
  }
  return out.empty() ? "-" : out;
}

std::string verdictOf(const CheckVerdict& v) { return !v.ran ? "SKIP" : v.passed ? "PASS" : "FAIL"; }

}  // namespace

std::string consoleText(const AcceptReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "# acceptance %s: %zu host(s) from %s\n", r.spec.c_str(), r.hostOrder.size(),
                r.hostsFrom.c_str());
  out += line;
  std::snprintf(line, sizeof line, "%-24s %-6s %-14s %10s %6s %-28s %-22s %s\n", "check", "scope", "collective",
                "size", "jobs", "busbw GB/s", "floor", "verdict");
  out += line;
  for (const CheckVerdict& v : r.checks) {
    int jobs = 0;
    for (const JudgedJob& j : v.jobs) jobs += j.purpose == "check";
    std::snprintf(line, sizeof line, "%-24s %-6s %-14s %10s %6d %-28s %-22s %s\n", v.spec->name.c_str(),
                  name(v.spec->scope), name(v.spec->collective),
                  v.sizeBytes ? formatBytes(v.sizeBytes).c_str() : "-", jobs, checkFigure(v).c_str(),
                  floorText(v).c_str(), verdictOf(v).c_str());
    out += line;
    if (!v.note.empty()) out += "    note: " + v.note + "\n";
    if (v.rounds > 1 || !v.evidence.empty()) {
      out += "    " + std::to_string(v.rounds) + " round(s)";
      if (!v.badHosts.empty() || !v.badLinks.empty()) {
        out += ", named:";
        for (const auto& h : v.badHosts) out += " " + h;
        for (const auto& [a, b] : v.badLinks) out += " link " + a + "-" + b;
      }
      if (!v.unresolved.empty()) {
        out += ", unresolved:";
        for (const auto& h : v.unresolved) out += " " + h;
      }
      out += "\n";
    }
    for (const auto& e : v.evidence) out += "    " + e + "\n";
  }
  out += "hosts\n";
  for (const auto& h : r.hostOrder) {
    const HostVerdict& v = r.hosts.at(h);
    std::string why;
    for (const auto& w : v.why) why += (why.empty() ? "" : "; ") + w;
    std::snprintf(line, sizeof line, "  %-24s %-12s", h.c_str(), v.status.c_str());
    std::string text = line + why;
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  }
  std::string verdict = r.passed() ? "PASS" : "FAIL";
  out += "verdict: " + verdict + " (" + std::to_string(r.rounds) + " round(s)";
  if (!r.suspects.empty()) {
    out += "; suspects:";
    for (const auto& s : r.suspects) out += " " + s;
  }
  for (const auto& [a, b] : r.suspectLinks) out += "; link " + a + "-" + b;
  out += "; exit " + std::to_string(r.exitCode) + ")\n";
  return out;
}

nlohmann::json toJson(const AcceptReport& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const CheckVerdict& v : r.checks) {
    nlohmann::json jobs = nlohmann::json::array();
    for (const JudgedJob& j : v.jobs) {
      nlohmann::json job{{"hosts", j.hosts}, {"purpose", j.purpose}, {"round", j.round},
                         {"ran", j.outcome.ran}, {"passed", j.passed}, {"run_id", j.outcome.runId},
                         {"log", j.outcome.log}};
      if (j.outcome.ran) job["busbw_gbps"] = j.outcome.figure;
      if (j.outcome.timedOut) job["timed_out"] = true;
      if (!j.why.empty()) job["why"] = j.why;
      jobs.push_back(std::move(job));
    }
    nlohmann::json links = nlohmann::json::array();
    for (const auto& [a, b] : v.badLinks) links.push_back({a, b});
    nlohmann::json c{{"name", v.spec->name},
                     {"scope", name(v.spec->scope)},
                     {"collective", name(v.spec->collective)},
                     {"verdict", verdictOf(v)},
                     {"size_bytes", v.sizeBytes},
                     {"rounds", v.rounds},
                     {"jobs", jobs},
                     {"bad_hosts", v.badHosts},
                     {"bad_links", links},
                     {"unresolved", v.unresolved},
                     {"evidence", v.evidence}};
    if (v.absoluteFloor > 0) c["floor_gbps"] = v.absoluteFloor;
    if (v.spec->minFractionOfMedian) c["min_fraction_of_median"] = *v.spec->minFractionOfMedian;
    if (v.median) c["median_gbps"] = *v.median;
    if (v.baselineFigure) c["baseline_gbps"] = *v.baselineFigure;
    if (!v.note.empty()) c["note"] = v.note;
    checks.push_back(std::move(c));
  }
  nlohmann::json hosts = nlohmann::json::object();
  for (const auto& h : r.hostOrder) {
    const HostVerdict& v = r.hosts.at(h);
    hosts[h] = {{"status", v.status}, {"fingerprint", v.fingerprint}, {"health", v.health}, {"why", v.why}};
    if (v.mismatch) hosts[h]["topology_mismatch"] = true;
  }
  nlohmann::json links = nlohmann::json::array();
  for (const auto& [a, b] : r.suspectLinks) links.push_back({a, b});
  return {{"schema", "cclbench.accept/1"},
          {"spec", r.spec},
          {"verdict", r.passed() ? "PASS" : "FAIL"},
          {"exit_code", r.exitCode},
          {"hosts_from", r.hostsFrom},
          {"local", r.local},
          {"expected_fingerprint", r.expectedFingerprint},
          {"checks", checks},
          {"hosts", hosts},
          {"suspects", r.suspects},
          {"suspect_links", links},
          {"rounds", r.rounds}};
}

std::string junitXml(const AcceptReport& r) {
  int failures = 0, skipped = 0, tests = 0;
  std::string cases;
  for (const CheckVerdict& v : r.checks) {
    ++tests;
    cases += "  <testcase classname=\"check\" name=\"" + html::escape(v.spec->name) + "\">\n";
    if (!v.ran) {
      ++skipped;
      cases += "    <skipped message=\"" + html::escape(v.note) + "\"/>\n";
    } else if (!v.passed) {
      ++failures;
      std::string text;
      for (const auto& e : v.evidence) text += e + "\n";
      for (const JudgedJob& j : v.jobs) {
        if (!j.passed) text += hostList(j.hosts) + ": " + j.why + "\n";
      }
      cases += "    <failure message=\"" + html::escape(v.spec->name + ": FAIL at " + floorText(v)) + "\">" +
               html::escape(text) + "</failure>\n";
    }
    cases += "  </testcase>\n";
  }
  for (const auto& h : r.hostOrder) {
    ++tests;
    const HostVerdict& v = r.hosts.at(h);
    cases += "  <testcase classname=\"host\" name=\"" + html::escape(h) + "\">\n";
    if (v.status != "ok") {
      ++failures;
      std::string why;
      for (const auto& w : v.why) why += w + "\n";
      cases += "    <failure message=\"" + html::escape(h + ": " + v.status) + "\">" + html::escape(why) + "</failure>\n";
    }
    cases += "  </testcase>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"cclbench accept " + html::escape(r.spec) +
         "\" tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" skipped=\"" +
         std::to_string(skipped) + "\">\n" + cases + "</testsuite>\n";
}

}  // namespace cclbench::acceptance
