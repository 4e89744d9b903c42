#include "analysis/tune_view.hpp"

#include <algorithm>
#include <set>

namespace cclbench::analysis {

std::string describeCandidate(const std::map<std::string, std::string>& knobs) {
  if (knobs.empty()) return "default";
  std::string text;
  for (const auto& [k, v] : knobs) text += (text.empty() ? "" : " ") + k + "=" + v;
  return text;
}

CaseRecord pooledCase(const std::vector<const CaseRecord*>& records) {
  CaseRecord out = *records.front();
  out.samplesUs.clear();
  for (const CaseRecord* r : records) {
    const std::vector<double>& s = r->samplesUs.empty() ? std::vector<double>{r->timeUs.median}
                                                         : r->samplesUs;
    out.samplesUs.insert(out.samplesUs.end(), s.begin(), s.end());
  }
  out.timeUs = stats::summarize(out.samplesUs);
  out.perIteration.reset();
  out.perRankSamplesUs.clear();
  out.calibration.reset();
  if (out.timeUs.median > 0) {
    out.algBandwidthGBps = static_cast<double>(out.sizeBytes) / out.timeUs.median / 1e3;
    out.busBandwidthGBps =
        out.algBandwidthGBps * busBandwidthFactor(out.collective, std::max(out.ranks, 1));
  }
  return out;
}

namespace {

/// What one collective's view keeps: the first trial's datatype, op and placement.
struct Shape {
  DType dtype;
  RedOp op;
  Placement placement;
  bool matches(const CaseRecord& c) const {
    return c.dtype == dtype && c.op == op && c.placement == placement;
  }
};

void validateSizes(TuneCollectiveView& view, const Shape& shape,
                   const std::vector<TuneLaunch>& launches, const CompareOptions& options) {
  RunCases defaults{"validation default", 0, "", Aggregation::kMax, {}};
  RunCases tuned{"validation tuned", 0, "", Aggregation::kMax, {}};
  for (const TuneLaunch& launch : launches) {
    RunCases* side = launch.purpose == "validation-default" ? &defaults
                     : launch.purpose == "validation-tuned" ? &tuned
                                                            : nullptr;
    if (!side) continue;
    for (const CaseRecord& c : launch.cases) {
      if (c.collective == view.collective && shape.matches(c)) side->cases.push_back(c);
    }
  }
  if (defaults.cases.empty() || tuned.cases.empty()) return;
  CompareOptions forced = options;
  forced.force = true;
  const Comparison result =
      compare(sideOfRun(defaults.label, defaults), sideOfRun(tuned.label, tuned), forced);
  for (const CaseComparison& c : result.cases) {
    if (c.medianUsA <= 0 || c.medianUsB <= 0) continue;
    ValidatedSize v;
    v.defaultUs = c.medianUsA;
    v.tunedUs = c.medianUsB;
    v.speedup = c.medianUsA / c.medianUsB;
    if (c.timeRatioCi && c.timeRatioCi->low > 0) {
      v.speedupLow = 1 / c.timeRatioCi->high;
      v.speedupHigh = 1 / c.timeRatioCi->low;
    }
    v.verdict = c.verdictText();
    view.validated[c.key.sizeBytes] = v;
  }
}

}  // namespace

std::vector<TuneCollectiveView> tuneViews(const std::vector<TuneLaunch>& launches,
                                          const CompareOptions& options) {
  std::vector<Collective> order;
  std::map<Collective, Shape> shapes;
  // (collective, candidate) -> size -> records
  std::map<Collective, std::vector<std::map<std::string, std::string>>> candidateOrder;
  std::map<std::pair<Collective, std::map<std::string, std::string>>,
           std::map<uint64_t, std::vector<const CaseRecord*>>>
      measured;
  for (const TuneLaunch& launch : launches) {
    if (launch.purpose != "trial") continue;
    for (const CaseRecord& c : launch.cases) {
      if (!shapes.count(c.collective)) {
        shapes.emplace(c.collective, Shape{c.dtype, c.op, c.placement});
        order.push_back(c.collective);
        candidateOrder[c.collective].push_back({});  // the default leads
      }
      if (!shapes.at(c.collective).matches(c)) continue;
      auto& known = candidateOrder[c.collective];
      if (std::find(known.begin(), known.end(), c.candidate) == known.end()) {
        known.push_back(c.candidate);
      }
      measured[{c.collective, c.candidate}][c.sizeBytes].push_back(&c);
    }
  }
  std::vector<TuneCollectiveView> views;
  for (Collective collective : order) {
    TuneCollectiveView view;
    view.collective = collective;
    std::set<uint64_t> sizes;
    for (const auto& knobs : candidateOrder[collective]) {
      const auto it = measured.find({collective, knobs});
      if (it == measured.end()) continue;  // a default never measured: nothing to show
      CandidateTimes times{knobs, describeCandidate(knobs), {}};
      for (const auto& [size, records] : it->second) {
        times.sizes[size] = pooledCase(records).timeUs;
        sizes.insert(size);
      }
      view.candidates.push_back(std::move(times));
    }
    view.sizes.assign(sizes.begin(), sizes.end());
    for (uint64_t size : view.sizes) {
      std::optional<std::size_t> best;
      for (std::size_t i = 0; i < view.candidates.size(); ++i) {
        const auto it = view.candidates[i].sizes.find(size);
        if (it == view.candidates[i].sizes.end() || it->second.median <= 0) continue;
        if (!best || it->second.median < view.candidates[*best].sizes.at(size).median) best = i;
      }
      if (best) view.best[size] = *best;
    }
    validateSizes(view, shapes.at(collective), launches, options);
    views.push_back(std::move(view));
  }
  return views;
}

}  // namespace cclbench::analysis
