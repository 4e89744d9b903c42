#include "core/pair_rounds.hpp"

#include <algorithm>

namespace cclbench {

std::vector<std::vector<MemberPair>> circleRounds(int n) {
  std::vector<std::vector<MemberPair>> rounds;
  if (n < 2) return rounds;
  const int m = n % 2 == 0 ? n : n + 1;  // member m-1 is a "rest" placeholder when n is odd
  for (int r = 0; r < m - 1; ++r) {
    std::vector<int> order{m - 1};
    for (int i = 0; i < m - 1; ++i) order.push_back((r + i) % (m - 1));
    std::vector<MemberPair> round;
    for (int i = 0; i < m / 2; ++i) {
      const int a = order[i], b = order[m - 1 - i];
      if (a < n && b < n) round.push_back({std::min(a, b), std::max(a, b)});
    }
    rounds.push_back(std::move(round));
  }
  return rounds;
}

int partnerIn(const std::vector<MemberPair>& round, int member) {
  for (const MemberPair& p : round) {
    if (p.first == member) return p.second;
    if (p.second == member) return p.first;
  }
  return -1;
}

}  // namespace cclbench
