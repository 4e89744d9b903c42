#pragma once
/// Finding the bad host or link of a rack in a few rounds (issue 9's isolation planner; no MPI
/// here: the caller measures, this decides what to measure next).
///
/// - circleRounds(): the circle method, rounds of disjoint pairs that cover every pair of hosts
///   once (n-1 rounds for even n, n for odd n with one host resting): `cclbench matrix`'s
///   all-pairs schedule, and the first round of acceptance's "pairs" scope.
/// - Planner: starts from the groups of a check that failed (the whole host list of a job over
///   every host, or the pairs of a round) and proposes rounds of disjoint groups, each measured
///   as one job at the same time, until every bad host and bad link is named:
///   a failing group of four hosts or more is split into two contiguous halves (a ring job uses
///   the links between neighbours in rank order, so a bad link stays inside a half, or is one of
///   the two cut links, tested directly when both halves pass); a failing group of two or three
///   hosts is resolved by pairing each of its hosts with a host already known good; a host whose
///   pair with a known-good host fails is bad; a pair that fails while both hosts are good is a
///   bad link once it fails a second time.
/// Groups are host indices in rank order; a job's verdict comes from the caller's judge.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/pair_rounds.hpp"

namespace cclbench::isolation {

using Host = int;
using Group = std::vector<Host>;  ///< hosts measured together, in rank order
using Link = std::pair<Host, Host>;  ///< lower index first

/// Every pair of `n` hosts once, in rounds of disjoint pairs (core's circle method).
using cclbench::circleRounds;

/// One round of disjoint pairs over every host (circleRounds' first); for odd n the host left
/// out is paired with host 0 in a second, one-pair round.
std::vector<std::vector<Link>> pairRounds(int n);

struct Measurement {
  Group group;
  double figure = 0;  ///< busbw or bandwidth, GB/s
  bool passed = false;
};

class Planner {
 public:
  /// `failing`: the groups that failed the check (each in rank order); `passing`: groups that
  /// passed it (their hosts are good).
  explicit Planner(std::vector<Group> failing, const std::vector<Group>& passing = {});

  /// The next round: disjoint groups to measure at once; empty when nothing is left to find
  /// (or no known-good host exists to pair suspects with).
  std::vector<Group> nextRound();
  /// The results of the round nextRound() gave, in any order.
  void record(const std::vector<Measurement>& round);

  const std::set<Host>& badHosts() const { return badHosts_; }
  const std::set<Link>& badLinks() const { return badLinks_; }
  /// Hosts not cleared when isolation ended (no good partner was left to test them with).
  std::set<Host> unresolved() const;
  int rounds() const { return rounds_; }
  /// One line per named culprit: which jobs failed, with which figure, against which partner.
  std::vector<std::string> evidence() const;

 private:
  /// One job of the round and what its result will mean.
  enum class Role { kHalf, kPartner, kRetest };
  struct Job {
    Group group;
    Role role;
    Host suspect = -1;  ///< kPartner: the host tested against a good one
    int split = -1;     ///< kHalf: its split in splits_
  };
  struct Split {
    Group left, right;
    int passedHalves = 0;
  };

  void markGood(const Group& g);
  std::optional<Host> goodPartner(Host h, std::set<Host>& used) const;

  std::vector<Group> failing_;         ///< groups still to split or resolve
  std::set<Host> good_;
  std::set<Host> badHosts_;
  std::set<Link> badLinks_;
  std::map<Link, int> linkFailures_;   ///< failures of a pair whose hosts are both good
  std::map<Host, std::string> hostEvidence_;
  std::map<Link, std::string> linkEvidence_;
  std::vector<Link> linkRetests_;      ///< pairs to measure again
  std::vector<Job> jobs_;              ///< the round nextRound() gave
  std::vector<Split> splits_;
  int rounds_ = 0;
};

/// A modelled fabric for tests and benchmarks: host and link speed factors (1 = healthy), a job's
/// figure = the slowest host or ring link (neighbours in the group's order, wrapping) times a
/// seeded log-normal noise.
struct Fabric {
  std::vector<double> hostFactor;
  std::map<Link, double> linkFactor;  ///< only the unhealthy ones
  double noise = 0.05;
  double figure(const Group& g, double unitNoise) const;
};

/// What a check and its isolation found on a modelled fabric.
struct SimulationOutcome {
  std::set<Host> badHosts;
  std::set<Link> badLinks;
  std::set<Host> unresolved;
  int rounds = 0;  ///< the check's own round(s) included
};

/// One acceptance check on `fabric` (`pairs`: a round of disjoint pairs, the odd host in a second
/// round; else one job over every host), a job passing at `fraction` of a healthy figure (1), then
/// isolation until the planner is done. Noise drawn with `seed`.
SimulationOutcome simulate(const Fabric& fabric, bool pairs, uint64_t seed, double fraction = 0.7);

}  // namespace cclbench::isolation
