// Issue 9's isolation planner on a modelled fabric: rounds used and how often exactly the right
// culprits are named, at 64, 512 and 4,096 hosts, 1 and 3 bad hosts (0.3x) or one bad link
// (0.3x), 5% measurement noise, jobs failing under 0.7x. Against all-pairs testing (N-1
// rounds). Deterministic (seeded); figures in bench/README.md.
//
//   build/bench/cclbench_isolation_sim [trials per scenario, default 100]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "analysis/isolation.hpp"

using namespace cclbench::isolation;

int main(int argc, char** argv) {
  const int trials = argc > 1 ? std::atoi(argv[1]) : 100;
  std::printf("%-6s %-7s %-14s %8s %8s %8s %10s %14s\n", "hosts", "scope", "fault", "rounds", "worst",
              "bound", "all-pairs", "exactly right");
  for (int n : {64, 512, 4096}) {
    for (bool pairs : {false, true}) {
      for (const char* fault : {"1 bad host", "3 bad hosts", "1 bad link"}) {
        std::mt19937_64 rng(static_cast<uint64_t>(n) * 1000003u + (pairs ? 7 : 0) + fault[0] + fault[2]);
        long roundsSum = 0;
        int worst = 0, right = 0;
        for (int t = 0; t < trials; ++t) {
          Fabric f;
          f.hostFactor.assign(static_cast<std::size_t>(n), 1.0);
          f.noise = 0.05;
          std::set<Host> badHosts;
          std::set<Link> badLinks;
          std::uniform_int_distribution<int> host(0, n - 1);
          if (fault[2] == 'b' && fault[6] == 'l') {  // one bad link the check's jobs use
            Link l;
            if (pairs) {
              const auto round = pairRounds(n)[0];
              l = round[std::uniform_int_distribution<std::size_t>(0, round.size() - 1)(rng)];
            } else {
              const int a = std::uniform_int_distribution<int>(0, n - 2)(rng);
              l = {a, a + 1};
            }
            f.linkFactor[l] = 0.3;
            badLinks.insert(l);
          } else {
            const std::size_t k = fault[0] == '1' ? 1 : 3;
            while (badHosts.size() < k) badHosts.insert(host(rng));
            for (Host h : badHosts) f.hostFactor[static_cast<std::size_t>(h)] = 0.3;
          }
          const SimulationOutcome o = simulate(f, pairs, rng());
          roundsSum += o.rounds;
          worst = std::max(worst, o.rounds);
          right += o.badHosts == badHosts && o.badLinks == badLinks && o.unresolved.empty();
        }
        const int bound = 2 * static_cast<int>(std::ceil(std::log2(n))) + 4;
        std::printf("%-6d %-7s %-14s %8.1f %8d %8d %10d %9d / %d\n", n, pairs ? "pairs" : "all", fault,
                    static_cast<double>(roundsSum) / trials, worst, bound, n - 1, right, trials);
      }
    }
  }
  return 0;
}
