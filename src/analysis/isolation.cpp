#include "analysis/isolation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <utility>

namespace cclbench::isolation {
namespace {

Link linkOf(Host a, Host b) { return a < b ? Link{a, b} : Link{b, a}; }

std::string figureText(double figure) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", figure);
  return text;
}

std::string groupText(const Group& g) {
  std::string out;
  for (Host h : g) out += (out.empty() ? "" : ",") + std::to_string(h);
  return "{" + out + "}";
}

}  // namespace

std::vector<std::vector<Link>> pairRounds(int n) {
  std::vector<std::vector<Link>> out;
  if (n < 2) return out;
  out.push_back(circleRounds(n).front());
  if (n % 2 == 1) {
    std::vector<bool> paired(n, false);
    for (const Link& l : out.front()) paired[l.first] = paired[l.second] = true;
    const Host rest = static_cast<Host>(std::find(paired.begin(), paired.end(), false) - paired.begin());
    out.push_back({linkOf(rest, rest == 0 ? 1 : 0)});
  }
  return out;
}

Planner::Planner(std::vector<Group> failing, const std::vector<Group>& passing)
    : failing_(std::move(failing)) {
  for (const Group& g : passing) markGood(g);
}

void Planner::markGood(const Group& g) {
  for (Host h : g) {
    if (!badHosts_.count(h)) good_.insert(h);
  }
}

std::optional<Host> Planner::goodPartner(Host h, std::set<Host>& used) const {
  for (Host g : good_) {
    if (g != h && !used.count(g)) return g;
  }
  return std::nullopt;
}

std::vector<Group> Planner::nextRound() {
  std::vector<Job> jobs;
  std::vector<Split> splits;
  std::set<Host> used;
  const auto free = [&](const Group& g) {
    return std::none_of(g.begin(), g.end(), [&](Host h) { return used.count(h) > 0; });
  };
  const auto take = [&](Job job) {
    for (Host h : job.group) used.insert(h);
    jobs.push_back(std::move(job));
  };

  std::vector<Group> waiting;
  for (Group g : failing_) {
    // Known-bad hosts explain a failure only if every other host of the group is good.
    Group rest;
    for (Host h : g) {
      if (!badHosts_.count(h)) rest.push_back(h);
    }
    const bool hadBad = rest.size() < g.size();
    const bool restGood = std::all_of(rest.begin(), rest.end(), [&](Host h) { return good_.count(h) > 0; });
    if (rest.size() < 2 || (hadBad && restGood)) continue;
    if (restGood) {  // every host is good, the group still failed: one of its ring links
      for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest.size() == 2 && i == 1) break;
        const Link l = linkOf(rest[i], rest[(i + 1) % rest.size()]);
        if (++linkFailures_[l] >= 2) {
          badLinks_.insert(l);
          linkEvidence_[l] = "link " + std::to_string(l.first) + "-" + std::to_string(l.second) +
                             ": the group " + groupText(rest) + " of good hosts failed, and the pair failed again";
        } else {
          linkRetests_.push_back(l);
        }
      }
      continue;
    }
    if (rest.size() >= 4) {  // split into contiguous halves (rank order): log2 rounds
      Group left(rest.begin(), rest.begin() + static_cast<long>(rest.size() / 2));
      Group right(rest.begin() + static_cast<long>(rest.size() / 2), rest.end());
      if (!free(rest)) {
        waiting.push_back(rest);
        continue;
      }
      splits.push_back({left, right, 0});
      const int index = static_cast<int>(splits.size()) - 1;
      take({left, Role::kHalf, -1, index});
      take({right, Role::kHalf, -1, index});
      continue;
    }
    // Two or three hosts: each unknown host against a known-good partner; the group is looked
    // at again next round (all its hosts good by then: one of its links).
    for (Host h : rest) {
      if (good_.count(h) || used.count(h)) continue;
      used.insert(h);
      const auto p = goodPartner(h, used);
      used.erase(h);
      if (p) take({Group{std::min(h, *p), std::max(h, *p)}, Role::kPartner, h});
    }
    waiting.push_back(rest);
  }
  // Pairs of good hosts that failed together: measured again (a bad link fails twice).
  std::vector<Link> retests;
  for (const Link& l : linkRetests_) {
    const Group g{l.first, l.second};
    if (free(g)) take({g, Role::kRetest});
    else retests.push_back(l);
  }
  linkRetests_ = std::move(retests);
  // Groups that could not be scheduled wait (without any good host they stay unresolved).
  failing_ = std::move(waiting);
  std::vector<Group> round;
  for (const Job& j : jobs) round.push_back(j.group);
  jobs_ = std::move(jobs);
  splits_ = std::move(splits);
  if (!round.empty()) ++rounds_;
  return round;
}

void Planner::record(const std::vector<Measurement>& round) {
  const std::vector<Job> jobs = std::exchange(jobs_, {});
  std::vector<Split> splits = std::exchange(splits_, {});
  for (const Measurement& m : round) {
    const auto job = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.group == m.group; });
    if (job == jobs.end()) continue;
    switch (job->role) {
      case Role::kHalf:
        if (m.passed) {
          markGood(m.group);
          ++splits[job->split].passedHalves;
        } else {
          failing_.push_back(m.group);
        }
        break;
      case Role::kPartner: {
        const Host partner = m.group[0] == job->suspect ? m.group[1] : m.group[0];
        if (m.passed) {
          good_.insert(job->suspect);
        } else {
          badHosts_.insert(job->suspect);
          good_.erase(job->suspect);
          hostEvidence_[job->suspect] = "host " + std::to_string(job->suspect) + ": with good host " +
                                        std::to_string(partner) + " it measured " + figureText(m.figure) +
                                        " (failed)";
        }
        break;
      }
      case Role::kRetest: {
        const Link l = linkOf(m.group[0], m.group[1]);
        if (!m.passed && ++linkFailures_[l] >= 2) {
          badLinks_.insert(l);
          linkEvidence_[l] = "link " + std::to_string(l.first) + "-" + std::to_string(l.second) +
                             ": both hosts are good elsewhere, and the pair failed again (" +
                             figureText(m.figure) + ")";
        }
        break;
      }
    }
  }
  // Both halves passed: the parent's failure was one of the links the split cut.
  for (const Split& s : splits) {
    if (s.passedHalves < 2) continue;
    for (const Link& l : {linkOf(s.left.back(), s.right.front()), linkOf(s.right.back(), s.left.front())}) {
      if (badLinks_.count(l)) continue;
      linkFailures_[l] = std::max(linkFailures_[l], 1);  // the parent's failure counts once
      linkRetests_.push_back(l);
    }
  }
}

std::set<Host> Planner::unresolved() const {
  std::set<Host> out;
  for (const Group& g : failing_) {
    for (Host h : g) {
      if (!good_.count(h) && !badHosts_.count(h)) out.insert(h);
    }
  }
  return out;
}

std::vector<std::string> Planner::evidence() const {
  std::vector<std::string> out;
  for (const auto& [h, text] : hostEvidence_) out.push_back(text);
  for (const auto& [l, text] : linkEvidence_) {
    if (badLinks_.count(l)) out.push_back(text);
  }
  return out;
}

double Fabric::figure(const Group& g, double unitNoise) const {
  double f = 1;
  for (Host h : g) f = std::min(f, hostFactor.at(static_cast<std::size_t>(h)));
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (g.size() == 2 && i == 1) break;
    const auto it = linkFactor.find(linkOf(g[i], g[(i + 1) % g.size()]));
    if (it != linkFactor.end()) f = std::min(f, it->second);
  }
  return f * std::exp(noise * unitNoise);
}

SimulationOutcome simulate(const Fabric& fabric, bool pairs, uint64_t seed, double fraction) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  const int n = static_cast<int>(fabric.hostFactor.size());
  const auto measure = [&](const Group& g) {
    const double f = fabric.figure(g, noise(rng));
    return Measurement{g, f, f >= fraction};
  };
  std::vector<Group> failing, passing;
  int rounds = 0;
  if (pairs) {
    for (const auto& round : pairRounds(n)) {
      ++rounds;
      for (const Link& l : round) {
        const Measurement m = measure({l.first, l.second});
        (m.passed ? passing : failing).push_back(m.group);
      }
    }
  } else {
    Group all(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
    ++rounds;
    if (!measure(all).passed) failing.push_back(all);
  }
  Planner planner(failing, passing);
  for (auto round = planner.nextRound(); !round.empty() && planner.rounds() <= 4 * n; round = planner.nextRound()) {
    std::vector<Measurement> results;
    for (const Group& g : round) results.push_back(measure(g));
    planner.record(results);
  }
  return {planner.badHosts(), planner.badLinks(), planner.unresolved(), rounds + planner.rounds()};
}

}  // namespace cclbench::isolation
