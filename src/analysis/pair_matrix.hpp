#pragma once
/// The pair matrix: latency and bandwidth between every pair of members (hosts, or ranks of one
/// job), the pairs under a fraction of the median pair flagged. Built from run records, so
/// `cclbench matrix` (as it measures) and `cclbench report` (from the history) read the same
/// figures the same way: a pair of hosts is a 2-host run of `latency` or `bw` (the largest
/// out-of-place case: its median time, its busbw); a pair of ranks is inside an `--all-pairs`
/// run, the slower of its two ranks' medians in the case of its round.

#include <map>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench::analysis {

/// One pair as measured.
struct PairFigure {
  std::string a, b;
  int round = 0;
  bool ran = false;
  double latencyUs = 0;
  double bandwidthGbps = 0;
  bool flagged = false;
  std::string why;
};

struct PairMatrix {
  std::vector<std::string> members;  ///< host names, or "RANK@HOST"
  std::string kind = "hosts";        ///< what the members are: hosts or ranks
  std::vector<PairFigure> pairs;
  bool hasLatency = true;  ///< the records held that metric (a report of one run may hold one)
  bool hasBandwidth = true;
  double medianBandwidthGbps = 0;
  double minFraction = 0.7;
  int rounds = 0;
  bool timedOut = false;
  int exitCode = 0;
};

/// Flags the pairs below `minFraction` x the median bandwidth (and those that did not run), and
/// sets the exit code: 4 a job timed out, 7 a pair flagged, 0 otherwise.
void judgePairMatrix(PairMatrix& m);

/// One run as the matrix reads it; `round` is the run's label round= (pairs of hosts).
struct PairRun {
  const RunHeader& header;
  const std::vector<CaseRecord>& cases;
  int round = 0;
};

/// The matrix the runs hold: of ranks when any case is an --all-pairs round (members from the
/// first such run's header), else of hosts (every 2-host run of latency or bw; members sorted).
/// Every pair of the members is listed, in the circle method's order for ranks; a pair with a
/// metric missing did not run ("no figure"). Not judged.
PairMatrix pairMatrixOf(const std::vector<PairRun>& runs);

}  // namespace cclbench::analysis
