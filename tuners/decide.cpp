#include "tuners/decide.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/significance.hpp"

namespace cclbench::tune {
namespace {

/// Rule sizes split into runs of consecutive kept (or all) sizes of the searched list.
std::vector<Rule> splitConsecutive(const Rule& rule, bool keptOnly,
                                   const std::vector<uint64_t>& order) {
  std::vector<Rule> out;
  std::size_t lastIndex = std::numeric_limits<std::size_t>::max();
  for (const RuleSize& s : rule.sizes) {
    if (keptOnly && !s.kept) continue;
    const auto index = static_cast<std::size_t>(
        std::find(order.begin(), order.end(), s.bytes) - order.begin());
    if (out.empty() || index != lastIndex + 1) {
      Rule r = rule;
      r.sizes.clear();
      out.push_back(std::move(r));
    }
    out.back().sizes.push_back(s);
    lastIndex = index;
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return stats::quantile(v, 0.5);
}

}  // namespace

std::vector<Rule> decide(const SearchOutcome& outcome, const KnobSpace& space, double threshold) {
  std::vector<Rule> rules;
  std::size_t open = 0;  // the winner of the rule being extended; 0 (the default): none
  const CandidateRecord& base = outcome.defaultRecord();
  for (uint64_t size : outcome.sizes) {
    const auto best = outcome.best.find(size);
    const auto defaultAt = base.sizes.find(size);
    bool winner = best != outcome.best.end() && best->second != 0 &&
                  defaultAt != base.sizes.end();
    const Measured* tuned = nullptr;
    if (winner) {
      tuned = &outcome.candidates[best->second].sizes.at(size);
      const stats::Summary& d = defaultAt->second.summary;
      const stats::Summary& t = tuned->summary;
      winner = t.median > 0 && d.median / t.median >= 1 + threshold &&
               t.medianCi.high < d.medianCi.low;
    }
    if (!winner) {
      open = 0;
      continue;
    }
    if (open != best->second) {
      const CandidateRecord& r = outcome.candidates[best->second];
      rules.push_back({outcome.collective, r.candidate,
                       space.describe(outcome.collective, r.candidate), {}, r.runIds});
      open = best->second;
    }
    RuleSize s;
    s.bytes = size;
    s.searchDefaultUs = defaultAt->second.summary.median;
    s.searchTunedUs = tuned->summary.median;
    rules.back().sizes.push_back(s);
  }
  return rules;
}

std::vector<Rule> validate(std::vector<Rule> proposed,
                           const std::vector<LaunchMeasurement>& launches, double threshold,
                           std::vector<Rule>& dropped) {
  std::vector<Rule> kept;
  for (Rule& rule : proposed) {
    std::vector<uint64_t> order;
    for (RuleSize& s : rule.sizes) {
      order.push_back(s.bytes);
      std::vector<double> pooled[2];
      double slowestTuned = 0, fastestDefault = std::numeric_limits<double>::infinity();
      int launchesWith[2] = {0, 0};
      for (const LaunchMeasurement& l : launches) {
        const auto it = l.samplesUs.find({rule.collective, s.bytes});
        if (it == l.samplesUs.end() || it->second.empty()) continue;
        pooled[l.tuned].insert(pooled[l.tuned].end(), it->second.begin(), it->second.end());
        ++launchesWith[l.tuned];
        const double m = median(it->second);
        if (l.tuned) slowestTuned = std::max(slowestTuned, m);
        else fastestDefault = std::min(fastestDefault, m);
      }
      if (launchesWith[0] == 0 || launchesWith[1] == 0) {
        s.reason = "not measured by the validation launches";
        continue;
      }
      s.defaultUs = median(pooled[0]);
      s.tunedUs = median(pooled[1]);
      s.speedup = s.tunedUs > 0 ? s.defaultUs / s.tunedUs : 0;
      // The time ratio tuned/default and its interval; the speedup is its inverse.
      const analysis::RatioInterval ratio = analysis::bootstrapMedianRatio(pooled[0], pooled[1]);
      s.speedupLow = ratio.high > 0 ? 1 / ratio.high : 0;
      s.speedupHigh = ratio.low > 0 ? 1 / ratio.low : 0;
      const double p = analysis::mannWhitney(pooled[0], pooled[1]).p;
      if (s.speedup < 1 + threshold) {
        s.reason = "validated speedup " + std::to_string(s.speedup).substr(0, 5) +
                   " is below the threshold";
      } else if (!(s.speedupLow > 1) || p >= 0.05) {
        s.reason = "the validated gain is not significant";
      } else if (!(slowestTuned < fastestDefault)) {
        s.reason = "a tuned launch was not faster than every default launch";
      } else {
        s.kept = true;
      }
    }
    for (Rule& r : splitConsecutive(rule, true, order)) kept.push_back(std::move(r));
    Rule gone = rule;
    gone.sizes.erase(std::remove_if(gone.sizes.begin(), gone.sizes.end(),
                                    [](const RuleSize& s) { return s.kept; }),
                     gone.sizes.end());
    if (!gone.sizes.empty()) dropped.push_back(std::move(gone));
  }
  return kept;
}

}  // namespace cclbench::tune
