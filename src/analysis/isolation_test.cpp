#include "analysis/isolation.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace cclbench::isolation {
namespace {

TEST(CircleRounds, EveryPairOnceInRoundsOfDisjointPairs) {
  for (int n = 2; n <= 13; ++n) {
    const auto rounds = circleRounds(n);
    EXPECT_EQ(static_cast<int>(rounds.size()), n % 2 == 0 ? n - 1 : n) << n;
    std::set<Link> seen;
    for (const auto& round : rounds) {
      std::set<Host> busy;
      for (const Link& l : round) {
        EXPECT_LT(l.first, l.second);
        EXPECT_TRUE(busy.insert(l.first).second && busy.insert(l.second).second) << "n " << n << ": not disjoint";
        EXPECT_TRUE(seen.insert(l).second) << "n " << n << ": pair twice";
      }
      EXPECT_EQ(static_cast<int>(busy.size()), n - n % 2);
    }
    EXPECT_EQ(static_cast<int>(seen.size()), n * (n - 1) / 2);
  }
  EXPECT_TRUE(circleRounds(1).empty());
}

TEST(PairRounds, CoverEveryHostTheOddOneInASecondRound) {
  EXPECT_EQ(pairRounds(4).size(), 1u);
  const auto odd = pairRounds(7);
  ASSERT_EQ(odd.size(), 2u);
  ASSERT_EQ(odd[1].size(), 1u);
  std::set<Host> covered;
  for (const auto& round : odd) {
    for (const Link& l : round) covered.insert({l.first, l.second});
  }
  EXPECT_EQ(covered.size(), 7u);
}

Fabric healthy(int n) {
  Fabric f;
  f.hostFactor.assign(static_cast<std::size_t>(n), 1.0);
  return f;
}

int bound(int n) { return 2 * static_cast<int>(std::ceil(std::log2(n))) + 4; }

TEST(Planner, AHealthyRackNeedsNoIsolation) {
  for (bool pairs : {false, true}) {
    const SimulationOutcome o = simulate(healthy(16), pairs, 1);
    EXPECT_TRUE(o.badHosts.empty() && o.badLinks.empty() && o.unresolved.empty());
    EXPECT_LE(o.rounds, 1);
  }
}

TEST(Planner, NamesExactlyTheBadHostsWithinTwoLog2NPlusFourRounds) {
  for (int n : {8, 13, 64, 512}) {
    for (bool pairs : {false, true}) {
      for (const std::set<Host>& bad : {std::set<Host>{n / 3}, std::set<Host>{1, n / 2, n - 1}}) {
        Fabric f = healthy(n);
        for (Host h : bad) f.hostFactor[static_cast<std::size_t>(h)] = 0.3;
        const SimulationOutcome o = simulate(f, pairs, static_cast<uint64_t>(n) * 7 + bad.size());
        EXPECT_EQ(o.badHosts, bad) << n << " hosts, " << (pairs ? "pairs" : "all");
        EXPECT_TRUE(o.badLinks.empty());
        EXPECT_TRUE(o.unresolved.empty());
        EXPECT_LE(o.rounds, bound(n)) << n << " hosts, " << (pairs ? "pairs" : "all");
      }
    }
  }
}

TEST(Planner, NamesABadLinkAndNoHost) {
  for (int n : {8, 64, 512}) {
    for (bool pairs : {false, true}) {
      Fabric f = healthy(n);
      // A link the check's jobs use: neighbours in rank order for one job over every host, a
      // pair of the first round for the pairs scope.
      const Link bad = pairs ? pairRounds(n)[0][1] : Link{n / 2 - 1, n / 2};
      f.linkFactor[bad] = 0.3;
      const SimulationOutcome o = simulate(f, pairs, static_cast<uint64_t>(n) + 99);
      EXPECT_TRUE(o.badHosts.empty()) << n << (pairs ? " pairs" : " all");
      EXPECT_EQ(o.badLinks, std::set<Link>{bad}) << n << (pairs ? " pairs" : " all");
      EXPECT_LE(o.rounds, bound(n));
    }
  }
}

TEST(Planner, WithoutAGoodHostNothingIsNamedAndTheHostsStayUnresolved) {
  Planner p({{0, 1}});
  EXPECT_TRUE(p.nextRound().empty());
  EXPECT_EQ(p.unresolved(), (std::set<Host>{0, 1}));
  EXPECT_TRUE(p.badHosts().empty());
}

TEST(Planner, EvidenceNamesTheFigureAndThePartner) {
  Fabric f = healthy(8);
  f.hostFactor[5] = 0.3;
  Planner p({{4, 5}}, {{0, 1}, {2, 3}, {6, 7}});
  for (auto round = p.nextRound(); !round.empty(); round = p.nextRound()) {
    std::vector<Measurement> results;
    for (const Group& g : round) {
      const double fig = f.figure(g, 0);
      results.push_back({g, fig, fig >= 0.7});
    }
    p.record(results);
  }
  EXPECT_EQ(p.badHosts(), std::set<Host>{5});
  ASSERT_EQ(p.evidence().size(), 1u);
  EXPECT_NE(p.evidence()[0].find("host 5: with good host"), std::string::npos) << p.evidence()[0];
  EXPECT_NE(p.evidence()[0].find("0.3"), std::string::npos) << p.evidence()[0];
  EXPECT_EQ(p.rounds(), 1);
}

}  // namespace
}  // namespace cclbench::isolation
