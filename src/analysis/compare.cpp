#include "analysis/compare.hpp"

#include <algorithm>

#include "core/run_config.hpp"

namespace cclbench::analysis {
namespace {

/// The samples a record contributes: its batch times, or its median when it kept none.
std::vector<double> samplesOf(const CaseRecord& record) {
  if (!record.samplesUs.empty()) return record.samplesUs;
  if (record.timeUs.median > 0) return {record.timeUs.median};
  return {};
}

void noteIdentity(Side& side, const RunCases& run) {
  side.runs.push_back(run.label);
  if (run.ranks > 0) side.ranks.insert(run.ranks);
  if (!run.backend.empty()) side.backends.insert(run.backend);
  side.aggregations.insert(run.aggregation);
}

template <typename T, typename Format>
std::string joined(const std::set<T>& values, Format format) {
  std::string out;
  for (const T& v : values) out += (out.empty() ? "" : ", ") + std::string(format(v));
  return out;
}

template <typename T, typename Format>
void addDifference(std::vector<Difference>& out, const char* what, const std::set<T>& a,
                   const std::set<T>& b, Format format) {
  if (a.empty() || b.empty()) return;  // unknown on a side: nothing to compare
  if (a == b && a.size() == 1) return;
  out.push_back({what, joined(a, format), joined(b, format)});
}

uint64_t seedFor(const CaseKey& key, uint64_t seed) {
  const std::string text = std::string(name(key.collective)) + "/" + name(key.dtype) + "/" +
                           name(key.op) + "/" + std::to_string(key.root) + "/" +
                           name(key.placement) + "/" + std::to_string(key.sizeBytes);
  return fnv1a(text) ^ seed;
}

double medianBusBandwidth(const CaseSamples& s) {
  return median(s.busBandwidthGBps);
}

/// Everything about one matched case except the q-value and the verdict; nullopt when a side
/// has no positive median.
std::optional<CaseComparison> compareCase(const CaseKey& key, const CaseSamples& a,
                                          const CaseSamples& b, const CompareOptions& options) {
  CaseComparison c;
  c.key = key;
  c.samplesA = a.timeUs.size();
  c.samplesB = b.timeUs.size();
  c.medianUsA = median(a.timeUs);
  c.medianUsB = median(b.timeUs);
  if (!(c.medianUsA > 0) || !(c.medianUsB > 0)) return std::nullopt;
  c.timeRatio = c.medianUsB / c.medianUsA;
  c.busBandwidthGBpsA = medianBusBandwidth(a);
  c.busBandwidthGBpsB = medianBusBandwidth(b);
  if (c.busBandwidthGBpsA > 0) c.busBandwidthRatio = c.busBandwidthGBpsB / c.busBandwidthGBpsA;
  if (c.samplesA >= 2 && c.samplesB >= 2) {
    BootstrapOptions bootstrap = options.bootstrap;
    bootstrap.seed = seedFor(key, bootstrap.seed);
    c.timeRatioCi = bootstrapMedianRatio(a.timeUs, b.timeUs, bootstrap);
  }
  // A test that cannot reach alpha even at its most extreme outcome (one sample, or 3 runs
  // against 3) is no test: the verdict then rests on the threshold and says so.
  const bool testable = c.samplesA >= 2 && c.samplesB >= 2 &&
                        mannWhitneyMinimumP(c.samplesA, c.samplesB) < options.alpha;
  c.thresholdOnly = !testable;
  if (testable) c.p = mannWhitney(a.timeUs, b.timeUs).p;
  return c;
}

void decideVerdict(CaseComparison& c, const CompareOptions& options) {
  const bool slowerBy = c.timeRatio > 1 + options.threshold;
  const bool fasterBy = c.timeRatio < 1 - options.threshold;
  const bool significant = c.thresholdOnly || (c.q && *c.q < options.alpha);
  if (significant && slowerBy)
    c.verdict = Verdict::kSlower;
  else if (significant && fasterBy)
    c.verdict = Verdict::kFaster;
  else
    c.verdict = Verdict::kNoChange;
}

void adjustAndDecide(Comparison& out) {
  std::vector<double> pValues;
  for (const CaseComparison& c : out.cases) {
    if (c.p) pValues.push_back(*c.p);
  }
  const std::vector<double> q = benjaminiHochberg(pValues);
  out.tested = q.size();
  std::size_t next = 0;
  for (CaseComparison& c : out.cases) {
    if (c.p) c.q = q[next++];
    decideVerdict(c, out.options);
  }
}

std::vector<CollectiveSummary> summarize(const std::vector<CaseComparison>& cases) {
  std::map<Collective, std::vector<double>> ratios;
  std::map<Collective, CollectiveSummary> summaries;
  for (const CaseComparison& c : cases) {
    CollectiveSummary& s = summaries[c.key.collective];
    s.collective = c.key.collective;
    ++s.cases;
    if (c.verdict == Verdict::kSlower) ++s.slower;
    if (c.verdict == Verdict::kFaster) ++s.faster;
    ratios[c.key.collective].push_back(c.timeRatio);
  }
  std::vector<CollectiveSummary> out;
  for (auto& [collective, s] : summaries) {
    s.geometricMeanTimeRatio = geometricMean(ratios[collective]);
    out.push_back(s);
  }
  return out;
}

}  // namespace

CaseKey keyOf(const CaseRecord& r) {
  return {r.collective, r.dtype, r.op, r.root, r.placement, r.sizeBytes};
}

Side sideOfRun(const std::string& label, const RunCases& run) {
  Side side;
  side.label = label;
  noteIdentity(side, run);
  for (const CaseRecord& record : run.cases) {
    const std::vector<double> samples = samplesOf(record);
    if (samples.empty()) continue;
    CaseSamples& s = side.cases[keyOf(record)];
    s.timeUs.insert(s.timeUs.end(), samples.begin(), samples.end());
    s.busBandwidthGBps.push_back(record.busBandwidthGBps);
  }
  return side;
}

Side pooledSide(const std::string& label, const std::vector<RunCases>& runs) {
  Side side;
  side.label = label;
  side.pooled = true;
  for (const RunCases& run : runs) {
    noteIdentity(side, run);
    const Side single = sideOfRun(run.label, run);  // merges a case recorded twice in a run
    for (const auto& [key, samples] : single.cases) {
      CaseSamples& s = side.cases[key];
      s.timeUs.push_back(median(samples.timeUs));
      s.busBandwidthGBps.push_back(median(samples.busBandwidthGBps));
    }
  }
  return side;
}

std::vector<Difference> differencesBetween(const Side& a, const Side& b) {
  std::vector<Difference> out;
  addDifference(out, "ranks", a.ranks, b.ranks, [](int r) { return std::to_string(r); });
  addDifference(out, "backend", a.backends, b.backends, [](const std::string& s) { return s; });
  addDifference(out, "aggregation", a.aggregations, b.aggregations,
                [](Aggregation g) { return name(g); });
  return out;
}

const char* name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kNoChange:
      return "no change";
    case Verdict::kFaster:
      return "faster";
    case Verdict::kSlower:
      return "slower";
  }
  return "?";
}

std::string CaseComparison::verdictText() const {
  return std::string(name(verdict)) + (thresholdOnly ? " (threshold only)" : "");
}

std::size_t Comparison::count(Verdict verdict) const {
  return static_cast<std::size_t>(std::count_if(
      cases.begin(), cases.end(), [&](const CaseComparison& c) { return c.verdict == verdict; }));
}

Comparison compare(const Side& a, const Side& b, const CompareOptions& options) {
  Comparison out;
  out.labelA = a.label;
  out.labelB = b.label;
  out.runsA = a.runs;
  out.runsB = b.runs;
  out.options = options;
  out.differences = differencesBetween(a, b);
  if (!out.differences.empty() && !options.force) {
    out.refused = true;
    return out;
  }
  for (const auto& [key, samplesA] : a.cases) {
    const auto match = b.cases.find(key);
    if (match == b.cases.end()) {
      ++out.onlyInA;
      continue;
    }
    if (auto c = compareCase(key, samplesA, match->second, options)) {
      out.cases.push_back(std::move(*c));
    } else {
      ++out.unusable;
    }
  }
  for (const auto& entry : b.cases) out.onlyInB += a.cases.count(entry.first) == 0 ? 1 : 0;
  adjustAndDecide(out);
  out.collectives = summarize(out.cases);
  return out;
}

}  // namespace cclbench::analysis
