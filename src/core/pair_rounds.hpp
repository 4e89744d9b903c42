#pragma once
/// The circle method: every pair of `n` members once, in rounds of disjoint pairs measured at the
/// same time (n-1 rounds for even n; n rounds for odd n, one member resting in each). The one
/// schedule of `cclbench matrix` (pairs of hosts, or of ranks inside one run with --all-pairs) and
/// of acceptance's pairs scope.

#include <utility>
#include <vector>

namespace cclbench {

using MemberPair = std::pair<int, int>;  ///< lower index first

std::vector<std::vector<MemberPair>> circleRounds(int n);

/// `member`'s partner in `round`, or -1 when it rests there.
int partnerIn(const std::vector<MemberPair>& round, int member);

}  // namespace cclbench
