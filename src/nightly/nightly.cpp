#include "nightly/nightly.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.hpp"
#include "store/result_store.hpp"

namespace cclbench::nightly {
namespace {

analysis::RunCases runCases(const std::string& label, const RunHeader& h, const std::vector<CaseRecord>& cases) {
  const int ranks = h.ranks > 0 ? h.ranks : cases.empty() ? 0 : cases.front().ranks;
  return {label, ranks, h.backend, h.aggregation, cases};
}

/// The nightly runs of a series before tonight, newest first.
std::vector<StoredRun> previousNights(ResultStore& store, const JudgeOptions& o, const NightJob& job,
                                      const std::string& night, int limit) {
  RunFilter f;
  f.tag = "nightly";
  f.fingerprint = job.fingerprint;
  f.labels = {{"spec", o.spec}, {"check", job.check}, {"hosts", job.hosts}};
  std::vector<StoredRun> out;
  for (StoredRun& r : store.listRuns(f)) {
    const auto n = r.meta.labels.find("night");
    if (n != r.meta.labels.end() && n->second == night) continue;  // tonight's own job
    if (r.status != "complete") continue;                           // a broken night is no baseline
    out.push_back(std::move(r));
    if (static_cast<int>(out.size()) >= limit) break;
  }
  return out;
}

}  // namespace

std::set<int64_t> baselineRunIds(ResultStore& store, int keep) {
  RunFilter f;
  f.tag = "nightly";
  std::map<std::vector<std::string>, int> taken;
  std::set<int64_t> out;
  for (const StoredRun& r : store.listRuns(f)) {  // newest first
    if (r.status != "complete") continue;
    const auto label = [&](const char* k) {
      const auto it = r.meta.labels.find(k);
      return it == r.meta.labels.end() ? std::string() : it->second;
    };
    int& n = taken[{label("spec"), label("check"), label("hosts"), r.fingerprint}];
    if (n++ < keep) out.insert(r.id);
  }
  return out;
}

NightReport judgeNight(acceptance::AcceptReport battery, const std::vector<NightJob>& jobs, ResultStore& store,
                       const JudgeOptions& o, const std::string& night) {
  NightReport r;
  r.battery = std::move(battery);
  r.night = night;
  r.threshold = o.threshold;
  r.firstNight = true;
  analysis::CompareOptions co;
  co.threshold = o.threshold;
  for (const NightJob& job : jobs) {
    JobVerdict jv{job.check, job.hosts, job.header.runId, 0, {}, false, ""};
    const std::vector<StoredRun> history = previousNights(store, o, job, night, std::max(o.historyNights, o.baselineRuns));
    std::vector<analysis::RunCases> baseline;
    std::vector<std::vector<CaseRecord>> historyCases;  // newest first
    for (std::size_t i = 0; i < history.size(); ++i) {
      historyCases.push_back(store.cases(history[i].id));
      if (static_cast<int>(i) < o.baselineRuns) {
        baseline.push_back(runCases("run " + std::to_string(history[i].id), history[i].header, historyCases.back()));
        jv.baselineRuns.push_back(history[i].header.runId);
      }
    }
    jv.baselineNights = static_cast<int>(baseline.size());
    std::optional<analysis::Comparison> comparison;
    if (!baseline.empty()) {
      r.firstNight = false;
      comparison = analysis::compare(analysis::pooledSide("last " + std::to_string(baseline.size()) + " nights", baseline),
                                     analysis::sideOfRun("tonight", runCases("tonight", job.header, job.cases)), co);
      if (comparison->refused) {
        jv.refused = true;
        for (const auto& d : comparison->differences) {
          jv.refusal += (jv.refusal.empty() ? "" : "; ") + d.what + " " + d.a + " -> " + d.b;
        }
      }
    }
    for (const CaseRecord& c : job.cases) {
      CaseVerdict v;
      v.check = job.check;
      v.hosts = job.hosts;
      v.key = analysis::keyOf(c);
      v.medianUs = c.timeUs.median;
      v.busbwGbps = c.busBandwidthGBps;
      if (comparison && !comparison->refused) {
        for (const auto& cc : comparison->cases) {
          if (cc.key == v.key) v.compared = cc;
        }
      }
      // The change-point test over the whole history of this case, tonight last.
      Drift d;
      for (std::size_t i = historyCases.size(); i-- > 0;) {
        for (const CaseRecord& h : historyCases[i]) {
          if (analysis::keyOf(h) == v.key && h.timeUs.median > 0) {
            d.medianUs.push_back(h.timeUs.median);
            d.runs.push_back(history[i].header.runId);
            break;
          }
        }
      }
      d.medianUs.push_back(c.timeUs.median);
      d.runs.push_back(job.header.runId);
      if (const auto cp = analysis::findChangePoint(d.medianUs)) {
        d.change = *cp;
        d.flagged = cp->p <= o.driftAlpha && cp->change() > o.threshold;
        v.drift = d;
      }
      if (v.regression()) ++r.regressions;
      r.cases.push_back(std::move(v));
    }
    r.jobs.push_back(std::move(jv));
  }
  r.exitCode = r.battery.exitCode != 0 ? r.battery.exitCode
               : r.regressions > 0     ? static_cast<int>(ExitCode::kRegression)
                                       : 0;
  return r;
}

}  // namespace cclbench::nightly
