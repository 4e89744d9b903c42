#include "session/report_input.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "analysis/compare.hpp"
#include "analysis/tune_view.hpp"

namespace cclbench {
namespace {

ReportRun reportRunOf(const ResolvedRun& r) {
  return {r.label, r.header, r.status, r.source, r.fingerprint, r.tags, r.cases};
}

/// Several runs as one: each case's samples pooled (the first run gives the header).
ReportRun pooledRun(const std::string& label, const std::vector<const ResolvedRun*>& runs) {
  ReportRun out = reportRunOf(*runs.front());
  out.label = label;
  out.cases.clear();
  std::map<analysis::CaseKey, std::vector<const CaseRecord*>> byCase;
  std::vector<analysis::CaseKey> order;
  bool complete = true;
  for (const ResolvedRun* r : runs) {
    complete = complete && r->status == "complete";
    for (const CaseRecord& c : r->cases) {
      auto& records = byCase[analysis::keyOf(c)];
      if (records.empty()) order.push_back(analysis::keyOf(c));
      records.push_back(&c);
    }
  }
  for (const analysis::CaseKey& key : order) out.cases.push_back(analysis::pooledCase(byCase[key]));
  out.status = complete ? "complete" : "incomplete";
  return out;
}

/// A whole tune: its view, and the runs the rest of the page compares (the validation's
/// default and tuned launches, pooled; without a validation, the default's trials).
void addTune(ReportInput& input, const Operand& op, const std::vector<ResolvedRun>& runs) {
  std::vector<analysis::TuneLaunch> launches;
  std::map<std::string, std::vector<const ResolvedRun*>> byPurpose;
  for (const ResolvedRun& r : runs) {
    const auto it = r.labels.find("purpose");
    const std::string purpose = it == r.labels.end() ? "" : it->second;
    launches.push_back({purpose, r.cases});
    byPurpose[purpose].push_back(&r);
  }
  for (analysis::TuneCollectiveView& view : analysis::tuneViews(launches)) {
    input.tunes.push_back({op.value, std::move(view)});
  }
  const auto& defaults = byPurpose["validation-default"];
  const auto& tuned = byPurpose["validation-tuned"];
  auto launchesText = [](std::size_t n) {
    return std::to_string(n) + (n == 1 ? " launch" : " launches");
  };
  if (!defaults.empty() && !tuned.empty()) {
    input.runs.push_back(pooledRun("tune " + op.value + " default (validation, " +
                                       launchesText(defaults.size()) + ")",
                                   defaults));
    input.runs.push_back(pooledRun(
        "tune " + op.value + " tuned (validation, " + launchesText(tuned.size()) + ")", tuned));
    return;
  }
  std::vector<const ResolvedRun*> defaultTrials;
  for (const ResolvedRun* r : byPurpose["trial"]) {
    bool isDefault = !r->cases.empty();
    for (const CaseRecord& c : r->cases) isDefault = isDefault && c.candidate.empty();
    if (isDefault) defaultTrials.push_back(r);
  }
  if (!defaultTrials.empty()) {
    input.runs.push_back(pooledRun("tune " + op.value + " default (trials, not validated)",
                                   defaultTrials));
  }
}

/// A numeric label of `r` (0 when absent or not a number).
double numberLabel(const ResolvedRun& r, const std::string& key) {
  const auto it = r.labels.find(key);
  return it == r.labels.end() ? 0 : std::atof(it->second.c_str());
}

/// The pair matrix of `runs` (a `cclbench matrix`'s jobs: both metrics and the member count it
/// labelled them with, so jobs that stored nothing still show; or one --all-pairs run), judged
/// with the fraction the matrix was run with (label min_fraction, else 0.7).
ReportMatrix matrixOf(const std::string& title, const std::vector<const ResolvedRun*>& runs, bool wholeMatrix) {
  std::vector<analysis::PairRun> views;
  analysis::PairMatrixAsked asked;
  asked.bothMetrics = wholeMatrix;
  double fraction = 0.7;
  for (const ResolvedRun* r : runs) {
    views.push_back({r->header, r->cases, static_cast<int>(numberLabel(*r, "round")), r->status == "complete"});
    if (const double f = numberLabel(*r, "min_fraction"); f > 0 && f <= 1) fraction = f;
    if (wholeMatrix) asked.members = std::max(asked.members, static_cast<int>(numberLabel(*r, "members")));
  }
  ReportMatrix m{title, analysis::pairMatrixOf(views, asked)};
  m.matrix.minFraction = fraction;
  analysis::judgePairMatrix(m.matrix);
  return m;
}

/// Worth a section: members, and a metric the heat maps draw (a run of bibw rounds has neither).
bool drawable(const ReportMatrix& m) {
  return !m.matrix.members.empty() && (m.matrix.hasLatency || m.matrix.hasBandwidth);
}

analysis::RunCases runCases(const ReportRun& r) {
  return {r.label, r.header.ranks, r.header.backend, r.header.aggregation, r.cases};
}

}  // namespace

ReportInput reportInput(RunSources& sources, const std::vector<std::string>& operands,
                        const std::string& title) {
  ReportInput input;
  input.title = title;
  for (const std::string& text : operands) {
    const Operand op = parseOperand(text);
    std::vector<ResolvedRun> runs = sources.resolve(op);
    if (op.kind == OperandKind::kTune && op.purpose.empty()) {
      addTune(input, op, runs);
      continue;
    }
    if (op.kind == OperandKind::kMatrix) {
      std::vector<const ResolvedRun*> all;
      for (const ResolvedRun& r : runs) all.push_back(&r);
      input.matrices.push_back(matrixOf("matrix " + op.value, all, true));
      continue;
    }
    for (const ResolvedRun& r : runs) {
      input.runs.push_back(reportRunOf(r));
      if (!analysis::hasPairRounds(r.cases)) continue;
      ReportMatrix m = matrixOf(r.label, {&r}, false);
      if (drawable(m)) input.matrices.push_back(std::move(m));
    }
  }
  for (std::size_t i = 1; i < input.runs.size(); ++i) {
    analysis::CompareOptions options;
    options.force = true;  // a report shows differences; compare is where they are refused
    input.thresholdFraction = options.threshold;
    input.alpha = options.alpha;
    const analysis::Comparison result =
        analysis::compare(analysis::sideOfRun(input.runs[0].label, runCases(input.runs[0])),
                          analysis::sideOfRun(input.runs[i].label, runCases(input.runs[i])),
                          options);
    ReportComparison comparison;
    comparison.runIndex = i;
    for (const analysis::Difference& d : result.differences) {
      comparison.differences.push_back(d.what + ": " + d.a + " / " + d.b);
    }
    for (const analysis::CollectiveSummary& s : result.collectives) {
      comparison.collectives.push_back(
          {name(s.collective), s.cases, s.geometricMeanTimeRatio, s.slower, s.faster});
    }
    for (const analysis::CaseComparison& c : result.cases) {
      const analysis::CaseKey& k = c.key;
      const double low = c.timeRatioCi ? c.timeRatioCi->low : c.timeRatio;
      const double high = c.timeRatioCi ? c.timeRatioCi->high : c.timeRatio;
      comparison.rows.push_back({k.collective, k.dtype, k.op, k.placement, k.sizeBytes, c.timeRatio,
                                 low, high, c.q.value_or(1.0), c.verdictText()});
    }
    input.comparisons.push_back(std::move(comparison));
  }
  return input;
}

}  // namespace cclbench
