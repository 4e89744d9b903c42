#include "analysis/compare_report.hpp"

#include <algorithm>
#include <cstdio>

#include "core/sizes.hpp"

namespace cclbench::analysis {
namespace {

/// printf into a std::string of the right length.
template <typename... Args>
std::string format(const char* pattern, Args... args) {
  const int length = std::snprintf(nullptr, 0, pattern, args...);
  std::string text(static_cast<std::size_t>(std::max(length, 0)) + 1, '\0');
  std::snprintf(text.data(), text.size(), pattern, args...);
  text.pop_back();
  return text;
}

std::string rootText(int root) {
  return root < 0 ? "-" : std::to_string(root);
}
std::string opText(RedOp op) {
  return op == RedOp::kNone ? "-" : name(op);
}

std::string probabilityText(const std::optional<double>& p) {
  return p ? format("%.2g", *p) : "-";
}

std::string ciText(const std::optional<RatioInterval>& ci) {
  return ci ? format("[%.3f, %.3f]", ci->low, ci->high) : "-";
}

std::string ratioText(double ratio) {
  return ratio > 0 ? format("%.3f", ratio) : "-";
}

std::string percentText(double fraction) {
  return format("%g%%", fraction * 100);
}

std::string runsText(const std::vector<std::string>& runs) {
  std::string out;
  for (const std::string& r : runs) out += (out.empty() ? "" : ", ") + r;
  return out;
}

std::string sideText(const std::string& label, const std::vector<std::string>& runs) {
  const std::string list = runsText(runs);
  if (list.empty() || list == label) return label;
  return label + " = " + list;
}

std::string differencesText(const Comparison& c) {
  std::string out;
  for (const Difference& d : c.differences) {
    out += (out.empty() ? "" : "; ") + d.what + " A " + d.a + " / B " + d.b;
  }
  return out;
}

/// The lines after the table: per collective, then the verdict counts and what was not matched.
std::string footer(const Comparison& c, const char* prefix) {
  std::string out;
  for (const CollectiveSummary& s : c.collectives) {
    out +=
        format("%s%s: geometric mean of B/A time %.3f over %zu cases (%zu slower, %zu faster)\n",
               prefix, name(s.collective), s.geometricMeanTimeRatio, s.cases, s.slower, s.faster);
  }
  out += format(
      "%s%zu slower, %zu faster, %zu no change: %zu cases, %zu tested (Mann-Whitney, "
      "Benjamini-Hochberg q < %g) and a %s threshold\n",
      prefix, c.count(Verdict::kSlower), c.count(Verdict::kFaster), c.count(Verdict::kNoChange),
      c.cases.size(), c.tested, c.options.alpha, percentText(c.options.threshold).c_str());
  if (c.cases.size() > c.tested) {
    out += format(
        "%s%zu cases have too few samples for a test: their verdict rests on the "
        "threshold only\n",
        prefix, c.cases.size() - c.tested);
  }
  if (c.onlyInA + c.onlyInB + c.unusable > 0) {
    out += format("%snot compared: %zu cases only in A, %zu only in B, %zu without a time\n",
                  prefix, c.onlyInA, c.onlyInB, c.unusable);
  }
  return out;
}

nlohmann::json caseJson(const CaseComparison& c) {
  nlohmann::json j = {{"collective", name(c.key.collective)},
                      {"dtype", name(c.key.dtype)},
                      {"redop", name(c.key.op)},
                      {"root", c.key.root},
                      {"placement", name(c.key.placement)},
                      {"size_bytes", c.key.sizeBytes},
                      {"samples_a", c.samplesA},
                      {"samples_b", c.samplesB},
                      {"median_us_a", c.medianUsA},
                      {"median_us_b", c.medianUsB},
                      {"time_ratio", c.timeRatio},
                      {"busbw_gbps_a", c.busBandwidthGBpsA},
                      {"busbw_gbps_b", c.busBandwidthGBpsB},
                      {"busbw_ratio", c.busBandwidthRatio},
                      {"verdict", name(c.verdict)},
                      {"threshold_only", c.thresholdOnly},
                      {"verdict_text", c.verdictText()}};
  j["time_ratio_ci"] = c.timeRatioCi
                           ? nlohmann::json::array({c.timeRatioCi->low, c.timeRatioCi->high})
                           : nlohmann::json(nullptr);
  j["p"] = c.p ? nlohmann::json(*c.p) : nlohmann::json(nullptr);
  j["q"] = c.q ? nlohmann::json(*c.q) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

nlohmann::json toJson(const Comparison& c) {
  nlohmann::json j;
  j["a"] = {{"label", c.labelA}, {"runs", c.runsA}};
  j["b"] = {{"label", c.labelB}, {"runs", c.runsB}};
  j["alpha"] = c.options.alpha;
  j["threshold"] = c.options.threshold;
  j["bootstrap_resamples"] = c.options.bootstrap.resamples;
  j["forced"] = c.options.force && !c.differences.empty();
  j["refused"] = c.refused;
  j["differences"] = nlohmann::json::array();
  for (const Difference& d : c.differences) {
    j["differences"].push_back({{"what", d.what}, {"a", d.a}, {"b", d.b}});
  }
  j["cases"] = nlohmann::json::array();
  for (const CaseComparison& k : c.cases) j["cases"].push_back(caseJson(k));
  j["collectives"] = nlohmann::json::array();
  for (const CollectiveSummary& s : c.collectives) {
    j["collectives"].push_back({{"collective", name(s.collective)},
                                {"cases", s.cases},
                                {"geomean_time_ratio", s.geometricMeanTimeRatio},
                                {"slower", s.slower},
                                {"faster", s.faster}});
  }
  j["summary"] = {{"slower", c.count(Verdict::kSlower)},
                  {"faster", c.count(Verdict::kFaster)},
                  {"no_change", c.count(Verdict::kNoChange)},
                  {"cases", c.cases.size()},
                  {"tested", c.tested},
                  {"only_in_a", c.onlyInA},
                  {"only_in_b", c.onlyInB},
                  {"unusable", c.unusable}};
  return j;
}

nlohmann::json toJson(const std::vector<Comparison>& comparisons) {
  nlohmann::json doc = {{"schema", kCompareSchemaName},
                        {"schema_version", kCompareSchemaVersion},
                        {"comparisons", nlohmann::json::array()}};
  for (const Comparison& c : comparisons) doc["comparisons"].push_back(toJson(c));
  return doc;
}

std::string consoleReport(const Comparison& c) {
  std::string out = "# A (baseline): " + sideText(c.labelA, c.runsA) + "\n";
  out += "# B: " + sideText(c.labelB, c.runsB) + "\n";
  if (!c.differences.empty()) {
    out += "# compared despite differences (--force): " + differencesText(c) + "\n";
  }
  out += "# time ratio = B median / A median: above 1 means B is slower\n";
  out += format("#%13s %8s %6s %4s %5s %12s %9s %12s %12s %9s %19s %8s %8s %9s  %s\n", "collective",
                "type", "redop", "root", "place", "size(B)", "n A/B", "A med(us)", "B med(us)",
                "B/A time", "95% CI", "p", "q", "busbw B/A", "verdict");
  for (const CaseComparison& k : c.cases) {
    const std::string n = std::to_string(k.samplesA) + "/" + std::to_string(k.samplesB);
    out += format(" %13s %8s %6s %4s %5s %12llu %9s %12.2f %12.2f %9s %19s %8s %8s %9s  %s\n",
                  name(k.key.collective), name(k.key.dtype), opText(k.key.op).c_str(),
                  rootText(k.key.root).c_str(), name(k.key.placement),
                  static_cast<unsigned long long>(k.key.sizeBytes), n.c_str(), k.medianUsA,
                  k.medianUsB, ratioText(k.timeRatio).c_str(), ciText(k.timeRatioCi).c_str(),
                  probabilityText(k.p).c_str(), probabilityText(k.q).c_str(),
                  ratioText(k.busBandwidthRatio).c_str(), k.verdictText().c_str());
  }
  return out + footer(c, "# ");
}

std::string markdownReport(const Comparison& c) {
  std::string out = "**A (baseline):** " + sideText(c.labelA, c.runsA) + "  \n";
  out += "**B:** " + sideText(c.labelB, c.runsB) + "\n\n";
  if (!c.differences.empty()) {
    out += "Compared despite differences (--force): " + differencesText(c) + "\n\n";
  }
  out +=
      "| collective | type | redop | root | place | size | n A/B | A median (us) | "
      "B median (us) | B/A time | 95% CI | p | q | busbw B/A | verdict |\n";
  out += "|---|---|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|\n";
  for (const CaseComparison& k : c.cases) {
    const std::string verdict =
        k.verdict == Verdict::kNoChange ? k.verdictText() : "**" + k.verdictText() + "**";
    out += format(
        "| %s | %s | %s | %s | %s | %s | %zu/%zu | %.2f | %.2f | %s | %s | %s | %s | %s "
        "| %s |\n",
        name(k.key.collective), name(k.key.dtype), opText(k.key.op).c_str(),
        rootText(k.key.root).c_str(), name(k.key.placement), formatBytes(k.key.sizeBytes).c_str(),
        k.samplesA, k.samplesB, k.medianUsA, k.medianUsB, ratioText(k.timeRatio).c_str(),
        ciText(k.timeRatioCi).c_str(), probabilityText(k.p).c_str(), probabilityText(k.q).c_str(),
        ratioText(k.busBandwidthRatio).c_str(), verdict.c_str());
  }
  out += "\n";
  std::string notes = footer(c, "- ");
  return out + notes;
}

}  // namespace cclbench::analysis
