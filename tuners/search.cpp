#include "tuners/search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "core/error.hpp"

namespace cclbench::tune {

Measured measuredOf(std::vector<double> samplesUs) {
  Measured m;
  m.summary = stats::summarize(samplesUs);
  m.samplesUs = std::move(samplesUs);
  return m;
}

const char* name(Strategy s) { return s == Strategy::kExhaustive ? "exhaustive" : "race"; }

std::optional<Strategy> parseStrategy(const std::string& text) {
  if (text == "exhaustive") return Strategy::kExhaustive;
  if (text == "race") return Strategy::kRace;
  return std::nullopt;
}

namespace {

/// A round of trials: (candidate, sizes, effort) each.
using Round = std::vector<std::tuple<std::size_t, std::vector<uint64_t>, Effort>>;

/// An iteration of the default longer than this makes a size dear to screen.
constexpr double kDearSeconds = 0.02;
/// Where candidates are switched inside one launch, the race's last round measures adaptively
/// like exhaustive (the full effort's precision) within this share of its size budget: it picks
/// among survivors, and validation measures the rules it yields again at the full effort. On the
/// recorded Open MPI table (60 seeds) this and the revival below took the race from 0.262 to 0.247
/// of exhaustive's trial time, at least as close to exhaustive's picks (bench/README.md).
constexpr double kSwitchedLastBudget = 0.7;
/// A candidate pruned on one screening batch comes back for the last round's effort where that
/// batch is within this of the leader's final figure (switched candidates only: a round there
/// costs batches, not a launch per candidate).
constexpr double kReviveMargin = 0.05;

/// With few samples an interval is [min, max] or a single value: comparisons widen it by this.
double fewSamplesMargin(std::size_t samples) { return samples <= 2 ? 0.15 : samples <= 5 ? 0.10 : 0.0; }

class Search {
 public:
  Search(const KnobSpace& space, TrialRunner& runner, Collective collective,
         const std::vector<uint64_t>& sizes, const SearchOptions& options)
      : space_(space), runner_(runner), options_(options) {
    out_.collective = collective;
    out_.sizes = sizes;
    recordOf(Candidate{});  // the default is record 0
  }

  SearchOutcome run() {
    if (options_.strategy == Strategy::kExhaustive) {
      exhaustive();
    } else {
      race();
    }
    chooseBest();
    return std::move(out_);
  }

 private:
  std::size_t recordOf(const Candidate& c) {
    for (std::size_t i = 0; i < out_.candidates.size(); ++i) {
      if (out_.candidates[i].candidate == c) return i;
    }
    out_.candidates.push_back({c, {}, {}, false, ""});
    return out_.candidates.size() - 1;
  }

  bool budgetLeft() {
    if (options_.budgetSeconds > 0 && out_.trialSeconds >= options_.budgetSeconds) {
      out_.cutShort = true;
    }
    return !out_.cutShort;
  }

  /// Measures candidate `index` at `sizes`; pools what it gets. False when the budget is out.
  bool trial(std::size_t index, const std::vector<uint64_t>& sizes, const Effort& effort) {
    CandidateRecord& r = out_.candidates[index];
    if (r.failed || sizes.empty()) return true;
    const TrialRequest request{out_.collective, r.candidate, sizes, effort};
    // A trial of an announced round is already paid for (one launch measured the round): it is
    // taken and counted even when the budget ran out meanwhile.
    const auto announced = std::find(announced_.begin(), announced_.end(), request);
    const bool paid = announced != announced_.end();
    if (paid) announced_.erase(announced);
    if (!paid && !budgetLeft()) return false;
    const TrialResult result = runner_.run(request);
    out_.trialSeconds += result.seconds;
    ++out_.trials;
    CandidateRecord& record = out_.candidates[index];
    if (!result.runId.empty()) record.runIds.push_back(result.runId);
    if (!result.ok) return fail(index, result.failure);
    std::vector<uint64_t> missing;
    for (uint64_t size : sizes) {
      if (!result.sizes.count(size)) missing.push_back(size);
    }
    const bool firstOfDefault = index == 0 && record.sizes.empty();
    if (!missing.empty() && !firstOfDefault) {
      return fail(index, "the launch measured " + std::to_string(result.sizes.size()) + " of " +
                             std::to_string(sizes.size()) + " sizes");
    }
    for (const auto& [size, m] : result.sizes) {
      std::vector<double> pooled = record.sizes[size].samplesUs;
      pooled.insert(pooled.end(), m.samplesUs.begin(), m.samplesUs.end());
      record.sizes[size] = measuredOf(std::move(pooled));
    }
    if (!missing.empty()) dropUnmeasurable(missing);
    return true;
  }

  /// Tells the runner every trial of a round before the first is asked for, so that one that
  /// switches candidates per call can measure them all in one launch.
  void prefetch(const Round& round) {
    announced_.clear();
    if (!budgetLeft()) return;  // no new round once the budget is out
    std::vector<TrialRequest> requests;
    for (const auto& [index, sizes, effort] : round) {
      if (out_.candidates[index].failed || sizes.empty()) continue;
      requests.push_back({out_.collective, out_.candidates[index].candidate, sizes, effort});
    }
    if (requests.size() > 1) {
      runner_.prefetch(requests);
      announced_ = std::move(requests);
    }
  }

  /// Marks candidate `index` failed and out of every race; a failing default ends the search.
  bool fail(std::size_t index, const std::string& failure) {
    CandidateRecord& record = out_.candidates[index];
    record.failed = true;
    record.failure = failure;
    for (auto& [size, alive] : alive_) alive.erase(index);
    if (index == 0) {
      throw Error(ExitCode::kLibraryError,
                  "the default could not be measured, so nothing can be tuned: " + failure);
    }
    return true;
  }

  /// Sizes the default's first launch did not measure (a run skips a size that rounds down to 0
  /// elements per rank at this rank count, e.g. an 8 B all-gather on 2 ranks): they leave the
  /// search, with no rule; a search with no size left has nothing to tune.
  void dropUnmeasurable(const std::vector<uint64_t>& missing) {
    for (uint64_t size : missing) {
      out_.sizes.erase(std::remove(out_.sizes.begin(), out_.sizes.end(), size), out_.sizes.end());
      out_.unmeasured.push_back(size);
    }
    if (out_.sizes.empty()) {
      throw Error(ExitCode::kInvalidUsage, std::string("no size of the range can be measured for ") +
                                               name(out_.collective) + " at this rank count");
    }
  }

  void exhaustive() {
    std::vector<std::size_t> all;
    for (const Candidate& c : space_.candidates(out_.collective)) all.push_back(recordOf(c));
    // The default first and alone: it drops the sizes that round down to 0 elements per rank,
    // and the rest are then announced (and asked for) with the sizes left.
    if (!trial(all.front(), out_.sizes, options_.full)) return;
    Round round;
    for (std::size_t i : all) {
      if (i != all.front()) round.emplace_back(i, out_.sizes, options_.full);
    }
    prefetch(round);
    for (std::size_t i : all) {
      if (i == all.front()) continue;
      if (!trial(i, out_.sizes, options_.full)) return;
    }
  }

  const Measured* at(std::size_t index, uint64_t size) const {
    const CandidateRecord& r = out_.candidates[index];
    const auto it = r.sizes.find(size);
    return r.failed || it == r.sizes.end() ? nullptr : &it->second;
  }

  /// The alive candidate with the lowest median at `size`.
  std::optional<std::size_t> leader(uint64_t size) const {
    std::optional<std::size_t> best;
    for (std::size_t i : alive_.at(size)) {
      const Measured* m = at(i, size);
      if (m && (!best || m->summary.median < at(*best, size)->summary.median)) best = i;
    }
    return best;
  }

  /// Drops every candidate whose interval lies entirely above the leader's (never the default);
  /// with few samples the intervals are [min, max] or a single value, so a margin applies.
  void prune(uint64_t size) {
    const auto best = leader(size);
    if (!best) return;
    const Measured& b = *at(*best, size);
    for (auto it = alive_[size].begin(); it != alive_[size].end();) {
      const Measured* m = at(*it, size);
      bool drop = false;
      if (*it != 0 && *it != *best && m) {
        const std::size_t n = std::min(m->samplesUs.size(), b.samplesUs.size());
        drop = m->summary.medianCi.low > b.summary.medianCi.high * (1 + fewSamplesMargin(n));
      }
      if (drop) pruned_[size].insert(*it);
      it = drop ? alive_[size].erase(it) : std::next(it);
    }
  }

  /// Coordinate descent: every family of an ordered knob (candidates that differ only in it)
  /// walks from its best member at this size, pruned or not, while that member is within 1.5x of
  /// the leader: its untried neighbours join the race here and wait in pending_ for their first
  /// measurement. True when one was added.
  bool descend(uint64_t size) {
    const auto lead = leader(size);
    if (!lead) return false;
    const double leaderUs = at(*lead, size)->summary.median;
    std::map<std::map<std::string, std::string>, std::size_t> familyBest;
    for (std::size_t i = 0; i < out_.candidates.size(); ++i) {
      const Measured* m = at(i, size);
      if (!m) continue;
      const Candidate& c = out_.candidates[i].candidate;
      const std::vector<Candidate> next = space_.neighbours(out_.collective, c);
      if (next.empty()) continue;
      std::map<std::string, std::string> family = c.knobs;  // without the ordered knob
      for (const auto& [k, v] : next.front().knobs) {
        if (c.knobs.count(k) && c.knobs.at(k) != v) family.erase(k);
      }
      const auto it = familyBest.find(family);
      if (it == familyBest.end() || m->summary.median < at(it->second, size)->summary.median) {
        familyBest[family] = i;
      }
    }
    bool added = false;
    for (const auto& [family, best] : familyBest) {
      if (at(best, size)->summary.median > 1.5 * leaderUs) continue;
      alive_[size].insert(best);  // the family's best stays in the race while it walks
      for (const Candidate& n : space_.neighbours(out_.collective, out_.candidates[best].candidate)) {
        const std::size_t index = recordOf(n);
        if (out_.candidates[index].failed || at(index, size)) continue;
        if (alive_[size].insert(index).second) {
          pending_[index].insert(size);
          added = true;
        }
      }
    }
    return added;
  }

  /// Measures what descent proposed, each candidate at its sizes (one trial each).
  bool measurePending(const Effort& effort) {
    const auto pending = std::exchange(pending_, {});
    Round round;
    for (const auto& [index, sizes] : pending) round.emplace_back(index, std::vector<uint64_t>(sizes.begin(), sizes.end()), effort);
    prefetch(round);
    for (const auto& [index, sizes] : pending) {
      if (!trial(index, {sizes.begin(), sizes.end()}, effort)) return false;
    }
    return true;
  }

  /// Measures every candidate at the sizes where it is still in the race. A fixed effort tops
  /// each pair up to its number of samples (what earlier rounds measured counts): one trial per
  /// candidate and number of samples still missing.
  bool measureAlive(const Effort& effort, const std::set<uint64_t>& only = {}) {
    std::map<std::pair<std::size_t, int>, std::vector<uint64_t>> plan;  // (candidate, samples)
    for (const auto& [size, alive] : alive_) {
      if (!only.empty() && !only.count(size)) continue;
      for (std::size_t i : alive) {
        const Measured* m = at(i, size);
        int samples = effort.samples;
        if (effort.samples > 0 && m) samples -= static_cast<int>(m->samplesUs.size());
        if (effort.samples > 0 && samples <= 0) continue;
        plan[{i, samples}].push_back(size);
      }
    }
    // One trial per candidate, with the most samples any of its sizes still misses: a second
    // launch costs its start and its buffers, more than the batches this adds at most sizes.
    std::map<std::size_t, int> most;
    for (const auto& [key, sizes] : plan) most[key.first] = std::max(most[key.first], key.second);
    std::map<std::pair<std::size_t, int>, std::vector<uint64_t>> merged;
    for (const auto& [key, sizes] : plan) {
      std::vector<uint64_t>& into = merged[{key.first, most[key.first]}];
      into.insert(into.end(), sizes.begin(), sizes.end());
    }
    plan = std::move(merged);
    Round round;
    for (auto& [key, sizes] : plan) {
      std::sort(sizes.begin(), sizes.end());
      Effort topUp = effort;
      topUp.samples = key.second;
      round.emplace_back(key.first, sizes, topUp);
    }
    prefetch(round);
    for (const auto& [index, sizes, topUp] : round) {
      if (!trial(index, sizes, topUp)) return false;
    }
    return true;
  }

  /// What candidate `index` is expected to take at `size`: its median there, else (a size
  /// seeded from its neighbours) the geometric mean of its medians at the neighbouring sizes, a
  /// straight line between them on log-log axes where sizes grow by a constant factor; infinity
  /// where it has none.
  double expectedUs(std::size_t index, uint64_t size) const {
    if (const Measured* m = at(index, size)) return m->summary.median;
    const auto i = static_cast<std::size_t>(
        std::find(out_.sizes.begin(), out_.sizes.end(), size) - out_.sizes.begin());
    double logSum = 0;
    int known = 0;
    for (std::size_t n : {i - 1, i + 1}) {  // i - 1 wraps past the end where i is 0
      const Measured* m = n < out_.sizes.size() ? at(index, out_.sizes[n]) : nullptr;
      if (m && m->summary.median > 0) {
        logSum += std::log(m->summary.median);
        ++known;
      }
    }
    return known ? std::exp(logSum / known) : std::numeric_limits<double>::infinity();
  }

  /// How long candidate `index` takes at `size` at most: the high end of its interval there,
  /// else (a size seeded from its neighbours) of its interval at the next size up, widened by
  /// prune()'s margin for few samples; a collective moving more bytes does not take less time.
  /// Infinity where it has neither.
  double upperBoundUs(std::size_t index, uint64_t size) const {
    if (const Measured* m = at(index, size)) return m->summary.medianCi.high;
    const auto next = std::upper_bound(out_.sizes.begin(), out_.sizes.end(), size);
    const Measured* m = next == out_.sizes.end() ? nullptr : at(index, *next);
    if (!m) return std::numeric_limits<double>::infinity();
    return m->summary.medianCi.high * (1 + fewSamplesMargin(m->samplesUs.size()));
  }

  /// Where candidates switch inside one launch: one trial per candidate and size, size by size,
  /// each size's candidates fastest first by what is known (expectedUs), so that a case the
  /// engine sees lose clearly against one before it stops early (Effort::outpaced).
  bool measureSizeBySize(const Effort& effort, const std::set<uint64_t>& sizes) {
    Round round;
    for (uint64_t s : sizes) {
      std::vector<std::size_t> order(alive_[s].begin(), alive_[s].end());
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return expectedUs(a, s) < expectedUs(b, s);
      });
      for (std::size_t i : order) round.emplace_back(i, std::vector<uint64_t>{s}, effort);
    }
    prefetch(round);
    for (const auto& [index, one, e] : round) {
      if (!trial(index, one, e)) return false;
    }
    return true;
  }

  /// Descent steps at `sizes`: what was proposed is measured where it was proposed, then the
  /// leaders move on, until nothing new is proposed or the steps run out.
  bool walk(const std::set<uint64_t>& sizes) {
    for (uint64_t s : sizes) descend(s);
    for (int step = 0; step < options_.maxDescentSteps && !pending_.empty(); ++step) {
      std::set<uint64_t> touched;
      for (const auto& [index, proposed] : pending_) touched.insert(proposed.begin(), proposed.end());
      if (!measurePending(options_.screening)) return false;
      for (uint64_t s : touched) {
        prune(s);
        descend(s);
      }
    }
    for (const auto& [index, proposed] : pending_) {  // a step beyond the limit stays untried
      for (uint64_t s : proposed) alive_[s].erase(index);
    }
    pending_.clear();
    return true;
  }

  void race() {
    const std::vector<uint64_t>& sizes = out_.sizes;
    // The default first: every decision compares against it, and its times say which sizes are
    // dear. Two or three batches (SearchOptions::first); the last round adds more only where a
    // decision needs them.
    if (!trial(0, sizes, options_.first)) return;
    // Sizes are screened by every seed where they are cheap (a launch measures all of a
    // candidate's sizes, and a candidate that wins only where two others cross is not lost
    // between them); where one iteration takes more than kDearSeconds, every other size (and the
    // largest), the rest seeded from their neighbours.
    std::set<uint64_t> coarse;
    bool skipped = false;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const Measured* d = at(0, sizes[i]);
      const bool dear = d && d->summary.median * 1e-6 > kDearSeconds;
      if (!dear || skipped || i + 1 == sizes.size()) {
        coarse.insert(sizes[i]);
        skipped = false;
      } else {
        skipped = true;
      }
    }
    std::set<std::size_t> seeds;
    for (const Candidate& c : space_.seeds(out_.collective)) seeds.insert(recordOf(c));
    for (uint64_t s : coarse) alive_[s] = seeds;
    if (!measureAlive(options_.screening)) return;
    for (uint64_t s : coarse) prune(s);
    if (!walk(coarse)) return;
    // Neighbouring sizes seed each other: the leader at a size joins the race at the sizes next
    // to it (descent through near-ties stops where one batch says so, a size apart).
    std::map<uint64_t, std::set<std::size_t>> joining;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (!coarse.count(sizes[i])) continue;
      for (std::size_t n : {i - 1, i + 1}) {
        if (n >= sizes.size() || !coarse.count(sizes[n])) continue;
        if (const auto lead = leader(sizes[n])) joining[sizes[i]].insert(*lead);
      }
    }
    for (const auto& [s, leaders] : joining) alive_[s].insert(leaders.begin(), leaders.end());
    // Sizes in between start from what is still in the race at their neighbours.
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (coarse.count(sizes[i])) continue;
      std::set<std::size_t> start{0};
      for (std::size_t n : {i - 1, i + 1}) {
        if (n < sizes.size() && coarse.count(sizes[n])) {
          start.insert(alive_[sizes[n]].begin(), alive_[sizes[n]].end());
        }
      }
      alive_[sizes[i]] = start;
    }
    // The last round, wherever something other than the default leads, or a contender has not
    // been measured yet (the sizes seeded from their neighbours).
    std::set<uint64_t> contested;
    for (uint64_t s : sizes) {
      const auto best = leader(s);
      bool unmeasured = false;
      for (std::size_t i : alive_[s]) unmeasured = unmeasured || !at(i, s);
      if (!best || *best != 0 || unmeasured) contested.insert(s);
    }
    // Where a contender is already decisively faster than the default (a cliff: its interval,
    // or at a size seeded from its neighbours its bound from the next size up, below the
    // default's interval by more than the threshold), the default needs no more batches.
    std::set<uint64_t> decided;
    for (uint64_t s : contested) {
      const Measured* base = at(0, s);
      if (!base) continue;
      double fastest = std::numeric_limits<double>::infinity();
      for (std::size_t i : alive_[s]) {
        if (i != 0) fastest = std::min(fastest, upperBoundUs(i, s));
      }
      if (fastest * (1 + options_.threshold) < base->summary.medianCi.low) {
        decided.insert(s);
        alive_[s].erase(0);
      }
    }
    // Where candidates are switched per call in one process, a batch costs no launch: the last
    // round then measures adaptively like exhaustive (kSwitchedLastBudget), not a fixed five,
    // size by size with the leader first so that the engine stops what is outpaced, and what the
    // screening pruned against a leader's lucky batch gets one more look.
    const bool switched = space_.application() == Application::kPerCase;
    Effort last = options_.last;
    if (switched) {
      last = options_.full;
      last.sizeBudgetSeconds *= kSwitchedLastBudget;
      last.outpaced = options_.outpaced;
    }
    const bool measured =
        contested.empty() || (switched ? measureSizeBySize(last, contested) : measureAlive(last, contested));
    for (uint64_t s : decided) alive_[s].insert(0);
    if (!measured) return;
    for (uint64_t s : contested) prune(s);
    if (switched) revive(last);
  }

  /// The screening prunes on one batch of each candidate against the leader's one batch; where
  /// the leader's later batches read slower, what it pruned on a batch within kReviveMargin of
  /// the leader's final figure comes back for a round at the last effort.
  void revive(const Effort& last) {
    std::map<std::size_t, std::vector<uint64_t>> revived;  // candidate -> sizes
    for (const auto& [size, pruned] : pruned_) {
      const auto best = leader(size);
      if (!best) continue;
      const double bar = at(*best, size)->summary.median * (1 + kReviveMargin);
      for (std::size_t i : pruned) {
        const Measured* m = at(i, size);
        if (m && m->samplesUs.size() < 3 && m->summary.median <= bar && !alive_[size].count(i)) {
          revived[i].push_back(size);
        }
      }
    }
    Round round;
    for (const auto& [index, sizes] : revived) round.emplace_back(index, sizes, last);
    prefetch(round);
    std::set<uint64_t> touched;
    for (const auto& [index, sizes] : revived) {
      if (!trial(index, sizes, last)) return;
      if (out_.candidates[index].failed) continue;  // its data check failed: out of every race
      for (uint64_t s : sizes) alive_[s].insert(index);
      touched.insert(sizes.begin(), sizes.end());
    }
    for (uint64_t s : touched) prune(s);
  }

  void chooseBest() {
    for (uint64_t s : out_.sizes) {
      std::optional<std::size_t> best;
      const bool raced = alive_.count(s) > 0;
      for (std::size_t i = 0; i < out_.candidates.size(); ++i) {
        if (raced && !alive_[s].count(i)) continue;
        const Measured* m = at(i, s);
        if (m && (!best || m->summary.median < at(*best, s)->summary.median)) best = i;
      }
      if (best) out_.best[s] = *best;
    }
  }

  const KnobSpace& space_;
  TrialRunner& runner_;
  SearchOptions options_;
  SearchOutcome out_;
  std::map<uint64_t, std::set<std::size_t>> alive_;
  std::map<uint64_t, std::set<std::size_t>> pruned_;  ///< what prune() dropped, per size
  std::map<std::size_t, std::set<uint64_t>> pending_;  ///< descent's proposals, unmeasured
  std::vector<TrialRequest> announced_;  ///< the round told to the runner, not yet asked for
};

}  // namespace

SearchOutcome search(const KnobSpace& space, TrialRunner& runner, Collective collective,
                     const std::vector<uint64_t>& sizes, const SearchOptions& options) {
  if (sizes.empty()) throw usageError("nothing to tune: no sizes");
  if (!space.tunes(collective)) {
    throw usageError(std::string("the ") + space.name() + " space has no knobs for " +
                     name(collective));
  }
  return Search(space, runner, collective, sizes, options).run();
}

}  // namespace cclbench::tune
