#include "acceptance/accept.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "acceptance/text.hpp"
#include "analysis/isolation.hpp"
#include "analysis/significance.hpp"
#include "core/error.hpp"

namespace cclbench::acceptance {
namespace {

/// A check's floors, judging one job at a time.
struct Judge {
  double absolute = 0;                ///< GB/s (0: none)
  std::optional<double> fraction;     ///< of the median
  std::optional<double> median;

  void operator()(JudgedJob& j) const {
    const JobOutcome& o = j.outcome;
    if (!o.ran) {
      j.passed = false;
      j.why = "did not run: " + (o.failure.empty() ? std::string("no figure") : o.failure);
      return;
    }
    j.passed = true;
    if (absolute > 0 && o.figure < absolute) {
      j.passed = false;
      j.why = formatted(o.figure) + " GB/s < floor " + formatted(absolute) + " GB/s";
    } else if (fraction && median && o.figure < *fraction * *median) {
      j.passed = false;
      j.why = formatted(o.figure) + " GB/s < " + formatted(*fraction) + " x median " + formatted(*median) + " GB/s";
    }
  }
};

class Flow {
 public:
  Flow(const AcceptInput& in, JobRunner& runner) : in_(in), spec_(*in.spec), runner_(runner) {}

  AcceptReport run() {
    r_.spec = spec_.name;
    r_.hostsFrom = in_.hostsFrom;
    r_.local = in_.local;
    r_.hostOrder = in_.hosts;
    for (const auto& h : in_.hosts) r_.hosts[h];
    // A check with a baseline floor and no baseline figure runs nothing (exit 6).
    for (const CheckSpec& c : spec_.checks) {
      if (c.minFractionOfBaseline && !in_.baselines.count(c.name)) {
        throw usageError("check '" + c.name + "': no figure for its baseline " + c.baseline);
      }
    }
    gate();
    std::vector<const CheckSpec*> order;
    for (const CheckSpec& c : spec_.checks) {
      if (c.scope == CheckScope::kHost) order.push_back(&c);
    }
    for (const CheckSpec& c : spec_.checks) {
      if (c.scope != CheckScope::kHost) order.push_back(&c);
    }
    for (const CheckSpec* c : order) {
      const auto b = in_.baselines.find(c->name);
      check(*c, b == in_.baselines.end() ? std::nullopt : std::optional<double>(b->second));
    }
    finish();
    return std::move(r_);
  }

 private:
  void say(const std::string& line) const {
    if (in_.progress) in_.progress(line);
  }

  /// `cclbench topo` on every host: who answers, and whether its fingerprint is the expected one.
  void gate() {
    say("gate: cclbench topo on " + std::to_string(in_.hosts.size()) + " host(s)");
    const std::vector<HostAnswer> answers = runner_.probe(in_.hosts, spec_.timeoutSeconds);
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < in_.hosts.size(); ++i) {
      HostVerdict& v = r_.hosts[in_.hosts[i]];
      const HostAnswer& a = answers.at(i);
      if (!a.answered) {
        v.status = "unreachable";
        v.why.push_back("gate: " + a.failure);
        r_.timedOut = true;
        continue;
      }
      v.fingerprint = a.fingerprint;
      v.health = a.health;
      ++counts[a.fingerprint];
      reachable_.push_back(in_.hosts[i]);
    }
    // Health notes only some hosts show (a downtrained link, ECC errors) are said per host;
    // what every host shows ("no RDMA NIC") is the rack's, not a host's.
    std::map<std::string, std::size_t> seen;
    for (const auto& h : reachable_) {
      for (const auto& note : std::set<std::string>(r_.hosts[h].health.begin(), r_.hosts[h].health.end())) ++seen[note];
    }
    for (const auto& h : reachable_) {
      for (const auto& note : r_.hosts[h].health) {
        if (seen[note] < reachable_.size()) r_.hosts[h].why.push_back("health: " + note);
      }
    }
    std::string expected;
    if (spec_.expectFingerprint == "same" && !counts.empty()) {
      // The fingerprint most hosts share (ties: the first host's): the others are the odd ones out.
      int best = 0;
      for (const auto& h : reachable_) {
        const int n = counts[r_.hosts[h].fingerprint];
        if (n > best) best = n, expected = r_.hosts[h].fingerprint;
      }
    } else if (spec_.expectFingerprint != "any" && spec_.expectFingerprint != "same") {
      expected = spec_.expectFingerprint;
    }
    r_.expectedFingerprint = expected;
    if (expected.empty()) return;
    for (const auto& h : reachable_) {
      HostVerdict& v = r_.hosts[h];
      if (v.fingerprint == expected) continue;
      v.mismatch = true;
      v.status = "suspect";
      v.why.push_back("gate: topology fingerprint " + v.fingerprint + ", expected " + expected +
                      (spec_.expectFingerprint == "same" ? " (what the other hosts show)" : ""));
    }
  }

  /// One round of `groups` for `c` (not judged yet); the round is counted.
  std::vector<JudgedJob> round(const CheckSpec& c, const std::vector<HostGroup>& groups,
                               const std::string& purpose, CheckVerdict& v) {
    RoundContext context{spec_.name, c.name, purpose, ++r_.rounds, in_.tag, in_.labels};
    ++v.rounds;
    say("round " + std::to_string(context.round) + ": " + c.name + " (" + purpose + "), " +
        std::to_string(groups.size()) + " job(s)");
    const std::vector<JobOutcome> outcomes =
        runner_.runRound(c, ranksPerHost(c), spec_.timeoutSeconds, groups, context);
    std::vector<JudgedJob> out;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      JudgedJob j{groups[i], purpose, context.round, outcomes.at(i), false, ""};
      if (j.outcome.timedOut) r_.timedOut = true;
      if (j.outcome.ran) v.sizeBytes = std::max(v.sizeBytes, j.outcome.sizeBytes);
      out.push_back(j);
    }
    return out;
  }

  int ranksPerHost(const CheckSpec& c) const { return spec_.ranksPerHostOf(c); }

  void check(const CheckSpec& c, std::optional<double> baseline) {
    CheckVerdict v;
    v.spec = &c;
    v.baselineFigure = baseline;
    v.absoluteFloor = std::max(c.minBusbw.value_or(0.0),
                               baseline && c.minFractionOfBaseline ? *baseline * *c.minFractionOfBaseline : 0.0);
    Judge judge{v.absoluteFloor, c.minFractionOfMedian, std::nullopt};
    const int n = static_cast<int>(reachable_.size());
    const bool pairs = !in_.local && c.scope == CheckScope::kPairs;
    if (n == 0) v.note = "no host answered the gate";
    else if (pairs && n < 2) v.note = "one host answered the gate: no pairs";
    else if (!in_.local && c.scope == CheckScope::kAll && n < 2 && ranksPerHost(c) < 2) {
      v.note = "one host with one rank per host: nothing to measure";
    }
    if (!v.note.empty()) {
      r_.checks.push_back(std::move(v));
      return;
    }
    v.ran = true;
    std::vector<JudgedJob> first;
    if (pairs) {
      // One round of disjoint pairs; the odd host out in a second, one-pair round.
      for (const auto& links : isolation::pairRounds(n)) {
        std::vector<HostGroup> g;
        for (const auto& [a, b] : links) g.push_back({reachable_[a], reachable_[b]});
        for (JudgedJob& j : round(c, g, "check", v)) first.push_back(std::move(j));
      }
    } else if (!in_.local && c.scope == CheckScope::kHost) {
      std::vector<HostGroup> g;
      for (const auto& h : reachable_) g.push_back({h});
      first = round(c, g, "check", v);
    } else {
      if (in_.local) v.note = "local ranks: one job on this host";
      first = round(c, {reachable_}, "check", v);
    }
    // The median of the check's own first round is the reference for every later job.
    std::vector<double> figures;
    for (const JudgedJob& j : first) {
      if (j.outcome.ran) figures.push_back(j.outcome.figure);
    }
    if (!figures.empty() && (c.scope != CheckScope::kAll || in_.local)) {
      judge.median = analysis::median(figures);
      v.median = judge.median;
    }
    for (JudgedJob& j : first) judge(j);
    std::vector<isolation::Group> failing, passing;
    for (const JudgedJob& j : first) {
      (j.passed ? passing : failing).push_back(indices(j.hosts));
      v.jobs.push_back(j);
    }
    v.passed = failing.empty();
    if (!v.passed && !in_.local && in_.isolate) {
      if (c.scope == CheckScope::kHost) {
        for (const JudgedJob& j : first) {
          if (!j.passed) v.badHosts.push_back(j.hosts.front());
        }
      } else {
        isolate(c, judge, failing, passing, v);
      }
    }
    for (const auto& h : v.badHosts) {
      HostVerdict& hv = r_.hosts[h];
      hv.status = "suspect";
      hv.why.push_back(c.name + ": " + evidenceFor({h}, v, 1));
      v.evidence.push_back(h + ": " + evidenceFor({h}, v));
    }
    for (const auto& [a, b] : v.badLinks) {
      for (const auto& h : {a, b}) {
        HostVerdict& hv = r_.hosts[h];
        hv.status = "suspect";
        hv.why.push_back(c.name + ": link " + a + "-" + b);
      }
      v.evidence.push_back("link " + a + "-" + b + ": " + evidenceFor({a, b}, v));
    }
    for (const auto& h : v.unresolved) {
      HostVerdict& hv = r_.hosts[h];
      hv.status = "suspect";
      hv.why.push_back(c.name + ": in a failing job, not cleared (no good host left to pair it with)");
    }
    r_.checks.push_back(std::move(v));
  }

  /// Adaptive rounds until each bad host or link of a failed multi-host check is named.
  void isolate(const CheckSpec& c, const Judge& judge, const std::vector<isolation::Group>& failing,
               const std::vector<isolation::Group>& passing, CheckVerdict& v) {
    isolation::Planner planner(failing, passing);
    const int n = static_cast<int>(reachable_.size());
    const int cap = in_.maxIsolationRounds > 0
                        ? in_.maxIsolationRounds
                        : 2 * static_cast<int>(std::ceil(std::log2(std::max(2, n)))) + 8;
    for (int k = 0; k < cap; ++k) {
      const std::vector<isolation::Group> next = planner.nextRound();
      if (next.empty()) break;
      std::vector<HostGroup> groups;
      for (const auto& g : next) groups.push_back(names(g));
      std::vector<isolation::Measurement> measured;
      for (JudgedJob& j : round(c, groups, "isolation", v)) {
        judge(j);
        measured.push_back({indices(j.hosts), j.outcome.figure, j.passed});
        v.jobs.push_back(std::move(j));
      }
      planner.record(measured);
    }
    for (isolation::Host h : planner.badHosts()) v.badHosts.push_back(reachable_[h]);
    for (const auto& [a, b] : planner.badLinks()) v.badLinks.push_back({reachable_[a], reachable_[b]});
    for (isolation::Host h : planner.unresolved()) v.unresolved.push_back(reachable_[h]);
  }

  /// Which failed jobs hold `hosts` (a host, or a link's two ends), by how much: up to `limit`.
  static std::string evidenceFor(const HostGroup& hosts, const CheckVerdict& v, int limit = 3) {
    std::string out;
    int shown = 0, failed = 0;
    for (const JudgedJob& j : v.jobs) {
      const bool holds = std::all_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
        return std::find(j.hosts.begin(), j.hosts.end(), h) != j.hosts.end();
      });
      if (!holds || j.passed) continue;
      ++failed;
      if (shown < limit) {
        ++shown;
        out += (out.empty() ? "" : "; ") + std::string("job ") + hostList(j.hosts) + " (round " +
               std::to_string(j.round) + "): " + j.why;
      }
    }
    if (failed > shown) out += "; " + std::to_string(failed - shown) + " more";
    return out.empty() ? "no failed job holds it" : out;
  }

  isolation::Group indices(const HostGroup& g) const {
    isolation::Group out;
    for (const auto& h : g) {
      out.push_back(static_cast<isolation::Host>(
          std::find(reachable_.begin(), reachable_.end(), h) - reachable_.begin()));
    }
    return out;
  }
  HostGroup names(const isolation::Group& g) const {
    HostGroup out;
    for (isolation::Host h : g) out.push_back(reachable_.at(static_cast<std::size_t>(h)));
    return out;
  }

  void finish() {
    std::set<std::string> suspects;
    bool failed = false, mismatch = false;
    for (const CheckVerdict& v : r_.checks) {
      if (v.ran && !v.passed) failed = true;
      for (const auto& h : v.badHosts) suspects.insert(h);
      for (const auto& h : v.unresolved) suspects.insert(h);
      for (const auto& l : v.badLinks) {
        if (std::find(r_.suspectLinks.begin(), r_.suspectLinks.end(), l) == r_.suspectLinks.end()) {
          r_.suspectLinks.push_back(l);
        }
      }
    }
    for (const auto& h : r_.hostOrder) {
      if (r_.hosts[h].mismatch) {
        mismatch = true;
        suspects.insert(h);
      }
    }
    for (const auto& h : r_.hostOrder) {
      if (suspects.count(h)) r_.suspects.push_back(h);
    }
    r_.exitCode = r_.timedOut ? static_cast<int>(ExitCode::kTimeout)
                  : mismatch  ? static_cast<int>(ExitCode::kFabricMismatch)
                  : failed    ? static_cast<int>(ExitCode::kWrongData)
                              : 0;
  }

  const AcceptInput& in_;
  const BatterySpec& spec_;
  JobRunner& runner_;
  AcceptReport r_;
  std::vector<std::string> reachable_;
};

}  // namespace

AcceptReport runAcceptance(const AcceptInput& input, JobRunner& runner) {
  return Flow(input, runner).run();
}

}  // namespace cclbench::acceptance
